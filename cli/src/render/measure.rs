//! The text form of a measurement: one row per process, a stacked bar against the RAM, and the
//! figures a plan would use.

use std::io::Write;

use amavis_tune_core::{ConsumerId, Measurement, ProcessInfo};

pub(crate) fn write(
    out: &mut dyn Write,
    m: &Measurement,
    total_ram: Option<amavis_tune_core::MiB>,
) -> std::io::Result<()> {
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
        ('p', ConsumerId::AmavisdParent.as_str(), m.amavisd_parent.as_ref().map_or(0, pss)),
        ('k', ConsumerId::AmavisdChildren.as_str(), children),
        ('c', ConsumerId::Clamd.as_str(), m.clamd.iter().map(pss).sum()),
    ];
    if let Some(total) = total_ram {
        let (bar, legend) = crate::render::bars::stacked_bar(&segments, total.0);
        writeln!(out, "PSS against {} MiB of RAM:", total.0)?;
        writeln!(out, "  {bar}")?;
        writeln!(out, "  {legend}")?;
        writeln!(out)?;
    }
    writeln!(
        out,
        "{} amavisd children: {} have scanned mail, {} have not yet (`(virgin child)`).",
        m.amavisd_children.len(),
        m.working_children,
        m.virgin_children
    )?;
    if let Some(per_child) = m.per_child {
        writeln!(
            out,
            "Per child, for planning: {} MiB, the mean private memory of the children that have scanned mail; N children cost the parent's RSS plus N times this (a PSS is exact only at the N measured).",
            per_child.0
        )?;
    }
    if let Some(parent) = m.amavisd_parent_rss {
        writeln!(out, "amavisd parent: {} MiB RSS (the pages its children share with it, counted once).", parent.0)?;
    }
    if let Some(clamd) = m.clamd_pss {
        writeln!(out, "clamd: {} MiB PSS.", clamd.0)?;
    }
    for warning in &m.warnings {
        writeln!(out, "warning: {warning}")?;
    }
    Ok(())
}
