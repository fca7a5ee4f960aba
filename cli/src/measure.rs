//! `amavis-tune measure`: the memory of the running amavisd parent and children and clamd, from
//! `/proc` (Linux).

use std::io::Write;
use std::path::Path;

use amavis_tune_core::{
    Measurement, ProcessInfo, measure, parse_smaps_rollup, parse_stat_ppid, parse_stat_start_ticks,
};
use anyhow::{Context, bail};

use crate::args::{MeasureArgs, OutputFormat};
use crate::exit_status::ExitStatus;

pub(crate) fn run(args: MeasureArgs, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let measurement = read(&args.sysroot)?;
    match args.format {
        OutputFormat::Json => {
            crate::output::write_json(out, &measurement)?;
        }
        OutputFormat::Text => write_text(out, &measurement, crate::machine::ram(&args.sysroot).ok().map(|r| r.usable))?,
    }
    Ok(ExitStatus::Ok)
}

/// Scans `/proc` under `sysroot`; an error when neither amavisd nor clamd is running.
pub(crate) fn read(sysroot: &Path) -> anyhow::Result<Measurement> {
    let proc_dir = sysroot.join("proc");
    // Process ages: /proc/uptime's seconds since boot less each start time (clock ticks; Linux
    // reports them at USER_HZ, 100 on every common architecture).
    let uptime = std::fs::read_to_string(proc_dir.join("uptime"))
        .ok()
        .and_then(|text| text.split_whitespace().next()?.split('.').next()?.parse::<u64>().ok());
    let mut processes = Vec::new();
    for entry in std::fs::read_dir(&proc_dir).with_context(|| format!("cannot list {}", proc_dir.display()))? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let dir = entry.path();
        // A process may exit while it is read: skip what vanished.
        let Ok(cmdline) = std::fs::read(dir.join("cmdline")) else { continue };
        let command = String::from_utf8_lossy(&cmdline).replace('\0', " ").trim().to_owned();
        let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else { continue };
        let Some(ppid) = parse_stat_ppid(&stat) else { continue };
        let age_seconds = uptime.zip(parse_stat_start_ticks(&stat)).map(|(up, ticks)| up.saturating_sub(ticks / 100));
        let memory = std::fs::read_to_string(dir.join("smaps_rollup")).ok().and_then(|s| parse_smaps_rollup(&s));
        processes.push(ProcessInfo { pid, ppid, command, memory, age_seconds });
    }
    processes.sort_by_key(|p| p.pid);
    let measurement = measure(&processes);
    if measurement.amavisd_parent.is_none() && measurement.clamd.is_empty() {
        bail!("no amavisd or clamd process is running here (looked in {})", proc_dir.display());
    }
    Ok(measurement)
}

fn write_text(out: &mut dyn Write, m: &Measurement, total_ram: Option<amavis_tune_core::MiB>) -> std::io::Result<()> {
    writeln!(out, "{:<22} {:>8} {:>10} {:>10} {:>12}  command", "role", "pid", "RSS MiB", "PSS MiB", "private MiB")?;
    let row = |out: &mut dyn Write, role: &str, p: &ProcessInfo| -> std::io::Result<()> {
        match p.memory {
            Some(mem) => writeln!(
                out,
                "{role:<22} {:>8} {:>10} {:>10} {:>12}  {}",
                p.pid,
                mem.rss_kib.div_ceil(1024),
                mem.pss_kib.div_ceil(1024),
                mem.private_kib.div_ceil(1024),
                p.command
            ),
            None => writeln!(out, "{role:<22} {:>8} {:>10} {:>10} {:>12}  {}", p.pid, "?", "?", "?", p.command),
        }
    };
    if let Some(parent) = &m.amavisd_parent {
        row(out, "amavisd parent", parent)?;
    }
    for child in &m.amavisd_children {
        row(out, "amavisd child", child)?;
    }
    for clamd in &m.clamd {
        row(out, "clamd", clamd)?;
    }
    writeln!(out)?;
    let pss = |p: &ProcessInfo| p.memory.map_or(0, |m| m.pss_kib.div_ceil(1024));
    let children: u64 = m.amavisd_children.iter().map(pss).sum();
    let segments = [
        ('p', "amavisd-parent", m.amavisd_parent.as_ref().map_or(0, pss)),
        ('k', "amavisd-children", children),
        ('c', "clamd", m.clamd.iter().map(pss).sum()),
    ];
    if let Some(total) = total_ram {
        let (bar, legend) = crate::stacked_bar::stacked_bar(&segments, total.0);
        writeln!(out, "PSS against {} MiB of RAM:", total.0)?;
        writeln!(out, "  {bar}")?;
        writeln!(out, "  {legend}")?;
        writeln!(out)?;
    }
    writeln!(out, "{} amavisd children.", m.amavisd_children.len())?;
    if let Some(per_child) = m.per_child {
        writeln!(
            out,
            "Per child, for planning: {} MiB, the mean PSS (private memory plus its share of what it shares); RSS would count the shared Perl and SpamAssassin pages once per child.",
            per_child.0
        )?;
    }
    if let Some(parent) = m.amavisd_parent_pss {
        writeln!(out, "amavisd parent: {} MiB PSS.", parent.0)?;
    }
    if let Some(clamd) = m.clamd_pss {
        writeln!(out, "clamd: {} MiB PSS.", clamd.0)?;
    }
    for warning in &m.warnings {
        writeln!(out, "warning: {warning}")?;
    }
    Ok(())
}
