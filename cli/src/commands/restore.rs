//! `amavis-tune restore`: list the backups `apply` made (newest first, with the diff back to each),
//! or restore one atomically, keeping a backup of the current state.
//!
//! Only a backup in amavis-tune's record (`host::record`) is offered or restored, only onto the
//! file it was made of, which must be one of the configuration files read, and only while its
//! bytes are the ones recorded; `--force` overrides the comparison of the two versions, never
//! these checks.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use amavis_tune_core::{backup_matches, check};

use crate::args::RestoreArgs;
use crate::exit_status::ExitStatus;
use crate::host::backups::backups_of;
use crate::host::config::load;
use crate::host::layout::Layout;
use crate::host::record::{self, Entry};
use crate::host::write::{Replacement, replace_all};
use crate::output::Hinted;

pub(crate) fn run(args: RestoreArgs, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let style = crate::render::diff::DiffStyle::for_stdout(args.diff.no_diff);
    let Some(chosen) = &args.backup else {
        return list(&args, out, style);
    };
    let (layout, _) = load(&args.config)?;
    let _locks = if args.dry_run {
        None
    } else {
        Some(crate::host::lock::lock(&args.config.root, &[&layout.master_cf, &layout.main_cf])?)
    };
    let entries = record::entries()?;
    let refuse = |error: anyhow::Error| {
        anyhow::Error::new(Hinted {
            message: format!("refusing to restore, nothing was written: {error:#}"),
            hint: "amavis-tune restore (without --backup) lists the backups it can restore; --force does not override this"
                .to_owned(),
        })
    };
    let (entry, old) = record::verify(chosen, &entries).map_err(refuse)?;
    let files = config_files(&layout);
    if !files.contains(&entry.of) {
        return Err(refuse(anyhow::anyhow!(
            "{} is a backup of {}, which is not one of the configuration files read under --root {}",
            chosen.display(),
            entry.of.display(),
            args.config.root.display()
        )));
    }
    let target = entry.of.clone();
    let current = crate::host::read::read_config(&target, "the file the backup is of")?;
    if current == old {
        writeln!(out, "{} is already as in {}; nothing was written.", target.display(), chosen.display())?;
        return Ok(ExitStatus::Ok);
    }
    if !backup_matches(&current, &old) && !args.force {
        return Err(anyhow::Error::new(Hinted {
            message: format!(
                "refusing to restore, nothing was written: {} differs from {} in more than the numbers amavis-tune changes (maxproc, $max_servers, the destination concurrency limit), so restoring it would also undo other changes made since",
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
    let replaced = replace_all(&[Replacement { path: target.clone(), original: &current, new: &old }], true, &stamp)?;
    for note in &replaced.notes {
        eprintln!("note: {note}");
    }
    writeln!(out)?;
    writeln!(out, "restored {}", target.display())?;
    for w in &replaced.written {
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
    crate::render::check::write(out, &after, &layout, &args.config, None, None)?;
    if let (Some(n), Some(service)) = (
        after.amavis.max_servers.and_then(|n| amavis_tune_core::Concurrency::new(n).ok()),
        after.postfix.service.as_ref(),
    ) {
        let raising = before.as_ref().and_then(|b| b.amavis.max_servers).is_none_or(|old| n.get() >= old);
        let service = service.parse().unwrap_or_default();
        writeln!(out)?;
        let mut steps =
            layout.steps(&args.config.root, amavis_tune_core::PostfixMethod::MasterCf, &service, n, raising);
        steps.extend(layout.rollback(&args.config.root, &replaced.written, raising));
        crate::render::steps::write(out, "Steps", &steps)?;
    }
    Ok(ExitStatus::of_report(&after))
}

/// The configuration files read, as the files a write replaces (a symlink's target).
fn config_files(layout: &Layout) -> BTreeSet<PathBuf> {
    [&layout.master_cf, &layout.main_cf]
        .into_iter()
        .chain(&layout.amavis)
        .filter_map(|file| std::fs::canonicalize(file).ok())
        .collect()
}

/// The backups of the files read, newest first, each with the diff back to it; then the files
/// named like backups that are not offered, with the reason.
fn list(args: &RestoreArgs, out: &mut dyn Write, style: crate::render::diff::DiffStyle) -> anyhow::Result<ExitStatus> {
    let (layout, _) = load(&args.config)?;
    let files = config_files(&layout);
    let entries = record::entries()?;
    let mut offered: Vec<&Entry> = entries.iter().filter(|e| files.contains(&e.of)).collect();
    offered.sort_by(|a, b| b.stamp.cmp(&a.stamp).then_with(|| a.backup.cmp(&b.backup)));
    // Files named like backups beside each file (as given, and its target) that the record
    // does not vouch for.
    let mut named = BTreeSet::new();
    for file in [&layout.master_cf, &layout.main_cf].into_iter().chain(&layout.amavis) {
        for beside in [Some(file.clone()), std::fs::canonicalize(file).ok()].into_iter().flatten() {
            named.extend(backups_of(&beside)?);
        }
    }
    let mut shown = 0;
    let mut not_offered = Vec::new();
    writeln!(out, "Backups made by amavis-tune, newest first (restore one with --backup PATH):")?;
    for entry in &offered {
        if std::fs::symlink_metadata(&entry.backup).is_err() {
            continue;
        }
        named.retain(|path: &PathBuf| std::fs::canonicalize(path).ok().as_ref() != Some(&entry.backup));
        match record::verify(&entry.backup, &entries) {
            Ok((_, old)) => {
                writeln!(out)?;
                writeln!(out, "{}  (of {})", entry.backup.display(), entry.of.display())?;
                let current = crate::host::read::read_config(&entry.of, "the file the backup is of")?;
                crate::render::diff::write_diff(out, &entry.of.display().to_string(), &current, &old, style)?;
                shown += 1;
            }
            Err(error) => not_offered.push((entry.backup.clone(), error)),
        }
    }
    if shown == 0 {
        writeln!(out)?;
        writeln!(out, "None next to the {} files read.", files.len())?;
    }
    for path in named {
        let reason =
            record::verify(&path, &entries).err().unwrap_or_else(|| anyhow::anyhow!("not a backup of these files"));
        not_offered.push((path, reason));
    }
    if !not_offered.is_empty() {
        writeln!(out)?;
        writeln!(out, "Not offered (amavis-tune restores only the backups it recorded making, unchanged):")?;
        for (path, reason) in not_offered {
            writeln!(out, "{}", path.display())?;
            writeln!(out, "  not shown: {reason:#}")?;
        }
    }
    Ok(ExitStatus::Ok)
}
