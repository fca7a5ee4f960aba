//! Unified diffs of the changes, coloured on a terminal.

use std::io::{self, Write};

use similar::{ChangeTag, TextDiff};

pub(crate) fn write_diff(out: &mut dyn Write, path: &str, old: &[u8], new: &[u8], colour: bool) -> io::Result<()> {
    let (red, green, cyan, reset) =
        if colour { ("\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[0m") } else { ("", "", "", "") };
    writeln!(out, "--- {path}")?;
    writeln!(out, "+++ {path}")?;
    let diff = TextDiff::from_lines(old, new);
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        writeln!(out, "{cyan}{}{reset}", hunk.header())?;
        for change in hunk.iter_changes() {
            let (sign, colour_on) = match change.tag() {
                ChangeTag::Delete => ("-", red),
                ChangeTag::Insert => ("+", green),
                ChangeTag::Equal => (" ", ""),
            };
            let text = String::from_utf8_lossy(change.value());
            let text = text.strip_suffix('\n').unwrap_or(&text);
            let off = if colour_on.is_empty() { "" } else { reset };
            writeln!(out, "{colour_on}{sign}{text}{off}")?;
            if change.missing_newline() {
                writeln!(out, "\\ No newline at end of file")?;
            }
        }
    }
    Ok(())
}
