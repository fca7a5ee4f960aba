//! What the CLI reads about the machine it runs on: RAM, CPUs and the OS.

use std::path::Path;

use amavis_tune_core::{Cpus, MiB, Os, mem_total_from_meminfo, os_from_os_release};
use anyhow::Context;

use crate::output::Hinted;

pub(crate) const MEMINFO: &str = "/proc/meminfo";
const OS_RELEASE: &str = "/etc/os-release";

/// Total RAM from Linux's `/proc/meminfo`.
pub(crate) fn ram() -> anyhow::Result<MiB> {
    let hint = || Hinted {
        message: format!("cannot read this machine's RAM from {MEMINFO}"),
        hint: "give the server's RAM with --ram, e.g. --ram 8G".to_owned(),
    };
    let text = std::fs::read_to_string(MEMINFO).context(hint())?;
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
