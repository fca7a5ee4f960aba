//! Finding the backups `apply` left next to a file (core names them and reads the names).

use std::path::{Path, PathBuf};

use amavis_tune_core::backup_of;
use anyhow::Context;

/// One backup and the file it is of.
pub(crate) struct Backup {
    pub(crate) of: PathBuf,
    pub(crate) path: PathBuf,
    pub(crate) stamp: String,
}

pub(crate) fn backups_of(file: &Path) -> anyhow::Result<Vec<Backup>> {
    let Some(dir) = file.parent() else { return Ok(Vec::new()) };
    let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut found = Vec::new();
    for entry in std::fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir })
        .with_context(|| format!("cannot list {}", dir.display()))?
    {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some((of, stamp)) = backup_of(&name)
            && of == file_name
        {
            found.push(Backup { of: file.to_path_buf(), path: dir.join(&name), stamp: stamp.to_owned() });
        }
    }
    Ok(found)
}
