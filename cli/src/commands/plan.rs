//! `amavis-tune plan`: gather the inputs (flags, else this machine), call core, print.

use std::io::Write;

use amavis_tune_core::{
    ClamAv, Concurrency, Inputs, Os, OsRelease, Overrides, Plan, PostfixMethod, Provenance, USEFUL_RANGE_TOP,
};
use serde::Serialize;

use crate::args::{OutputFormat, PlanArgs, PlanInputArgs};
use crate::exit_status::ExitStatus;
use crate::host::machine;
use crate::output::Hinted;
use crate::sources::{LinkSource, Measured, Source, Sources};

pub(crate) fn run(args: PlanArgs, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let (inputs, mut sources, link_platform) = match &args.from_url {
        Some(link) => from_link(link)?,
        None => {
            let (inputs, sources) = inputs(&args.inputs)?;
            (inputs, sources, None)
        }
    };
    guard_useful_range(inputs.concurrency, args.force, "plan")?;
    if args.permalink {
        writeln!(out, "{}", amavis_tune_core::permalink(&args.base_url, &inputs))?;
        return Ok(ExitStatus::Ok);
    }
    // A plan for this machine, with no number asked for, reads its mail logs by itself.
    let input = &args.inputs;
    let on_server =
        args.from_url.is_none() && input.memory.ram.is_none() && input.preset.is_none() && input.concurrency.is_none();
    if args.from_url.is_none() {
        sources.logs = crate::commands::logs::observe(
            &args.logs,
            &input.memory.sysroot.sysroot,
            on_server,
            crate::commands::logs::Known { inputs: Some(inputs.clone()), ..Default::default() },
        )?;
    }
    // On the server, one look at the running amavisd: connections waiting for a child now.
    if on_server {
        sources.now = crate::host::watch::one_sample(&input.memory.sysroot.sysroot);
    }
    let provenance = Provenance { base_url: args.base_url.clone(), date: Some(crate::host::clock::today()?) };
    let mut plan = match sources.logs.as_ref().and_then(|logs| logs.load.as_ref()) {
        Some(load) => amavis_tune_core::plan_observed(&inputs, &provenance, load),
        None => amavis_tune_core::plan_with(&inputs, &provenance),
    };
    // A platform that generates both numbers: named, or found on this machine (its marker files).
    let platform = args
        .platform
        .or(link_platform)
        .or_else(|| on_server.then(|| crate::host::layout::detect_platform(&input.memory.sysroot.sysroot)).flatten());
    if let Some(platform) = platform {
        sources.platform_notice = Some(amavis_tune_core::platform_plan(&mut plan, platform));
        sources.platform = Some(platform.facts());
    }
    match args.output.format {
        OutputFormat::Text if args.brief => crate::render::plan::write_brief(out, &plan, &sources)?,
        OutputFormat::Text => crate::render::plan::write(out, &plan, &sources)?,
        OutputFormat::Json => crate::render::json::write_json(out, &JsonOutput { plan: &plan, sources: &sources })?,
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

/// The inputs of a permalink (`--from-url`), and the notice for a link made by another model.
fn from_link(text: &str) -> anyhow::Result<(Inputs, Sources, Option<amavis_tune_core::Platform>)> {
    let link = amavis_tune_core::parse_link(text).map_err(|error| {
        anyhow::Error::new(Hinted {
            message: format!("cannot read the permalink: {error}"),
            hint: "pass the whole link in single quotes, e.g. --from-url 'https://.../?v=1&ram=8G&os=debian'"
                .to_owned(),
        })
    })?;
    let notice = link.model_version.and_then(|v| amavis_tune_core::version_notice(v, &link.inputs));
    let sources = Sources {
        platform: None,
        platform_notice: None,
        ram: Source::Link,
        ram_from: None,
        host_ram_mib: None,
        cpus: if link.inputs.cpus.is_some() { Source::Link } else { Source::Unknown },
        os: Source::Link,
        measured: None,
        preset: None,
        clamd: None,
        link: Some(LinkSource { model_version: link.model_version, notice }),
        logs: None,
        now: None,
    };
    let platform = link
        .platform
        .map(|name| {
            name.parse::<amavis_tune_core::Platform>().map_err(|reason| {
                anyhow::Error::new(Hinted {
                    message: format!("cannot read the permalink: in the link, `platform={name}`: {reason}"),
                    hint: "a link names the platform as platform=zimbra, platform=carbonio or platform=univention"
                        .to_owned(),
                })
            })
        })
        .transpose()?;
    Ok((link.inputs, sources, platform))
}

fn inputs(args: &PlanInputArgs) -> anyhow::Result<(Inputs, Sources)> {
    let preset = args.preset;
    let sysroot = &args.memory.sysroot.sysroot;
    let (ram, ram_source, ram_from, host_ram_mib) = match (args.memory.ram, preset) {
        (Some(ram), _) => (ram, Source::Flag, None, None),
        (None, Some(preset)) => (preset.ram(), Source::Preset, None, None),
        (None, None) => {
            let read = machine::ram(sysroot)?;
            let from = read.cgroup.as_ref().map_or(machine::MEMINFO.to_owned(), |c| c.source.clone());
            (read.usable, Source::Detected, Some(from), read.cgroup.is_some().then_some(read.host.0))
        }
    };
    // The CPU count is this machine's only when the plan is for this machine.
    let for_this_machine = args.memory.ram.is_none() && preset.is_none();
    let (cpus, cpus_source) = match (args.cpus, preset) {
        (Some(cpus), _) => (Some(cpus), Source::Flag),
        (None, Some(preset)) => (Some(preset.cpus()), Source::Preset),
        (None, None) if for_this_machine => {
            machine::cpus().map_or((None, Source::Unknown), |c| (Some(c), Source::Detected))
        }
        (None, None) => (None, Source::Unknown),
    };
    let (os, os_source) = match &args.os {
        Some(os) => (os.clone(), Source::Flag),
        None => machine::os().map_or((OsRelease::family(Os::Debian), Source::Default), |os| (os, Source::Detected)),
    };
    // On this machine, with no ClamAV flag, clamd's own config says whether it runs and how.
    let memory = &args.memory;
    let clamav_flags = memory.clamav || memory.no_clamav || memory.no_concurrent_reload;
    let clamd = if for_this_machine && !clamav_flags {
        Some(machine::clamd(sysroot, amavis_tune_core::resolve_release(&os).facts)?)
    } else {
        None
    };
    // Where clamd is installed here, its MaxThreads is what its clamd.conf says, or clamd's own
    // default where the file sets none (or is missing): not the figure a package would write.
    let (clamav, clamd_max_threads) = match &clamd {
        Some(read) if !read.installed => (ClamAv::Off, None),
        Some(read) => (ClamAv::On { concurrent_reload: read.conf.concurrent_reload() }, Some(read.conf.max_threads())),
        None => (memory.clamav(preset.is_none_or(|p| p.clamav() != ClamAv::Off)), None),
    };
    let mut overrides = Overrides::from(&args.memory.overrides);
    let mut measured = None;
    let no_overrides = overrides == Overrides::default();
    // On a mail server, a plan for this machine with no overrides uses what it measures (and
    // says so); --measured asks for it, and fails when nothing runs.
    let automatic = !args.measured && for_this_machine && no_overrides;
    let measurement = if args.measured {
        Some(crate::host::processes::read(sysroot)?)
    } else if automatic {
        crate::host::processes::read(sysroot).ok().filter(|m| m.per_child.is_some())
    } else {
        None
    };
    if let Some(measurement) = measurement {
        overrides.per_child = overrides.per_child.or(measurement.per_child);
        overrides.amavisd_parent = overrides.amavisd_parent.or(measurement.amavisd_parent_rss);
        overrides.clamd = overrides.clamd.or(measurement.clamd_pss);
        measured = Some(Measured {
            per_child_mib: measurement.per_child.map(|m| m.0),
            amavisd_parent_mib: measurement.amavisd_parent_rss.map(|m| m.0),
            clamd_mib: measurement.clamd_pss.map(|m| m.0),
            children: measurement.working_children,
            warnings: {
                let mut warnings = measurement.warnings;
                if measurement.clamd.is_empty() && matches!(clamav, ClamAv::On { .. }) {
                    warnings.push(format!(
                        "no clamd runs here, yet the budget keeps ClamAV at its default figures ({} MiB, twice that while reloading with ConcurrentDatabaseReload): give --no-clamav if this server scans without clamd",
                        amavis_tune_core::DEFAULT_CLAMD.0
                    ));
                }
                warnings
            },
            automatic: !args.measured,
        });
    }
    let inputs = Inputs {
        ram,
        concurrency: args.concurrency.or(preset.and_then(|p| p.concurrency())),
        os: os.os,
        os_version: os.version,
        clamav,
        clamd_max_threads,
        method: args.method.unwrap_or(PostfixMethod::MasterCf),
        service: args.service.clone(),
        cpus,
        overrides,
    };
    let sources = Sources {
        platform: None,
        platform_notice: None,
        ram: ram_source,
        ram_from,
        host_ram_mib,
        cpus: cpus_source,
        os: os_source,
        measured,
        preset: preset.map(|p| p.name()),
        link: None,
        clamd,
        logs: None,
        now: None,
    };
    Ok((inputs, sources))
}

/// The plan's JSON contract plus where each machine-dependent input came from.
#[derive(Serialize)]
struct JsonOutput<'a> {
    #[serde(flatten)]
    plan: &'a Plan,
    sources: &'a Sources,
}
