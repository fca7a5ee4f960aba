//! `amavis-tune plan`: gather the inputs (flags, else this machine), call core, print.

use std::io::Write;

use amavis_tune_core::{ClamAv, Inputs, Os, Overrides, Plan};
use serde::Serialize;

use crate::args::{OutputFormat, OverrideArgs, PlanArgs};
use crate::exit_status::ExitStatus;
use crate::machine;

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
    let (inputs, sources) = inputs(&args)?;
    let plan = amavis_tune_core::plan(&inputs);
    match args.format {
        OutputFormat::Text => crate::plan_text::write(out, &plan, &sources)?,
        OutputFormat::Json => write_json(out, &plan, &sources)?,
    }
    Ok(ExitStatus::Ok)
}

fn inputs(args: &PlanArgs) -> anyhow::Result<(Inputs, Sources)> {
    let (ram, ram_source, ram_from, host_ram_mib) = match args.ram {
        Some(ram) => (ram, Source::Flag, None, None),
        None => {
            let read = machine::ram(&args.sysroot)?;
            let from = read.cgroup.as_ref().map_or(machine::MEMINFO.to_owned(), |c| c.source.clone());
            (read.usable, Source::Detected, Some(from), read.cgroup.is_some().then_some(read.host.0))
        }
    };
    // The CPU count is this machine's only when the plan is for this machine.
    let (cpus, cpus_source) = match (args.cpus, args.ram) {
        (Some(cpus), _) => (Some(cpus), Source::Flag),
        (None, None) => machine::cpus().map_or((None, Source::Unknown), |c| (Some(c), Source::Detected)),
        (None, Some(_)) => (None, Source::Unknown),
    };
    let (os, os_source) = match args.os {
        Some(os) => (os, Source::Flag),
        None => machine::os().map_or((Os::Debian, Source::Default), |os| (os, Source::Detected)),
    };
    let clamav =
        if args.no_clamav { ClamAv::Off } else { ClamAv::On { concurrent_reload: !args.no_concurrent_reload } };
    let mut overrides = overrides(&args.overrides);
    let mut measured = None;
    let no_overrides = overrides == Overrides::default();
    // On a mail server, a plan for this machine with no overrides uses what it measures (and
    // says so); --measured asks for it, and fails when nothing runs.
    let automatic = !args.measured && args.ram.is_none() && no_overrides;
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
        concurrency: args.concurrency,
        os,
        clamav,
        method: args.method,
        service: args.service.clone(),
        cpus,
        overrides,
    };
    Ok((inputs, Sources { ram: ram_source, ram_from, host_ram_mib, cpus: cpus_source, os: os_source, measured }))
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
    serde_json::to_writer_pretty(&mut *out, &JsonOutput { plan, sources })?;
    writeln!(out)?;
    Ok(())
}
