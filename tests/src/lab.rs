//! The live lab: a private Postfix instance and a private amavisd, on loopback only, under load.
//!
//! A [`Lab`] lives in a temporary directory that holds everything it runs with: Postfix's
//! `main.cf` and `master.cf`, its queue and data directories, amavisd's one config file, its home,
//! a scanner script that sleeps a fixed time and reports clean (so every message costs a known
//! scan time), and the log files. Mail flows
//!
//! ```text
//! smtp-source -> smtpd (in) -> smtp-amavis -> amavisd -> smtpd (re-injection) -> smtp -> smtp-sink
//! ```
//!
//! with every port chosen free at run time, so two labs can run at once. Nothing of the machine's
//! own Postfix or amavisd (`/etc/postfix`, `/etc/amavis`) is read, written or started, and there
//! is no systemd and no syslog daemon: Postfix logs with `maillog_file` through its `postlog`
//! service, amavisd to its `$LOGFILE`. Every daemon is stopped by its pid, also when a test
//! panics (`Drop`), and the lab waits until each has gone. It needs root (Postfix's master and
//! amavisd drop privileges to their own users).

use std::fmt::Write as _;
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::needs::Need;

pub mod replay;
pub mod scenario;

/// How Postfix caps its connections to amavisd.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PostfixLimit {
    /// The `maxproc` column of the `smtp-amavis` entry in master.cf.
    Maxproc(u32),
    /// `smtp-amavis_destination_concurrency_limit` in main.cf, master.cf's column left at `-`.
    DestinationConcurrencyLimit(u32),
}

impl PostfixLimit {
    /// The number of parallel deliveries to amavisd it allows.
    pub fn value(self) -> u32 {
        match self {
            PostfixLimit::Maxproc(n) | PostfixLimit::DestinationConcurrencyLimit(n) => n,
        }
    }
}

/// Whom amavisd's `@inet_acl` lets in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AmavisAcl {
    /// 127.0.0.1, as a real content filter's.
    Loopback,
    /// Only 192.0.2.1 (a documentation address): Postfix's connections from 127.0.0.1 are denied,
    /// and amavisd logs `(!)DENIED ACCESS`.
    DenyLoopback,
}

/// What a lab runs with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// amavisd's `$max_servers`.
    pub max_servers: u32,
    /// Postfix's side.
    pub postfix_limit: PostfixLimit,
    /// How long the scanner takes for each message.
    #[serde(rename = "scan_time_ms", serialize_with = "millis")]
    pub scan_time: Duration,
    /// `-o smtp_helo_timeout` on the `smtp-amavis` transport (Postfix's default is 300 s).
    #[serde(rename = "helo_timeout_s", serialize_with = "seconds")]
    pub helo_timeout: Duration,
    /// amavisd's `@inet_acl`.
    pub acl: AmavisAcl,
    /// amavisd's `$max_requests`: a child retires after that many messages (amavisd's default is
    /// 20).
    pub max_requests: u32,
    /// Whether amavisd runs SpamAssassin (Debian's package with its shipped rules, network tests
    /// off: `$sa_local_tests_only`), as a production amavisd does; off, spam checks are bypassed
    /// and a message costs only the scanner's sleep.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub spamassassin: bool,
    /// `smtp-amavis_initial_destination_concurrency` in main.cf; Postfix's default (5) when
    /// `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_concurrency: Option<u32>,
    /// amavisd's `$enable_db`: its `snmp.db` counters (`amavisd-agent` reads them) in the lab's
    /// `$db_home`; off, as amavisd's own default.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub enable_db: bool,
    /// Whether the scanner records when each scan starts and ends (`Lab::scan_record`). Off by
    /// default: the record costs each scan two more programs and two appends, and the replay's
    /// measurement at 2 children ran 13 s instead of about 8.5 s with it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub record_scans: bool,
}

impl Default for Settings {
    /// Matched at 2 (amavisd's default), 1 s scans, a 10 s greeting time-out.
    fn default() -> Settings {
        Settings {
            max_servers: 2,
            postfix_limit: PostfixLimit::Maxproc(2),
            scan_time: Duration::from_secs(1),
            helo_timeout: Duration::from_secs(10),
            acl: AmavisAcl::Loopback,
            max_requests: 20,
            spamassassin: false,
            initial_concurrency: None,
            enable_db: false,
            record_scans: false,
        }
    }
}

fn millis<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u128(duration.as_millis())
}

fn seconds<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(duration.as_secs_f64())
}

/// The load `smtp-source` offers in one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Load {
    /// Messages in all (`-m`).
    pub messages: u32,
    /// Parallel SMTP sessions (`-s`).
    pub sessions: u32,
    /// Seconds each session waits after a message (`-w`), which paces the load at about
    /// `sessions / wait` messages per second; `None` sends as fast as Postfix accepts.
    pub wait_s: Option<u32>,
}

