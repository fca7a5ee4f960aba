//! `amavis-tune apply --concurrency N`: plan, decide the edits (core), show the diff, write each
//! file atomically with a backup, check the result, print the steps.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use amavis_tune_core::{ApplyOptions, Inputs, MIN_CONCURRENCY, PostfixMethod, Report, Step, StepKind, WarningCode};
use anyhow::Context;
use serde::Serialize;

use crate::args::{ApplyArgs, OutputFormat};
use crate::exit_status::ExitStatus;
use crate::host::config::load;
use crate::host::layout::under;
use crate::host::write::{Replacement, Written, replace_all};
use crate::output::{Hinted, Stdout, UntilClosed};

/// `apply` on a platform that generates both numbers: nothing is written (the platform would
/// undo it); the error names the platform's own steps.
fn platform_refusal(
    platform: amavis_tune_core::Platform,
    config: &amavis_tune_core::ConfigSet,
    setting: &Result<Option<amavis_tune_core::SettingValue>, String>,
    n: amavis_tune_core::Concurrency,
) -> anyhow::Error {
    let facts = platform.facts();
    let current = crate::host::setting::rollback_value(setting, &amavis_tune_core::check(config));
    let steps: Vec<String> = facts
        .steps(n, current)
        .iter()
        .enumerate()
        .map(|(i, s)| format!("  {}. {}\n     {}", i + 1, s.description, s.command))
        .collect();
    anyhow::Error::new(Hinted {
        message: format!(
            "refusing to apply, nothing was written: {} generates both numbers from {} ({}), so an edit of these files would be undone; make the change with the platform's own command",
            facts.title, facts.setting, facts.generator
        ),
        hint: format!("the steps on {}:\n{}", facts.title, steps.join("\n")),
    })
}

