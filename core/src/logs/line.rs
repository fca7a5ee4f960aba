//! One log line: its time, host, program, pid and message, whatever the format that wrote it.

use std::borrow::Cow;

use crate::logs::time::{ClassicStamps, Clock, MICROS_PER_SECOND, Micros, UtcOffset, parse_classic, parse_iso};

/// A line split into the fields every syslog-like format has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine<'a> {
    /// On the clock [`LineFormat::clock`] names: UTC, or the server's for a classic stamp read
    /// without its offset.
    pub time: Micros,
    pub host: Cow<'a, [u8]>,
    /// `postfix/smtp-amavis/smtp`, `amavis`; a path (`/usr/sbin/amavisd`, as amavisd's own
    /// `$LOGFILE` writes it) is cut to its last component.
    pub program: Cow<'a, [u8]>,
    pub pid: Option<u32>,
    pub message: Cow<'a, [u8]>,
}

/// Which way a line was written (for the counts a report shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LineFormat {
    /// `Dec  2 07:22:40 host prog[pid]: ...`: syslog, amavisd's `$LOGFILE`, Postfix's
    /// `maillog_file` (`Dec 02 ...`).
    Classic,
    /// `2023-03-14T00:08:35.940347+01:00 host ...` (rsyslog) or `journalctl -o short-iso`.
    Iso,
    /// `journalctl -o json`.
    JournalJson,
}

impl LineFormat {
    /// The clock a line's time is on, `utc_offset` being the server's when it is known.
    pub fn clock(self, utc_offset: Option<UtcOffset>) -> Clock {
        match (self, utc_offset) {
            (LineFormat::Classic, None) => Clock::ServerLocal,
            _ => Clock::Utc,
        }
    }
}

/// Splits `line` (without its line end). `None` for anything that is not a log line in one of
/// the formats: such lines are counted and skipped, never an error. `stamps` supplies what a
/// classic stamp leaves out.
pub fn parse_line(line: &[u8], stamps: ClassicStamps) -> Option<(LogLine<'_>, LineFormat)> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match line.first()? {
        b'{' => journal_json(line).map(|l| (l, LineFormat::JournalJson)),
        b'0'..=b'9' => {
            let (time, at) = parse_iso(line)?;
            header(line, at, time).map(|l| (l, LineFormat::Iso))
        }
        _ => {
            let (time, at) = parse_classic(line, stamps)?;
            header(line, at, time).map(|l| (l, LineFormat::Classic))
        }
    }
}

/// ` host program[pid]: message` after a stamp that ended at `at`.
fn header(line: &[u8], at: usize, time: Micros) -> Option<LogLine<'_>> {
    let rest = line.get(at..)?.strip_prefix(b" ")?;
    let rest = trim_start(rest);
    let host_end = memchr::memchr(b' ', rest)?;
    let host = &rest[..host_end];
    let rest = &rest[host_end + 1..];
    // The program ends at `[` (a pid follows) or `:`; it may not contain spaces.
    let end = rest.iter().position(|&b| b == b'[' || b == b':' || b == b' ')?;
    let program = &rest[..end];
    if program.is_empty() {
        return None;
    }
    let (pid, rest) = match rest[end] {
        b'[' => {
            let close = memchr::memchr(b']', &rest[end..])? + end;
            let pid = std::str::from_utf8(&rest[end + 1..close]).ok()?.parse().ok()?;
            (Some(pid), rest.get(close + 1..)?)
        }
        b':' => (None, &rest[end..]),
        _ => return None,
    };
    let message = rest.strip_prefix(b":")?;
    let message = message.strip_prefix(b" ").unwrap_or(message);
    Some(LogLine {
        time,
        host: Cow::Borrowed(host),
        program: Cow::Borrowed(program_name(program)),
        pid,
        message: Cow::Borrowed(message),
    })
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != b' ').unwrap_or(bytes.len());
    &bytes[start..]
}

/// `/usr/sbin/amavisd` -> `amavisd`; `postfix/smtp` stays as it is.
fn program_name(program: &[u8]) -> &[u8] {
    if program.first() == Some(&b'/') {
        let start = memchr::memrchr(b'/', program).map_or(0, |i| i + 1);
        &program[start..]
    } else {
        program
    }
}

/// One `journalctl -o json` entry. `MESSAGE` is a string, or an array of bytes when it is not
/// valid UTF-8 (systemd.journal-fields(7), "JSON").
fn journal_json(line: &[u8]) -> Option<LogLine<'static>> {
    let value: serde_json::Value = serde_json::from_slice(line).ok()?;
    let object = value.as_object()?;
    let text = |key: &str| object.get(key).and_then(serde_json::Value::as_str);
    let time: Micros = text("__REALTIME_TIMESTAMP")?.parse().ok()?;
    // A time far past any calendar (year 146,000) is not a journal entry; keeping it out keeps
    // the analysis's arithmetic on times from overflowing.
    if time.unsigned_abs() > 4_600_000_000_000 * MICROS_PER_SECOND as u64 {
        return None;
    }
    let message = match object.get("MESSAGE")? {
        serde_json::Value::String(text) => text.as_bytes().to_vec(),
        serde_json::Value::Array(bytes) => {
            bytes.iter().map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok())).collect::<Option<Vec<u8>>>()?
        }
        _ => return None,
    };
    let program = text("SYSLOG_IDENTIFIER").or_else(|| text("_COMM"))?;
    let pid = text("SYSLOG_PID").or_else(|| text("_PID")).and_then(|p| p.parse().ok());
    Some(LogLine {
        time,
        host: Cow::Owned(text("_HOSTNAME").unwrap_or("").as_bytes().to_vec()),
        program: Cow::Owned(program_name(program.as_bytes()).to_vec()),
        pid,
        message: Cow::Owned(message),
    })
}
