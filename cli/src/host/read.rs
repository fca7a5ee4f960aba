//! Reading configuration files safely: regular files only (never block on a FIFO or a device),
//! bounded in size, every failure named with its path.

use std::fs;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};

/// No configuration file is this large; a bigger one is not what the user meant to point at.
pub(crate) const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Reads a whole configuration file as bytes; `what` names it in errors (`master.cf`, ...).
pub(crate) fn read_config(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    let metadata = fs::metadata(path).with_context(|| format!("cannot read {what} at {}", path.display()))?;
    if metadata.is_dir() {
        bail!("cannot read {what} at {}: it is a directory, not a file", path.display());
    }
    if !metadata.is_file() {
        bail!("cannot read {what} at {}: it is not a regular file (a FIFO, socket or device)", path.display());
    }
    if metadata.len() > MAX_FILE_BYTES {
        bail!(
            "cannot read {what} at {}: it is {} bytes, more than the {MAX_FILE_BYTES} a configuration file can be",
            path.display(),
            metadata.len()
        );
    }
    let file = fs::File::open(path).with_context(|| format!("cannot read {what} at {}", path.display()))?;
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {what} at {}", path.display()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        bail!("cannot read {what} at {}: it grew past {MAX_FILE_BYTES} bytes while being read", path.display());
    }
    Ok(bytes)
}

/// The most an `os-release` file can be: it holds a dozen short lines.
pub(crate) const MAX_SMALL_FILE_BYTES: u64 = 64 * 1024;

/// A small text file such as `os-release`, read only when it is a regular file of at most
/// [`MAX_SMALL_FILE_BYTES`] (a symlink to `/dev/zero`, a FIFO or a huge file give `None`, never a
/// hang or an unbounded read).
pub(crate) fn read_small(path: &Path) -> Option<String> {
    let metadata = fs::metadata(path).ok()?;
    if !metadata.is_file() || metadata.len() > MAX_SMALL_FILE_BYTES {
        return None;
    }
    let file = fs::File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_SMALL_FILE_BYTES).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}
