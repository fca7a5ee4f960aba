//! `amavis-tune restore`: list the backups `apply` made (newest first, with the diff back to each),
//! or restore one atomically, keeping a backup of the current state.

use std::io::Write;
use std::path::PathBuf;

use amavis_tune_core::{backup_matches, backup_of, check};
use anyhow::{Context, bail};

use crate::args::RestoreArgs;
use crate::exit_status::ExitStatus;
use crate::host::backups::backups_of;
use crate::host::config::load;
use crate::host::write::{Replacement, replace_all};
use crate::output::Hinted;

pub(crate) fn run(args: RestoreArgs, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let style = crate::render::diff::DiffStyle::for_stdout(args.diff.no_diff);
    let Some(chosen) = &args.backup else {
        let (layout, _) = load(&args.config)?;
        let files: Vec<PathBuf> = [layout.master_cf.clone(), layout.main_cf.clone()]
            .into_iter()
            .chain(layout.amavis.iter().cloned())
            .collect();
        let mut backups = Vec::new();
        for file in &files {
            backups.extend(backups_of(file)?);
        }
        backups.sort_by(|a, b| b.stamp.cmp(&a.stamp).then_with(|| a.path.cmp(&b.path)));
        if backups.is_empty() {
            writeln!(out, "No backups made by amavis-tune next to the {} files read.", files.len())?;
            return Ok(ExitStatus::Ok);
        }
        writeln!(out, "Backups, newest first (restore one with --backup PATH):")?;
        for backup in &backups {
            writeln!(out)?;
            writeln!(out, "{}  (of {})", backup.path.display(), backup.of.display())?;
            let current = crate::host::read::read_config(&backup.of, "the file the backup is of")?;
            let old = match own_backup(&backup.path) {
                Ok(bytes) => bytes,
                Err(error) => {
                    writeln!(out, "  not shown: {error:#}")?;
                    continue;
                }
            };
            crate::render::diff::write_diff(out, &backup.of.display().to_string(), &current, &old, style)?;
        }
        return Ok(ExitStatus::Ok);
    };

    let name = chosen.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let Some((original_name, _)) = backup_of(&name) else {
        bail!("{} is not a backup made by amavis-tune (NAME.amavis-tune-STAMP.bak)", chosen.display());
    };
    let target = chosen.with_file_name(original_name);
    let current = crate::host::read::read_config(&target, "the file the backup is of")?;
    let old = own_backup(chosen)?;
    if current == old {
        writeln!(out, "{} is already as in {}; nothing was written.", target.display(), chosen.display())?;
        return Ok(ExitStatus::Ok);
    }
    if !backup_matches(&current, &old) && !args.force {
        return Err(anyhow::Error::new(Hinted {
            message: format!(
                "refusing to restore, nothing was written: {} differs from {} in more than the numbers amavis-tune changes, so it may not be a backup of this file",
                chosen.display(),
                target.display()
            ),
            hint: "compare the two files; --force restores it anyway".to_owned(),
        }));
    }
    crate::render::diff::write_diff(out, &target.display().to_string(), &current, &old, style)?;
    if args.dry_run {
        writeln!(out)?;
        writeln!(out, "Dry run: nothing was written.")?;
        return Ok(ExitStatus::Ok);
    }
    let before = load(&args.config).ok().map(|(_, config)| check(&config));
    let stamp = crate::host::clock::stamp();
    let written = replace_all(&[Replacement { path: target.clone(), original: &current, new: &old }], true, &stamp)?;
    writeln!(out)?;
    writeln!(out, "restored {}", target.display())?;
    for w in &written {
        if let Some(backup) = &w.backup {
            writeln!(out, "  backup of the state before: {}", backup.display())?;
        }
    }
    let (layout, config) = match load(&args.config) {
        Ok(loaded) => loaded,
        Err(error) => {
            writeln!(out, "(the files under --root {} could not be checked: {error:#})", args.config.root.display())?;
            return Ok(ExitStatus::Ok);
        }
    };
    let after = check(&config);
    writeln!(out)?;
    crate::render::check::write(out, &after, &layout, &args.config, None)?;
    if let (Some(n), Some(service)) = (
        after.amavis.max_servers.and_then(|n| amavis_tune_core::Concurrency::new(n).ok()),
        after.postfix.service.as_ref(),
    ) {
        let raising = before.as_ref().and_then(|b| b.amavis.max_servers).is_none_or(|old| n.get() >= old);
        let service = service.parse().unwrap_or_default();
        writeln!(out)?;
        let steps = layout.steps(&args.config.root, amavis_tune_core::PostfixMethod::MasterCf, &service, n, raising);
        crate::render::steps::write(out, "Steps", &steps)?;
    }
    Ok(ExitStatus::of_report(&after))
}

/// A backup's bytes, when it is one `apply` could have made: a regular file itself (not a
/// symlink, which could point at any file on the host), bounded in size like every config read.
fn own_backup(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let metadata =
        std::fs::symlink_metadata(path).with_context(|| format!("cannot read the backup {}", path.display()))?;
    if metadata.file_type().is_symlink() {
        bail!("{} is a symlink, and amavis-tune's backups never are: it is not read", path.display());
    }
    crate::host::read::read_config(path, "the backup")
}