pub(crate) fn run(args: ApplyArgs, out: &mut Stdout) -> anyhow::Result<ExitStatus> {
    if args.restart && !args.dry_run {
        refuse_restart_elsewhere(&args.config.root)?;
    }
    let (layout, config) = load(&args.config)?;
    if let Some(platform) = layout.platform {
        return Err(platform_refusal(platform, &config, &layout.setting, args.concurrency));
    }
    // Held from the read to the last rename: another apply or restore on this tree, and
    // `postconf -e`/`-M` (Postfix's lock), wait; then the files are read again under the locks.
    let (_locks, layout, config) = if args.dry_run {
        (None, layout, config)
    } else {
        let locks = crate::host::lock::lock(&args.config.root, &[&layout.master_cf, &layout.main_cf])?;
        let (layout, config) = load(&args.config)?;
        (Some(locks), layout, config)
    };
    let n = args.concurrency;
    let method = args.method.unwrap_or_else(|| amavis_tune_core::method_in_force(&config));
    crate::commands::plan::guard_useful_range(Some(n), args.force, "apply")?;
    guard_memory(&args, layout.os, method)?;
    let local_override = (layout.os.is_debian_family() && args.config.amavis_conf.is_empty())
        .then(|| under(&args.config.root, "/etc/amavis/conf.d/50-user"))
        .and_then(|path| layout.amavis.iter().position(|p| *p == path));
    let options = ApplyOptions { concurrency: n, method, amavis_local_override: local_override };
    let changes = amavis_tune_core::apply(&config, &options).map_err(|refusal| {
        anyhow::Error::new(Hinted {
            message: format!("refusing to apply, nothing was written: {refusal}"),
            hint: "`amavis-tune check` shows what amavis-tune reads in these files".to_owned(),
        })
    })?;
    let service = changes.before.postfix.service.clone().unwrap_or_default().parse().unwrap_or_default();
    let steps = layout.steps(&args.config.root, method, &service, n, changes.raising);
    let json = args.output.format == OutputFormat::Json;
    let diff_style = crate::render::diff::DiffStyle::for_stdout(args.diff.no_diff);

    if changes.files.is_empty() {
        if json {
            write_json(
                out,
                &Outcome {
                    applied: false,
                    dry_run: args.dry_run,
                    files: Vec::new(),
                    check: &changes.after,
                    steps: &steps,
                },
            )?;
        } else {
            writeln!(out, "Already in place: Postfix and amavisd both run at {n}; nothing was written.")?;
        }
        return Ok(ExitStatus::Ok);
    }
    if !json {
        crate::render::apply::write_changes(out, &changes.files, diff_style)?;
    }
    if args.dry_run {
        if json {
            let files = changes.files.iter().map(FileOutcome::planned).collect();
            write_json(out, &Outcome { applied: false, dry_run: true, files, check: &changes.after, steps: &steps })?;
        } else {
            writeln!(out)?;
            writeln!(out, "Dry run: nothing was written.")?;
        }
        return Ok(ExitStatus::Ok);
    }

    // Renamed in the order safe for the direction: raising, amavisd's files first (it may run
    // more children than Postfix uses); lowering, Postfix's first.
    let mut files: Vec<&amavis_tune_core::FileChange> = changes.files.iter().collect();
    let is_postfix = |f: &&amavis_tune_core::FileChange| {
        let path = Path::new(&f.path);
        path == layout.master_cf || path == layout.main_cf
    };
    files.sort_by_key(|f| is_postfix(f) == changes.raising);
    let replacements: Vec<Replacement<'_>> = files
        .iter()
        .map(|f| Replacement { path: PathBuf::from(&f.path), original: &f.original, new: &f.new })
        .collect();
    let stamp = crate::host::clock::stamp();
    let replaced = replace_all(&replacements, !args.no_backup, &stamp)?;
    for note in &replaced.notes {
        eprintln!("note: {note}");
    }
    let written = replaced.written;
    let mut steps = steps;
    steps.extend(layout.rollback(&args.config.root, &written, changes.raising));
    // Read back from disk what Postfix and amavisd will read.
    let (_, config_after) = load(&args.config)?;
    let after = amavis_tune_core::check(&config_after);

    if json {
        let files = files.iter().zip(&written).map(|(f, w)| FileOutcome::written(f, w)).collect();
        write_json(out, &Outcome { applied: true, dry_run: false, files, check: &after, steps: &steps })?;
    } else {
        writeln!(out)?;
        crate::render::apply::write_written(out, &written)?;
        writeln!(out)?;
        writeln!(out, "Check of the result:")?;
        crate::render::check::write(out, &after, &layout, &args.config, None, None)?;
        writeln!(out)?;
        let heading =
            if changes.raising { "Steps (raising: amavisd first)" } else { "Steps (lowering: Postfix first)" };
        crate::render::steps::write(out, heading, &steps)?;
    }
    if args.restart {
        run_steps(out, &args.config.root, &steps)?;
    }
    Ok(ExitStatus::of_report(&after))
}

/// Refuses a number that does not fit this machine's RAM (or --ram), unless --force.
fn guard_memory(args: &ApplyArgs, os: amavis_tune_core::Os, method: PostfixMethod) -> anyhow::Result<()> {
    let inputs = Inputs { concurrency: Some(args.concurrency), method, os, ..Inputs::try_from(&args.memory)? };
    let plan = amavis_tune_core::plan(&inputs);
    // Another tree's files, judged against this machine's RAM: say so.
    let elsewhere = args.config.root != Path::new("/") && args.memory.ram.is_none();
    if elsewhere {
        eprintln!(
            "note: --root {} is another tree and --ram was not given: {} is judged against this machine's RAM ({} MiB); give the server's with --ram",
            args.config.root.display(),
            args.concurrency,
            inputs.ram.0
        );
    }
    if !plan.budget.fits && !args.force {
        let needed = plan
            .warnings
            .iter()
            .find(|w| matches!(w.code, WarningCode::ExceedsSafeMax | WarningCode::DoesNotFit))
            .map(|w| w.message.clone())
            .unwrap_or_default();
        return Err(anyhow::Error::new(Hinted {
            message: format!("refusing to apply {}, nothing was written: {needed}", args.concurrency),
            hint: format!(
                "apply at most {} here, give the server's RAM with --ram if this is not the server, or --force to apply anyway",
                plan.safe_max.max(u64::from(MIN_CONCURRENCY))
            ),
        }));
    }
    Ok(())
}

