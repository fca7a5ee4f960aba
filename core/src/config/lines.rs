//! Postfix's logical lines (readllines(3)): a line that starts with whitespace continues the
//! previous one; blank lines and lines whose first non-space character is `#` are skipped, also
//! between continuation lines. Shared by the master.cf and main.cf parsers.

use std::ops::Range;

use crate::config::diagnostic::{Diagnostic, DiagnosticCode};

/// C's `isspace`: what Postfix treats as whitespace when classifying a line.
pub(crate) fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// One physical line: its content without the line end, and its 1-based number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PhysicalLine {
    pub(crate) number: usize,
    /// Byte range of the content, without `\n` and without a `\r` just before it.
    pub(crate) content: Range<usize>,
}

/// One logical line: the physical lines that make it, comments and blank lines left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogicalLine {
    pub(crate) lines: Vec<PhysicalLine>,
}

impl LogicalLine {
    pub(crate) fn first_line(&self) -> usize {
        self.lines.first().map_or(0, |line| line.number)
    }
}

/// Splits `text` into Postfix's logical lines, with a diagnostic for each continuation line that
/// has nothing to continue (Postfix warns and skips it).
pub(crate) fn logical_lines(text: &[u8], diagnostics: &mut Vec<Diagnostic>) -> Vec<LogicalLine> {
    let mut logical: Vec<LogicalLine> = Vec::new();
    let mut open = false;
    let mut start = 0;
    let mut number = 0;
    while start < text.len() {
        number += 1;
        let end = text[start..].iter().position(|&b| b == b'\n').map_or(text.len(), |i| start + i);
        let mut content_end = end;
        if content_end > start && text[content_end - 1] == b'\r' {
            content_end -= 1;
        }
        let content = &text[start..content_end];
        let first_text = content.iter().position(|&b| !is_space(b));
        let line = PhysicalLine { number, content: start..content_end };
        match first_text {
            // Blank, or a comment: skipped wherever it stands.
            None => {}
            Some(i) if content[i] == b'#' => {}
            Some(0) => {
                logical.push(LogicalLine { lines: vec![line] });
                open = true;
            }
            Some(_) => match logical.last_mut() {
                Some(last) if open => last.lines.push(line),
                _ => diagnostics.push(Diagnostic::new(
                    number,
                    DiagnosticCode::LeadingWhitespace,
                    "a logical line must not start with whitespace: Postfix ignores this line",
                )),
            },
        }
        start = end + 1;
    }
    logical
}

/// A token of a logical line: its bytes' range in the file and its physical line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawToken {
    pub(crate) range: Range<usize>,
    pub(crate) line: usize,
}

/// Splits a logical line into whitespace-separated tokens as Postfix's `mystrtokq` does: a token
/// that starts with `{` runs to its matching `}`, spaces and line breaks included.
pub(crate) fn tokens(text: &[u8], logical: &LogicalLine) -> Vec<RawToken> {
    // The logical line as a sequence of (byte, offset), with one space between physical lines.
    // The joining space is virtual: it has no offset of its own (`None`).
    let mut bytes: Vec<(u8, Option<usize>, usize)> = Vec::new();
    for line in &logical.lines {
        for offset in line.content.clone() {
            bytes.push((text[offset], Some(offset), line.number));
        }
        bytes.push((b' ', None, line.number));
    }
    let is_separator = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if is_separator(bytes[i].0) {
            i += 1;
            continue;
        }
        let (start, line) = (bytes[i].1.unwrap_or_default(), bytes[i].2);
        if bytes[i].0 == b'{' {
            let mut depth = 0usize;
            while i < bytes.len() {
                match bytes[i].0 {
                    b'{' => depth += 1,
                    b'}' => depth -= 1,
                    _ => {}
                }
                i += 1;
                if depth == 0 {
                    break;
                }
            }
        } else {
            while i < bytes.len() && !is_separator(bytes[i].0) {
                i += 1;
            }
        }
        // The last real byte consumed (an unclosed `{` runs past the virtual line ends).
        let end = bytes[..i].iter().rev().find_map(|b| b.1).map_or(start, |offset| offset + 1);
        tokens.push(RawToken { range: start..end, line });
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expect: &str) {
        let mut diagnostics = Vec::new();
        let logical = logical_lines(text.as_bytes(), &mut diagnostics);
        let rendered: Vec<String> = logical
            .iter()
            .map(|l| {
                tokens(text.as_bytes(), l)
                    .iter()
                    .map(|t| format!("{}@{}", &text[t.range.clone()], t.line))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .chain(diagnostics.iter().map(|d| format!("!{}", d.line)))
            .collect();
        assert_eq!(rendered.join(" | "), expect);
    }

    #[test]
    fn logical_lines_and_tokens() {
        check("a b\n  c\nd\n", "a@1 b@1 c@2 | d@3");
        check("a\n# x\n\n  b\n", "a@1 b@4");
        check("  orphan\na\n", "a@2 | !1");
        check("a\r\n  b\r\n", "a@1 b@2");
        check("a -o { x = y\n  z } w", "a@1 -o@1 { x = y\n  z }@1 w@2");
        check("a {unclosed", "a@1 {unclosed@1");
        check("", "");
        check("\n\n", "");
        check("x}", "x}@1");
    }
}
