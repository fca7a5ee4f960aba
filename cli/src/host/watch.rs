//! The `/proc` reads of `measure --watch` (and of the one sample `check` and `plan` take on the
//! server): amavisd's master, its children's titles, the accept queues of its listening sockets,
//! and the directory of its `snmp.db`. Everything is read, nothing is written or signalled; a
//! sample reads the master's list of children, one `cmdline` per child and the LISTEN rows of
//! `/proc/PID/net/tcp` up to the last of amavisd's (the kernel lists listening sockets before
//! the others, so the reading stops long before the rows of established connections).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use amavis_tune_core::{Sample, amavisd_family, is_amavisd, parse_tcp_listen_row, parse_unix_listen_row, socket_inode};
use anyhow::bail;
use serde::Serialize;

/// The TCP tables a listening socket can be in.
const TABLES: [&str; 2] = ["tcp", "tcp6"];

/// amavisd's listening sockets, found from its master's open files.
#[derive(Debug, Clone, Default)]
struct Sockets {
    /// `(table, inode, address)` of each listening TCP socket.
    tcp: Vec<(&'static str, u64, String)>,
    /// The paths of its listening unix sockets.
    unix: Vec<String>,
    /// Why the accept queues cannot be read, when they cannot.
    note: Option<String>,
}

/// The running amavisd, followed across restarts.
#[derive(Debug)]
pub(crate) struct Probe {
    proc_dir: PathBuf,
    master: Option<u32>,
    sockets: Sockets,
    /// How often the master changed (amavisd restarted) since the probe began.
    pub(crate) master_changes: u32,
}

impl Probe {
    /// The probe of the amavisd running under `sysroot`; an error when none runs.
    pub(crate) fn find(sysroot: &Path) -> anyhow::Result<Probe> {
        let proc_dir = sysroot.join("proc");
        let Some(master) = find_master(&proc_dir)? else {
            bail!("no amavisd is running here (looked for its master process in {})", proc_dir.display());
        };
        let sockets = sockets_of(&proc_dir, master);
        Ok(Probe { proc_dir, master: Some(master), sockets, master_changes: 0 })
    }

    pub(crate) fn master(&self) -> Option<u32> {
        self.master
    }

    /// amavisd's listening TCP sockets, as `ADDRESS:PORT`.
    pub(crate) fn ports(&self) -> Vec<String> {
        self.sockets.tcp.iter().map(|(_, _, address)| address.clone()).collect()
    }

    pub(crate) fn unix_sockets(&self) -> Vec<String> {
        self.sockets.unix.clone()
    }

    /// Why the accept queues are not read, when they are not.
    pub(crate) fn queue_note(&self) -> Option<String> {
        self.sockets.note.clone()
    }

    /// One look at amavisd now. When its master has gone (a restart), the new one is looked for;
    /// while none runs, the sample has no child.
    pub(crate) fn sample(&mut self) -> Sample {
        if let Some(master) = self.master
            && !self.proc_dir.join(master.to_string()).join("stat").exists()
        {
            self.master = None;
        }
        if self.master.is_none() {
            if let Ok(Some(master)) = find_master(&self.proc_dir) {
                self.master = Some(master);
                self.master_changes += 1;
                self.sockets = sockets_of(&self.proc_dir, master);
            } else {
                return Sample::default();
            }
        }
        let Some(master) = self.master else { return Sample::default() };
        let titles: Vec<String> = children_of(&self.proc_dir, master)
            .into_iter()
            .filter_map(|pid| title_of(&self.proc_dir, pid))
            .filter(|title| is_amavisd(title))
            .collect();
        let queue = self.accept_queue(master);
        Sample::of_titles(titles.iter().map(String::as_str), queue)
    }

    /// The connections waiting in amavisd's accept queues, summed; `None` when they cannot be
    /// read. A socket no longer found (closed by a restart or reload) makes the next sample look
    /// for the sockets again.
    fn accept_queue(&mut self, master: u32) -> Option<u32> {
        if self.sockets.tcp.is_empty() {
            return None;
        }
        let mut total = 0u32;
        let mut missing = false;
        for table in TABLES {
            let wanted: Vec<u64> =
                self.sockets.tcp.iter().filter(|(t, _, _)| *t == table).map(|(_, inode, _)| *inode).collect();
            if wanted.is_empty() {
                continue;
            }
            let found = listen_rows(&self.proc_dir, master, table, &wanted);
            missing |= found.len() < wanted.len();
            total = found.iter().fold(total, |sum, row| sum.saturating_add(row.accept_queue));
        }
        if missing {
            self.sockets = sockets_of(&self.proc_dir, master);
        }
        Some(total)
    }