/// What one run did, counted from the sink and from the logs the daemons wrote during it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Results {
    /// Messages Postfix's input smtpd accepted (its `client=` lines).
    pub injected: u32,
    /// Messages that reached the sink.
    pub delivered: u32,
    /// Distinct injected messages Postfix deferred at least once on the way to amavisd
    /// (`status=deferred` from the `smtp-amavis` transport or from `postfix/error`).
    pub deferred: u32,
    /// Deliveries to amavisd that ended with "timed out while receiving the initial server
    /// greeting".
    pub greeting_timeouts: u32,
    /// From the first message offered to the queue's emptying (or the drain deadline).
    #[serde(rename = "wall_time_s", serialize_with = "seconds")]
    pub wall_time: Duration,
    /// How long smtp-source took to offer the load.
    #[serde(rename = "injection_time_s", serialize_with = "seconds")]
    pub injection_time: Duration,
    /// Whether the queue emptied before the drain deadline.
    pub drained: bool,
    /// Per delivered message, seconds from arrival to the sink: Postfix's `delay=` of the
    /// delivery to amavisd plus that of the final delivery of the message amavisd passed back
    /// (linked by its `queued as`).
    #[serde(skip)]
    pub delivery_delays_s: Vec<f64>,
    /// The lines Postfix logged during the run.
    #[serde(skip)]
    pub postfix_log: String,
    /// The lines amavisd logged during the run.
    #[serde(skip)]
    pub amavisd_log: String,
}

impl Results {
    /// The waits for a child that Postfix logged for each delivery to amavisd: `b + c` of its
    /// `delays=a/b/c/d` (in the queue manager for a connection, then connecting and waiting for
    /// amavisd's greeting), in seconds.
    pub fn child_waits_s(&self) -> Vec<f64> {
        self.postfix_log
            .lines()
            .filter(|line| line.contains(" postfix/smtp-amavis/smtp[") && line.contains("status=sent"))
            .filter_map(|line| {
                let delays = field(line, " delays=")?;
                let parts: Vec<f64> = delays.split('/').filter_map(|d| d.parse().ok()).collect();
                (parts.len() == 4).then(|| parts[1] + parts[2])
            })
            .collect()
    }

    /// Offered messages per second, over the injection time.
    pub fn arrival_rate(&self) -> f64 {
        f64::from(self.injected) / self.injection_time.as_secs_f64().max(1e-3)
    }

    /// Delivered messages per second, over the wall time.
    pub fn throughput(&self) -> f64 {
        f64::from(self.delivered) / self.wall_time.as_secs_f64().max(1e-3)
    }

    /// The `q` quantile (0..=1) of the delivery delays, nearest rank; `None` without deliveries.
    pub fn delay_quantile(&self, q: f64) -> Option<f64> {
        let mut delays = self.delivery_delays_s.clone();
        if delays.is_empty() {
            return None;
        }
        delays.sort_by(f64::total_cmp);
        let rank = (q * delays.len() as f64).ceil().max(1.0) as usize;
        delays.get(rank.min(delays.len()) - 1).copied()
    }
}

/// The recipient domain: amavisd counts it as local (`RelayedInbound`); Postfix relays it to the
/// sink.
const RECIPIENT: &str = "user@sink.lab.example";
const SENDER: &str = "load@source.lab.example";
/// The name both daemons use (amavisd needs a fully qualified one to start).
const HOSTNAME: &str = "lab.example.org";

/// The four loopback ports of one lab.
#[derive(Clone, Copy, Debug)]
struct Ports {
    /// Postfix's input smtpd, where smtp-source offers the load.
    input: u16,
    /// amavisd's listener.
    amavisd: u16,
    /// Postfix's re-injection smtpd, where amavisd passes mail back.
    reinjection: u16,
    /// smtp-sink, the final destination.
    sink: u16,
}

/// Where a run starts: the logs' lengths, the sink's count and the time.
#[derive(Clone, Copy, Debug)]
struct Mark {
    postfix_offset: u64,
    amavisd_offset: u64,
    sink_before: u32,
    started: Instant,
}

/// A free port on 127.0.0.1, as the kernel hands one out for a bind to port 0.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds 127.0.0.1:0");
    listener.local_addr().expect("has an address").port()
}

/// A private Postfix and amavisd with a sink, in a temporary directory (see the module docs).
#[derive(Debug)]
pub struct Lab {
    dir: tempfile::TempDir,
    ports: Ports,
    settings: Settings,
    amavisd: Option<Child>,
    sink: Option<Child>,
    postfix_running: bool,
}

/// How long a daemon may take to start or stop before the lab gives up.
const DAEMON_DEADLINE: Duration = Duration::from_secs(60);

impl Lab {
    /// Writes the lab's files and starts Postfix, amavisd and the sink.
    pub fn start(settings: Settings) -> Lab {
        let dir = tempfile::Builder::new().prefix("amavis-tune-lab.").tempdir().expect("creates the lab directory");
        let mut ports = Ports { input: free_port(), amavisd: free_port(), reinjection: free_port(), sink: free_port() };
        // Four binds to port 0 in a row give four different ports, unless one was freed between.
        while [ports.amavisd, ports.reinjection, ports.sink].contains(&ports.input)
            || [ports.reinjection, ports.sink].contains(&ports.amavisd)
            || ports.reinjection == ports.sink
        {
            ports = Ports { input: free_port(), amavisd: free_port(), reinjection: free_port(), sink: free_port() };
        }
        let mut lab = Lab { dir, ports, settings, amavisd: None, sink: None, postfix_running: false };
        lab.write_files();
        lab.start_sink();
        lab.start_postfix();
        lab.start_amavisd();
        lab
    }

