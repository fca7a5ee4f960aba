//! How the binary reports errors: `error: ...`, then `hint: ...` where one helps.

use std::fmt;

/// An error with a hint for the person reading it.
#[derive(Debug)]
pub(crate) struct Hinted {
    pub(crate) message: String,
    pub(crate) hint: String,
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Hinted {}

pub(crate) fn print_error(error: &anyhow::Error) {
    let mut message = error.to_string();
    for cause in error.chain().skip(1) {
        message.push_str(": ");
        message.push_str(&cause.to_string());
    }
    eprintln!("error: {message}");
    if let Some(hinted) = error.chain().find_map(|cause| cause.downcast_ref::<Hinted>()) {
        eprintln!("hint: {}", hinted.hint);
    }
}

/// The error as one JSON object on stdout: `{"error": {"message": ..., "hint": ...}}` (`hint` is
/// null when there is none).
pub(crate) fn write_json_error(out: &mut dyn std::io::Write, error: &anyhow::Error) -> std::io::Result<()> {
    let mut message = error.to_string();
    for cause in error.chain().skip(1) {
        message.push_str(": ");
        message.push_str(&cause.to_string());
    }
    let hint = error.chain().find_map(|cause| cause.downcast_ref::<Hinted>()).map(|h| h.hint.clone());
    let value = serde_json::json!({ "error": { "message": message, "hint": hint } });
    writeln!(out, "{}", serde_json::to_string_pretty(&value).unwrap_or_default())?;
    out.flush()
}
