//! Writing changed configuration files so that each is always either the complete old version
//! or the complete new one, and the set of files is changed as a whole or not at all.
//!
//! 1. Before anything is written, every target is checked to be replaceable by a rename: not
//!    immutable or append-only (nor its directory), not a file mounted on its own (Docker's
//!    `-v file:file`), which no rename can replace.
//! 2. Every backup and new file is written and fsynced beside its original, with the original's
//!    owner, group, mode and extended attributes (`attributes::carry`).
//! 3. The files are then replaced one by one, in the caller's order (the order safe for the
//!    direction of the change). Right before each rename the original is checked again: the
//!    same file (device and inode) with the same bytes. Its old version is kept under a hidden
//!    hard link until every rename has succeeded; when one fails, the files already replaced get
//!    their old versions back, so the end state is all old or all new. Only a crash between two
//!    renames leaves a mix, which the next run finishes (or `restore` undoes).
//!
//! Temporary files are hidden (`.NAME.amavis-tune.XXXXXX.tmp`); the ones a killed run left
//! behind are removed by the next run on the same files (under the tree's lock, see `lock`).

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use tempfile::TempPath;

use crate::host::attributes::carry;

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

/// What a replacement did, and what it could not do that the user should know.
#[derive(Debug)]
pub(crate) struct Replaced {
    pub(crate) written: Vec<Written>,
    /// One line each: an attribute not carried over, stale temporary files removed, a backup
    /// not recorded.
    pub(crate) notes: Vec<String>,
}

/// A file ready to be renamed over its original.
struct Staged<'r, 'a> {
    replacement: &'r Replacement<'a>,
    target: PathBuf,
    identity: (u64, u64),
    uid: u32,
    temp: tempfile::NamedTempFile,
    backup: Option<PathBuf>,
}

