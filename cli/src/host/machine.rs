//! What the CLI reads about the machine it runs on: RAM, CPUs and the OS.

use std::path::Path;

use std::path::PathBuf;

use amavis_tune_core::{
    CgroupLimit, Cpus, MiB, OsRelease, cgroup_memory_limit, mem_total_from_meminfo, release_from_os_release,
};
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

/// The OS family and release named by `/etc/os-release`, when it is a family amavis-tune knows.
pub(crate) fn os() -> Option<OsRelease> {
    let text = crate::host::read::read_small(Path::new(OS_RELEASE))?;
    release_from_os_release(&text).map(|release| crate::host::layout::with_init_system(Path::new("/"), release))
}

/// Where clamd's settings came from on this machine.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct ClamdRead {
    /// The clamd.conf read, when one exists.
    pub(crate) path: Option<String>,
    /// Whether clamd is installed: its config file or its program exists.
    pub(crate) installed: bool,
    pub(crate) conf: amavis_tune_core::ClamdConf,
    /// The config files and programs looked for.
    pub(crate) looked_for: Vec<String>,
}

/// Where the clamd program is installed on the families amavis-tune knows.
const CLAMD_PROGRAMS: [&str; 2] = ["/usr/sbin/clamd", "/usr/local/sbin/clamd"];

/// Reads clamd's config under `sysroot` from the release's paths (the first that exists), and
/// whether clamd is installed at all.
pub(crate) fn clamd(sysroot: &Path, release: &amavis_tune_core::ReleaseFacts) -> anyhow::Result<ClamdRead> {
    let in_root = |path: &str| -> PathBuf { sysroot.join(path.trim_start_matches('/')) };
    let looked_for: Vec<String> =
        release.clamd_conf.iter().chain(CLAMD_PROGRAMS.iter()).map(|path| (*path).to_owned()).collect();
    for path in release.clamd_conf {
        let file = in_root(path);
        if file.is_file() {
            let bytes = crate::host::read::read_config(&file, "clamd config")?;
            let conf = amavis_tune_core::read_clamd_conf(&bytes);
            return Ok(ClamdRead { path: Some(file.display().to_string()), installed: true, conf, looked_for });
        }
    }
    let installed = CLAMD_PROGRAMS.iter().any(|program| in_root(program).is_file());
    Ok(ClamdRead { path: None, installed, conf: amavis_tune_core::ClamdConf::default(), looked_for })
}
