//! Running a program for at most a given time, its output read while it runs.

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// What a program printed, and how it ended.
pub(crate) struct Finished {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `command` (stdin from /dev/null, in its own process group, so that a Ctrl-C at the
/// terminal ends amavis-tune and not the program) for at most `deadline`; past it, the program
/// is killed. Its output is read on threads, so a full pipe cannot stall it while the deadline
/// runs (at most 4 MiB of stdout and 64 KiB of stderr are kept). The error says why it did not
/// finish.
pub(crate) fn run(mut command: Command, deadline: Duration) -> Result<Finished, String> {
    let started = Instant::now();
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child = command.spawn().map_err(|e| format!("{program} cannot be run: {e}"))?;
    let reader = |pipe: Option<Box<dyn Read + Send>>, limit: u64| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(pipe) = pipe {
                let _ = pipe.take(limit).read_to_string(&mut text);
            }
            text
        })
    };
    let out = reader(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>), 4 * 1024 * 1024);
    let err = reader(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>), 64 * 1024);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    match status {
        Some(status) => Ok(Finished { status, stdout, stderr }),
        None => Err(format!("{program} did not answer within {} s", deadline.as_secs())),
    }
}
