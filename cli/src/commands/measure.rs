//! `amavis-tune measure`: the memory of the running amavisd parent and children and clamd, from
//! `/proc` (Linux); with `--watch`, what amavisd's children and accept queue do now
//! (`measure/watch.rs`).

mod watch;

use std::io::Write;

use amavis_tune_core::{Concurrency, Os, ReleaseFacts, Step, StepKind};

use crate::args::{MeasureArgs, OutputFormat};
use crate::exit_status::ExitStatus;

pub(crate) fn run(args: MeasureArgs, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    if let Some(duration) = args.watch {
        return watch::run(&args, duration, out);
    }
    let sysroot = &args.sysroot.sysroot;
    let measurement = crate::host::processes::read(sysroot)?;
    match args.output.format {
        OutputFormat::Json => crate::render::json::write_json(out, &measurement)?,
        OutputFormat::Text => {
            let ram = crate::host::machine::ram(sysroot).ok().map(|r| r.usable);
            crate::render::measure::write(out, &measurement, ram)?;
        }
    }
    Ok(ExitStatus::Ok)
}

/// How long the printed verification watches, once the children are there.
pub(crate) const VERIFY_WATCH: &str = "30s";

/// Adds, after the step that counts amavisd's children, the same verification by `measure
/// --watch` for a server where amavis-tune is installed: it waits for the N children and says
/// whether connections still wait for one. The shell step stays, for servers without
/// amavis-tune. Linux only (the watch reads /proc); core's steps, which the web page shows too,
/// are left as they are.
pub(crate) fn add_watch_step(steps: &mut Vec<Step>, release: &ReleaseFacts, n: Concurrency) {
    if !matches!(release.os, Os::Debian | Os::Ubuntu | Os::Rhel) {
        return;
    }
    let count = release.count_children_command(n.get());
    let Some(at) = steps.iter().position(|step| step.kind == StepKind::Verify && step.command == count) else {
        return;
    };
    steps.insert(
        at + 1,
        Step {
            description: format!(
                "Or, where amavis-tune is installed: wait until amavisd runs at least {n} children, then watch it for {VERIFY_WATCH}: its children at work and whether connections still wait for one (exit 1 if fewer run, or connections wait)"
            ),
            command: format!("amavis-tune measure --watch {VERIFY_WATCH} --expect {n}"),
            kind: StepKind::Verify,
        },
    );
}
