//! Finding the files named like the backups `apply` makes next to a file (core names them and
//! reads the names). A name proves nothing: `restore` trusts only its record (`host::record`).

use std::path::{Path, PathBuf};

use amavis_tune_core::backup_of;
use anyhow::Context;

/// The paths beside `file` named `NAME.amavis-tune-STAMP.bak` for its name.
pub(crate) fn backups_of(file: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let Some(dir) = file.parent() else { return Ok(Vec::new()) };
    let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut found = Vec::new();
    for entry in std::fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir })
        .with_context(|| format!("cannot list {}", dir.display()))?
    {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if backup_of(&name).is_some_and(|(of, _)| of == file_name) {
            found.push(dir.join(&name));
        }
    }
    Ok(found)
}