    /// The settings the lab's files were written with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The lab's directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Postfix's configuration directory (`postfix -c DIR`, `postconf -c DIR`, `MAIL_CONFIG`).
    pub fn config_dir(&self) -> PathBuf {
        self.dir().join("postfix")
    }

    pub fn main_cf(&self) -> PathBuf {
        self.config_dir().join("main.cf")
    }

    pub fn master_cf(&self) -> PathBuf {
        self.config_dir().join("master.cf")
    }

    /// amavisd's one config file (`amavisd -c FILE`).
    pub fn amavisd_conf(&self) -> PathBuf {
        self.dir().join("amavis/amavisd.conf")
    }

    /// amavisd's `$pid_file`.
    pub fn pid_file(&self) -> PathBuf {
        self.amavis_home().join("amavisd.pid")
    }

    /// Postfix's `maillog_file`.
    pub fn postfix_log(&self) -> PathBuf {
        self.dir().join("log/postfix.log")
    }

    /// amavisd's `$LOGFILE`.
    pub fn amavisd_log(&self) -> PathBuf {
        self.dir().join("log/amavisd.log")
    }

    /// The arguments that point `amavis-tune check`, `apply` and `restore` at the lab's files.
    pub fn config_args(&self) -> Vec<String> {
        let path = |p: PathBuf| p.to_string_lossy().into_owned();
        vec![
            "--master-cf".into(),
            path(self.master_cf()),
            "--main-cf".into(),
            path(self.main_cf()),
            "--amavis-conf".into(),
            path(self.amavisd_conf()),
        ]
    }

    /// The pid of amavisd's parent, while it runs.
    pub fn amavisd_pid(&self) -> Option<u32> {
        self.amavisd.as_ref().map(Child::id)
    }

    /// The pids of amavisd's children, as `/proc` lists them now.
    pub fn amavisd_children(&self) -> Vec<u32> {
        self.amavisd_pid().map(children_of).unwrap_or_default()
    }

    /// The environment a command run for the lab gets: `MAIL_CONFIG` (which `postfix` and
    /// `postconf` read instead of `/etc/postfix`), and the lab's paths as `LAB_*` variables.
    pub fn environment(&self) -> Vec<(String, String)> {
        let path = |p: PathBuf| p.to_string_lossy().into_owned();
        vec![
            ("MAIL_CONFIG".into(), path(self.config_dir())),
            ("LAB_DIR".into(), path(self.dir().to_path_buf())),
            ("LAB_POSTFIX_CONFIG".into(), path(self.config_dir())),
            ("LAB_MAIN_CF".into(), path(self.main_cf())),
            ("LAB_MASTER_CF".into(), path(self.master_cf())),
            ("LAB_AMAVISD_CONF".into(), path(self.amavisd_conf())),
            ("LAB_AMAVISD_PID_FILE".into(), path(self.pid_file())),
            ("LAB_AMAVISD_PID".into(), self.amavisd_pid().map(|p| p.to_string()).unwrap_or_default()),
            ("LAB_POSTFIX_LOG".into(), path(self.postfix_log())),
            ("LAB_AMAVISD_LOG".into(), path(self.amavisd_log())),
            ("PATH".into(), format!("{}:/usr/sbin:/sbin", std::env::var("PATH").unwrap_or_default())),
        ]
    }

    /// Runs `script` with `sh -c` in the lab's directory and environment (see
    /// [`Lab::environment`]).
    pub fn shell(&self, script: &str) -> Output {
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(self.dir())
            .envs(self.environment())
            .stdin(Stdio::null())
            .output()
            .expect("sh runs")
    }

    /// Runs `postfix -c DIR ARGS` (`reload`, `check`, ...) and returns what it did.
    pub fn postfix(&self, args: &[&str]) -> Output {
        Command::new(Need::Postfix.path())
            .arg("-c")
            .arg(self.config_dir())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("postfix runs")
    }

    /// `postfix -c DIR reload`, which must succeed.
    pub fn reload_postfix(&self) {
        let output = self.postfix(&["reload"]);
        assert!(output.status.success(), "postfix reload failed: {}", String::from_utf8_lossy(&output.stderr));
    }

    /// Stops amavisd and starts it again with its config file as it is now.
    pub fn restart_amavisd(&mut self) {
        self.stop_amavisd();
        self.start_amavisd();
    }

