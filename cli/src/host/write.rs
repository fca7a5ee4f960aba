//! Writing changed configuration files so that each is always either the complete old version
//! or the complete new one: every new file and backup is written and fsynced first, then each is
//! renamed over its original and the directory fsynced. Owner, group and mode are kept.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// One file to replace.
#[derive(Debug)]
pub(crate) struct Replacement<'a> {
    /// The path as the user gave it (may be a symlink).
    pub(crate) path: PathBuf,
    pub(crate) original: &'a [u8],
    pub(crate) new: &'a [u8],
}

/// What was written for one file.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Written {
    pub(crate) path: PathBuf,
    /// The file actually replaced, when `path` is a symlink to it.
    pub(crate) target: Option<PathBuf>,
    pub(crate) backup: Option<PathBuf>,
}

/// Replaces every file, or none: nothing is renamed until every temporary file and backup is
/// complete on disk.
pub(crate) fn replace_all(replacements: &[Replacement<'_>], backup: bool, stamp: &str) -> anyhow::Result<Vec<Written>> {
    let mut staged = Vec::new();
    let mut backups_made: Vec<PathBuf> = Vec::new();
    let result = (|| -> anyhow::Result<()> {
        // Every backup and new file is complete on disk before the first original is replaced.
        for replacement in replacements {
            let target = fs::canonicalize(&replacement.path)
                .with_context(|| format!("cannot resolve {}", replacement.path.display()))?;
            let current = fs::read(&target).with_context(|| format!("cannot read {}", target.display()))?;
            if current != replacement.original {
                bail!("{} changed while amavis-tune was working on it; run the command again", target.display());
            }
            let metadata = fs::metadata(&target).with_context(|| format!("cannot read {}", target.display()))?;
            crash_point();
            let backup_path = if backup {
                let path = write_backup(&target, replacement.original, &metadata, stamp)?;
                backups_made.push(path.clone());
                Some(path)
            } else {
                None
            };
            let temp = write_temp(&target, replacement.new, &metadata)?;
            staged.push((replacement, target, temp, backup_path));
        }
        Ok(())
    })();
    if let Err(error) = result {
        for path in backups_made {
            let _ = fs::remove_file(path);
        }
        return Err(error.context("nothing was changed"));
    }
    let mut written = Vec::new();
    for (replacement, target, temp, backup_path) in staged {
        failpoint("rename")?;
        crash_point();
        temp.persist(&target).map_err(|e| e.error).with_context(|| {
            format!(
                "cannot replace {} (files before it in this run were replaced; run the command again to finish)",
                target.display()
            )
        })?;
        crash_point();
        sync_dir(&target)?;
        crash_point();
        let symlinked = fs::symlink_metadata(&replacement.path).is_ok_and(|m| m.file_type().is_symlink());
        written.push(Written {
            path: replacement.path.clone(),
            target: symlinked.then_some(target),
            backup: backup_path,
        });
    }
    Ok(written)
}

/// A backup next to the original, named by core's `backup_name`. It is written to a temporary file, fsynced, then linked into place without
/// replacing anything, so a backup that exists is always complete and an earlier one is never
/// overwritten.
fn write_backup(target: &Path, bytes: &[u8], metadata: &fs::Metadata, stamp: &str) -> anyhow::Result<PathBuf> {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut temp = write_temp_file(target, bytes, metadata, "backup")
        .with_context(|| format!("cannot write a backup of {}", target.display()))?;
    for attempt in 0..1000 {
        let stamp = if attempt == 0 { stamp.to_owned() } else { format!("{stamp}-{attempt}") };
        let path = target.with_file_name(amavis_tune_core::backup_name(&name, &stamp));
        match temp.persist_noclobber(&path) {
            Ok(_) => {
                crash_point();
                return Ok(path);
            }
            Err(error) if error.error.kind() == io::ErrorKind::AlreadyExists => temp = error.file,
            Err(error) => {
                return Err(error.error).with_context(|| format!("cannot write the backup {}", path.display()));
            }
        }
    }
    bail!("cannot find a free backup name next to {}", target.display())
}

fn write_temp(target: &Path, bytes: &[u8], metadata: &fs::Metadata) -> anyhow::Result<tempfile::NamedTempFile> {
    write_temp_file(target, bytes, metadata, "write")
        .with_context(|| format!("cannot write the new {}", target.display()))
}

/// A hidden temporary file next to `target` (`.NAME.amavis-tune.XXXXXX.tmp`) holding `bytes`,
/// with the original's mode, owner and group, fsynced; removed again if anything fails.
fn write_temp_file(
    target: &Path,
    bytes: &[u8],
    metadata: &fs::Metadata,
    what: &str,
) -> anyhow::Result<tempfile::NamedTempFile> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}.amavis-tune."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    crash_point();
    fill(temp.as_file(), bytes, metadata, what)?;
    Ok(temp)
}