/// Runs the validate and restart/reload steps, each command shown first. A step writes to stdout
/// as amavis-tune does; once stdout's reader has gone (a closed pipe), the command line and what
/// the step prints go to stderr instead, so that the pipe neither kills a step nor hides what it
/// said.
/// `--restart` runs the steps on this machine: refused (before anything is written) when the
/// files are another tree's.
fn refuse_restart_elsewhere(root: &Path) -> anyhow::Result<()> {
    if root != Path::new("/") {
        return Err(anyhow::Error::new(Hinted {
            message: format!(
                "--restart runs commands on this machine, but --root {} names another tree; nothing was written",
                root.display()
            ),
            hint: "leave out --restart and run the printed steps on that server".to_owned(),
        }));
    }
    Ok(())
}

fn run_steps<W: Write>(out: &mut UntilClosed<W>, root: &Path, steps: &[Step]) -> anyhow::Result<()> {
    refuse_restart_elsewhere(root)?;
    writeln!(out)?;
    // The validations and reloads; not the verifications, and never the rollback.
    for step in steps.iter().filter(|s| matches!(s.kind, StepKind::Validate | StepKind::Restart)) {
        writeln!(out, "+ {}", step.command)?;
        out.flush()?;
        let mut command = Command::new("sh");
        command.arg("-c").arg(&step.command);
        if out.reader_gone() {
            eprintln!("+ {}", step.command);
            command.stdout(std::io::stderr());
        }
        let status = command.status().with_context(|| format!("cannot run `{}`", step.command))?;
        if !status.success() {
            anyhow::bail!(
                "`{}` failed ({status}); the files are changed, the remaining steps were not run",
                step.command
            );
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct Outcome<'a> {
    applied: bool,
    dry_run: bool,
    files: Vec<FileOutcome>,
    check: &'a Report,
    steps: &'a [Step],
}

#[derive(Serialize)]
struct FileOutcome {
    path: String,
    reasons: Vec<String>,
    target: Option<PathBuf>,
    backup: Option<PathBuf>,
}

impl FileOutcome {
    fn planned(file: &amavis_tune_core::FileChange) -> FileOutcome {
        FileOutcome { path: file.path.clone(), reasons: file.reasons.clone(), target: None, backup: None }
    }

    fn written(file: &amavis_tune_core::FileChange, written: &Written) -> FileOutcome {
        FileOutcome { target: written.target.clone(), backup: written.backup.clone(), ..FileOutcome::planned(file) }
    }
}

fn write_json(out: &mut dyn Write, outcome: &Outcome<'_>) -> anyhow::Result<()> {
    crate::render::json::write_json(out, outcome)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stdout whose reader has gone: every write fails with a broken pipe.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }

    fn step(command: String) -> Step {
        Step { description: String::new(), command, kind: StepKind::Restart }
    }

    /// `--restart` into a closed pipe still runs every step (their output goes to stderr), and a
    /// failing step is still an error.
    #[test]
    fn steps_run_when_the_reader_has_gone() {
        let dir = tempfile::tempdir().unwrap();
        let ran = |n: u32| dir.path().join(format!("ran-{n}"));
        let steps: Vec<Step> =
            (1..=2).map(|n| step(format!("echo step {n} says this; touch '{}'", ran(n).display()))).collect();
        let mut out = UntilClosed::new(ClosedPipe);
        run_steps(&mut out, Path::new("/"), &steps).unwrap();
        assert!(out.reader_gone());
        assert!(ran(1).exists() && ran(2).exists());

        let failing = [step("exit 3".to_owned()), step(format!("touch '{}'", ran(3).display()))];
        let error = run_steps(&mut UntilClosed::new(ClosedPipe), Path::new("/"), &failing).unwrap_err();
        assert!(error.to_string().contains("`exit 3` failed"), "{error}");
        assert!(!ran(3).exists(), "the steps after a failed one are not run");
    }
}
