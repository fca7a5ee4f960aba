//! The numbered steps, written the same way wherever they are shown (plan, apply, restore).

use std::io::{self, Write};

use amavis_tune_core::Step;

/// `heading`, then each step numbered with its command below it.
pub(crate) fn write(out: &mut dyn Write, heading: &str, steps: &[Step]) -> io::Result<()> {
    writeln!(out, "{heading}")?;
    for (index, step) in steps.iter().enumerate() {
        writeln!(out, "  {}. {}", index + 1, step.description)?;
        writeln!(out, "       {}", step.command)?;
    }
    Ok(())
}
