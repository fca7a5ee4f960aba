//! A lossless reader of Postfix's main.cf (postconf(5)): `name = value`, continuation lines,
//! comments, repeated names (the last wins), `$name` references kept as text.

use std::ops::Range;

use crate::config::diagnostic::{Diagnostic, DiagnosticCode, encoding_diagnostics};
use crate::config::lines::{is_space, logical_lines};

/// One `name = value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    /// The value as Postfix reads it: each physical line trimmed, joined by one space.
    pub value: String,
    /// The physical line the parameter starts on.
    pub line: usize,
    /// The physical lines the parameter spans.
    pub lines: Range<usize>,
    /// Byte range of the value in the file, from its first to its last non-space byte
    /// (empty, just after the `=`, when the value is empty).
    pub value_range: Range<usize>,
    /// Byte range of the whole logical line, line end excluded.
    pub range: Range<usize>,
}

/// A parsed main.cf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MainCf {
    text: Vec<u8>,
    pub parameters: Vec<Parameter>,
    pub diagnostics: Vec<Diagnostic>,
}

impl MainCf {
    /// Reads main.cf. Never fails: what Postfix would reject is a diagnostic.
    pub fn parse(text: &[u8]) -> MainCf {
        let mut diagnostics = encoding_diagnostics(text);
        let mut parameters = Vec::new();
        for logical in logical_lines(text, &mut diagnostics) {
            let first = &logical.lines[0];
            let last = &logical.lines[logical.lines.len() - 1];
            let head = &text[first.content.clone()];
            let Some(equals) = head.iter().position(|&b| b == b'=') else {
                diagnostics.push(Diagnostic::new(
                    first.number,
                    DiagnosticCode::MissingEquals,
                    "missing `=` after the parameter name: Postfix refuses the file",
                ));
                continue;
            };
            let name = String::from_utf8_lossy(trim(&head[..equals])).into_owned();
            if name.is_empty() {
                diagnostics.push(Diagnostic::new(
                    first.number,
                    DiagnosticCode::MissingName,
                    "missing parameter name before `=`",
                ));
                continue;
            }
            let mut pieces: Vec<&[u8]> = Vec::new();
            let first_value = trim(&head[equals + 1..]);
            if !first_value.is_empty() {
                pieces.push(first_value);
            }
            pieces.extend(logical.lines[1..].iter().map(|l| trim(&text[l.content.clone()])));
            let value = String::from_utf8_lossy(&pieces.join(&b' ')).into_owned();
            let value_start = if !first_value.is_empty() || logical.lines.len() == 1 {
                first.content.start
                    + equals
                    + 1
                    + head[equals + 1..].iter().position(|&b| !is_space(b)).unwrap_or(head.len() - equals - 1)
            } else {
                let second = &logical.lines[1];
                second.content.start + text[second.content.clone()].iter().position(|&b| !is_space(b)).unwrap_or(0)
            };
            let value_end = if logical.lines.len() == 1 {
                first.content.start + equals + 1 + trim_end_len(&head[equals + 1..])
            } else {
                last.content.start + trim_end_len(&text[last.content.clone()])
            };
            parameters.push(Parameter {
                name,
                value,
                line: first.number,
                lines: first.number..last.number + 1,
                value_range: value_start.min(value_end)..value_end,
                range: first.content.start..last.content.end,
            });
        }
        for (index, parameter) in parameters.iter().enumerate() {
            if let Some(earlier) = parameters[..index].iter().rev().find(|p| p.name == parameter.name) {
                diagnostics.push(Diagnostic::new(
                    parameter.line,
                    DiagnosticCode::SetAgain,
                    format!("`{}` is set again (before at line {}); this later one wins", parameter.name, earlier.line),
                ));
            }
        }
        diagnostics.sort_by_key(|d| d.line);
        MainCf { text: text.to_vec(), parameters, diagnostics }
    }

    /// The file's bytes: exactly the input of [`MainCf::parse`].
    pub fn render(&self) -> &[u8] {
        &self.text
    }

    /// The parameter in force: the last line that sets `name`.
    pub fn get(&self, name: &str) -> Option<&Parameter> {
        self.parameters.iter().rev().find(|p| p.name == name)
    }
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| !is_space(b)).unwrap_or(bytes.len());
    &bytes[start..trim_end_len(bytes).max(start)]
}

/// The length of `bytes` without trailing whitespace.
fn trim_end_len(bytes: &[u8]) -> usize {
    bytes.iter().rposition(|&b| !is_space(b)).map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expect: &str) {
        let doc = MainCf::parse(text.as_bytes());
        assert_eq!(doc.render(), text.as_bytes());
        let mut out: Vec<String> = doc
            .parameters
            .iter()
            .map(|p| format!("{}={:?}@{} [{}]", p.name, p.value, p.line, &text[p.value_range.clone()]))
            .collect();
        out.extend(doc.diagnostics.iter().map(|d| format!("!{}:{:?}", d.line, d.severity)));
        assert_eq!(out.join("\n"), expect.trim());
    }

    #[test]
    fn parameters() {
        check("a = 1\n", r#"a="1"@1 [1]"#);
        check("a=1", r#"a="1"@1 [1]"#);
        check("  # c\na =   x y  \n", r#"a="x y"@2 [x y]"#);
        check("a = $b\n", r#"a="$b"@1 [$b]"#);
        check("a = x # not a comment\n", r##"a="x # not a comment"@1 [x # not a comment]"##);
        check("a =\n", r#"a=""@1 []"#);
        check("a = 1\na = 2\n", "a=\"1\"@1 [1]\na=\"2\"@2 [2]\n!2:Info");
    }

    #[test]
    fn continuation_lines() {
        check("a = x\n  y\n# c\n\n   z\nb = 2\n", "a=\"x y z\"@1 [x\n  y\n# c\n\n   z]\nb=\"2\"@6 [2]");
        check("a =\n  x\n", "a=\"x\"@1 [x]");
        check("relayhost =   \n content_filter = q\n", "relayhost=\"content_filter = q\"@1 [content_filter = q]");
        check("a = 1\r\n  2\r\n", "a=\"1 2\"@1 [1\r\n  2]\n!1:Warning");
    }

    #[test]
    fn broken_lines() {
        check("no equals here\nb = 1\n", "b=\"1\"@2\n!1:Error".replace("@2", "@2 [1]").as_str());
        check("= 1\n", "!1:Error");
        check("  lead = 1\n", "!1:Warning");
        check("", "!0:Info");
    }
}
