//! The mail logs to read: files (plain or `.gz`), standard input, or the journal; this server's
//! mail log and its rotations when none is named. Lines are read with a bound on their length,
//! so memory does not depend on what a file holds.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use amavis_tune_core::{Date, Micros, format_time};
use anyhow::Context;

use crate::output::Hinted;

/// Where the releases write the mail log: Debian and Ubuntu (rsyslog's default), then the RHEL
/// family, FreeBSD and OpenBSD (`/var/log/maillog`).
pub(crate) const MAIL_LOGS: [&str; 2] = ["/var/log/mail.log", "/var/log/maillog"];

/// A line longer than this is cut (the rest is skipped): no mail log line is this long, and the
/// bound keeps memory flat on any input.
pub(crate) const MAX_LINE_BYTES: usize = 64 * 1024;

/// One source of lines.
pub(crate) struct Source {
    pub(crate) name: String,
    pub(crate) reader: Box<dyn BufRead>,
    /// The day the source was last written: classic stamps take their year from it.
    pub(crate) reference: Date,
    /// The journalctl process, waited for when its output ends.
    pub(crate) child: Option<Child>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source").field("name", &self.name).field("reference", &self.reference).finish()
    }
}

/// Today (UTC), the reference for standard input and the journal.
pub(crate) fn today() -> Date {
    Date::of(crate::host::clock::now_micros())
}

fn modified(file: &File) -> Option<Date> {
    let modified = file.metadata().ok()?.modified().ok()?;
    let since = modified.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(Date::of(i64::try_from(since.as_micros()).ok()?))
}

/// Opens a named file (`-`: standard input); `.gz` files are decompressed as they are read. A
/// file found under a `--root` other than `/` must resolve inside it ([`open_under`]).
pub(crate) fn open_under(root: &Path, path: &Path, reference: Option<Date>) -> anyhow::Result<Source> {
    let path = crate::host::layout::confine(root, path)?;
    open(&path, reference)
}

/// Opens a named file (`-`: standard input); `.gz` files are decompressed as they are read.
pub(crate) fn open(path: &Path, reference: Option<Date>) -> anyhow::Result<Source> {
    let name = path.display().to_string();
    if path == Path::new("-") {
        return Ok(Source {
            name: "standard input".to_owned(),
            reader: Box::new(BufReader::with_capacity(256 * 1024, io::stdin())),
            reference: reference.unwrap_or_else(today),
            child: None,
        });
    }
    // A FIFO would block at open and a device never end: only regular files are read by name
    // (a stream comes in on standard input, `-`), checked before the open and again on the file
    // opened.
    let regular = |metadata: &std::fs::Metadata| -> anyhow::Result<()> {
        if metadata.is_dir() {
            anyhow::bail!("cannot read the log {name}: it is a directory, not a file");
        }
        if !metadata.is_file() {
            return Err(anyhow::Error::new(Hinted {
                message: format!("cannot read the log {name}: it is not a regular file (a FIFO, socket or device)"),
                hint: "pipe a stream in on standard input instead: `... | amavis-tune logs -`".to_owned(),
            }));
        }
        Ok(())
    };
    regular(&std::fs::metadata(path).with_context(|| format!("cannot read the log {name}"))?)?;
    let file = File::open(path).with_context(|| format!("cannot read the log {name}"))?;
    regular(&file.metadata().with_context(|| format!("cannot read the log {name}"))?)?;
    let reference = reference.or_else(|| modified(&file)).unwrap_or_else(today);
    let reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(BufReader::with_capacity(256 * 1024, flate2::read::MultiGzDecoder::new(BufReader::new(file))))
    } else {
        Box::new(BufReader::with_capacity(256 * 1024, file))
    };
    Ok(Source { name, reader, reference, child: None })
}

/// This server's mail log and its rotations (`mail.log.1`, `mail.log.2.gz`, `maillog-20261201`,
/// ...), oldest first, under `root` (`/` for this machine); empty when there is none.
pub(crate) fn default_files(root: &Path) -> Vec<PathBuf> {
    for log in MAIL_LOGS {
        let path = root.join(log.trim_start_matches('/'));
        // Resolved with the root as `/`: a symlink in the tree names the tree's file.
        let Ok(path) = crate::host::layout::confine(root, &path) else { continue };
        let path = path.as_path();
        if !path.is_file() {
            continue;
        }
        let (Some(dir), Some(base)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else { continue };
        let mut rotations: Vec<(u64, PathBuf)> = Vec::new();
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                let Some(rest) = name.strip_prefix(base) else { continue };
                let rest = rest.strip_suffix(".gz").unwrap_or(rest);
                // `.1` (older with a higher number) or `-20261201` (older with a lower date).
                let order = if let Some(number) = rest.strip_prefix('.').and_then(|n| n.parse::<u64>().ok()) {
                    u64::MAX / 2 - number
                } else if let Some(date) = rest.strip_prefix('-').and_then(|d| d.parse::<u64>().ok()) {
                    date
                } else {
                    continue;
                };
                rotations.push((order, entry.path()));
            }
        }
        rotations.sort();
        let mut files: Vec<PathBuf> = rotations.into_iter().map(|(_, path)| path).collect();
        files.push(path.to_path_buf());
        return files;
    }
    Vec::new()
}

/// The journal's mail facility (Debian 12 installs no syslog daemon: its mail log is the
/// journal), as `journalctl -o json`.
/// How the journal is named among the logs read.
pub(crate) const JOURNAL_NAME: &str = "the journal (journalctl)";

pub(crate) fn journal(since: Option<Micros>, until: Option<Micros>) -> anyhow::Result<Source> {
    let mut command = Command::new("journalctl");
    command.args(["--no-pager", "--quiet", "-o", "json", "SYSLOG_FACILITY=2"]);
    // journalctl takes local times; a UTC time with its offset is one it reads too.
    let stamp = |t: Micros| format_time(t).replace('T', " ").replace('Z', " UTC");
    if let Some(since) = since {
        command.arg(format!("--since={}", stamp(since)));
    }
    if let Some(until) = until {
        command.arg(format!("--until={}", stamp(until)));
    }
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().map_err(|error| {
        anyhow::Error::new(Hinted {
            message: format!(
                "no mail log found: none of {} exists, and journalctl cannot run ({error})",
                MAIL_LOGS.join(", ")
            ),
            hint: "name the log files, e.g. `amavis-tune logs /var/log/mail.log`, or pipe one in with `-`".to_owned(),
        })
    })?;
    let stdout = child.stdout.take().context("journalctl gave no output")?;
    Ok(Source {
        name: JOURNAL_NAME.to_owned(),
        reader: Box::new(BufReader::with_capacity(256 * 1024, stdout)),
        reference: today(),
        child: Some(child),
    })
}

/// Reads the next line into `line` (without its end), cutting it at [`MAX_LINE_BYTES`].
/// `Ok(false)` at the end of the source.
pub(crate) fn next_line(reader: &mut dyn BufRead, line: &mut Vec<u8>) -> io::Result<bool> {
    line.clear();
    let mut any = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok(any);
        }
        any = true;
        let (chunk, used, done) = match memchr::memchr(b'\n', available) {
            Some(at) => (&available[..at], at + 1, true),
            None => (available, available.len(), false),
        };
        let room = MAX_LINE_BYTES.saturating_sub(line.len());
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        reader.consume(used);
        if done {
            return Ok(true);
        }
    }
}
