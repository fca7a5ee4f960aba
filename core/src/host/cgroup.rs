//! The memory limit a process runs under (a container, a systemd slice), from the text of
//! `/proc/self/cgroup` and the limit files it points at. The caller does the reading: `read` maps
//! a path to its contents, so this stays free of I/O.

use crate::inputs::size::MiB;

/// A cgroup memory limit and the file it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupLimit {
    pub limit: MiB,
    pub source: String,
}

/// Limits above this are "no limit" (cgroup v1 writes a number near `i64::MAX` for it).
const UNLIMITED_ABOVE: u64 = 1 << 60;

/// The tightest memory limit on the way from this process's cgroup up to the root, cgroup v2
/// (`0::/path` -> `/sys/fs/cgroup/path/memory.max`) or v1 (`N:memory:/path` ->
/// `/sys/fs/cgroup/memory/path/memory.limit_in_bytes`). `None` when nothing limits memory.
pub fn cgroup_memory_limit(proc_self_cgroup: &str, read: impl Fn(&str) -> Option<String>) -> Option<CgroupLimit> {
    let mut candidates = Vec::new();
    for line in proc_self_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next()) else { continue };
        let (base, file) = if controllers.is_empty() {
            ("/sys/fs/cgroup", "memory.max")
        } else if controllers.split(',').any(|c| c == "memory") {
            ("/sys/fs/cgroup/memory", "memory.limit_in_bytes")
        } else {
            continue;
        };
        // The limit of every ancestor applies too: walk up to the root.
        let mut dir = path.trim_end_matches('/').to_owned();
        loop {
            candidates.push(format!("{base}{dir}/{file}"));
            match dir.rfind('/') {
                Some(index) => dir.truncate(index),
                None => break,
            }
            if dir.is_empty() {
                candidates.push(format!("{base}/{file}"));
                break;
            }
        }
    }
    candidates
        .into_iter()
        .filter_map(|source| {
            let text = read(&source)?;
            let bytes = text.trim().parse::<u64>().ok().filter(|&b| b < UNLIMITED_ABOVE)?;
            Some(CgroupLimit { limit: MiB(bytes / (1024 * 1024)), source })
        })
        .min_by_key(|limit| limit.limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(cgroup: &str, files: &[(&str, &str)], expect: Option<(u64, &str)>) {
        let read = |path: &str| files.iter().find(|(p, _)| *p == path).map(|(_, t)| (*t).to_owned());
        let actual = cgroup_memory_limit(cgroup, read).map(|l| (l.limit.0, l.source));
        assert_eq!(actual, expect.map(|(m, s)| (m, s.to_owned())));
    }

    #[test]
    fn limits() {
        check(
            "0::/docker/abc\n",
            &[("/sys/fs/cgroup/docker/abc/memory.max", "4294967296\n")],
            Some((4096, "/sys/fs/cgroup/docker/abc/memory.max")),
        );
        check(
            "0::/system.slice/mail.service\n",
            &[
                ("/sys/fs/cgroup/system.slice/mail.service/memory.max", "max\n"),
                ("/sys/fs/cgroup/system.slice/memory.max", "2147483648\n"),
            ],
            Some((2048, "/sys/fs/cgroup/system.slice/memory.max")),
        );
        check("0::/\n", &[("/sys/fs/cgroup/memory.max", "max\n")], None);
        check(
            "4:memory:/docker/abc\n3:cpuset:/\n",
            &[
                ("/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "6442450944\n"),
                ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n"),
            ],
            Some((6144, "/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes")),
        );
        check("4:memory:/\n", &[("/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n")], None);
        check("", &[], None);
        check("garbage\n0::/x\n", &[("/sys/fs/cgroup/x/memory.max", "not a number")], None);
    }
}