    /// The directory of the `snmp.db` amavisd's children hold open, or why there is none to read.
    pub(crate) fn snmp_db_dir(&self) -> Result<PathBuf, String> {
        let Some(master) = self.master else { return Err("amavisd is not running".to_owned()) };
        let mut unreadable = false;
        for pid in std::iter::once(master).chain(children_of(&self.proc_dir, master)) {
            let Ok(entries) = std::fs::read_dir(self.proc_dir.join(pid.to_string()).join("fd")) else {
                unreadable = true;
                continue;
            };
            for entry in entries.flatten() {
                let Ok(target) = std::fs::read_link(entry.path()) else { continue };
                if target.file_name() == Some(std::ffi::OsStr::new("snmp.db"))
                    && let Some(dir) = target.parent()
                {
                    return Ok(dir.to_path_buf());
                }
            }
        }
        Err(if unreadable {
            "amavisd's open files (/proc/PID/fd) cannot be read: they are the amavis user's; run as root".to_owned()
        } else {
            "no amavisd process holds snmp.db open: $enable_db is off (amavisd's default; Debian's 20-debian_defaults turns it on)".to_owned()
        })
    }
}

/// What one sample on the server shows, for `check` and `plan` (`now` in their JSON).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Now {
    pub(crate) master_pid: Option<u32>,
    #[serde(flatten)]
    pub(crate) sample: Sample,
    pub(crate) children: u32,
    /// amavisd's listening TCP sockets, whose accept queues `accept_queue` sums.
    pub(crate) ports: Vec<String>,
    /// The sentence to show when connections wait in the accept queue, else null.
    pub(crate) note: Option<String>,
}

/// One sample of the amavisd running under `sysroot`; `None` when none runs.
pub(crate) fn one_sample(sysroot: &Path) -> Option<Now> {
    let mut probe = Probe::find(sysroot).ok()?;
    let sample = probe.sample();
    let ports = probe.ports();
    Some(Now {
        master_pid: probe.master(),
        children: sample.children(),
        note: sample.accept_queue_note(&ports),
        sample,
        ports,
    })
}

/// amavisd's master: the amavisd process with the most amavisd children (core's rule, as
/// `measure` finds it).
fn find_master(proc_dir: &Path) -> anyhow::Result<Option<u32>> {
    let processes = crate::host::processes::scan(proc_dir, false)?;
    Ok(amavisd_family(&processes).map(|(parent, _)| parent.pid))
}

/// The pids of `parent`'s children: the kernel's own list (`/proc/PID/task/PID/children`), else
/// every process whose parent it is.
fn children_of(proc_dir: &Path, parent: u32) -> Vec<u32> {
    let list = proc_dir.join(parent.to_string()).join("task").join(parent.to_string()).join("children");
    if let Some(text) = crate::host::read::read_small(&list) {
        return text.split_whitespace().filter_map(|pid| pid.parse().ok()).collect();
    }
    crate::host::processes::scan(proc_dir, false)
        .map(|all| all.into_iter().filter(|p| p.ppid == parent).map(|p| p.pid).collect())
        .unwrap_or_default()
}

/// A process's title: its command line, NULs read as spaces.
fn title_of(proc_dir: &Path, pid: u32) -> Option<String> {
    let path = proc_dir.join(pid.to_string()).join("cmdline");
    let text = crate::host::read::read_small(&path)?;
    Some(text.replace('\0', " ").trim().to_owned())
}

/// The LISTEN rows of `table` whose inodes are `wanted`, read in the master's network namespace
/// up to the last one wanted.
fn listen_rows(proc_dir: &Path, master: u32, table: &str, wanted: &[u64]) -> Vec<amavis_tune_core::ListenRow> {
    let path = proc_dir.join(master.to_string()).join("net").join(table);
    let Ok(file) = std::fs::File::open(path) else { return Vec::new() };
    let mut found = Vec::new();
    for line in BufReader::new(file).lines() {
        let Ok(line) = line else { break };
        if let Some(row) = parse_tcp_listen_row(&line).filter(|row| wanted.contains(&row.inode)) {
            found.push(row);
            if found.len() == wanted.len() {
                break;
            }
        }
    }
    found
}

/// The sockets `master` listens on: the socket inodes of its open files matched with the LISTEN
/// rows of its network namespace's tables.
fn sockets_of(proc_dir: &Path, master: u32) -> Sockets {
    let fd_dir = proc_dir.join(master.to_string()).join("fd");
    let entries = match std::fs::read_dir(&fd_dir) {
        Ok(entries) => entries,
        Err(error) => {
            return Sockets {
                note: Some(format!(
                    "amavisd's open files ({}) cannot be read ({error}): they are the amavis user's; run as root",
                    fd_dir.display()
                )),
                ..Sockets::default()
            };
        }
    };
    let inodes: Vec<u64> = entries
        .flatten()
        .filter_map(|entry| std::fs::read_link(entry.path()).ok())
        .filter_map(|target| socket_inode(&target.to_string_lossy()))
        .collect();
    let mut sockets = Sockets::default();
    for table in TABLES {
        for row in listen_rows(proc_dir, master, table, &inodes) {
            sockets.tcp.push((table, row.inode, row.address));
        }
    }
    let unix = proc_dir.join(master.to_string()).join("net").join("unix");
    if let Ok(file) = std::fs::File::open(unix) {
        for line in BufReader::new(file).lines().map_while(Result::ok) {
            if let Some((inode, path)) = parse_unix_listen_row(&line)
                && inodes.contains(&inode)
            {
                sockets.unix.push(path);
            }
        }
    }
    if sockets.tcp.is_empty() {
        sockets.note = Some("amavisd listens on no TCP socket (a unix socket's queue is not in /proc)".to_owned());
    }
    sockets
}
