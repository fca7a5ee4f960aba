//! `amavis-tune plan`: gather the inputs (flags, else this machine), call core, print.

use std::io::Write;

use amavis_tune_core::{ClamAv, Concurrency, Inputs, Os, Overrides, Plan, PostfixMethod, Provenance, USEFUL_RANGE_TOP};
use serde::Serialize;

use crate::args::{OutputFormat, OverrideArgs, PlanArgs};
use crate::exit_status::ExitStatus;
use crate::machine;
use crate::output::Hinted;

/// Where an input came from, so the output can say what it assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Source {
    /// Given on the command line.
    Flag,
    /// Read from this machine.
    Detected,
    /// Neither: the default.
    Default,
    /// Not known (the CPU count when planning for another machine).
    Unknown,
    /// From the preset named with --preset.
    Preset,
    /// From the permalink given with --from-url.
    Link,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Sources {
    pub(crate) ram: Source,
    /// When the RAM was read from this machine: where (`/proc/meminfo`, or a cgroup limit file).
    pub(crate) ram_from: Option<String>,
    /// The host's total when a cgroup limit is lower and used instead.
    pub(crate) host_ram_mib: Option<u64>,
    pub(crate) cpus: Source,
    pub(crate) os: Source,
    /// With `--measured`: the figures measured on this server (the defaults stay in `assumptions`
    /// where nothing was measured).
    pub(crate) measured: Option<Measured>,
    /// The preset the inputs started from.
    pub(crate) preset: Option<&'static str>,
    /// With --from-url: the model version the link names, and the notice when today's model
    /// gives other numbers than that version did (or the version is unknown).
    pub(crate) link: Option<LinkSource>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct LinkSource {
    pub(crate) model_version: Option<u32>,
    pub(crate) notice: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Measured {
    pub(crate) per_child_mib: Option<u64>,
    pub(crate) amavisd_parent_mib: Option<u64>,
    pub(crate) clamd_mib: Option<u64>,
    pub(crate) children: usize,
    pub(crate) warnings: Vec<String>,
    /// Measured without --measured, because this machine runs amavisd and nothing was overridden.
    pub(crate) automatic: bool,
}

pub(crate) fn run(args: PlanArgs, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let (inputs, sources) = match &args.from_url {
        Some(link) => from_link(link)?,
        None => inputs(&args)?,
    };
    guard_useful_range(inputs.concurrency, args.force, "plan")?;
    if args.permalink {
        writeln!(out, "{}", amavis_tune_core::permalink(&args.base_url, &inputs))?;
        return Ok(ExitStatus::Ok);
    }
    let provenance = Provenance { base_url: args.base_url.clone(), date: Some(today()?) };
    let plan = amavis_tune_core::plan_with(&inputs, &provenance);
    match args.format {
        OutputFormat::Text => crate::plan_text::write(out, &plan, &sources)?,
        OutputFormat::Json => write_json(out, &plan, &sources)?,
    }
    Ok(ExitStatus::Ok)
}

/// Refuses a concurrency above the range amavis README.postfix calls everyday use (10-30)
/// without --force: a typo (`--concurrency 100` for `10`) would start ten times the children.
pub(crate) fn guard_useful_range(n: Option<Concurrency>, force: bool, command: &str) -> anyhow::Result<()> {
    match n {
        Some(n) if n.get() > USEFUL_RANGE_TOP && !force => Err(anyhow::Error::new(Hinted {
            message: format!(
                "concurrency {n} is above the 10-{USEFUL_RANGE_TOP} children amavis README.postfix calls everyday use, and README.performance finds more than about 10 rarely adds throughput"
            ),
            hint: format!("if {n} is what you meant, run `amavis-tune {command}` again with --force"),
        })),
        _ => Ok(()),
    }
}

/// Today's date for the snippet headers, `YYYY-MM-DD` in UTC; `SOURCE_DATE_EPOCH` (seconds since
/// 1970, the reproducible-builds convention) fixes it, so that output can be reproduced exactly.
fn today() -> anyhow::Result<String> {
    let now = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(text) => {
            let seconds = text.trim().parse::<u64>().map_err(|_| {
                anyhow::anyhow!(
                    "invalid SOURCE_DATE_EPOCH `{text}`: use whole seconds since 1970-01-01 UTC, e.g. 1796083200"
                )
            })?;
            std::time::UNIX_EPOCH
                .checked_add(std::time::Duration::from_secs(seconds))
                .filter(|t| humantime::format_rfc3339_seconds(*t).to_string().len() == 20)
                .ok_or_else(|| anyhow::anyhow!("invalid SOURCE_DATE_EPOCH `{text}`: it is beyond the year 9999"))?
        }
        Err(_) => std::time::SystemTime::now(),
    };
    Ok(humantime::format_rfc3339_seconds(now).to_string()[..10].to_owned())
}

/// The inputs of a permalink (`--from-url`), and the notice for a link made by another model.
fn from_link(text: &str) -> anyhow::Result<(Inputs, Sources)> {
    let link = amavis_tune_core::parse_link(text).map_err(|error| {
        anyhow::Error::new(Hinted {
            message: format!("cannot read the permalink: {error}"),
            hint: "pass the whole link in single quotes, e.g. --from-url 'https://.../?v=1&ram=8G&os=debian'"
                .to_owned(),
        })
    })?;
    let notice = link.model_version.and_then(|v| amavis_tune_core::version_notice(v, &link.inputs));
    let sources = Sources {
        ram: Source::Link,
        ram_from: None,
        host_ram_mib: None,
        cpus: if link.inputs.cpus.is_some() { Source::Link } else { Source::Unknown },
        os: Source::Link,
        measured: None,
        preset: None,
        link: Some(LinkSource { model_version: link.model_version, notice }),
    };
    Ok((link.inputs, sources))
}

fn inputs(args: &PlanArgs) -> anyhow::Result<(Inputs, Sources)> {
    let preset = args.preset;
    let (ram, ram_source, ram_from, host_ram_mib) = match (args.ram, preset) {
        (Some(ram), _) => (ram, Source::Flag, None, None),
        (None, Some(preset)) => (preset.ram(), Source::Preset, None, None),
        (None, None) => {
            let read = machine::ram(&args.sysroot)?;
            let from = read.cgroup.as_ref().map_or(machine::MEMINFO.to_owned(), |c| c.source.clone());
            (read.usable, Source::Detected, Some(from), read.cgroup.is_some().then_some(read.host.0))
        }
    };
    // The CPU count is this machine's only when the plan is for this machine.
    let for_this_machine = args.ram.is_none() && preset.is_none();
    let (cpus, cpus_source) = match (args.cpus, preset) {
        (Some(cpus), _) => (Some(cpus), Source::Flag),
        (None, Some(preset)) => (Some(preset.cpus()), Source::Preset),
        (None, None) if for_this_machine => {
            machine::cpus().map_or((None, Source::Unknown), |c| (Some(c), Source::Detected))
        }
        (None, None) => (None, Source::Unknown),
    };
    let (os, os_source) = match args.os {
        Some(os) => (os, Source::Flag),
        None => machine::os().map_or((Os::Debian, Source::Default), |os| (os, Source::Detected)),
    };
    let clamav_on =
        if args.no_clamav || args.clamav { args.clamav } else { preset.is_none_or(|p| p.clamav() != ClamAv::Off) };
    let clamav = if clamav_on { ClamAv::On { concurrent_reload: !args.no_concurrent_reload } } else { ClamAv::Off };
    let mut overrides = overrides(&args.overrides);
    let mut measured = None;
    let no_overrides = overrides == Overrides::default();
    // On a mail server, a plan for this machine with no overrides uses what it measures (and
    // says so); --measured asks for it, and fails when nothing runs.
    let automatic = !args.measured && for_this_machine && no_overrides;
    let measurement = if args.measured {
        Some(crate::measure::read(&args.sysroot)?)
    } else if automatic {
        crate::measure::read(&args.sysroot).ok().filter(|m| m.per_child.is_some())
    } else {
        None
    };
    if let Some(measurement) = measurement {
        overrides.per_child = overrides.per_child.or(measurement.per_child);
        overrides.amavisd_parent = overrides.amavisd_parent.or(measurement.amavisd_parent_pss);
        overrides.clamd = overrides.clamd.or(measurement.clamd_pss);
        measured = Some(Measured {
            per_child_mib: measurement.per_child.map(|m| m.0),
            amavisd_parent_mib: measurement.amavisd_parent_pss.map(|m| m.0),
            clamd_mib: measurement.clamd_pss.map(|m| m.0),
            children: measurement.amavisd_children.len(),
            warnings: measurement.warnings,
            automatic: !args.measured,
        });
    }
    let inputs = Inputs {
        ram,
        concurrency: args.concurrency.or(preset.and_then(|p| p.concurrency())),
        os,
        clamav,
        method: args.method.unwrap_or(PostfixMethod::MasterCf),
        service: args.service.clone(),
        cpus,
        overrides,
    };
    let sources = Sources {
        ram: ram_source,
        ram_from,
        host_ram_mib,
        cpus: cpus_source,
        os: os_source,
        measured,
        preset: preset.map(|p| p.name()),
        link: None,
    };
    Ok((inputs, sources))
}

pub(crate) fn overrides(args: &OverrideArgs) -> Overrides {
    Overrides {
        reserve: args.reserve,
        clamd: args.clamd,
        amavisd_parent: args.amavisd_parent,
        per_child: args.per_child,
        headroom_percent: args.headroom,
    }
}

/// The plan's JSON contract plus where each machine-dependent input came from.
#[derive(Serialize)]
struct JsonOutput<'a> {
    #[serde(flatten)]
    plan: &'a Plan,
    sources: &'a Sources,
}

fn write_json(out: &mut dyn Write, plan: &Plan, sources: &Sources) -> anyhow::Result<()> {
    crate::output::write_json(out, &JsonOutput { plan, sources })?;
    Ok(())
}
