//! The locks `apply` and `restore` hold while they read, decide and write: one per tree, so that
//! two runs on the same files take turns, and Postfix's own, so that `postconf -e` (or `-M`)
//! and amavis-tune never edit main.cf or master.cf at the same time.
//!
//! Postfix's protocol (`edit_file(3)`, used by `postconf -e` and `postconf -M`): the editor opens
//! `FILE.tmp` (creating it with mode 0600), takes an exclusive `flock` on it, and checks that the
//! name still leads to the file it locked; it writes the new content there and renames it over
//! `FILE`. Another editor waits on the lock. amavis-tune takes the same lock and, as Postfix's
//! `edit_file_cleanup` does, removes `FILE.tmp` before it lets go (it writes its own temporary
//! file instead), so a waiting `postconf` finds the name gone and starts over with the new
//! `FILE`.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::output::Hinted;

/// How long to wait for a lock another program holds.
const WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

/// The locks held for one `apply` or `restore`; dropping it lets go of them.
#[derive(Debug)]
pub(crate) struct Locks {
    // Postfix's locks are let go first, then the tree's (fields drop in this order).
    _postfix: Vec<PostfixLock>,
    _tree: File,
}

#[derive(Debug)]
struct PostfixLock {
    path: PathBuf,
    file: File,
}

impl Drop for PostfixLock {
    fn drop(&mut self) {
        // Removed while still locked (`edit_file_cleanup`), then closed, which unlocks.
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// Takes the lock of the tree under `root` (its directory), then Postfix's lock on each of
/// `postfix_files` that exists, waiting up to 30 seconds for each.
pub(crate) fn lock(root: &Path, postfix_files: &[&Path]) -> anyhow::Result<Locks> {
    let tree = File::open(root).with_context(|| format!("cannot open --root {} to lock it", root.display()))?;
    wait_for(&tree, || format!("another amavis-tune apply or restore is changing the files under {}", root.display()))?;
    let mut postfix = Vec::new();
    let mut seen = Vec::new();
    for file in postfix_files {
        if !file.exists() || seen.contains(file) {
            continue;
        }
        seen.push(*file);
        postfix.push(postfix_lock(file)?);
    }
    Ok(Locks { _postfix: postfix, _tree: tree })
}

/// Postfix's lock on `file`: `FILE.tmp`, created 0600 when missing, locked, and still the file
/// of that name once locked. A `FILE.tmp` that is not a plain 0600 file with one link (a
/// leftover of a crash, or a symlink planted in a copied tree) is removed and the lock tried
/// again, as Postfix does.
fn postfix_lock(file: &Path) -> anyhow::Result<PostfixLock> {
    let mut name = file.as_os_str().to_owned();
    name.push(".tmp");
    let path = PathBuf::from(name);
    for _ in 0..100 {
        let opened = OpenOptions::new()
            .write(true)
            .create(true)
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&path);
        let locked = match opened {
            Ok(locked) => locked,
            // A symlink at the name (O_NOFOLLOW): not Postfix's file; remove it and try again.
            Err(error) if error.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
                remove(&path)?;
                continue;
            }
            Err(error) => {
                return Err(error).with_context(|| {
                    format!("cannot take Postfix's lock {} (as postconf -e does); nothing was written", path.display())
                });
            }
        };
        wait_for(&locked, || format!("another program (postconf -e or -M?) is editing {}", file.display()))?;
        let held = locked.metadata()?;
        let named = match fs::symlink_metadata(&path) {
            Ok(named) => named,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
        };
        if named.dev() != held.dev() || named.ino() != held.ino() {
            continue;
        }
        if !named.is_file() || named.nlink() > 1 || named.mode() & 0o7777 != 0o600 {
            remove(&path)?;
            continue;
        }
        return Ok(PostfixLock { path, file: locked });
    }
    anyhow::bail!("cannot take Postfix's lock {}: it keeps changing under amavis-tune", path.display())
}

fn remove(path: &Path) -> anyhow::Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error).with_context(|| format!("cannot remove {}", path.display())),
    }
}

/// Waits for an exclusive lock on `file`, up to [`WAIT`].
fn wait_for(file: &File, holder: impl Fn() -> String) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) if started.elapsed() < WAIT => std::thread::sleep(POLL),
            Err(TryLockError::WouldBlock) => {
                return Err(anyhow::Error::new(Hinted {
                    message: format!("{} (waited {} s); nothing was written", holder(), WAIT.as_secs()),
                    hint: "run the command again once the other one has finished".to_owned(),
                }));
            }
            Err(TryLockError::Error(error)) => return Err(error).context("cannot take a lock"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planted_symlink_is_replaced_by_a_lock_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let main_cf = dir.path().join("main.cf");
        fs::write(&main_cf, "x = 1\n").expect("writes");
        let secret = dir.path().join("secret");
        fs::write(&secret, "s").expect("writes");
        std::os::unix::fs::symlink(&secret, dir.path().join("main.cf.tmp")).expect("symlink");
        let locks = lock(dir.path(), &[&main_cf]).expect("locks");
        assert!(fs::symlink_metadata(dir.path().join("main.cf.tmp")).expect("exists").is_file());
        drop(locks);
        assert!(!dir.path().join("main.cf.tmp").exists(), "removed when let go");
        assert_eq!(fs::read(&secret).expect("reads"), b"s");
    }
}
