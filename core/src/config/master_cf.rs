//! A lossless reader of Postfix's master.cf (master(5)).
//!
//! The document keeps the file's bytes and the byte ranges of each entry's fields, so rendering
//! gives back the input exactly and a patch replaces one field's bytes and nothing else.

use std::ops::Range;

use crate::config::diagnostic::{Diagnostic, DiagnosticCode, encoding_diagnostics};
use crate::config::lines::{logical_lines, tokens};

/// One field of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Byte range in the file.
    pub range: Range<usize>,
    /// 1-based physical line the field starts on.
    pub line: usize,
    /// The field's text (lossy where the file is not UTF-8).
    pub text: String,
}

/// A `-o name=value` option of an entry's command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceOption {
    pub name: String,
    pub value: String,
    pub line: usize,
}

/// One service: a logical line of at least eight fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The physical line the entry starts on.
    pub line: usize,
    pub fields: Vec<Field>,
}

/// The index of the maxproc column.
pub const MAXPROC_FIELD: usize = 6;

impl Entry {
    pub fn service(&self) -> &str {
        &self.fields[0].text
    }

    pub fn kind(&self) -> &str {
        &self.fields[1].text
    }

    pub fn maxproc(&self) -> &Field {
        &self.fields[MAXPROC_FIELD]
    }

    /// The command name (`smtp`, `smtpd`, `lmtp`, `pipe`, ...).
    pub fn command(&self) -> &str {
        &self.fields[7].text
    }

    /// The command's `-o name=value` options, in order (Postfix's `-o { name = value }` form too).
    pub fn options(&self) -> Vec<ServiceOption> {
        let mut options = Vec::new();
        let mut args = self.fields[8..].iter();
        while let Some(arg) = args.next() {
            let (text, line) = if arg.text == "-o" {
                match args.next() {
                    Some(next) => (next.text.as_str(), next.line),
                    None => break,
                }
            } else if let Some(rest) = arg.text.strip_prefix("-o") {
                (rest, arg.line)
            } else {
                continue;
            };
            let inner = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')).unwrap_or(text);
            if let Some((name, value)) = inner.split_once('=') {
                options.push(ServiceOption { name: name.trim().to_owned(), value: value.trim().to_owned(), line });
            }
        }
        options
    }

    /// Whether this is the re-injection listener amavisd hands mail back to: an smtpd on inet
    /// with `-o content_filter=` (empty), or on port 10025 as the amavis README sets it up.
    pub fn is_reinjection_listener(&self) -> bool {
        self.kind() == "inet"
            && self.command() == "smtpd"
            && (self.option("content_filter").is_some_and(|o| o.value.is_empty()) || self.service().ends_with(":10025"))
    }

    /// The last value of `-o name=...` on this entry, if any.
    pub fn option(&self, name: &str) -> Option<ServiceOption> {
        self.options().into_iter().rev().find(|option| option.name == name)
    }
}

/// A parsed master.cf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterCf {
    text: Vec<u8>,
    pub entries: Vec<Entry>,
    pub diagnostics: Vec<Diagnostic>,
}

impl MasterCf {
    /// Reads master.cf. Never fails: what Postfix would reject is a diagnostic.
    pub fn parse(text: &[u8]) -> MasterCf {
        let mut diagnostics = encoding_diagnostics(text);
        let mut entries = Vec::new();
        for logical in logical_lines(text, &mut diagnostics) {
            let fields: Vec<Field> = tokens(text, &logical)
                .into_iter()
                .map(|token| Field {
                    text: String::from_utf8_lossy(&text[token.range.clone()]).into_owned(),
                    range: token.range,
                    line: token.line,
                })
                .collect();
            let line = logical.first_line();
            if fields.len() < 8 {
                diagnostics.push(Diagnostic::new(
                    line,
                    DiagnosticCode::FieldCount,
                    format!(
                        "an entry needs 8 fields (service, type, private, unpriv, chroot, wakeup, maxproc, command), this one has {}: Postfix refuses the file (\"bad field count\")",
                        fields.len()
                    ),
                ));
                continue;
            }
            let entry = Entry { line, fields };
            if let Err(invalid) = maxproc_value(&entry.maxproc().text) {
                diagnostics.push(Diagnostic::new(
                    entry.maxproc().line,
                    DiagnosticCode::InvalidMaxproc,
                    invalid.to_string(),
                ));
            }
            entries.push(entry);
        }
        // The first line of each `service/type`: a map, so a huge file stays linear.
        let mut seen: std::collections::BTreeMap<(&str, &str), usize> = std::collections::BTreeMap::new();
        for entry in &entries {
            if let Some(first) = seen.get(&(entry.service(), entry.kind())) {
                diagnostics.push(Diagnostic::new(
                    entry.line,
                    DiagnosticCode::DuplicateService,
                    format!(
                        "`{}/{}` is defined again (first at line {}): Postfix reads both; remove one",
                        entry.service(),
                        entry.kind(),
                        first
                    ),
                ));
            } else {
                seen.insert((entry.service(), entry.kind()), entry.line);
            }
        }
        diagnostics.sort_by_key(|d| d.line);
        MasterCf { text: text.to_vec(), entries, diagnostics }
    }

    /// The file's bytes: exactly the input of [`MasterCf::parse`].
    pub fn render(&self) -> &[u8] {
        &self.text
    }

    /// The entries named `service` with type `kind`.
    pub fn find<'a>(&'a self, service: &'a str, kind: &'a str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries.iter().filter(move |e| e.service() == service && e.kind() == kind)
    }
}

/// What a maxproc field says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Maxproc {
    /// `-`: `default_process_limit`.
    Default,
    /// `0`: no limit.
    Unlimited,
    Limit(u32),
}

/// A maxproc field that Postfix refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid maxproc field `{text}`: use `-` or a whole number; Postfix refuses the file")]
pub struct InvalidMaxproc {
    pub text: String,
}

/// Reads a maxproc field as Postfix does: `-`, or a whole number.
pub fn maxproc_value(text: &str) -> Result<Maxproc, InvalidMaxproc> {
    if text == "-" {
        return Ok(Maxproc::Default);
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<u64>() {
            Ok(0) => Ok(Maxproc::Unlimited),
            Ok(n) => Ok(Maxproc::Limit(u32::try_from(n).unwrap_or(u32::MAX))),
            Err(_) => Ok(Maxproc::Limit(u32::MAX)),
        };
    }
    Err(InvalidMaxproc { text: text.to_owned() })
}

#[cfg(test)]
mod tests;