/// Replaces every file, or none (see the module's documentation); `backup` keeps a copy of each
/// original beside it, recorded by `record` for `restore`.
pub(crate) fn replace_all(replacements: &[Replacement<'_>], backup: bool, stamp: &str) -> anyhow::Result<Replaced> {
    let mut notes = Vec::new();
    let mut staged: Vec<Staged<'_, '_>> = Vec::new();
    let mut backups_made: Vec<PathBuf> = Vec::new();
    let result = (|| -> anyhow::Result<()> {
        let mut targets = Vec::new();
        for replacement in replacements {
            let target = fs::canonicalize(&replacement.path)
                .with_context(|| format!("cannot resolve {}", replacement.path.display()))?;
            replaceable(&target)?;
            targets.push(target);
        }
        for (replacement, target) in replacements.iter().zip(targets) {
            let removed = remove_stale_temporaries(&target);
            if removed > 0 {
                notes.push(format!(
                    "removed {removed} temporary file(s) an interrupted run left beside {}",
                    target.display()
                ));
            }
            let (original, metadata) = open_unchanged(&target, replacement.original)?;
            crash_point();
            let backup_path = if backup {
                let path = write_backup(&target, replacement.original, &original, &metadata, stamp, &mut notes)?;
                backups_made.push(path.clone());
                Some(path)
            } else {
                None
            };
            let temp = write_temp(&target, replacement.new, &original, &metadata, &mut notes)?;
            staged.push(Staged {
                replacement,
                target,
                identity: (metadata.dev(), metadata.ino()),
                uid: metadata.uid(),
                temp,
                backup: backup_path,
            });
        }
        Ok(())
    })();
    if let Err(error) = result {
        for path in backups_made {
            let _ = fs::remove_file(path);
        }
        return Err(error.context("nothing was changed"));
    }
    if !backups_made.is_empty()
        && let Err(error) = crate::host::record::add(&staged_backups(&staged))
    {
        notes.push(format!(
            "the backups were made but not recorded, so `amavis-tune restore` will not restore them: {error:#}"
        ));
    }
    pause_point();
    let mut replaced: Vec<(PathBuf, TempPath)> = Vec::new();
    let mut written = Vec::new();
    for (index, file) in staged.into_iter().enumerate() {
        let outcome = (|| -> anyhow::Result<TempPath> {
            let kept = keep_original(&file.target)?;
            crash_point();
            let (_, now) = open_unchanged(&file.target, file.replacement.original)?;
            let kept_identity = fs::symlink_metadata(&kept).map(|m| (m.dev(), m.ino())).ok();
            if (now.dev(), now.ino()) != file.identity || kept_identity != Some(file.identity) {
                bail!("{} was replaced by another file while amavis-tune was working on it", file.target.display());
            }
            failpoint(if index == 0 { "rename" } else { "rename-2" })
                .and_then(|()| file.temp.persist(&file.target).map(drop).map_err(|e| e.error))
                .with_context(|| format!("cannot replace {}", file.target.display()))?;
            crash_point();
            sync_dir(&file.target)?;
            crash_point();
            Ok(kept)
        })();
        match outcome {
            Ok(kept) => replaced.push((file.target.clone(), kept)),
            Err(error) => {
                let any_replaced = !replaced.is_empty();
                let undone = undo(replaced);
                for path in &backups_made {
                    let _ = fs::remove_file(path);
                }
                return Err(match undone {
                    Ok(()) if any_replaced => {
                        error.context("nothing was changed (the files replaced before it were put back)")
                    }
                    Ok(()) => error.context("nothing was changed"),
                    Err(undo_error) => error.context(format!(
                        "and putting back the files replaced before it failed ({undo_error:#}); run the command again to finish, or amavis-tune restore"
                    )),
                });
            }
        }
        let symlinked = fs::symlink_metadata(&file.replacement.path).is_ok_and(|m| m.file_type().is_symlink());
        written.push(Written {
            path: file.replacement.path.clone(),
            target: symlinked.then_some(file.target),
            backup: file.backup,
        });
    }
    // Every rename succeeded: the kept old versions go (TempPath removes each on drop).
    drop(replaced);
    Ok(Replaced { written, notes })
}

fn staged_backups(staged: &[Staged<'_, '_>]) -> Vec<crate::host::record::Made> {
    staged
        .iter()
        .filter_map(|s| {
            s.backup.clone().map(|backup| crate::host::record::Made {
                backup,
                of: s.target.clone(),
                bytes: s.replacement.original.to_vec(),
                uid: s.uid,
            })
        })
        .collect()
}

/// Puts back the old version of each file replaced so far, last first.
fn undo(replaced: Vec<(PathBuf, TempPath)>) -> anyhow::Result<()> {
    let mut failed = Vec::new();
    for (target, kept) in replaced.into_iter().rev() {
        match kept.persist(&target) {
            Ok(()) => {
                let _ = sync_dir(&target);
            }
            Err(error) => failed.push(format!("{}: {}", target.display(), error.error)),
        }
    }
    if failed.is_empty() { Ok(()) } else { bail!("{}", failed.join("; ")) }
}

/// The original under a hidden hard link beside it, to rename back if a later file cannot be
/// replaced (the very same file: content, owner, attributes). Removed when dropped.
fn keep_original(target: &Path) -> anyhow::Result<TempPath> {
    let dir = parent(target);
    tempfile::Builder::new()
        .prefix(&hidden_prefix(target))
        .suffix(".tmp")
        .make_in(dir, |path| fs::hard_link(target, path))
        .map(tempfile::NamedTempFile::into_temp_path)
        .with_context(|| format!("cannot keep the old {} while replacing it (a hard link beside it)", target.display()))
}

/// The file at `target`, opened without following a symlink, when it still holds `expected`
/// (read at most one byte more than that).
fn open_unchanged(target: &Path, expected: &[u8]) -> anyhow::Result<(File, fs::Metadata)> {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(target)
        .with_context(|| format!("cannot read {}", target.display()))?;
    let metadata = file.metadata().with_context(|| format!("cannot read {}", target.display()))?;
    let mut current = Vec::with_capacity(expected.len() + 1);
    (&file)
        .take(expected.len() as u64 + 1)
        .read_to_end(&mut current)
        .with_context(|| format!("cannot read {}", target.display()))?;
    if current != expected {
        bail!("{} changed while amavis-tune was working on it; run the command again", target.display());
    }
    Ok((file, metadata))
}

/// Refuses a target no rename can replace, before anything is written.
#[cfg(target_os = "linux")]
fn replaceable(target: &Path) -> anyhow::Result<()> {
    use rustix::fs::{AtFlags, CWD, StatxAttributes, StatxFlags, statx};
    let refuse = |path: &Path, what: &str, hint: &str| -> anyhow::Result<()> {
        Err(anyhow::Error::new(crate::output::Hinted {
            message: format!("cannot replace {}: {what}", path.display()),
            hint: hint.to_owned(),
        }))
    };
    let attributes = |path: &Path| {
        statx(CWD, path, AtFlags::SYMLINK_NOFOLLOW, StatxFlags::BASIC_STATS)
            .map(|s| s.stx_attributes & s.stx_attributes_mask)
            .unwrap_or(StatxAttributes::empty())
    };
    let dir = parent(target);
    for (path, kind) in [(target, "it"), (dir, "its directory")] {
        let flags = attributes(path);
        for (flag, what, letter) in
            [(StatxAttributes::IMMUTABLE, "immutable", 'i'), (StatxAttributes::APPEND, "append-only", 'a')]
        {
            if flags.contains(flag) {
                return refuse(
                    target,
                    &format!("{kind} is {what} (chattr +{letter})"),
                    &format!(
                        "lift it with chattr -{letter} {} if the change is meant, then run the command again",
                        path.display()
                    ),
                );
            }
        }
    }
    if attributes(target).contains(StatxAttributes::MOUNT_ROOT) {
        return refuse(
            target,
            "it is mounted on its own (a single-file bind mount, as a container's -v FILE:FILE makes), and a mount point cannot be renamed over",
            "change it where it is mounted from (the host's copy), or mount its directory instead of the file",
        );
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn replaceable(_target: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// Removes the hidden temporary files (`.NAME.amavis-tune.XXXXXX.tmp`) a killed run left beside
/// `target`: plain files of this user only. Returns how many.
fn remove_stale_temporaries(target: &Path) -> usize {
    let prefix = hidden_prefix(target);
    let Ok(entries) = fs::read_dir(parent(target)) else { return 0 };
    let uid = rustix::process::geteuid().as_raw();
    entries
        .flatten()
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with(&prefix)
                && name.ends_with(".tmp")
                && entry.metadata().is_ok_and(|m| m.file_type().is_file() && m.uid() == uid)
        })
        .filter(|entry| fs::remove_file(entry.path()).is_ok())
        .count()
}

fn hidden_prefix(target: &Path) -> String {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    format!(".{name}.amavis-tune.")
}

fn parent(target: &Path) -> &Path {
    match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// A backup next to the original, named by core's `backup_name`. It is written to a temporary
/// file, fsynced, then linked into place without replacing anything, so a backup that exists is
/// always complete and an earlier one is never overwritten.
fn write_backup(
    target: &Path,
    bytes: &[u8],
    original: &File,
    metadata: &fs::Metadata,
    stamp: &str,
    notes: &mut Vec<String>,
) -> anyhow::Result<PathBuf> {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut temp = write_temp_file(target, bytes, original, metadata, "backup", notes)
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

fn write_temp(
    target: &Path,
    bytes: &[u8],
    original: &File,
    metadata: &fs::Metadata,
    notes: &mut Vec<String>,
) -> anyhow::Result<tempfile::NamedTempFile> {
    write_temp_file(target, bytes, original, metadata, "write", notes)
        .with_context(|| format!("cannot write the new {}", target.display()))
}

/// A hidden temporary file next to `target` (`.NAME.amavis-tune.XXXXXX.tmp`) holding `bytes`,
/// with the original's owner, group, mode and extended attributes, fsynced; removed again if
/// anything fails.
fn write_temp_file(
    target: &Path,
    bytes: &[u8],
    original: &File,
    metadata: &fs::Metadata,
    what: &str,
    notes: &mut Vec<String>,
) -> anyhow::Result<tempfile::NamedTempFile> {
    let dir = parent(target);
    let temp = tempfile::Builder::new()
        .prefix(&hidden_prefix(target))
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    crash_point();
    fill(temp.as_file(), bytes, what)?;
    let lost = carry(original, metadata, temp.as_file())?;
    let copy = if what == "backup" { "its backup" } else { "the new file" };
    notes.extend(lost.into_iter().map(|l| format!("{}: {l} to {copy}", target.display())));
    failpoint_io("fsync", || {})?;
    temp.as_file().sync_all()?;
    crash_point();
    Ok(temp)
}

/// Writes the bytes.
fn fill(mut file: &File, bytes: &[u8], what: &str) -> io::Result<()> {
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
    Ok(())
}

fn sync_dir(target: &Path) -> anyhow::Result<()> {
    let dir = parent(target);
    File::open(dir).and_then(|d| d.sync_all()).with_context(|| format!("cannot sync the directory {}", dir.display()))
}

/// Failure injection for the tests, in debug builds only: `AMAVIS_TUNE_FAILPOINT=write` (disk
/// full halfway through the new file), `backup`, `fsync` (EIO), `rename` (the first file's) or
/// `rename-2` (the second file's, after the first was replaced) makes that step fail.
#[cfg(debug_assertions)]
fn failpoint_io(name: &str, before_failing: impl FnOnce()) -> io::Result<()> {
    if std::env::var("AMAVIS_TUNE_FAILPOINT").is_ok_and(|v| v == name) {
        before_failing();
        let code = match name {
            "fsync" => 5,                // EIO
            "rename" | "rename-2" => 16, // EBUSY, as renaming over a mount point
            _ => 28,                     // ENOSPC
        };
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

/// A pause for the tests, in debug builds only: with `AMAVIS_TUNE_PAUSE=PATH`, once everything
/// is staged and before the first rename, the process creates PATH and waits (up to 30 s) until
/// it is removed, so that a test can change a file under it as a slow disk would let an editor.
#[cfg(debug_assertions)]
fn pause_point() {
    let Some(path) = std::env::var_os("AMAVIS_TUNE_PAUSE") else { return };
    if File::create(&path).is_err() {
        return;
    }
    let started = std::time::Instant::now();
    while Path::new(&path).exists() && started.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[cfg(not(debug_assertions))]
fn pause_point() {}

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
