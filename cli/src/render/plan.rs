//! The text form of a plan, for a person at a terminal (and for pasting into a ticket: plain
//! characters only, no colour, no box drawing).

use std::io::{self, Write};

use amavis_tune_core::{ClamAv, ConsumerId, Origin, Plan};

use crate::sources::{Source, Sources};

/// `plan --brief`: one screen with what to do. The numbers and why, each warning on one line,
/// the change of each side as one line (the snippet's setting, or its postconf command), then the
/// steps' commands that are not those changes, each with its kind (backup, validate, reload,
/// verify, rollback).
pub(crate) fn write_brief(out: &mut dyn Write, plan: &Plan, sources: &Sources) -> io::Result<()> {
    let inputs = &plan.inputs;
    let n = plan.concurrency;
    writeln!(
        out,
        "$max_servers = {n}   {} = {n}   (safe maximum for this RAM: {}; {}, {} RAM)",
        inputs.method.setting(&inputs.service),
        plan.safe_max,
        plan.release.facts.id,
        gib(inputs.ram.0)
    )?;
    writeln!(out, "Why {n}: {}", plan.reason)?;
    for warning in &plan.warnings {
        writeln!(out, "warning: {}", warning.message)?;
    }
    writeln!(out)?;
    if let Some(facts) = sources.platform {
        // The platform writes both files itself: its own steps, in its order.
        writeln!(out, "On {} (it writes both files from {}; never edit them)", facts.title, facts.setting)?;
        for (index, step) in plan.steps.iter().enumerate() {
            writeln!(out, "  {}. {:<8} {}", index + 1, step.kind.as_str(), step.command)?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "Reproduce: amavis-tune plan --platform {} --from-url '{}'",
            facts.platform.name(),
            plan.permalink
        )?;
        return Ok(());
    }
    writeln!(out, "Change")?;
    for snippet in &plan.snippets {
        let change = match &snippet.command {
            Some(command) => command.clone(),
            None => format!("put `{}` in it ({})", snippet.content.trim(), snippet.placement),
        };
        writeln!(out, "  {}: {change}", snippet.path)?;
    }
    writeln!(out)?;
    for fact in plan.release.facts.unconfirmed {
        writeln!(out, "not confirmed in a source for {}: {fact}", plan.release.facts.id)?;
    }
    writeln!(out, "Then (raising; lowering: Postfix's reload before amavisd's)")?;
    let steps = plan.steps.iter().filter(|s| s.kind != amavis_tune_core::StepKind::Change);
    for (index, step) in steps.enumerate() {
        let kind = match step.kind {
            amavis_tune_core::StepKind::Restart => "reload",
            kind => kind.as_str(),
        };
        writeln!(out, "  {}. {kind:<8} {}", index + 1, step.command)?;
    }
    writeln!(out)?;
    writeln!(out, "Reproduce: amavis-tune plan --from-url '{}'", plan.permalink)?;
    Ok(())
}

/// Width of a full bar (all of the RAM) in characters.
const BAR_WIDTH: u64 = 40;

