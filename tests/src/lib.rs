//! Helpers for amavis-tune's integration tests: run the real binary as a process.

pub mod browser;
pub mod lab;
pub mod lab_logs;
pub mod needs;

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The workspace root (this crate lives in `tests/`).
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new("."))
}

/// The path of the `amavis-tune` binary, built once per test process with the same cargo and
/// profile that built the tests, so it is never stale.
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "amavis-tune-cli", "--bin", "amavis-tune"])
            .current_dir(workspace_root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building amavis-tune failed");
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
        target.join("debug").join(format!("amavis-tune{}", std::env::consts::EXE_SUFFIX))
    })
}

/// A fluent builder for one run of `amavis-tune`.
#[derive(Debug)]
pub struct Run {
    command: Command,
    deadline: Duration,
}

/// What a run of `amavis-tune` did.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Wall time from start to exit.
    pub elapsed: Duration,
}

/// How long any run may take before the test fails (and the process is killed).
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);

/// 2026-11-29T00:00:00Z: the date every test run of amavis-tune writes into its headers.
pub const SOURCE_DATE_EPOCH: &str = "1795910400";

impl Run {
    pub fn new<I, S>(args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new(binary());
        command.args(args);
        Run::wrapping(command)
    }

    /// Runs amavis-tune with at most `mib` MiB of address space (`ulimit -v`): an allocation
    /// beyond it fails, and the process aborts, which the test sees.
    pub fn with_memory_limit<I, S>(mib: u64, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new("sh");
        command.arg("-c").arg(format!("ulimit -v {} && exec \"$0\" \"$@\"", mib * 1024)).arg(binary()).args(args);
        Run::wrapping(command)
    }

    fn wrapping(mut command: Command) -> Run {
        // The date in snippet headers is fixed (2026-11-29), so outputs compare across days; the
        // base URL is the default whatever the environment says.
        command
            .stdin(Stdio::null())
            .env_remove("RUST_BACKTRACE")
            .env_remove("AMAVIS_TUNE_BASE_URL")
            .env("NO_COLOR", "1")
            .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH);
        Run { command, deadline: DEFAULT_DEADLINE }
    }

    /// Fails the test (killing the process) when the run takes longer than `deadline`.
    pub fn deadline(mut self, deadline: Duration) -> Run {
        self.deadline = deadline;
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Run {
        self.command.env(key, value);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Run {
        self.command.current_dir(dir);
        self
    }

    /// Adds one more argument (a path, say).
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Run {
        self.command.arg(arg);
        self
    }

    /// Adds one more argument (a path, say) and runs.
    pub fn run_with_arg(mut self, arg: impl AsRef<OsStr>) -> Outcome {
        self.command.arg(arg);
        self.run()
    }

    /// Runs to completion, or panics when the deadline passes (the process is killed first).
    pub fn run(self) -> Outcome {
        self.run_with_stdout(Stdio::piped())
    }

    /// Runs with stdout a pipe whose reading end is closed before the program starts (as in
    /// `amavis-tune plan | head` once `head` has gone): its first write to stdout fails with
    /// EPIPE, every time. `stdout` of the outcome is empty.
    pub fn run_into_closed_pipe(self) -> Outcome {
        let (reader, writer) = std::io::pipe().expect("creates a pipe");
        drop(reader);
        self.run_with_stdout(Stdio::from(writer))
    }

    fn run_with_stdout(mut self, stdout: Stdio) -> Outcome {
        let started = Instant::now();
        let mut child = self.command.stdout(stdout).stderr(Stdio::piped()).spawn().expect("amavis-tune starts");
        // The parent's copy of the write end (a closed pipe's) must not outlive the spawn.
        self.command.stdout(Stdio::null());
        let drain = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                bytes
            })
        };
        let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
        let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
        let status = loop {
            if let Some(status) = child.try_wait().expect("waits") {
                break status;
            }
            if started.elapsed() > self.deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{:?} ran past its {:?} deadline and was killed", self.command, self.deadline);
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let elapsed = started.elapsed();
        let text = |handle: std::thread::JoinHandle<Vec<u8>>| {
            String::from_utf8_lossy(&handle.join().expect("the reader thread ends")).into_owned()
        };
        Outcome { code: status.code().unwrap_or(-1), stdout: text(stdout), stderr: text(stderr), elapsed }
    }
}

/// Runs `amavis-tune` with `args` (split on whitespace) and returns what it did.
pub fn amavis_tune(args: &str) -> Outcome {
    Run::new(args.split_whitespace()).run()
}

/// Whether this run is CI's (`CI=true` or `CI=1`), where no test may skip.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| v == "true" || v == "1")
}

/// The fixture trees: one directory per server layout under `tests/fixtures/trees`.
pub fn fixture_trees() -> Vec<PathBuf> {
    let dir = workspace_root().join("tests/fixtures/trees");
    let mut trees: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture trees exist")
        .map(|entry| entry.expect("readable").path())
        .filter(|path| path.is_dir())
        .collect();
    trees.sort();
    trees
}

/// Writes a file for a real program to read, dated a minute back: Postfix waits about two seconds
/// before reading a configuration file modified within the last second or so, to let a writer
/// finish, which would make thousands of generated cases take hours.
pub fn write_aged(path: &Path, contents: impl AsRef<[u8]>) {
    std::fs::write(path, contents).expect("writes the test file");
    let file = std::fs::File::options().write(true).open(path).expect("opens the test file");
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    file.set_modified(past).expect("sets the modification time");
}

