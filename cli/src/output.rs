//! How the binary writes: to stdout through [`UntilClosed`], and errors as `error: ...`, then
//! `hint: ...` where one helps.

use std::fmt;
use std::io::{self, Write};

/// Standard output as the commands write it: the reader may go (`amavis-tune apply | head`).
pub(crate) type Stdout = UntilClosed<io::StdoutLock<'static>>;

/// A writer whose reader may go away: the first write or flush that fails with a broken pipe
/// ends the output, and it and every later one are discarded and reported as done. A closed pipe
/// may end the output, never the work: a command goes on writing files and running steps, and
/// its exit code is the one the work earned. Every other error is returned as it is.
#[derive(Debug)]
pub(crate) struct UntilClosed<W> {
    inner: W,
    reader_gone: bool,
}

impl<W: Write> UntilClosed<W> {
    pub(crate) fn new(inner: W) -> UntilClosed<W> {
        UntilClosed { inner, reader_gone: false }
    }

    /// Whether a write has found the reader gone, so that nothing written now is read.
    pub(crate) fn reader_gone(&self) -> bool {
        self.reader_gone
    }

    fn absorb<T>(&mut self, result: io::Result<T>, done: T) -> io::Result<T> {
        match result {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                self.reader_gone = true;
                Ok(done)
            }
            other => other,
        }
    }
}

impl<W: Write> Write for UntilClosed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.reader_gone {
            return Ok(buf.len());
        }
        let result = self.inner.write(buf);
        self.absorb(result, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.reader_gone {
            return Ok(());
        }
        let result = self.inner.flush();
        self.absorb(result, ())
    }
}

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
pub(crate) fn write_json_error(out: &mut dyn Write, error: &anyhow::Error) -> io::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes `accepted` bytes, then fails every call with `kind`.
    struct Reader {
        written: Vec<u8>,
        accepted: usize,
        kind: io::ErrorKind,
    }

    impl Write for Reader {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let room = self.accepted - self.written.len();
            if room == 0 {
                return Err(self.kind.into());
            }
            let n = room.min(buf.len());
            self.written.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            if self.written.len() == self.accepted { Err(self.kind.into()) } else { Ok(()) }
        }
    }

    #[test]
    fn a_broken_pipe_ends_the_output_quietly() {
        let mut out = UntilClosed::new(Reader { written: Vec::new(), accepted: 5, kind: io::ErrorKind::BrokenPipe });
        writeln!(out, "one").unwrap();
        assert!(!out.reader_gone());
        writeln!(out, "two").unwrap();
        assert!(out.reader_gone());
        writeln!(out, "three").unwrap();
        out.flush().unwrap();
        assert_eq!(out.inner.written, b"one\nt");
    }

    #[test]
    fn other_errors_are_returned() {
        let mut out = UntilClosed::new(Reader { written: Vec::new(), accepted: 2, kind: io::ErrorKind::StorageFull });
        let error = writeln!(out, "one").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
        assert!(!out.reader_gone());
    }
}
