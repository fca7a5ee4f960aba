//! Measuring amavisd and clamd on a live server, from the text of `/proc` files (the CLI reads
//! them). What N children cost is the parent's RSS (the Perl and SpamAssassin pages the children
//! share with it, counted once) plus N times a child's private memory: a PSS divides the shared
//! pages among the processes measured, so it is exact only at the N running when measured. A
//! child's working size is reached with its first scan: a fresh `(virgin child)` has only a few
//! MiB of its own and is left out of the per-child figure.

use serde::Serialize;

use crate::inputs::size::MiB;

/// The figures of `/proc/PID/smaps_rollup`, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Rollup {
    pub rss_kib: u64,
    pub pss_kib: u64,
    /// `Private_Clean + Private_Dirty`.
    pub private_kib: u64,
}

/// Reads `/proc/PID/smaps_rollup`; `None` when it has no `Pss:` line.
pub fn parse_smaps_rollup(text: &str) -> Option<Rollup> {
    let field = |name: &str| -> Option<u64> {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':')?.split_whitespace().next()?.parse().ok())
    };
    Some(Rollup {
        rss_kib: field("Rss").unwrap_or(0),
        pss_kib: field("Pss")?,
        private_kib: field("Private_Clean").unwrap_or(0) + field("Private_Dirty").unwrap_or(0),
    })
}

