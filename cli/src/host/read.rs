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