/// Writes the bytes, gives the file the original's mode, owner and group, and fsyncs it.
fn fill(mut file: &File, bytes: &[u8], metadata: &fs::Metadata, what: &str) -> io::Result<()> {
    failpoint_io(what, || {
        // A simulated disk full: half the bytes reach the file, then the write fails.
        let _ = file.write_all(&bytes[..bytes.len() / 2]);
    })?;
    // A crash halfway through the write.
    let (head, tail) = bytes.split_at(bytes.len() / 2);
    file.write_all(head)?;
    crash_point();
    file.write_all(tail)?;
    crash_point();
    file.set_permissions(fs::Permissions::from_mode(metadata.mode() & 0o7777))?;
    std::os::unix::fs::fchown(file, Some(metadata.uid()), Some(metadata.gid()))?;
    failpoint_io("fsync", || {})?;
    file.sync_all()?;
    crash_point();
    Ok(())
}

fn sync_dir(target: &Path) -> anyhow::Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    File::open(dir).and_then(|d| d.sync_all()).with_context(|| format!("cannot sync the directory {}", dir.display()))
}

/// Failure injection for the tests, in debug builds only: `AMAVIS_TUNE_FAILPOINT=write` (disk
/// full halfway through the new file), `backup`, `fsync` (EIO) or `rename` makes that step fail.
#[cfg(debug_assertions)]
fn failpoint_io(name: &str, before_failing: impl FnOnce()) -> io::Result<()> {
    if std::env::var("AMAVIS_TUNE_FAILPOINT").is_ok_and(|v| v == name) {
        before_failing();
        let code = if name == "fsync" { 5 } else { 28 }; // EIO, ENOSPC
        return Err(io::Error::from_raw_os_error(code));
    }
    Ok(())
}

#[cfg(not(debug_assertions))]
fn failpoint_io(_name: &str, _before_failing: impl FnOnce()) -> io::Result<()> {
    Ok(())
}

fn failpoint(name: &str) -> io::Result<()> {
    failpoint_io(name, || {})
}

/// Crash injection for the tests, in debug builds only: with `AMAVIS_TUNE_CRASH_AT=N` the process
/// aborts (no destructor runs, no temporary file is cleaned up: as under SIGKILL or a power cut)
/// at the Nth crash point it reaches. Crash points sit between every step that changes the disk.
#[cfg(debug_assertions)]
fn crash_point() {
    use std::sync::atomic::{AtomicU32, Ordering};
    static REACHED: AtomicU32 = AtomicU32::new(0);
    let reached = REACHED.fetch_add(1, Ordering::SeqCst) + 1;
    if std::env::var("AMAVIS_TUNE_CRASH_AT").is_ok_and(|v| v.parse() == Ok(reached)) {
        eprintln!("crash injected at point {reached}");
        std::process::abort();
    }
}

#[cfg(not(debug_assertions))]
fn crash_point() {}
