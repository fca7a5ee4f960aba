//! What the CLI reads about the machine it runs on: RAM, CPUs and the OS.

use std::path::Path;

use std::path::PathBuf;

use amavis_tune_core::{CgroupLimit, Cpus, MiB, Os, cgroup_memory_limit, mem_total_from_meminfo, os_from_os_release};
use anyhow::Context;

use crate::output::Hinted;

pub(crate) const MEMINFO: &str = "/proc/meminfo";
const OS_RELEASE: &str = "/etc/os-release";

/// The RAM a plan for this machine may use: `/proc/meminfo`'s total, or the memory limit of the
/// cgroup this process runs in (a container, a systemd slice) when that is lower.
#[derive(Debug, Clone)]
pub(crate) struct Ram {
    pub(crate) usable: MiB,
    pub(crate) host: MiB,
    pub(crate) cgroup: Option<CgroupLimit>,
}

/// Reads the RAM under `sysroot` (`/` normally; a captured tree in tests).
pub(crate) fn ram(sysroot: &Path) -> anyhow::Result<Ram> {
    let host = mem_total(sysroot)?;
    let in_root = |path: &str| -> PathBuf { sysroot.join(path.trim_start_matches('/')) };
    let cgroup = std::fs::read_to_string(in_root("/proc/self/cgroup"))
        .ok()
        .and_then(|text| cgroup_memory_limit(&text, |path| std::fs::read_to_string(in_root(path)).ok()))
        .filter(|limit| limit.limit < host && limit.limit.0 > 0);
    Ok(Ram { usable: cgroup.as_ref().map_or(host, |c| c.limit), host, cgroup })
}

fn mem_total(sysroot: &Path) -> anyhow::Result<MiB> {
    let hint = || Hinted {
        message: format!("cannot read this machine's RAM from {MEMINFO}"),
        hint: "give the server's RAM with --ram, e.g. --ram 8G".to_owned(),
    };
    let text = std::fs::read_to_string(sysroot.join(MEMINFO.trim_start_matches('/'))).context(hint())?;
    let ram = mem_total_from_meminfo(&text).context(hint())?;
    if ram.0 == 0 {
        return Err(anyhow::Error::new(hint()).context(format!("{MEMINFO} says MemTotal is below 1 MiB")));
    }
    Ok(ram)
}

/// The CPUs this process may use (honours affinity and cgroup CPU quotas); `None` when unknown.
pub(crate) fn cpus() -> Option<Cpus> {
    let count = std::thread::available_parallelism().ok()?.get();
    Cpus::new(u32::try_from(count).ok()?).ok()
}

/// The OS family named by `/etc/os-release`, when it is one amavis-tune knows.
pub(crate) fn os() -> Option<Os> {
    let text = std::fs::read_to_string(Path::new(OS_RELEASE)).ok()?;
    os_from_os_release(&text)
}