/// The parent pid from `/proc/PID/stat` (the command name may contain spaces and parentheses).
pub fn parse_stat_ppid(text: &str) -> Option<u32> {
    let after_name = &text[text.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// The start time from `/proc/PID/stat` (field 22), in clock ticks since boot.
pub fn parse_stat_start_ticks(text: &str) -> Option<u64> {
    let after_name = &text[text.rfind(')')? + 1..];
    // Fields after the name start at field 3 (state): field 22 is the 20th of them.
    after_name.split_whitespace().nth(19)?.parse().ok()
}

/// The CPU time a process has used from `/proc/PID/stat`, in clock ticks: its own (`utime +
/// stime`, fields 14 and 15) and that of the children it has waited for (`cutime + cstime`).
pub fn parse_stat_cpu_ticks(text: &str) -> Option<(u64, u64)> {
    let after_name = &text[text.rfind(')')? + 1..];
    let field = |n: usize| after_name.split_whitespace().nth(n)?.parse::<u64>().ok();
    // Fields after the name start at field 3: field 14 is the 12th of them.
    Some((field(11)? + field(12)?, field(13)? + field(14)?))
}

/// One process as read from `/proc`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessInfo {
    pub pid: u32,
    pub ppid: u32,
    /// The command line (NULs as spaces; amavisd sets it to `amavisd (master)`, `amavisd (ch3-avail)`).
    pub command: String,
    /// `None` when its smaps_rollup could not be read (another user's process, without root).
    pub memory: Option<Rollup>,
    /// Seconds since the process started, when known.
    pub age_seconds: Option<u64>,
}

/// Children younger than this have handled little mail and have not grown to their working size.
pub const YOUNG_CHILD_SECONDS: u64 = 120;

/// clamd above this many times its default figure probably holds two engines (a reload).
const RELOAD_FACTOR_PERCENT: u64 = 180;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Measurement {
    pub amavisd_parent: Option<ProcessInfo>,
    pub amavisd_children: Vec<ProcessInfo>,
    pub clamd: Vec<ProcessInfo>,
    /// Mean private memory (`Private_Clean + Private_Dirty`) of the children that have scanned
    /// mail and could be read; `None` when no child has.
    pub per_child: Option<MiB>,
    /// How many children have scanned mail (titled `(chN-...)`), and how many have not
    /// (`(virgin child)`).
    pub working_children: usize,
    pub virgin_children: usize,
    /// The parent's RSS: the pages its children share with it, counted once.
    pub amavisd_parent_rss: Option<MiB>,
    pub clamd_pss: Option<MiB>,
    /// Processes found but not readable.
    pub unreadable: Vec<u32>,
    pub warnings: Vec<String>,
}

/// An amavisd program word: `amavisd` or `amavisd-new`, bare or as a path.
fn is_amavisd_program(word: &str) -> bool {
    let name = word.rsplit('/').next().unwrap_or(word);
    name == "amavisd" || name == "amavisd-new"
}

/// Whether a command line is amavisd's: its own title (`/usr/sbin/amavisd (master)`, `amavisd-new
/// (ch2-avail)`), or Perl running it (`perl: /usr/local/sbin/amavisd (master)` on OpenBSD,
/// `/usr/bin/perl -T /usr/sbin/amavisd ...`). A program that merely names it (`timeout 300
/// /usr/sbin/amavisd foreground`, `vi amavisd.conf`) is not.
pub fn is_amavisd(command: &str) -> bool {
    let mut words = command.split_whitespace();
    let first = words.next().unwrap_or_default();
    if is_amavisd_program(first) {
        return true;
    }
    let perl = first.trim_end_matches(':');
    if perl == "perl" || perl.ends_with("/perl") {
        return words.find(|word| !word.starts_with('-')).is_some_and(is_amavisd_program);
    }
    false
}

/// A child that has accepted a connection: amavisd titles it `(chN-...)` from then on.
fn has_scanned(command: &str) -> bool {
    command.contains("(ch")
}

fn is_clamd(command: &str) -> bool {
    let first = command.split_whitespace().next().unwrap_or_default();
    first == "clamd" || first.ends_with("/clamd")
}

fn mib_of_kib(kib: u64) -> MiB {
    MiB(kib.div_ceil(1024))
}

/// amavisd's parent among `processes` and its amavisd children: the parent is the amavisd
/// process with the most amavisd children (another amavisd, say a `test-config` run, may be
/// running beside it).
pub fn amavisd_family(processes: &[ProcessInfo]) -> Option<(&ProcessInfo, Vec<&ProcessInfo>)> {
    let amavisd: Vec<&ProcessInfo> = processes.iter().filter(|p| is_amavisd(&p.command)).collect();
    let parent = amavisd
        .iter()
        .filter(|p| !amavisd.iter().any(|q| q.pid == p.ppid))
        .max_by_key(|p| (amavisd.iter().filter(|c| c.ppid == p.pid).count(), std::cmp::Reverse(p.pid)))
        .copied()?;
    Some((parent, amavisd.iter().filter(|p| p.ppid == parent.pid).copied().collect()))
}

/// Finds amavisd's parent and children and clamd among `processes` and sums their memory.
pub fn measure(processes: &[ProcessInfo]) -> Measurement {
    let family = amavisd_family(processes);
    let parent = family.as_ref().map(|(parent, _)| *parent);
    let children: Vec<ProcessInfo> =
        family.map(|(_, children)| children.into_iter().cloned().collect()).unwrap_or_default();
    let clamd: Vec<ProcessInfo> = processes.iter().filter(|p| is_clamd(&p.command)).cloned().collect();
    let unreadable: Vec<u32> = parent
        .into_iter()
        .chain(children.iter())
        .chain(clamd.iter())
        .filter(|p| p.memory.is_none())
        .map(|p| p.pid)
        .collect();
    let working: Vec<&ProcessInfo> = children.iter().filter(|c| has_scanned(&c.command)).collect();
    let working_children = working.len();
    let virgin_children = children.len() - working_children;
    let readable: Vec<u64> = working.iter().filter_map(|c| c.memory.map(|m| m.private_kib)).collect();
    let per_child = (!readable.is_empty()).then(|| mib_of_kib(readable.iter().sum::<u64>() / readable.len() as u64));
    let clamd_readable: Vec<u64> = clamd.iter().filter_map(|c| c.memory.map(|m| m.pss_kib)).collect();
    let mut warnings = Vec::new();
    if parent.is_some() && children.len() < 2 {
        warnings.push(format!(
            "only {} amavisd child(ren) running: one child's figure may not be representative",
            children.len()
        ));
    }
    if !children.is_empty() && working.is_empty() {
        warnings.push(format!(
            "none of the {} amavisd children has scanned mail yet (all are titled `(virgin child)`, with a few MiB of their own): there is no per-child figure; measure again after some mail",
            children.len()
        ));
    } else if virgin_children > 0 {
        warnings.push(format!(
            "{virgin_children} of {} amavisd children have not scanned mail yet (`(virgin child)`): the per-child figure is the mean of the {} that have",
            children.len(),
            working_children
        ));
    }
    if !unreadable.is_empty() {
        warnings.push(format!(
            "{} process(es) could not be read (run as root to read them): {unreadable:?}",
            unreadable.len()
        ));
    }
    if let Some(youngest) = working.iter().filter_map(|c| c.age_seconds).min()
        && youngest < YOUNG_CHILD_SECONDS
    {
        warnings.push(format!(
            "an amavisd child started {youngest} s ago: young children have handled little mail and not grown to their working size; measure again later"
        ));
    }
    let clamd_total: u64 = clamd.iter().filter_map(|c| c.memory.map(|m| m.pss_kib)).sum();
    if clamd_total / 1024 > crate::model::memory::DEFAULT_CLAMD.0 * RELOAD_FACTOR_PERCENT / 100 {
        warnings.push(format!(
            "clamd holds {} MiB, far more than the {} MiB its signatures usually take: it may be reloading its database (two engines at once); measure again later",
            clamd_total / 1024,
            crate::model::memory::DEFAULT_CLAMD.0
        ));
    }
    if clamd.len() > 1 {
        warnings.push("more than one clamd process: the figure is their sum".to_owned());
    }
    Measurement {
        amavisd_parent_rss: parent.and_then(|p| p.memory).map(|m| mib_of_kib(m.rss_kib)),
        amavisd_parent: parent.cloned(),
        amavisd_children: children,
        per_child,
        working_children,
        virgin_children,
        clamd_pss: (!clamd_readable.is_empty()).then(|| mib_of_kib(clamd_readable.iter().sum())),
        clamd,
        unreadable,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLLUP: &str = "56125e137000-7ffeaf087000 ---p 00000000 00:00 0  [rollup]\nRss:              204800 kB\nPss:               81920 kB\nShared_Clean:     100000 kB\nPrivate_Clean:     10240 kB\nPrivate_Dirty:     40960 kB\n";

    #[test]
    fn rollup_and_stat() {
        assert_eq!(parse_smaps_rollup(ROLLUP), Some(Rollup { rss_kib: 204800, pss_kib: 81920, private_kib: 51200 }));
        assert_eq!(parse_smaps_rollup("Rss: 1 kB\n"), None);
        assert_eq!(parse_stat_ppid("1234 (amavisd (ch1)) S 1200 1234 1234 0"), Some(1200));
        assert_eq!(parse_stat_ppid("garbage"), None);
        let stat = "1234 (amavisd (ch1)) S 1200 1234 1234 0 -1 4194560 100 0 0 0 5 1 0 0 20 0 1 0 987654 12345678 2000";
        assert_eq!(parse_stat_start_ticks(stat), Some(987654));
        assert_eq!(parse_stat_cpu_ticks(stat), Some((6, 0)));
        assert_eq!(parse_stat_cpu_ticks("1 (x) S 1"), None);
    }

    fn process(pid: u32, ppid: u32, command: &str, pss_mib: Option<u64>) -> ProcessInfo {
        ProcessInfo {
            pid,
            ppid,
            command: command.to_owned(),
            memory: pss_mib.map(|m| Rollup { rss_kib: m * 2048, pss_kib: m * 1024, private_kib: m * 512 }),
            age_seconds: Some(3600),
        }
    }

    #[test]
    fn finds_parent_children_and_clamd() {
        let processes = [
            process(1, 0, "/sbin/init", Some(5)),
            process(100, 1, "amavisd (master)", Some(120)),
            process(101, 100, "amavisd (ch1-avail)", Some(60)),
            process(102, 100, "amavisd (ch2-avail)", Some(80)),
            process(200, 1, "/usr/sbin/clamd --foreground=true", Some(1400)),
            process(300, 1, "vim amavisd.conf", Some(10)),
        ];
        let m = measure(&processes);
        assert_eq!(m.amavisd_parent.map(|p| p.pid), Some(100));
        assert_eq!(m.amavisd_children.iter().map(|c| c.pid).collect::<Vec<_>>(), [101, 102]);
        // Private memory (half the PSS in these fakes), the parent's RSS (twice its PSS).
        assert_eq!(m.per_child, Some(MiB(35)));
        assert_eq!(m.amavisd_parent_rss, Some(MiB(240)));
        assert_eq!(m.clamd_pss, Some(MiB(1400)));
        assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    }

    #[test]
    fn few_or_unreadable() {
        let m =
            measure(&[process(100, 1, "amavisd (master)", None), process(101, 100, "amavisd (ch1-avail)", Some(60))]);
        assert_eq!(m.per_child, Some(MiB(30)));
        assert_eq!(m.unreadable, [100]);
        assert_eq!(m.warnings.len(), 2);
        let mut young = process(101, 100, "amavisd (ch1-avail)", Some(60));
        young.age_seconds = Some(5);
        let m = measure(&[
            process(100, 1, "amavisd (master)", Some(100)),
            young,
            process(102, 100, "amavisd (ch2)", Some(60)),
            process(200, 1, "clamd", Some(3000)),
        ]);
        let warnings = m.warnings.join(" | ");
        assert!(warnings.contains("started 5 s ago") && warnings.contains("may be reloading"), "{warnings}");
        let none = measure(&[process(1, 0, "/sbin/init", Some(5))]);
        assert!(none.amavisd_parent.is_none() && none.clamd.is_empty());
    }

    #[test]
    fn virgin_children_are_left_out() {
        let m = measure(&[
            process(100, 1, "/usr/sbin/amavisd (master)", Some(180)),
            process(101, 100, "/usr/sbin/amavisd (ch3-avail)", Some(140)),
            process(102, 100, "/usr/sbin/amavisd (virgin child)", Some(4)),
            process(103, 100, "/usr/sbin/amavisd (virgin child)", Some(4)),
        ]);
        assert_eq!((m.working_children, m.virgin_children), (1, 2));
        assert_eq!(m.per_child, Some(MiB(70)));
        assert!(
            m.warnings.iter().any(|w| w.contains("2 of 3 amavisd children have not scanned mail")),
            "{:?}",
            m.warnings
        );
        let m = measure(&[
            process(100, 1, "amavisd-new (master)", Some(180)),
            process(101, 100, "amavisd-new (virgin child)", Some(4)),
            process(102, 100, "amavisd-new (virgin child)", Some(4)),
        ]);
        assert_eq!(m.per_child, None);
        assert!(
            m.warnings.iter().any(|w| w.contains("none of the 2 amavisd children has scanned mail")),
            "{:?}",
            m.warnings
        );
    }

    #[test]
    fn only_amavisd_itself_is_amavisd() {
        for command in [
            "/usr/sbin/amavisd (master)",
            "amavisd-new (ch1-avail)",
            "perl: /usr/local/sbin/amavisd (master)",
            "/usr/bin/perl -T /usr/sbin/amavisd -c /etc/amavisd.conf foreground",
        ] {
            assert!(is_amavisd(command), "{command}");
        }
        for command in
            ["timeout 300 /usr/sbin/amavisd -c /etc/x foreground", "vi /etc/amavisd.conf", "amavisd-nanny", "perl -e 1"]
        {
            assert!(!is_amavisd(command), "{command}");
        }
        let m = measure(&[
            process(50, 1, "timeout 300 /usr/sbin/amavisd -c /lab/amavisd.conf foreground", Some(1)),
            process(100, 50, "/usr/sbin/amavisd (master)", Some(180)),
            process(101, 100, "/usr/sbin/amavisd (ch1-avail)", Some(140)),
            process(102, 100, "/usr/sbin/amavisd (ch2-avail)", Some(140)),
        ]);
        assert_eq!(m.amavisd_parent.map(|p| p.pid), Some(100));
        assert_eq!(m.amavisd_children.len(), 2);
    }
}
