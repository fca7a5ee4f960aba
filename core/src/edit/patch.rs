//! Text edits that change exactly the bytes carrying the number and nothing else.
//!
//! Each function takes a parsed document and returns the new file's bytes; applying one twice
//! gives the same bytes as applying it once.

use std::ops::Range;

use crate::config::amavis_conf::{AmavisConf, AssignedValue};
use crate::config::main_cf::MainCf;
use crate::config::master_cf::MasterCf;

/// The line end a file uses (CRLF if its first line end is CRLF), for lines we add.
fn line_end(text: &[u8]) -> &'static [u8] {
    match text.iter().position(|&b| b == b'\n') {
        Some(i) if i > 0 && text[i - 1] == b'\r' => b"\r\n",
        _ => b"\n",
    }
}

/// Replaces `range` with `new`, keeping the column after it aligned where spaces allow: a longer
/// value eats into the spaces that follow (leaving at least one), a shorter one adds spaces when
/// the file lines up its columns (more than one space follows).
pub fn replace_aligned(text: &[u8], range: Range<usize>, new: &[u8]) -> Vec<u8> {
    let old_len = range.end - range.start;
    let spaces = text[range.end..].iter().take_while(|&&b| b == b' ').count();
    let followed_by_text = text.get(range.end + spaces).is_some_and(|&b| !matches!(b, b'\n' | b'\r' | b'\t'));
    let mut out = Vec::with_capacity(text.len() + new.len());
    out.extend_from_slice(&text[..range.start]);
    out.extend_from_slice(new);
    let mut rest_start = range.end;
    if spaces > 0 && followed_by_text {
        if new.len() > old_len {
            rest_start += (new.len() - old_len).min(spaces - 1);
        } else if spaces > 1 {
            // Padding only where the file lines up columns; a single space stays single.
            out.extend(std::iter::repeat_n(b' ', old_len - new.len()));
        }
    }
    out.extend_from_slice(&text[rest_start..]);
    out
}

/// Sets the maxproc field of the entry at `entry_index`.
pub fn set_maxproc(doc: &MasterCf, entry_index: usize, value: u32) -> Vec<u8> {
    let field = doc.entries[entry_index].maxproc();
    let text = doc.render();
    let mut new = value.to_string();
    // A `{...}` field can touch the next one; a number must not merge with it.
    if text.get(field.range.end).is_some_and(|&b| !crate::config::lines::is_space(b)) {
        new.push(' ');
    }
    // A field that starts its physical line (possible only when the line begins with a vertical
    // tab or form feed, which continue a logical line but are not field separators) must keep
    // the line a continuation: the number goes after a space (found by fuzzing).
    if field.range.start > 0 && text[field.range.start - 1] == b'\n' {
        new.insert(0, ' ');
    }
    replace_aligned(text, field.range.clone(), new.as_bytes())
}

/// Sets `name = value` in main.cf: the value of the line in force (the last one) is replaced, or,
/// when no line sets it, `name = value` is added at the end. Never adds a second copy.
pub fn set_parameter(doc: &MainCf, name: &str, value: &str) -> Vec<u8> {
    let text = doc.render();
    if let Some(parameter) = doc.get(name) {
        let mut out = text[..parameter.value_range.start].to_vec();
        if parameter.value_range.is_empty() && text.get(parameter.value_range.start - 1) == Some(&b'=') {
            // `name =` with nothing after it: keep the usual space after `=`.
            out.push(b' ');
        }
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(&text[parameter.value_range.end..]);
        return out;
    }
    let mut out = text.to_vec();
    let eol = line_end(text);
    if !out.is_empty() && out.last() != Some(&b'\n') {
        out.extend_from_slice(eol);
    }
    out.extend_from_slice(format!("{name} = {value}").as_bytes());
    out.extend_from_slice(eol);
    out
}

/// Why a `$max_servers` edit was refused; each message says what to do by hand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(
        "line {line}: $max_servers is set inside a block, which a static edit cannot change safely; move it to the top level of the file"
    )]
    InBlock { line: usize },
    #[error(
        "line {line}: $max_servers is set by `{expression}`, which a static edit cannot change safely; replace it by hand with `$max_servers = {value};`"
    )]
    Expression { line: usize, expression: String, value: u32 },
    #[error(
        "there is no place in this file where a new `$max_servers` line would surely take effect (an unclosed block, string or here-document?); add it by hand"
    )]
    NoSafePlace,
}

/// Sets `$max_servers` in one amavisd file: its last assignment's number is replaced, or a new
/// `$max_servers = N;` line goes above the final `1;` (or at the end when there is none).
/// An assignment that is not a plain number, or sits inside a block, is refused.
pub fn set_max_servers(doc: &AmavisConf, value: u32) -> Result<Vec<u8>, Refused> {
    let text = doc.render();
    if let Some(last) = doc.last() {
        return match (&last.value, last.in_block) {
            (AssignedValue::Number { range, .. }, false) => {
                Ok(replace_aligned(text, range.clone(), value.to_string().as_bytes()))
            }
            (AssignedValue::Number { .. }, true) => Err(Refused::InBlock { line: last.line }),
            (AssignedValue::Expression { text }, _) => {
                Err(Refused::Expression { line: last.line, expression: text.clone(), value })
            }
        };
    }
    let eol = line_end(text);
    let line = [format!("$max_servers = {value};").as_bytes(), eol].concat();
    let out = insert_line(doc, text, &line, eol);
    // The new line must be code at the top level: not swallowed by an unclosed string, comment,
    // here-document or block, and not changing how the rest of the file reads.
    let reparsed = AmavisConf::parse(&out);
    match reparsed.last() {
        Some(assignment) if assignment.number() == Some(value) && reparsed.assignments.len() == 1 => Ok(out),
        _ => Err(Refused::NoSafePlace),
    }
}

/// The comment Debian's `50-user` (and files derived from it, such as ISPConfig's) ends with:
/// nothing is meant to go below it.
const DO_NOT_MODIFY_MARKER: &[u8] = b"Do not modify anything below this line";

/// Where a new line goes for the final `1;` at `offset`: above the "Do not modify anything below
/// this line" comment when one stands between the last statement and that `1;`.
fn above_marker(text: &[u8], offset: usize) -> usize {
    let before = &text[..offset];
    let Some(at) = before.windows(DO_NOT_MODIFY_MARKER.len()).rposition(|w| w == DO_NOT_MODIFY_MARKER) else {
        return offset;
    };
    let line_start = before[..at].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    // Only comment or blank lines may stand between the marker and the `1;`.
    let between_is_comments = before[line_start..].split(|&b| b == b'\n').all(|line| {
        let line = line.trim_ascii();
        line.is_empty() || line.starts_with(b"#")
    });
    if between_is_comments && before[line_start..].trim_ascii_start().starts_with(b"#") { line_start } else { offset }
}

fn insert_line(doc: &AmavisConf, text: &[u8], line: &[u8], eol: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + line.len() + 2);
    match doc.final_true.map(|offset| above_marker(text, offset)) {
        Some(offset) => {
            out.extend_from_slice(&text[..offset]);
            out.extend_from_slice(line);
            out.extend_from_slice(&text[offset..]);
        }
        None => {
            out.extend_from_slice(text);
            if !out.is_empty() && out.last() != Some(&b'\n') {
                out.extend_from_slice(eol);
            }
            out.extend_from_slice(line);
        }
    }
    out
}

#[cfg(test)]
mod tests;
