//! The /proc scan: each process's command line, parent, age and memory (smaps_rollup), for core
//! to pick amavisd and clamd out of.

use std::path::Path;

use amavis_tune_core::{
    Measurement, ProcessInfo, measure, parse_smaps_rollup, parse_stat_ppid, parse_stat_start_ticks,
};
use anyhow::{Context, bail};

/// Scans `/proc` under `sysroot`; an error when neither amavisd nor clamd is running.
pub(crate) fn read(sysroot: &Path) -> anyhow::Result<Measurement> {
    let proc_dir = sysroot.join("proc");
    let processes = scan(&proc_dir, true)?;
    let measurement = measure(&processes);
    if measurement.amavisd_parent.is_none() && measurement.clamd.is_empty() {
        bail!("no amavisd or clamd process is running here (looked in {})", proc_dir.display());
    }
    Ok(measurement)
}

/// Every process of `proc_dir` with its command line, parent and age, and its memory when
/// `memory` is asked (reading every smaps_rollup is what costs).
pub(crate) fn scan(proc_dir: &Path, memory: bool) -> anyhow::Result<Vec<ProcessInfo>> {
    // Process ages: /proc/uptime's seconds since boot less each start time (clock ticks; Linux
    // reports them at USER_HZ, 100 on every common architecture).
    let uptime = std::fs::read_to_string(proc_dir.join("uptime"))
        .ok()
        .and_then(|text| text.split_whitespace().next()?.split('.').next()?.parse::<u64>().ok());
    let mut processes = Vec::new();
    for entry in std::fs::read_dir(proc_dir).with_context(|| format!("cannot list {}", proc_dir.display()))? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let dir = entry.path();
        // A process may exit while it is read: skip what vanished.
        let Ok(cmdline) = std::fs::read(dir.join("cmdline")) else { continue };
        let command = String::from_utf8_lossy(&cmdline).replace('\0', " ").trim().to_owned();
        let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else { continue };
        let Some(ppid) = parse_stat_ppid(&stat) else { continue };
        let age_seconds = uptime.zip(parse_stat_start_ticks(&stat)).map(|(up, ticks)| up.saturating_sub(ticks / 100));
        let memory = if memory {
            std::fs::read_to_string(dir.join("smaps_rollup")).ok().and_then(|s| parse_smaps_rollup(&s))
        } else {
            None
        };
        processes.push(ProcessInfo { pid, ppid, command, memory, age_seconds });
    }
    processes.sort_by_key(|p| p.pid);
    Ok(processes)
}