    /// Stops amavisd (its parent by pid, then waits for every child to go).
    pub fn stop_amavisd(&mut self) {
        let Some(mut parent) = self.amavisd.take() else { return };
        let pid = parent.id();
        let children = children_of(pid);
        signal(pid, "TERM");
        let started = Instant::now();
        loop {
            if parent.try_wait().ok().flatten().is_some() && children.iter().all(|child| !alive(*child)) {
                return;
            }
            if started.elapsed() > DAEMON_DEADLINE {
                for child in &children {
                    signal(*child, "KILL");
                }
                let _ = parent.kill();
                let _ = parent.wait();
                panic!("amavisd (pid {pid}) did not stop within {DAEMON_DEADLINE:?}; killed");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts amavisd in the foreground (as the lab's child) and waits until all its children
    /// are there.
    pub fn start_amavisd(&mut self) {
        assert!(self.amavisd.is_none(), "amavisd is already running");
        let output = std::fs::File::options()
            .create(true)
            .append(true)
            .open(self.dir().join("log/amavisd.out"))
            .expect("opens amavisd's output file");
        let child = Command::new(Need::Amavisd.path())
            .arg("-c")
            .arg(self.amavisd_conf())
            .arg("foreground")
            .current_dir(self.dir())
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("duplicates a file handle"))
            .stderr(output)
            .spawn()
            .expect("amavisd starts");
        let pid = child.id();
        self.amavisd = Some(child);
        let servers = read_max_servers(&self.amavisd_conf()).unwrap_or(self.settings.max_servers);
        let started = Instant::now();
        loop {
            if let Some(status) = self.amavisd.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                self.amavisd = None;
                panic!("amavisd exited at start ({status}):\n{}", self.tail("log/amavisd.out"));
            }
            let virgin = children_of(pid).len();
            // With `$max_servers = 1` amavisd serves in the parent itself and forks no child.
            if (virgin >= servers as usize || servers == 1) && listening(self.ports.amavisd) {
                return;
            }
            if started.elapsed() > DAEMON_DEADLINE {
                panic!(
                    "amavisd (pid {pid}) had {virgin} of {servers} children after {DAEMON_DEADLINE:?}:\n{}",
                    self.tail("log/amavisd.out")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Offers `load` with smtp-source and waits until the queue is empty or `drain_deadline` has
    /// passed since the start; then counts what happened from the sink and the logs.
    pub fn run(&self, load: Load, drain_deadline: Duration) -> Results {
        let mark = self.mark();
        let started = mark.started;
        let mut source = Command::new(Need::SmtpSource.path());
        source.args(["-s", &load.sessions.to_string(), "-m", &load.messages.to_string()]);
        if let Some(wait) = load.wait_s {
            source.args(["-w", &wait.to_string()]);
        }
        let errors = self.dir().join("log/smtp-source.err");
        let mut source = source
            .args(["-M", "source.lab.example", "-f", SENDER, "-t", RECIPIENT])
            .arg(format!("127.0.0.1:{}", self.ports.input))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&errors).expect("creates smtp-source's error file"))
            .spawn()
            .expect("smtp-source starts");
        let status = loop {
            if let Some(status) = source.try_wait().expect("waits for smtp-source") {
                break status;
            }
            if started.elapsed() > drain_deadline {
                let _ = source.kill();
                let _ = source.wait();
                panic!("smtp-source did not finish offering {load:?} within {drain_deadline:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "smtp-source failed: {}", std::fs::read_to_string(&errors).unwrap_or_default());
        self.drain(mark, drain_deadline)
    }

    /// Offers `bursts` bursts of `size` messages at once (`smtp-source -s SIZE -m SIZE`), one every
    /// `every`, whatever the queue holds, then waits until the queue is empty or `drain_deadline`
    /// has passed since the start; counts what happened from the sink and the logs. The same
    /// bursts at the same moments, whatever the lab's settings: the load is the arrivals.
    pub fn run_bursts(&self, bursts: u32, size: u32, every: Duration, drain_deadline: Duration) -> Results {
        let mark = self.mark();
        let started = mark.started;
        let errors = self.dir().join("log/smtp-source.err");
        let mut sources: Vec<Child> = Vec::new();
        for burst in 0..bursts {
            let at = every * burst;
            while started.elapsed() < at {
                std::thread::sleep(Duration::from_millis(5));
            }
            let source = Command::new(Need::SmtpSource.path())
                .args(["-s", &size.to_string(), "-m", &size.to_string()])
                .args(["-M", "source.lab.example", "-f", SENDER, "-t", RECIPIENT])
                .arg(format!("127.0.0.1:{}", self.ports.input))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(
                    std::fs::File::options()
                        .create(true)
                        .append(true)
                        .open(&errors)
                        .expect("opens smtp-source's error file"),
                )
                .spawn()
                .expect("smtp-source starts");
            sources.push(source);
        }
        for mut source in sources {
            let status = source.wait().expect("waits for smtp-source");
            assert!(status.success(), "smtp-source failed: {}", std::fs::read_to_string(&errors).unwrap_or_default());
        }
        self.drain(mark, drain_deadline)
    }

    /// Where the logs and the sink stand before a run, and when it starts.
    fn mark(&self) -> Mark {
        Mark {
            postfix_offset: file_len(&self.postfix_log()),
            amavisd_offset: file_len(&self.amavisd_log()),
            sink_before: self.sink_count(),
            started: Instant::now(),
        }
    }

    /// Once the load is offered: waits until the queue is empty or `drain_deadline` has passed
    /// since the start, then counts what happened from the sink and the logs written since `mark`.
    fn drain(&self, mark: Mark, drain_deadline: Duration) -> Results {
        let started = mark.started;
        let injection_time = started.elapsed();
        let drained = loop {
            // A message is in the queue from smtpd's accepting it until its final delivery:
            // before amavisd, and again as the message amavisd passed back.
            if self.queued() == 0 {
                break true;
            }
            if started.elapsed() > drain_deadline {
                break false;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let wall_time = started.elapsed();
        // postlogd and amavisd write their last lines a moment after the deliveries.
        std::thread::sleep(Duration::from_millis(500));
        let postfix_log = read_from(&self.postfix_log(), mark.postfix_offset);
        let amavisd_log = read_from(&self.amavisd_log(), mark.amavisd_offset);
        let counts = count(&postfix_log, self.ports.sink);
        Results {
            injected: counts.injected,
            delivered: self.sink_count() - mark.sink_before,
            deferred: counts.deferred,
            greeting_timeouts: counts.greeting_timeouts,
            wall_time,
            injection_time,
            drained,
            delivery_delays_s: counts.delays,
            postfix_log,
            amavisd_log,
        }
    }

    /// Messages in the instance's queue directories (`postqueue` cannot see a second instance).
    pub fn queued(&self) -> usize {
        ["maildrop", "incoming", "active", "deferred", "hold"]
            .iter()
            .map(|queue| count_files(&self.dir().join("queue").join(queue)))
            .sum()
    }

    /// Messages the sink has received since it started.
    pub fn sink_count(&self) -> u32 {
        u32::try_from(count_files(&self.dir().join("sink"))).unwrap_or(u32::MAX)
    }

    fn amavis_home(&self) -> PathBuf {
        self.dir().join("amavis-home")
    }

    /// Where the scanner records when each scan starts and ends.
    fn scan_record_path(&self) -> PathBuf {
        self.amavis_home().join("scans.log")
    }

    /// amavisd's `$db_home` (its `snmp.db` with `enable_db`).
    pub fn db_home(&self) -> PathBuf {
        self.amavis_home().join("db")
    }

    /// The scanner's own record of its scans so far.
    pub fn scan_record(&self) -> ScanRecord {
        let text = std::fs::read_to_string(self.scan_record_path()).unwrap_or_default();
        let mut events: Vec<(u64, i32)> = text
            .lines()
            .filter_map(|line| {
                let (what, ms) = line.split_once(' ')?;
                let change = match what {
                    "start" => 1,
                    "end" => -1,
                    _ => return None,
                };
                Some((ms.trim().parse().ok()?, change))
            })
            .collect();
        // At the same millisecond, an end before a start: a child does not scan twice at once.
        events.sort_unstable();
        ScanRecord { events }
    }

    /// The last lines of a file of the lab, for error messages.
    fn tail(&self, relative: &str) -> String {
        let text = std::fs::read_to_string(self.dir().join(relative)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn write_files(&self) {
        let dir = self.dir();
        set_mode(dir, 0o755);
        for sub in ["postfix", "queue", "data", "log", "amavis", "amavis-home/tmp", "amavis-home/db", "sink"] {
            std::fs::create_dir_all(dir.join(sub)).expect("creates a lab directory");
        }
        for sub in
            ["postfix", "queue", "data", "log", "amavis", "amavis-home", "amavis-home/tmp", "amavis-home/db", "sink"]
        {
            set_mode(&dir.join(sub), 0o755);
        }
        chown("postfix:", &dir.join("data"));
        chown("amavis:amavis", &dir.join("amavis-home"));
        chown("amavis:amavis", &dir.join("amavis-home/tmp"));
        chown("amavis:amavis", &dir.join("amavis-home/db"));
        chown("nobody:", &dir.join("sink"));
        std::fs::write(self.amavisd_log(), "").expect("creates amavisd's log");
        chown("amavis:amavis", &self.amavisd_log());

        crate::write_aged(&self.main_cf(), self.main_cf_text());
        crate::write_aged(&self.master_cf(), self.master_cf_text());
        let scanner = dir.join("amavis/scan");
        // The scanner keeps its own record: a line when each scan starts and ends, in ms since
        // the epoch (appends of one short line are atomic, so children can share the file).
        let record = self.scan_record_path();
        let scan = if self.settings.record_scans {
            format!(
                "#!/bin/sh\necho \"start $(date +%s%3N)\" >> {record}\nsleep {:.3}\necho \"end $(date +%s%3N)\" >> {record}\necho clean\n",
                self.settings.scan_time.as_secs_f64(),
                record = record.display()
            )
        } else {
            format!("#!/bin/sh\nsleep {:.3}\necho clean\n", self.settings.scan_time.as_secs_f64())
        };
        std::fs::write(&scanner, scan).expect("writes the scanner");
        set_mode(&scanner, 0o755);
        crate::write_aged(&self.amavisd_conf(), self.amavisd_conf_text(&scanner));
        set_mode(&self.amavisd_conf(), 0o644);
    }

    fn main_cf_text(&self) -> String {
        let dir = self.dir().display();
        let ports = self.ports;
        let mut text = format!(
            "# The live lab's Postfix instance: loopback only, its own queue, logs to a file.
compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
myhostname = {HOSTNAME}
mydomain = example.org
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_peername_lookup = no
alias_maps =
alias_database =
local_recipient_maps =
relayhost = [127.0.0.1]:{sink}
smtp_dns_support_level = disabled
maillog_file = {dir}/log/postfix.log
maillog_file_prefixes = {dir}/log
content_filter = smtp-amavis:[127.0.0.1]:{amavisd}
# Deferred mail is retried within seconds, so a run drains in a test's time.
queue_run_delay = 1s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
",
            sink = ports.sink,
            amavisd = ports.amavisd,
        );
        if let PostfixLimit::DestinationConcurrencyLimit(limit) = self.settings.postfix_limit {
            let _ = writeln!(text, "smtp-amavis_destination_concurrency_limit = {limit}");
        }
        if let Some(initial) = self.settings.initial_concurrency {
            let _ = writeln!(text, "smtp-amavis_initial_destination_concurrency = {initial}");
        }
        text
    }

    fn master_cf_text(&self) -> String {
        let ports = self.ports;
        let maxproc = match self.settings.postfix_limit {
            PostfixLimit::Maxproc(n) => n.to_string(),
            PostfixLimit::DestinationConcurrencyLimit(_) => "-".into(),
        };
        let helo = self.settings.helo_timeout.as_secs().max(1);
        format!(
            "# The live lab's master.cf: chroot n everywhere (no chroot copies needed).
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:{input} inet n -   n       -       -       smtpd
  -o syslog_name=postfix/in
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
smtp-amavis unix -      -       n       -       {maxproc}       smtp
  -o syslog_name=postfix/smtp-amavis
  -o smtp_helo_timeout={helo}s
  -o smtp_data_done_timeout=1200s
127.0.0.1:{reinjection} inet n -   n       -       -       smtpd
  -o syslog_name=postfix/{reinjection}
  -o content_filter=
  -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks
  -o smtpd_relay_restrictions=permit_mynetworks,reject
",
            input = ports.input,
            reinjection = ports.reinjection,
        )
    }

    fn amavisd_conf_text(&self, scanner: &Path) -> String {
        let home = self.amavis_home();
        let home = home.display();
        let settings = &self.settings;
        let acl = match settings.acl {
            AmavisAcl::Loopback => "127.0.0.1",
            AmavisAcl::DenyLoopback => "192.0.2.1",
        };
        format!(
            "use strict;
# The live lab's amavisd: loopback only, a scanner that sleeps a fixed time, SpamAssassin or not.
$myhostname = '{HOSTNAME}';
$mydomain = 'example.org';
$daemon_user = 'amavis';
$daemon_group = 'amavis';
$MYHOME = '{home}';
$TEMPBASE = '{home}/tmp';
$db_home = '{home}/db';
$pid_file = '{home}/amavisd.pid';
$lock_file = '{home}/amavisd.lock';
$enable_db = {enable_db};
$DO_SYSLOG = 0;
$LOGFILE = '{log}';
$log_level = 2;
$max_servers = {max_servers};
$max_requests = {max_requests};
$inet_socket_bind = '127.0.0.1';
$inet_socket_port = {amavisd};
@inet_acl = qw({acl});
$unix_socketname = undef;
@mynetworks = qw(127.0.0.0/8);
@local_domains_maps = (['.sink.lab.example']);
$forward_method = 'smtp:[127.0.0.1]:{reinjection}';
$notify_method = $forward_method;
{spam}
$enable_dkim_verification = 0;
$enable_dkim_signing = 0;
$QUARANTINEDIR = undef;
$virus_admin = undef;
@av_scanners = (
  ['lab scanner (sleeps, reports clean)', '{scanner}', '{{}}', [0], [1], qr/^INFECTED (.+)/m],
);
@av_scanners_backup = ();
1;
",
            log = self.amavisd_log().display(),
            max_servers = settings.max_servers,
            max_requests = settings.max_requests,
            enable_db = u8::from(settings.enable_db),
            amavisd = self.ports.amavisd,
            reinjection = self.ports.reinjection,
            scanner = scanner.display(),
            spam = if settings.spamassassin {
                "# SpamAssassin with its shipped rules, no network tests (no DNS lookups to time out).\n\
                 $sa_local_tests_only = 1;\n\
                 $sa_tag_level_deflt = -999;\n\
                 @bypass_spam_checks_maps = (0);"
            } else {
                "@bypass_spam_checks_maps = (1);"
            },
        )
    }

    fn start_sink(&mut self) {
        let output = std::fs::File::create(self.dir().join("log/sink.out")).expect("creates the sink's output file");
        let child = Command::new(Need::SmtpSink.path())
            .args(["-u", "nobody", "-d"])
            .arg(format!("{}/%M.", self.dir().join("sink").display()))
            .arg(format!("127.0.0.1:{}", self.ports.sink))
            .arg("256")
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("duplicates a file handle"))
            .stderr(output)
            .spawn()
            .expect("smtp-sink starts");
        self.sink = Some(child);
        self.wait_until("smtp-sink listens", |lab| listening(lab.ports.sink));
    }

    fn start_postfix(&mut self) {
        let output = self.postfix(&["start"]);
        self.postfix_running = true;
        assert!(
            output.status.success(),
            "postfix start failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        self.wait_until("Postfix listens", |lab| listening(lab.ports.input) && listening(lab.ports.reinjection));
    }

    fn postfix_master_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir().join("queue/pid/master.pid")).ok()?.trim().parse().ok()
    }

    fn stop_postfix(&mut self) {
        if !std::mem::take(&mut self.postfix_running) {
            return;
        }
        let Some(master) = self.postfix_master_pid() else { return };
        let mut processes = children_of(master);
        processes.push(master);
        let _ = self.postfix(&["stop"]);
        let started = Instant::now();
        while processes.iter().any(|pid| alive(*pid)) {
            if started.elapsed() > DAEMON_DEADLINE {
                for pid in &processes {
                    signal(*pid, "KILL");
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop_sink(&mut self) {
        if let Some(mut sink) = self.sink.take() {
            let _ = sink.kill();
            let _ = sink.wait();
        }
    }

    fn wait_until(&self, what: &str, condition: impl Fn(&Lab) -> bool) {
        let started = Instant::now();
        while !condition(self) {
            assert!(started.elapsed() < DAEMON_DEADLINE, "{what}: not after {DAEMON_DEADLINE:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Lab {
    /// Stops every daemon by its pid and waits until each has gone, also when a test panicked.
    fn drop(&mut self) {
        let panicking = std::thread::panicking();
        let stop_amavisd = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.stop_amavisd()));
        self.stop_postfix();
        self.stop_sink();
        if stop_amavisd.is_err() && !panicking {
            panic!("amavisd did not stop");
        }
    }
}

/// The scanner's record: `(ms since the epoch, +1 for a scan's start or -1 for its end)`, in
/// time order. Each child runs one scan at a time, so the number of scans in progress is the
/// number of children scanning.
#[derive(Debug, Clone, Default)]
pub struct ScanRecord {
    events: Vec<(u64, i32)>,
}

impl ScanRecord {
    /// Scans started.
    pub fn scans(&self) -> usize {
        self.events.iter().filter(|(_, change)| *change > 0).count()
    }

    /// Over `[from_ms, to_ms)`: the share of the time with k scans in progress (index k), and
    /// the mean number in progress.
    pub fn distribution(&self, from_ms: u64, to_ms: u64) -> (Vec<f64>, f64) {
        let span = to_ms.saturating_sub(from_ms);
        if span == 0 {
            return (Vec::new(), 0.0);
        }
        let mut time_at: Vec<u64> = Vec::new();
        let mut running: i64 = 0;
        let mut at = from_ms;
        let add = |count: i64, from: u64, to: u64, time_at: &mut Vec<u64>| {
            let k = usize::try_from(count.max(0)).unwrap_or(0);
            if time_at.len() <= k {
                time_at.resize(k + 1, 0);
            }
            time_at[k] += to.saturating_sub(from);
        };
        for &(ms, change) in &self.events {
            if ms >= to_ms {
                break;
            }
            if ms > at {
                add(running, at, ms, &mut time_at);
                at = ms;
            }
            running += i64::from(change);
        }
        add(running, at, to_ms, &mut time_at);
        let shares: Vec<f64> = time_at.iter().map(|&t| t as f64 / span as f64).collect();
        let mean = shares.iter().enumerate().map(|(k, share)| k as f64 * share).sum();
        (shares, mean)
    }
}

/// What the lab counts in Postfix's lines of one run.
#[derive(Debug, Default)]
struct Counts {
    injected: u32,
    deferred: u32,
    greeting_timeouts: u32,
    delays: Vec<f64>,
}

/// The queue id of a Postfix log line (`... postfix/NAME[PID]: QUEUEID: ...`) and its program.
fn queue_line(line: &str) -> Option<(&str, &str, &str)> {
    let program_start = line.find(" postfix/")? + 1;
    let rest = &line[program_start..];
    let (program, rest) = rest.split_once('[')?;
    let (_, rest) = rest.split_once("]: ")?;
    let (queue_id, rest) = rest.split_once(": ")?;
    queue_id.chars().all(|c| c.is_ascii_alphanumeric()).then_some((program, queue_id, rest))
}

/// The number after `key` up to the next `,` or space (`delay=1.2`).
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let start = text.find(key)? + key.len();
    let value = &text[start..];
    Some(value.split([',', ' ', ')']).next().unwrap_or(value))
}

fn count(postfix_log: &str, sink_port: u16) -> Counts {
    use std::collections::{BTreeMap, BTreeSet};
    let mut injected = BTreeSet::new();
    let mut deferred = BTreeSet::new();
    let mut greeting_timeouts = 0;
    // The delay of each delivery to amavisd by the id of the message amavisd passed back, and
    // the delay of each final delivery by its own id.
    let mut first_hop: BTreeMap<String, f64> = BTreeMap::new();
    let mut last_hop: BTreeMap<String, f64> = BTreeMap::new();
    let sink_relay = format!("relay=127.0.0.1[127.0.0.1]:{sink_port},");
    for line in postfix_log.lines() {
        let Some((program, queue_id, rest)) = queue_line(line) else { continue };
        if program == "postfix/in/smtpd" && rest.starts_with("client=") {
            injected.insert(queue_id.to_owned());
            continue;
        }
        let delay = field(rest, " delay=").and_then(|d| d.parse::<f64>().ok());
        if program == "postfix/smtp-amavis/smtp" || program == "postfix/error" {
            if rest.contains("status=deferred") && injected.contains(queue_id) {
                deferred.insert(queue_id.to_owned());
            }
            if program == "postfix/smtp-amavis/smtp"
                && rest.contains("status=deferred")
                && rest.contains("timed out while receiving the initial server greeting")
            {
                greeting_timeouts += 1;
            }
            if rest.contains("status=sent")
                && let (Some(delay), Some(passed_back)) = (delay, field(rest, "queued as "))
            {
                first_hop.insert(passed_back.to_owned(), delay);
            }
        } else if program == "postfix/smtp"
            && rest.contains(&sink_relay)
            && rest.contains("status=sent")
            && let Some(delay) = delay
        {
            last_hop.insert(queue_id.to_owned(), delay);
        }
    }
    let delays = first_hop.iter().filter_map(|(id, first)| last_hop.get(id).map(|last| first + last)).collect();
    let len = |set: &BTreeSet<String>| u32::try_from(set.len()).unwrap_or(u32::MAX);
    Counts { injected: len(&injected), deferred: len(&deferred), greeting_timeouts, delays }
}

/// The value of the last `$max_servers = N;` line of an amavisd config written by the lab or by
/// `amavis-tune apply`.
fn read_max_servers(conf: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(conf).ok()?;
    text.lines()
        .rev()
        .filter_map(|line| line.trim().strip_prefix("$max_servers"))
        .find_map(|rest| rest.trim().strip_prefix('=')?.trim().strip_suffix(';')?.trim().parse().ok())
}

/// Whether something listens on 127.0.0.1:`port` (from `/proc/net/tcp`, without connecting,
/// which would show in the daemons' logs).
fn listening(port: u16) -> bool {
    let wanted = format!("0100007F:{port:04X}");
    std::fs::read_to_string("/proc/net/tcp").is_ok_and(|table| {
        table.lines().skip(1).any(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.get(1) == Some(&wanted.as_str()) && fields.get(3) == Some(&"0A")
        })
    })
}

/// The pids whose parent is `parent`, from `/proc`.
pub fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut children: Vec<u32> = entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| ppid_of(*pid) == Some(parent))
        .collect();
    children.sort_unstable();
    children
}

fn ppid_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces: fields follow the last `)`.
    let after = &stat[stat.rfind(')')? + 2..];
    after.split_whitespace().nth(1)?.parse().ok()
}

/// Whether a process exists and is not a zombie.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rfind(')').and_then(|end| stat.get(end + 2..end + 3)).map(|state| state != "Z"))
        .unwrap_or(false)
}

/// Sends a signal to one process by its pid.
fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill").arg(format!("-{name}")).arg(pid.to_string()).stderr(Stdio::null()).status();
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("sets a mode");
}

fn chown(owner: &str, path: &Path) {
    let status = Command::new("chown").arg(owner).arg(path).status().expect("chown runs");
    assert!(status.success(), "chown {owner} {} failed", path.display());
}

fn count_files(dir: &Path) -> usize {
    let mut count = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else { continue };
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => stack.push(entry.path()),
                Ok(_) => count += 1,
                Err(_) => {}
            }
        }
    }
    count
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0)
}

fn read_from(path: &Path, offset: u64) -> String {
    let mut text = Vec::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        let _ = file.seek(SeekFrom::Start(offset));
        let _ = file.read_to_end(&mut text);
    }
    String::from_utf8_lossy(&text).into_owned()
}

/// Held by every test that starts a lab or measures this machine's amavisd, so they run one at
/// a time: `amavis-tune measure` takes the amavisd with the most children for the server's, and
/// a lab's timings are not shared with a second lab's.
pub fn one_amavisd_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static AMAVISD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    AMAVISD.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether this process runs as root, which the lab needs.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .any(|line| line.strip_prefix("Uid:").is_some_and(|ids| ids.split_whitespace().next() == Some("0")))
    })
}
