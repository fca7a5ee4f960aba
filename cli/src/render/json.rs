//! JSON output: the stable contracts documented in the README ("JSON output").

use std::io::{self, Write};

/// Writes `value` as pretty JSON and a newline.
///
/// The text is made in memory first and written with `write_all`, so that a failed write comes
/// back as the `io::Error` itself (serde_json's own writer wraps it, and its `source` skips the
/// `io::Error`, which hid a closed pipe from `main`).
pub(crate) fn write_json(out: &mut dyn Write, value: &impl serde::Serialize) -> io::Result<()> {
    let mut text = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    text.push(b'\n');
    out.write_all(&text)
}