pub(crate) fn write(out: &mut dyn Write, plan: &Plan, sources: &Sources) -> io::Result<()> {
    let inputs = &plan.inputs;
    let n = plan.concurrency;
    let ram_note = match (sources.ram, &sources.ram_from, sources.host_ram_mib) {
        (Source::Detected, Some(from), Some(host)) => {
            format!(" (the memory limit of this cgroup, read from {from}; the host has {host} MiB)")
        }
        (Source::Detected, Some(from), None) => format!(" (read from {from})"),
        _ => String::new(),
    };
    let cpus = match (inputs.cpus, sources.cpus) {
        (Some(cpus), Source::Detected) => format!("{} CPU(s) (this machine's)", cpus.get()),
        (Some(cpus), _) => format!("{} CPU(s)", cpus.get()),
        (None, _) => "CPU count not given".to_owned(),
    };
    if let Some(notice) = sources.link.as_ref().and_then(|l| l.notice.as_ref()) {
        writeln!(out, "notice: {notice}")?;
        writeln!(out)?;
    }
    if let Some(notice) = &sources.platform_notice {
        writeln!(out, "platform: {notice}")?;
        writeln!(out)?;
    }
    let os_note = match sources.os {
        Source::Detected => " (detected from /etc/os-release)",
        Source::Default => " (not detected; assumed)",
        _ => "",
    };
    let clamav = match inputs.clamav {
        ClamAv::Off => "no ClamAV",
        ClamAv::On { concurrent_reload: true } => "ClamAV with concurrent reload",
        ClamAv::On { concurrent_reload: false } => "ClamAV without concurrent reload",
    };
    let origin = match (sources.preset, &sources.link) {
        (Some(preset), _) => format!(" (preset {preset})"),
        (None, Some(_)) => " (from the permalink)".to_owned(),
        (None, None) => String::new(),
    };
    writeln!(
        out,
        "amavis-tune plan{origin}: {} RAM{ram_note}, {cpus}, {}{os_note}, {clamav}, {} method",
        gib(inputs.ram.0),
        amavis_tune_core::OsRelease { os: inputs.os, version: inputs.os_version.clone() },
        inputs.method.name()
    )?;
    if let Some(clamd) = &sources.clamd {
        writeln!(out, "  {}", clamd_note(clamd))?;
    }
    writeln!(out)?;
    let postfix_side = format!("{} = {n}", inputs.method.setting(&inputs.service));
    writeln!(out, "  $max_servers = {n}   {postfix_side}   (safe maximum for this RAM: {})", plan.safe_max)?;
    writeln!(out, "  Why {n}: {}", plan.reason)?;
    if let Some(logs) = &sources.logs {
        writeln!(out, "  Logs: {}", crate::render::check::logs_line(logs))?;
        if let Some(load) = &plan.observed_load {
            writeln!(out, "  From the logs ({}): {}", load.verdict.as_str(), load.reason)?;
        }
    }
    if let Some(note) = sources.now.as_ref().and_then(|now| now.note.as_ref()) {
        writeln!(out, "  Now: {note}")?;
    }
    writeln!(out, "  Permalink: {}", plan.permalink)?;
    writeln!(out)?;

    write_budget(out, plan)?;
    if let Some(measured) = &sources.measured {
        let figure = |value: Option<u64>, default: u64| {
            value.map_or(format!("not measured (default {default})"), |v| format!("{v} (default {default})"))
        };
        writeln!(
            out,
            "  Measured on this server{} from {} children (MiB: a child's private memory, the parent's RSS): per child {}, amavisd parent {}, clamd {}.",
            if measured.automatic { " (amavisd runs here and nothing was overridden)" } else { "" },
            measured.children,
            figure(measured.per_child_mib, amavis_tune_core::DEFAULT_PER_CHILD.0),
            figure(measured.amavisd_parent_mib, amavis_tune_core::DEFAULT_AMAVISD_PARENT.0),
            figure(measured.clamd_mib, amavis_tune_core::DEFAULT_CLAMD.0)
        )?;
        for warning in &measured.warnings {
            writeln!(out, "  measurement warning: {warning}")?;
        }
    }

    for snippet in &plan.snippets {
        writeln!(out)?;
        writeln!(out, "{}", snippet.path)?;
        writeln!(out, "  {}", snippet.placement)?;
        writeln!(out, "----8<----")?;
        write!(out, "{}", snippet.text())?;
        writeln!(out, "----8<----")?;
        if let Some(command) = &snippet.command {
            writeln!(out, "  Or run: {command}")?;
        }
    }

    writeln!(out)?;
    let release = &plan.release;
    writeln!(
        out,
        "  The steps are for {} (amavisd {}, {}).",
        release.facts.name, release.facts.amavis_version, release.facts.amavisd_program
    )?;
    if let Some(note) = &release.note {
        writeln!(out, "  note: {note}")?;
    }
    for fact in release.facts.unconfirmed {
        writeln!(out, "  not confirmed in a source for this release: {fact}")?;
    }
    crate::render::steps::write(out, "Steps", &plan.steps)?;
    writeln!(out, "  {}", plan.lowering_note)?;

    if !plan.warnings.is_empty() {
        writeln!(out)?;
        for warning in &plan.warnings {
            writeln!(out, "warning[{}]: {}", warning.code.as_str(), warning.message)?;
        }
    }
    Ok(())
}

