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

/// What a reader noticed, as a stable code (part of the JSON contract: never renamed, only
/// added), so that a program can tell a NUL byte from CRLF line ends without reading the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiagnosticCode {
    /// The file has no bytes.
    Empty,
    /// CRLF line ends.
    Crlf,
    /// NUL bytes: not a text file.
    Nul,
    /// Lines that are not UTF-8 (kept byte for byte).
    NotUtf8,
    /// A logical line starts with whitespace (Postfix ignores it).
    LeadingWhitespace,
    /// A master.cf entry without its 8 fields.
    FieldCount,
    /// A maxproc field that is neither `-` nor a number.
    InvalidMaxproc,
    /// A master.cf service/type defined twice.
    DuplicateService,
    /// A main.cf line without `=`.
    MissingEquals,
    /// A main.cf line that starts with `=`.
    MissingName,
    /// A main.cf parameter set again (the later wins).
    SetAgain,
    /// `my $max_servers`: a lexical that amavisd never sees.
    LexicalMaxServers,
    /// An assignment to `$max_servers` with no closing `;`.
    UnterminatedAssignment,
}

impl DiagnosticCode {
    /// The name used in text output and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosticCode::Empty => "empty",
            DiagnosticCode::Crlf => "crlf",
            DiagnosticCode::Nul => "nul",
            DiagnosticCode::NotUtf8 => "not-utf8",
            DiagnosticCode::LeadingWhitespace => "leading-whitespace",
            DiagnosticCode::FieldCount => "field-count",
            DiagnosticCode::InvalidMaxproc => "invalid-maxproc",
            DiagnosticCode::DuplicateService => "duplicate-service",
            DiagnosticCode::MissingEquals => "missing-equals",
            DiagnosticCode::MissingName => "missing-name",
            DiagnosticCode::SetAgain => "set-again",
            DiagnosticCode::LexicalMaxServers => "lexical-max-servers",
            DiagnosticCode::UnterminatedAssignment => "unterminated-assignment",
        }
    }

    /// How much it matters: each code has one severity.
    pub fn severity(self) -> Severity {
        match self {
            DiagnosticCode::Empty | DiagnosticCode::SetAgain => Severity::Info,
            DiagnosticCode::Crlf
            | DiagnosticCode::NotUtf8
            | DiagnosticCode::LeadingWhitespace
            | DiagnosticCode::DuplicateService
            | DiagnosticCode::LexicalMaxServers
            | DiagnosticCode::UnterminatedAssignment => Severity::Warning,
            DiagnosticCode::Nul
            | DiagnosticCode::FieldCount
            | DiagnosticCode::InvalidMaxproc
            | DiagnosticCode::MissingEquals
            | DiagnosticCode::MissingName => Severity::Error,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// 1-based physical line number; 0 for the file as a whole.
    pub line: usize,
    pub code: DiagnosticCode,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub(crate) fn new(line: usize, code: DiagnosticCode, message: impl Into<String>) -> Diagnostic {
        Diagnostic { line, code, severity: code.severity(), message: message.into() }
    }
}

/// Diagnostics every text file gets, whatever its syntax: empty, not UTF-8, NUL bytes, CRLF.
pub(crate) fn encoding_diagnostics(text: &[u8]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    if text.is_empty() {
        diagnostics.push(Diagnostic::new(0, DiagnosticCode::Empty, "the file is empty"));
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
            DiagnosticCode::Crlf,
            "CRLF (Windows) line ends; they are kept as they are, but convert the file with `dos2unix` to be safe",
        ));
    }
    if let Some(&line) = nul.first() {
        diagnostics.push(Diagnostic::new(
            line,
            DiagnosticCode::Nul,
            format!("NUL byte(s) on {} line(s), first here: this is not a text configuration file", nul.len()),
        ));
    }
    if let Some(&line) = non_utf8.first() {
        diagnostics.push(Diagnostic::new(
            line,
            DiagnosticCode::NotUtf8,
            format!("{} line(s) are not valid UTF-8, first here; they are kept byte for byte", non_utf8.len()),
        ));
    }
    diagnostics
}
