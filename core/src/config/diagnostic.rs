//! What a parser noticed while reading a file: never a failure, always a line number.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; changes nothing.
    Info,
    /// The program reading the file would warn, or the result may not be what was meant.
    Warning,
    /// The program reading the file would refuse it.
    Error,
}

impl Severity {
    /// The name used in text output and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// 1-based physical line number; 0 for the file as a whole.
    pub line: usize,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub(crate) fn new(line: usize, severity: Severity, message: impl Into<String>) -> Diagnostic {
        Diagnostic { line, severity, message: message.into() }
    }
}

/// Diagnostics every text file gets, whatever its syntax: empty, not UTF-8, NUL bytes, CRLF.
pub(crate) fn encoding_diagnostics(text: &[u8]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    if text.is_empty() {
        diagnostics.push(Diagnostic::new(0, Severity::Info, "the file is empty"));
        return diagnostics;
    }
    let mut first_crlf = None;
    let mut non_utf8 = Vec::new();
    let mut nul = Vec::new();
    for (index, line) in text.split(|&b| b == b'\n').enumerate() {
        let number = index + 1;
        if line.last() == Some(&b'\r') && first_crlf.is_none() {
            first_crlf = Some(number);
        }
        if line.contains(&0) {
            nul.push(number);
        }
        if std::str::from_utf8(line).is_err() {
            non_utf8.push(number);
        }
    }
    if let Some(line) = first_crlf {
        diagnostics.push(Diagnostic::new(
            line,
            Severity::Warning,
            "CRLF (Windows) line ends; they are kept as they are, but convert the file with `dos2unix` to be safe",
        ));
    }
    if let Some(&line) = nul.first() {
        diagnostics.push(Diagnostic::new(
            line,
            Severity::Error,
            format!("NUL byte(s) on {} line(s), first here: this is not a text configuration file", nul.len()),
        ));
    }
    if let Some(&line) = non_utf8.first() {
        diagnostics.push(Diagnostic::new(
            line,
            Severity::Warning,
            format!("{} line(s) are not valid UTF-8, first here; they are kept byte for byte", non_utf8.len()),
        ));
    }
    diagnostics
}