fn write_budget(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let budget = &plan.budget;
    let total = budget.total.0.max(1);
    writeln!(out, "Memory budget ({} MiB; * marks your overrides)", budget.total.0)?;
    let letter = |id: ConsumerId| match id {
        ConsumerId::Reserve => 'r',
        ConsumerId::Clamd => 'c',
        ConsumerId::ClamdReload => 'C',
        ConsumerId::AmavisdParent => 'p',
        ConsumerId::AmavisdChildren => 'k',
        ConsumerId::Headroom => 'h',
    };
    let segments: Vec<(char, &str, u64)> =
        budget.consumers.iter().map(|c| (letter(c.id), c.id.as_str(), c.mib.0)).collect();
    let (stacked, legend) = crate::render::bars::stacked_bar(&segments, budget.total.0);
    writeln!(out, "  {stacked}")?;
    writeln!(out, "  {legend}")?;
    let label_width = budget.consumers.iter().map(|c| c.label.len()).max().unwrap_or(0).max(4);
    for consumer in &budget.consumers {
        let mark = if consumer.origin == Origin::Override { "*" } else { " " };
        writeln!(
            out,
            "  {:<label_width$} {:>8} MiB{mark} {}",
            consumer.label,
            consumer.mib.0,
            bar(consumer.mib.0, total, '#')
        )?;
    }
    if budget.free_mib >= 0 {
        let free = budget.free_mib.unsigned_abs();
        writeln!(out, "  {:<label_width$} {:>8} MiB  {}", "free", free, bar(free, total, '.'))?;
    } else {
        writeln!(out, "  {:<label_width$} {:>8} MiB  (does not fit)", "short by", budget.free_mib.unsigned_abs())?;
    }
    if let Some(note) = budget.clamd_note() {
        writeln!(out, "  {note}")?;
    }
    Ok(())
}

fn bar(mib: u64, total: u64, fill: char) -> String {
    let width = (u128::from(mib) * u128::from(BAR_WIDTH)).div_ceil(u128::from(total)).min(u128::from(BAR_WIDTH));
    std::iter::repeat_n(fill, width as usize).collect()
}

fn gib(mib: u64) -> String {
    if mib.is_multiple_of(1024) {
        format!("{} GiB", mib / 1024)
    } else {
        format!("{:.1} GiB ({mib} MiB)", mib as f64 / 1024.0)
    }
}

/// What was read about clamd on this machine, in one sentence.
fn clamd_note(clamd: &crate::host::machine::ClamdRead) -> String {
    let Some(path) = &clamd.path else {
        return if clamd.installed {
            format!(
                "ClamAV: clamd is installed but none of {} exists; planned with clamd's defaults (ConcurrentDatabaseReload yes, MaxThreads 10).",
                clamd.looked_for.iter().take_while(|p| p.ends_with(".conf")).cloned().collect::<Vec<_>>().join(", ")
            )
        } else {
            format!(
                "ClamAV: clamd is not installed here (none of {}); planned without it (--clamav plans with it).",
                clamd.looked_for.join(", ")
            )
        };
    };
    let conf = &clamd.conf;
    let reload = match conf.concurrent_reload {
        Some(value) => {
            format!("ConcurrentDatabaseReload {} (line {})", if value.value { "yes" } else { "no" }, value.line)
        }
        None => "ConcurrentDatabaseReload not set (clamd's default: yes)".to_owned(),
    };
    let threads = match conf.max_threads {
        Some(value) => format!("MaxThreads {} (line {})", value.value, value.line),
        None => "MaxThreads not set (clamd's default: 10)".to_owned(),
    };
    let mut note = format!("ClamAV: read {path}: {reload}, {threads}.");
    for (line, problem) in &conf.problems {
        note.push_str(&format!(" Line {line}: {problem}."));
    }
    note
}