/// Copies a directory tree (files, directories and symlinks) to `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creates the copy");
    for entry in std::fs::read_dir(from).expect("lists the tree") {
        let entry = entry.expect("reads the entry");
        let target = to.join(entry.file_name());
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path()).expect("reads the link"), &target)
                .expect("links");
        } else {
            std::fs::copy(entry.path(), &target).expect("copies");
        }
    }
}

/// Every file under `dir`, with its bytes, for before/after comparisons.
pub fn snapshot_tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).expect("lists") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(
                    path.strip_prefix(dir).expect("under dir").to_path_buf(),
                    std::fs::read(&path).unwrap_or_default(),
                );
            }
        }
    }
    files
}

/// What amavisd's loader says `$max_servers` is after reading `files`.
pub fn amavisd_reads(amavisd: &Path, files: &[PathBuf], scratch: &Path) -> Result<u32, String> {
    amavisd_loads(amavisd, files, scratch, None).map(|read| read.max_servers)
}

/// What amavisd's own loader ends up with after reading a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmavisdReading {
    pub max_servers: u32,
    /// `$inet_socket_port`: the ports amavisd listens on.
    pub ports: Vec<u16>,
}

/// amavisd's loader on a whole server tree: the files it reads by itself (`amavisd_files_of`),
/// with the tree's `etc` laid over `/etc` in a private mount namespace (`unshare -m` and an
/// overlay mount), so that the files they include by absolute path (`include_config_files`,
/// `require`, ...) are the tree's, as on the server; likewise the tree's `opt` and `var` over
/// `/opt` and `/var` when it has them (a panel's custom files, the DKIM keys amavisd opens while
/// loading its configuration). Needs `Need::MountNamespace`.
pub fn amavisd_reads_tree(amavisd: &Path, tree: &Path, scratch: &Path) -> Result<AmavisdReading, String> {
    amavisd_loads(amavisd, &amavisd_files_of(tree), scratch, Some(tree))
}

fn amavisd_loads(
    amavisd: &Path,
    files: &[PathBuf],
    scratch: &Path,
    tree: Option<&Path>,
) -> Result<AmavisdReading, String> {
    let printer = scratch.join("zz-print-max-servers.conf");
    write_aged(
        &printer,
        // amavisd 2.11+: a non-empty @listen_sockets replaces $inet_socket_port (its TCP ports
        // are the entries ending in a port number; unix sockets end in a path).
        "print STDERR \"max_servers=$max_servers\\n\";\nprint STDERR \"inet_socket_port=\", join(',', @listen_sockets ? (map { /(?:^|:)(\\d+)$/ ? $1 : () } @listen_sockets) : ref $inet_socket_port ? @$inet_socket_port : ($inet_socket_port)), \"\\n\";\n1;\n",
    );
    let mut command = match tree.filter(|tree| tree.join("etc").is_dir()) {
        Some(tree) => {
            let mut command = std::process::Command::new("unshare");
            command
                .args(["--mount", "--propagation", "private", "sh", "-c"])
                .arg(concat!(
                    "mount -t overlay overlay -o \"lowerdir=$1/etc:/etc\" /etc && ",
                    "for d in opt var; do [ ! -d \"$1/$d\" ] || mount -t overlay overlay -o \"lowerdir=$1/$d:/$d\" /$d || exit; done && ",
                    "shift && exec \"$@\""
                ))
                .arg("sh")
                .arg(tree)
                .arg(amavisd);
            command
        }
        None => std::process::Command::new(amavisd),
    };
    command.env("AMAVIS_TEST_CONFIG", "1");
    for file in files.iter().chain([&printer]) {
        command.arg("-c").arg(file);
    }
    let output = command.output().map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("amavisd failed ({}): {stderr}", output.status));
    }
    let max_servers = stderr
        .lines()
        .find_map(|line| line.strip_prefix("max_servers="))
        .and_then(|value| value.trim().parse().ok())
        .ok_or_else(|| format!("amavisd printed no value: {stderr}"))?;
    let ports = stderr
        .lines()
        .find_map(|line| line.strip_prefix("inet_socket_port="))
        .map(|value| value.split(',').filter_map(|p| p.trim().parse().ok()).collect())
        .unwrap_or_default();
    Ok(AmavisdReading { max_servers, ports })
}

/// The files amavisd reads in a tree, listed by the real `run-parts` on Debian-family layouts.
pub fn amavisd_files_of(tree: &Path) -> Vec<PathBuf> {
    let debian = tree.join("etc/amavis/conf.d");
    if !debian.is_dir() {
        // The one file amavisd is started with: the first of the known places that exists.
        return [
            "etc/amavisd/amavisd.conf",
            "usr/local/etc/amavisd.conf",
            "etc/amavisd.conf",
            "opt/zimbra/conf/amavisd.conf",
            "opt/zextras/conf/amavisd.conf",
        ]
        .iter()
        .map(|f| tree.join(f))
        .filter(|f| f.is_file())
        .take(1)
        .collect();
    }
    let mut files = Vec::new();
    for dir in ["usr/share/amavis/conf.d", "etc/amavis/conf.d"] {
        let output = std::process::Command::new(needs::Need::RunParts.path())
            .arg("--list")
            .arg(tree.join(dir))
            .output()
            .expect("run-parts runs");
        files.extend(String::from_utf8_lossy(&output.stdout).lines().map(PathBuf::from));
    }
    files
}
