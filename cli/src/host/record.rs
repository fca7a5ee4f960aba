//! amavis-tune's record of the backups it made, which `restore` trusts instead of a file's name.
//!
//! One JSON object per line (`backup`, `of`, `sha256`, `stamp`) in `backups.jsonl`, in
//! `$AMAVIS_TUNE_STATE_DIR`, else `/var/lib/amavis-tune` for root, else
//! `$XDG_STATE_HOME/amavis-tune` (`~/.local/state/amavis-tune`). It lives on the machine that runs
//! amavis-tune, never in a `--root` tree, so a tree someone else shaped cannot vouch for its own
//! backups. The directory and the file belong to the user running amavis-tune and no one else
//! may write them; otherwise the record is not trusted. Entries whose backup is gone are dropped
//! each time one is added, so the record stays as small as the backups that exist.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const FILE: &str = "backups.jsonl";
/// A record larger than this is not read (it holds one short line per existing backup).
const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// One backup amavis-tune made.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The backup, as an absolute path with no symlink in it.
    pub(crate) backup: PathBuf,
    /// The file it is a backup of (the file replaced, a symlink's target).
    pub(crate) of: PathBuf,
    pub(crate) sha256: String,
    pub(crate) stamp: String,
    /// The owner the backup was given (the original's, which backups keep).
    pub(crate) uid: u32,
}

/// A backup just made, to record.
#[derive(Debug)]
pub(crate) struct Made {
    pub(crate) backup: PathBuf,
    pub(crate) of: PathBuf,
    pub(crate) bytes: Vec<u8>,
    pub(crate) uid: u32,
}

/// Where the record is kept.
pub(crate) fn dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("AMAVIS_TUNE_STATE_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if rustix::process::geteuid().is_root() {
        return Ok(PathBuf::from("/var/lib/amavis-tune"));
    }
    if let Some(state) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(state).join("amavis-tune"));
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".local/state/amavis-tune")),
        None => bail!("no place for amavis-tune's record of its backups: set AMAVIS_TUNE_STATE_DIR"),
    }
}

pub(crate) fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Adds one entry per backup made, dropping the entries whose backup no longer exists.
pub(crate) fn add(backups: &[Made]) -> anyhow::Result<()> {
    let dir = dir()?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    trusted(&dir, true)?;
    let lock = File::open(&dir).with_context(|| format!("cannot open {}", dir.display()))?;
    lock.lock().with_context(|| format!("cannot lock {}", dir.display()))?;
    let mut entries = read_entries(&dir)?;
    entries.retain(|e| fs::symlink_metadata(&e.backup).is_ok());
    for Made { backup, of, bytes, uid } in backups {
        let backup = fs::canonicalize(backup).with_context(|| format!("cannot resolve {}", backup.display()))?;
        let stamp = backup
            .file_name()
            .and_then(|n| amavis_tune_core::backup_of(&n.to_string_lossy()).map(|(_, stamp)| stamp.to_owned()))
            .unwrap_or_default();
        entries.push(Entry { backup, of: of.clone(), sha256: sha256(bytes), stamp, uid: *uid });
    }
    let mut text = String::new();
    for entry in &entries {
        text.push_str(&serde_json::to_string(entry)?);
        text.push('\n');
    }
    let mut temp = tempfile::Builder::new()
        .prefix(".backups.")
        .tempfile_in(&dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    temp.write_all(text.as_bytes())?;
    temp.as_file().sync_all()?;
    temp.persist(dir.join(FILE))
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", dir.join(FILE).display()))?;
    File::open(&dir).and_then(|d| d.sync_all()).ok();
    Ok(())
}

/// Every entry, when the record can be trusted; none when there is no record yet.
pub(crate) fn entries() -> anyhow::Result<Vec<Entry>> {
    let dir = dir()?;
    match fs::symlink_metadata(&dir) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        _ => trusted(&dir, true)?,
    }
    read_entries(&dir)
}

fn read_entries(dir: &Path) -> anyhow::Result<Vec<Entry>> {
    let path = dir.join(FILE);
    if fs::symlink_metadata(&path).is_err() {
        return Ok(Vec::new());
    }
    trusted(&path, false)?;
    let mut text = String::new();
    File::open(&path)
        .and_then(|f| f.take(MAX_BYTES).read_to_string(&mut text))
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text.lines().filter_map(|line| serde_json::from_str(line).ok()).collect())
}

/// Refuses a directory or record file that is a symlink, that belongs to another user, or that
/// another user may write.
fn trusted(path: &Path, is_dir: bool) -> anyhow::Result<()> {
    let metadata = fs::symlink_metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    let uid = rustix::process::geteuid().as_raw();
    let kind_ok = if is_dir { metadata.is_dir() } else { metadata.is_file() };
    if !kind_ok || metadata.uid() != uid || metadata.mode() & 0o022 != 0 {
        bail!(
            "amavis-tune's record of its backups, {}, is not trusted: it must be a {} of user {uid} that no one else may write",
            path.display(),
            if is_dir { "directory" } else { "file" }
        );
    }
    Ok(())
}

/// Why `path` is not a backup amavis-tune made and may restore: it is a symlink, it is not in
/// the record, it belongs to another user or others may write it, or its bytes are not the ones
/// recorded. Otherwise its entry and bytes.
pub(crate) fn verify(path: &Path, entries: &[Entry]) -> anyhow::Result<(Entry, Vec<u8>)> {
    let metadata = fs::symlink_metadata(path).with_context(|| format!("cannot read the backup {}", path.display()))?;
    if metadata.file_type().is_symlink() {
        bail!("{} is a symlink, and amavis-tune's backups never are: it is not read", path.display());
    }
    let canonical = fs::canonicalize(path).with_context(|| format!("cannot resolve {}", path.display()))?;
    let Some(entry) = entries.iter().find(|e| e.backup == canonical) else {
        bail!(
            "{} is not a backup amavis-tune made on this machine: it is not in the record {}",
            path.display(),
            dir().map(|d| d.join(FILE).display().to_string()).unwrap_or_default()
        );
    };
    let uid = rustix::process::geteuid().as_raw();
    if !metadata.is_file() || (metadata.uid() != uid && metadata.uid() != entry.uid) || metadata.mode() & 0o002 != 0 {
        bail!(
            "{} belongs to user {} with mode {:o}: a backup amavis-tune made belongs to user {} (as its original did) and not everyone may write it",
            path.display(),
            metadata.uid(),
            metadata.mode() & 0o7777,
            entry.uid
        );
    }
    let bytes = crate::host::read::read_config(path, "the backup")?;
    if sha256(&bytes) != entry.sha256 {
        bail!("{} is not the backup amavis-tune made: its bytes changed since (its SHA-256 differs)", path.display());
    }
    Ok((entry.clone(), bytes))
}
