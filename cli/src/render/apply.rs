//! The text of `apply`: each file with why it changes and its diff, then what was written.

use std::io::{self, Write};

use amavis_tune_core::FileChange;

use crate::host::write::Written;
use crate::render::diff::DiffStyle;

/// Each changed file with the reasons, then every diff (or a line saying it is not shown).
pub(crate) fn write_changes(out: &mut dyn Write, files: &[FileChange], style: DiffStyle) -> io::Result<()> {
    for file in files {
        writeln!(out, "{}", file.path)?;
        for reason in &file.reasons {
            writeln!(out, "  * {reason}")?;
        }
    }
    writeln!(out)?;
    for file in files {
        crate::render::diff::write_diff(out, &file.path, &file.original, &file.new, style)?;
    }
    Ok(())
}

/// What was written, and where each backup is.
pub(crate) fn write_written(out: &mut dyn Write, written: &[Written]) -> io::Result<()> {
    for w in written {
        match &w.target {
            Some(target) => {
                writeln!(out, "wrote {} (a symlink; its target {} was edited)", w.path.display(), target.display())?
            }
            None => writeln!(out, "wrote {}", w.path.display())?,
        }
        if let Some(backup) = &w.backup {
            writeln!(out, "  backup: {}", backup.display())?;
        }
    }
    Ok(())
}
