//! Releases, not just OS families: what differs from one release to the next (the amavisd
//! program's name, its validation command, its pid file, where the mail log is, the packages), as
//! one table of data with the source of each entry.
//!
//! A release is asked for as `FAMILY` or `FAMILY:VERSION` (`debian:12`, `ubuntu:22.04`,
//! `rhel:9`), or read from os-release's `ID` and `VERSION_ID`. A version the table does not list
//! gets the nearest release of the family that it does list, and the plan says so.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::inputs::error::InputError;
use crate::inputs::os::Os;

/// The longest version accepted (`VERSION_ID` values are short: `12`, `22.04`, `9.4`, `7.6`).
const MAX_VERSION_LEN: usize = 16;

/// A release's version: digits separated by single dots, as os-release's `VERSION_ID` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct OsVersion(String);

impl OsVersion {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The numbers between the dots (`22.04` is `[22, 4]`); a word sorts after every number.
    fn numbers(&self) -> Vec<u32> {
        version_numbers(&self.0)
    }
}

impl FromStr for OsVersion {
    type Err = InputError;

    fn from_str(text: &str) -> Result<OsVersion, InputError> {
        let text = text.trim();
        // Digits and dots, as os-release writes them; or the word of a release the table names by
        // word (`tumbleweed`, whose VERSION_ID is a snapshot's date; Gentoo's `openrc` and
        // `systemd`). Other words (Debian's `sid`) are no version.
        let digits =
            text.split('.').all(|part| !part.is_empty() && part.len() <= 6 && part.bytes().all(|b| b.is_ascii_digit()));
        let word =
            RELEASES.iter().any(|release| release.version == text && !release.version.starts_with(char::is_numeric));
        let valid = !text.is_empty() && text.len() <= MAX_VERSION_LEN && (digits || word);
        if valid { Ok(OsVersion(text.to_owned())) } else { Err(InputError::OsVersion { value: text.to_owned() }) }
    }
}

/// A version's numbers between the dots; a word (`tumbleweed`) sorts after every number.
fn version_numbers(text: &str) -> Vec<u32> {
    text.split('.').map(|part| part.parse().unwrap_or(u32::MAX)).collect()
}

impl fmt::Display for OsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An OS as asked for: a family, and the release when it is known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OsRelease {
    pub os: Os,
    pub version: Option<OsVersion>,
}

impl OsRelease {
    pub fn family(os: Os) -> OsRelease {
        OsRelease { os, version: None }
    }
}

impl From<Os> for OsRelease {
    fn from(os: Os) -> OsRelease {
        OsRelease::family(os)
    }
}

impl fmt::Display for OsRelease {
    /// `debian`, or `debian:12`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            Some(version) => write!(f, "{}:{version}", self.os),
            None => write!(f, "{}", self.os),
        }
    }
}

impl FromStr for OsRelease {
    type Err = InputError;

    /// `FAMILY` or `FAMILY:VERSION`; the family as [`Os`] reads it.
    fn from_str(text: &str) -> Result<OsRelease, InputError> {
        let text = text.trim();
        match text.split_once(':') {
            Some((family, version)) => {
                let os = family.parse::<Os>()?;
                let version = version
                    .parse::<OsVersion>()
                    .map_err(|_| InputError::OsRelease { value: text.to_owned(), known: known_releases() })?;
                Ok(OsRelease { os, version: Some(version) })
            }
            None => Ok(OsRelease::family(text.parse::<Os>()?)),
        }
    }
}

/// Every release the table lists, as `--os` takes them (`debian:11, debian:12, ...`).
pub fn known_releases() -> String {
    RELEASES.iter().map(|r| r.id).collect::<Vec<_>>().join(", ")
}

/// How a release's amavisd checks its configuration without starting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validation {
    /// `amavisd test-config` (in 2.12.2 and later): reads every config file, exits 0 or dies.
    TestConfig,
    /// `amavisd-new showkeys` (2.11.1, which has no `test-config`): reads every config file the
    /// same way, lists the DKIM signing keys (none on most servers) and exits; a config error
    /// makes it die before that.
    ShowKeys,
}

/// The login shell of root on a release: the printed commands are written for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RootShell {
    /// A POSIX shell (`sh`, `bash`).
    Sh,
    /// csh (FreeBSD before 14.0, whose root shell became sh in 14.0): `$(...)`, `${VAR:-x}` and
    /// `VAR=...` do not work there, so commands that use them run through `sh -c`.
    Csh,
}

/// Where a release's mail log is by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum MailLog {
    /// A file written by the syslog daemon the release installs by default.
    File { path: &'static str },
    /// The systemd journal only: the release installs no syslog daemon by default.
    Journal { command: &'static str },
}

/// How the steps find amavisd's master process, the parent of the children.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Master {
    /// The pid file that names the master: the `$pid_file` amavisd writes, or the one the rc
    /// system writes for an amavisd it runs in the foreground.
    PidFile(&'static str),
    /// No pid file (a unit that runs `amavisd -P '' foreground`): the unit's main process, as
    /// systemd knows it (`systemctl show -p MainPID`).
    Unit(&'static str),
    /// No pid file known: the oldest process titled `PROGRAM (master)`, the title amavisd gives
    /// its master (`$0 = c('myprogram_name') . ' (master)'`, Amavis.pm 2.13.0 line 7752); the
    /// name is the program's as `ps` shows it.
    Title(&'static str),
}

impl Master {
    /// A shell command that prints the master's pid (nothing, or 0, when it is not running).
    pub fn pid_command(self) -> String {
        match self {
            Master::PidFile(path) => format!("cat {path} 2>/dev/null"),
            Master::Unit(unit) => format!("systemctl show -p MainPID --value {unit}"),
            // An ERE: `\(` is a parenthesis, so the shell running this, whose command line holds
            // the pattern with its backslashes, does not match it.
            Master::Title(name) => format!("pgrep -o -f '{name} \\(master\\)'"),
        }
    }

    /// Where the master is found, for the steps' descriptions.
    pub fn describe(self) -> String {
        match self {
            Master::PidFile(path) => format!("the master in {path}"),
            Master::Unit(unit) => format!("{unit}.service's main process (no pid file)"),
            Master::Title(name) => format!("the oldest `{name} (master)` (no pid file is known)"),
        }
    }

    /// The pid file, where there is one.
    pub fn pid_file(self) -> Option<&'static str> {
        match self {
            Master::PidFile(path) => Some(path),
            Master::Unit(_) | Master::Title(_) => None,
        }
    }
}

/// What differs per release, with where each fact comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseFacts {
    /// As `--os` takes it: `debian:12`.
    pub id: &'static str,
    #[serde(skip)]
    pub os: Os,
    pub version: &'static str,
    /// For people: `Debian 12 (bookworm)`.
    pub name: &'static str,
    /// The package that installs amavisd, and the amavisd version in it.
    pub amavis_package: &'static str,
    pub amavis_version: &'static str,
    /// The amavisd program, by its full path (its base name is what `ps` shows).
    pub amavisd_program: &'static str,
    /// The file where the administrator sets `$max_servers`.
    pub amavis_conf: &'static str,
    /// Whether amavisd finds its configuration by itself (Debian's `conf.d` directories), or
    /// must be given `-c amavis_conf` to read the same files as the service.
    pub amavis_reads_conf_d: bool,
    /// Where the master process's pid is: the `$pid_file` the package's configuration sets, or
    /// the unit that runs it where there is no pid file.
    pub master: Master,
    /// The command that reloads amavisd (its unit's `ExecReload`, its rc script's `reload`):
    /// `amavisd reload`, which re-reads the configuration and starts the new number of children
    /// with the listening socket kept open, so Postfix's connections are not dropped, and which
    /// refuses a broken configuration while the running amavisd keeps serving (proven on Debian
    /// 12's amavisd: `live::a_reload_applies_a_new_max_servers`). A restart would drop the
    /// connections waiting in the listen backlog, which Postfix defers.
    pub amavis_reload: &'static str,
    /// The shell root logs in with, which runs the printed commands.
    pub root_shell: RootShell,
    pub validation: Validation,
    /// The directory of main.cf and master.cf.
    pub postfix_dir: &'static str,
    /// The name the release's Postfix package gives amavisd's transport in master.cf, where it
    /// ships one (openSUSE's `amavis`); `None` where the administrator names it.
    pub packaged_transport: Option<&'static str>,
    pub postfix_package: &'static str,
    /// clamd's package and the config files it installs (the first is the one amavisd's scanner
    /// entry uses).
    pub clamd_package: &'static str,
    pub clamd_conf: &'static [&'static str],
    /// The `MaxThreads` the release's clamd package writes into that clamd.conf when it is
    /// installed; `None` where the package leaves the line out, so clamd's compiled default (10,
    /// clamd.conf(5)) applies. A plan that has not read the server's clamd.conf assumes this.
    pub clamd_max_threads: Option<u32>,
    pub mail_log: MailLog,
    /// Where these facts were read.
    pub sources: &'static [&'static str],
    /// The facts no source confirmed for this release (empty where every one was read): the
    /// plan says so beside the steps.
    pub unconfirmed: &'static [&'static str],
}

impl ReleaseFacts {
    /// The program's name as `ps` and `pgrep` see it (`amavisd` or `amavisd-new`).
    pub fn amavisd_name(&self) -> &'static str {
        self.amavisd_program.rsplit('/').next().unwrap_or(self.amavisd_program)
    }

    /// The command that checks amavisd's configuration without starting it, reading the files
    /// the service reads.
    pub fn validation_command(&self) -> String {
        let config = if self.amavis_reads_conf_d { String::new() } else { format!(" -c {}", self.amavis_conf) };
        let command = match self.validation {
            Validation::TestConfig => "test-config",
            Validation::ShowKeys => "showkeys",
        };
        format!("{}{config} {command}", self.amavisd_name())
    }

    /// What the validation does, for the step's description.
    pub fn validation_description(&self) -> &'static str {
        match self.validation {
            Validation::TestConfig => {
                "Check amavisd's configuration without starting it (test-config reads every file and fails on an error)"
            }
            Validation::ShowKeys => {
                "Check amavisd's configuration without starting it (this amavisd has no test-config; showkeys reads every file the same way, fails on an error, and lists any DKIM keys)"
            }
        }
    }

    /// The command that prints how many children amavisd runs: the processes whose parent is
    /// the master. (Process titles do not do: a fresh child is `(virgin child)` until its first
    /// connection, and the program name differs between releases.) A reload replaces the
    /// children within seconds, and a unit that returns before the children exist (Debian's is
    /// `Type=simple`) leaves none yet, so it waits, up to 30 s, then prints the count it saw
    /// last. After a raise it waits for at least `n`: after a reload under load the old children
    /// finish their messages beside the new ones for a while. After a cut it waits for exactly
    /// `n`, so that the old number still running is seen.
    pub fn count_children_command(&self, n: u32, raised: bool) -> String {
        count_children_command(self.master, n, raised)
    }

    pub fn master_cf_path(&self) -> String {
        format!("{}/master.cf", self.postfix_dir)
    }

    pub fn main_cf_path(&self) -> String {
        format!("{}/main.cf", self.postfix_dir)
    }

    /// Where to read the mail log, as a command or a path.
    pub fn mail_log_hint(&self) -> String {
        match self.mail_log {
            MailLog::File { path } => path.to_owned(),
            MailLog::Journal { command } => {
                format!("{command} (no syslog daemon by default: the mail log is in the journal)")
            }
        }
    }
}

/// The command that counts the children of `master`, waiting up to 30 s until there are at
/// least `n` after a raise, exactly `n` after a cut (see
/// [`ReleaseFacts::count_children_command`]). No master (an empty pid, or systemd's 0 for a
/// stopped unit) counts 0: `pgrep -P 0` would list the kernel's own processes.
pub(crate) fn count_children_command(master: Master, n: u32, raised: bool) -> String {
    let test = if raised { "-ge" } else { "-eq" };
    format!(
        "i=0; while :; do p=$({}); c=0; [ \"${{p:-0}}\" -gt 0 ] 2>/dev/null && c=$(pgrep -P \"$p\" | wc -l | tr -d ' '); [ \"$c\" {test} {n} ] || [ \"$i\" -ge 30 ] && break; i=$((i + 1)); sleep 1; done; echo \"$c\"",
        master.pid_command()
    )
}

/// How the count step says what it waits for (README, "Steps": why at least `n` after a raise,
/// exactly `n` after a cut).
pub(crate) fn count_children_description(master: Master, n: u32, raised: bool) -> String {
    let at_least = if raised { "at least " } else { "" };
    format!(
        "Verify that amavisd runs {n} children: the children of {}, counted until there are {at_least}{n} (at most 30 s)",
        master.describe()
    )
}

/// The release a plan's commands are for, and why it is that one when it is not the one asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRelease {
    pub facts: &'static ReleaseFacts,
    /// Set when the release is not the one asked for: no version given, or one the table does
    /// not list.
    pub note: Option<String>,
}

/// The table's entry for `asked`: the same release, else the nearest of the family (for a
/// version between two listed ones, the older; past the newest, the newest), else the family's
/// newest when no version is given.
pub fn resolve_release(asked: &OsRelease) -> ResolvedRelease {
    let family: Vec<&'static ReleaseFacts> = RELEASES.iter().filter(|r| r.os == asked.os).collect();
    let newest = family.last().copied().unwrap_or(&RELEASES[0]);
    let Some(version) = &asked.version else {
        return ResolvedRelease {
            facts: newest,
            note: Some(format!(
                "no {} release given: the commands are {}'s (name yours with --os {}:VERSION)",
                asked.os, newest.name, asked.os
            )),
        };
    };
    let wanted = version.numbers();
    let key = |facts: &ReleaseFacts| version_numbers(facts.version);
    // A release is listed by its major version where minor versions change nothing (RHEL 9.4 is
    // RHEL 9); Ubuntu and OpenBSD list major.minor.
    if let Some(exact) = family.iter().find(|facts| {
        let listed = key(facts);
        facts.version == version.as_str() || (!listed.contains(&u32::MAX) && wanted.starts_with(&listed))
    }) {
        return ResolvedRelease { facts: exact, note: None };
    }
    let chosen = family.iter().rev().find(|facts| key(facts) <= wanted).or(family.first()).copied().unwrap_or(newest);
    ResolvedRelease {
        facts: chosen,
        note: Some(format!(
            "{} {version} is not in amavis-tune's release table: the commands are those of the nearest one, {} (listed: {})",
            asked.os,
            chosen.name,
            family.iter().map(|r| r.id).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// What Debian and Ubuntu releases share (the values of Debian 12; each release below names what
/// differs). Debian's `/usr/share/amavis/conf.d/10-debian_scripts` sets the pid file on every one
/// of them.
const DEBIAN_FAMILY: ReleaseFacts = ReleaseFacts {
    id: "",
    os: Os::Debian,
    version: "",
    name: "",
    amavis_package: "amavisd-new",
    amavis_version: "2.13.0",
    amavisd_program: "/usr/sbin/amavisd",
    amavis_conf: "/etc/amavis/conf.d/50-user",
    amavis_reads_conf_d: true,
    master: Master::PidFile("/var/run/amavis/amavisd.pid"),
    amavis_reload: "systemctl reload amavis",
    root_shell: RootShell::Sh,
    validation: Validation::TestConfig,
    postfix_dir: "/etc/postfix",
    packaged_transport: None,
    postfix_package: "postfix",
    clamd_package: "clamav-daemon",
    clamd_conf: &["/etc/clamav/clamd.conf"],
    // Debian's clamav packaging (shared by Ubuntu): debian/clamav-daemon.templates has
    // `Template: clamav-daemon/MaxThreads`, `Default: 12`, and debian/clamav-daemon.postinst.in
    // writes `MaxThreads $MaxThreads` into /etc/clamav/clamd.conf while clamav-daemon/debconf
    // (default true) lets debconf handle the file.
    clamd_max_threads: Some(12),
    mail_log: MailLog::Journal { command: "journalctl -u amavis -u postfix@-" },
    sources: sources![],
    unconfirmed: &[],
};

/// What the RHEL-family releases with EPEL share (EPEL's `amavis` 2.13.1 in 8, 9 and 10), with
/// the sources of all three.
const EPEL: ReleaseFacts = ReleaseFacts {
    id: "",
    os: Os::Rhel,
    version: "",
    name: "",
    amavis_package: "amavis",
    amavis_version: "2.13.1",
    amavisd_program: "/usr/sbin/amavisd",
    amavis_conf: "/etc/amavisd/amavisd.conf",
    amavis_reads_conf_d: false,
    master: Master::PidFile("/run/amavisd/amavisd.pid"),
    amavis_reload: "systemctl reload amavisd",
    root_shell: RootShell::Sh,
    validation: Validation::TestConfig,
    postfix_dir: "/etc/postfix",
    packaged_transport: None,
    postfix_package: "postfix",
    clamd_package: "clamd",
    clamd_conf: &["/etc/clamd.d/amavisd.conf", "/etc/clamd.d/scan.conf"],
    clamd_max_threads: None,
    mail_log: MailLog::File { path: "/var/log/maillog" },
    sources: sources![
        "Fedora/EPEL amavis.spec: renamed from amavisd-new at 2.12.0-3 (Provides amavisd-new); /usr/sbin/amavisd, amavisd.service, /etc/amavisd/amavisd.conf, %{_rundir}/amavisd; packages.fedoraproject.org (amavis-doc, re-checked 2026-12): 2.13.1-1.el8, 2.13.1-1.el9, 2.13.1-2.el10_0 (Fedora 43 and rawhide have 2.14.0, EPEL does not)",
        "pid file: the Fedora-lineage amavisd.service has PIDFile=/var/run/amavisd/amavisd.pid; the current spec creates /run/amavisd (\"Change /var/run for /run\", 2.12.1-4)",
        "clamav.spec: package clamd, template unit clamd@.service; amavis ships /etc/clamd.d/amavisd.conf (clamd@amavisd)",
        "MaxThreads: amavis.spec installs amavis-clamd.conf as /etc/clamd.d/amavisd.conf with no MaxThreads line; clamav.spec builds scan.conf from clamd.conf.sample with sed edits none of which touches `#MaxThreads 20`: clamd's compiled default 10 (common/optparser.c) applies",
        "mail log: rsyslog writes /var/log/maillog (Rocky Linux admin guide, 8.x and 9.x)",
    ],
    unconfirmed: &[],
};

/// What FreeBSD releases share (ports and packages: security/amavisd-new), with the sources of
/// both.
const FREEBSD_PORTS: ReleaseFacts = ReleaseFacts {
    id: "",
    os: Os::Freebsd,
    version: "",
    name: "",
    amavis_package: "amavisd-new",
    amavis_version: "2.14.0",
    amavisd_program: "/usr/local/sbin/amavisd",
    amavis_conf: "/usr/local/etc/amavisd.conf",
    amavis_reads_conf_d: false,
    master: Master::PidFile("/var/amavis/amavisd.pid"),
    amavis_reload: "service amavisd reload",
    root_shell: RootShell::Sh,
    validation: Validation::TestConfig,
    postfix_dir: "/usr/local/etc/postfix",
    packaged_transport: None,
    postfix_package: "postfix",
    clamd_package: "clamav",
    clamd_conf: &["/usr/local/etc/clamd.conf"],
    clamd_max_threads: None,
    mail_log: MailLog::File { path: "/var/log/maillog" },
    sources: sources![
        "freebsd-ports security/amavisd-new: Makefile DISTVERSION 2.14.0, AMAVISDIR /var/amavis; files/amavisd.in: name=amavisd, command /usr/local/sbin/amavisd, required_files /usr/local/etc/amavisd.conf, pidfile /var/amavis/amavisd.pid",
        "freebsd-ports security/clamav: package clamav, rc.d clamav_clamd, /usr/local/etc/clamd.conf; the Makefile's _SED_CONF edits of clamd.conf.sample leave `#MaxThreads 20` commented: clamd's default 10",
    ],
    unconfirmed: &[],
};

/// openSUSE's packaging (openSUSE:Factory, which Tumbleweed ships): a unit that runs amavisd
/// with no pid file, its config as one file, Postfix's `amavis` transport shipped commented out.
const OPENSUSE: ReleaseFacts = ReleaseFacts {
    id: "",
    os: Os::Opensuse,
    version: "",
    name: "",
    amavis_package: "amavisd-new",
    amavis_version: "2.14.0",
    amavisd_program: "/usr/sbin/amavisd",
    amavis_conf: "/etc/amavisd.conf",
    amavis_reads_conf_d: false,
    master: Master::Unit("amavis"),
    amavis_reload: "systemctl reload amavis",
    root_shell: RootShell::Sh,
    validation: Validation::TestConfig,
    postfix_dir: "/etc/postfix",
    packaged_transport: Some("amavis"),
    postfix_package: "postfix",
    clamd_package: "clamav",
    clamd_conf: &["/etc/clamd.conf"],
    clamd_max_threads: None,
    mail_log: MailLog::Journal { command: "journalctl -u amavis -u postfix" },
    sources: sources![
        "bmwiedemann/openSUSE (openSUSE:Factory) packages/a/amavisd-new/amavisd-new.spec @ a4991cea: Version 2.14.0, amavisd installed in /usr/sbin, conf/amavisd.conf installed as /etc/amavisd.conf, %prep's sed sets $MYHOME '/var/spool/amavis'",
        "packages/a/amavisd-new/amavis.service @ 26a98201: Type=notify, ExecStart=/usr/sbin/amavisd -P '' foreground (no pid file), ExecReload=/usr/sbin/amavisd -P '' reload, EnvironmentFile=-/etc/sysconfig/amavis",
        "packages/p/postfix/postfix.spec @ ca310fd7 (3.9.0, /etc/postfix) and postfix-master.cf.patch @ 22f90132: `#amavis unix - - n - 4 smtp` shipped commented",
        "packages/c/clamav/clamav-conf.patch @ 1f495b87: /etc/clamd.conf, MaxThreads not set: clamd's default 10",
    ],
    unconfirmed: &["the mail log (the journal)", "whether config.postfix keeps hand edits of main.cf"],
};

/// Gentoo's `mail-filter/amavisd-new` (the same ebuild for both init systems).
const GENTOO: ReleaseFacts = ReleaseFacts {
    id: "",
    os: Os::Gentoo,
    version: "",
    name: "",
    amavis_package: "mail-filter/amavisd-new",
    amavis_version: "2.14.0",
    amavisd_program: "/usr/sbin/amavisd",
    amavis_conf: "/etc/amavisd.conf",
    amavis_reads_conf_d: false,
    master: Master::PidFile("/run/amavisd.pid"),
    amavis_reload: "rc-service amavisd reload",
    root_shell: RootShell::Sh,
    validation: Validation::TestConfig,
    postfix_dir: "/etc/postfix",
    packaged_transport: None,
    postfix_package: "mail-mta/postfix",
    clamd_package: "app-antivirus/clamav",
    clamd_conf: &["/etc/clamav/clamd.conf"],
    clamd_max_threads: None,
    mail_log: MailLog::File { path: "/var/log/messages" },
    sources: sources![],
    unconfirmed: &["the mail log (no syslog daemon by default)"],
};

/// Alpine's `amavis` package. Its OpenRC script was in no source read, so the steps find the
/// master by its title and reload amavisd as `amavisd reload` does, with SIGHUP to the master
/// (Amavis.pm 2.13.0 line 7511): both work whatever the script does.
const ALPINE: ReleaseFacts = ReleaseFacts {
    id: "",
    os: Os::Alpine,
    version: "",
    name: "",
    amavis_package: "amavis",
    amavis_version: "2.13.0",
    amavisd_program: "/usr/sbin/amavisd",
    amavis_conf: "/etc/amavisd.conf",
    amavis_reads_conf_d: false,
    master: Master::Title("amavisd"),
    amavis_reload: "kill -HUP \"$(pgrep -o -f 'amavisd \\(master\\)')\"",
    root_shell: RootShell::Sh,
    validation: Validation::TestConfig,
    postfix_dir: "/etc/postfix",
    packaged_transport: None,
    postfix_package: "postfix",
    clamd_package: "clamav-daemon",
    clamd_conf: &["/etc/clamav/clamd.conf"],
    clamd_max_threads: None,
    mail_log: MailLog::File { path: "/var/log/messages" },
    sources: sources![
        "alpinelinux/aports main/amavis/APKBUILD @ ad3272d5: amavis 2.13.0-r1 (provides amavisd-new), /usr/sbin/amavisd, /etc/amavisd.conf (0640 root:amavis), subpackage amavis-openrc with /etc/init.d/amavisd and /etc/conf.d/amavisd",
        "main/amavis/amavisd-conf.patch @ 990d1c86: $MYHOME '/var/amavis', user and group amavis, $enable_db 0, $max_servers 2 kept, no $pid_file",
        "amavisd 2.13.0 Amavis.pm (Debian 12's): line 7752 `$0 = c('myprogram_name') . ' (master)'`; line 7511 `reload` sends SIGHUP to the master; test-config",
        "main/clamav/APKBUILD @ d2bfb22c (0.100.1): /etc/clamav/clamd.conf, MaxThreads not set: clamd's default 10; main/postfix/APKBUILD @ 511c49cd: /etc/postfix",
    ],
    unconfirmed: &[
        "which Alpine release has amavis 2.13.0",
        "the mail log (busybox syslogd's)",
        "the clamd package and clamd.conf's path (read in a 2018 APKBUILD)",
    ],
};

/// The release table, grouped by family, oldest first within a family (Gentoo's OpenRC, its
/// default init system, last: a plan for `gentoo` alone uses it).
pub static RELEASES: &[ReleaseFacts] = &[
    ReleaseFacts {
        id: "debian:11",
        version: "11",
        name: "Debian 11 (bullseye)",
        amavis_version: "2.11.1",
        amavisd_program: "/usr/sbin/amavisd-new",
        validation: Validation::ShowKeys,
        mail_log: MailLog::File { path: "/var/log/mail.log" },
        sources: sources![
            "bullseye amavisd-new 1:2.11.1-5+deb11u1 (deb.debian.org): /usr/sbin/amavisd-new, no /usr/sbin/amavisd; its command regex has showkeys but no test-config; amavis.service ExecStart=/usr/sbin/amavisd-new foreground",
            "/usr/share/amavis/conf.d/10-debian_scripts line 23: $pid_file = \"/var/run/amavis/amavisd.pid\"",
            "bullseye rsyslog is Priority important; its rsyslog.conf: mail.* -/var/log/mail.log",
        ],
        ..DEBIAN_FAMILY
    },
    ReleaseFacts {
        id: "debian:12",
        version: "12",
        name: "Debian 12 (bookworm)",
        sources: sources![
            "bookworm amavisd-new 1:2.13.0-3+deb12u1: /usr/sbin/amavisd, Amavis.pm line 7082 `exit 0 if $cmd eq 'test-config'`, amavis.service",
            "/usr/share/amavis/conf.d/10-debian_scripts line 23: $pid_file = \"/var/run/amavis/amavisd.pid\"",
            "bookworm rsyslog is Priority optional (not installed by default): mail logs are in the journal; postfix runs as postfix@- (postfix-instance-generator)",
        ],
        ..DEBIAN_FAMILY
    },
    ReleaseFacts {
        id: "debian:13",
        version: "13",
        name: "Debian 13 (trixie)",
        mail_log: MailLog::Journal { command: "journalctl -u amavis -u postfix" },
        sources: sources![
            "trixie amavisd-new 1:2.13.0-7: /usr/sbin/amavisd, Amavis.pm test-config, /usr/lib/systemd/system/amavis.service",
            "/usr/share/amavis/conf.d/10-debian_scripts line 23: $pid_file = \"/var/run/amavis/amavisd.pid\"",
            "trixie rsyslog is Priority optional; postfix NEWS.Debian 3.9.1-7: postfix@- became postfix.service",
        ],
        ..DEBIAN_FAMILY
    },
    ReleaseFacts {
        id: "ubuntu:22.04",
        os: Os::Ubuntu,
        version: "22.04",
        name: "Ubuntu 22.04 (jammy)",
        amavis_version: "2.12.2",
        amavisd_program: "/usr/sbin/amavisd-new",
        mail_log: MailLog::File { path: "/var/log/mail.log" },
        sources: sources![
            "jammy-updates amavisd-new 1:2.12.2-1ubuntu1.1 (archive.ubuntu.com): /usr/sbin/amavisd-new, script line 19201 `exit 0 if $cmd eq 'test-config'`, amavis.service",
            "/usr/share/amavis/conf.d/10-debian_scripts line 23: $pid_file = \"/var/run/amavis/amavisd.pid\"",
            "jammy rsyslog is Priority important; /etc/rsyslog.d/50-default.conf: mail.* -/var/log/mail.log",
        ],
        ..DEBIAN_FAMILY
    },
    ReleaseFacts {
        id: "ubuntu:24.04",
        os: Os::Ubuntu,
        version: "24.04",
        name: "Ubuntu 24.04 (noble)",
        mail_log: MailLog::File { path: "/var/log/mail.log" },
        sources: sources![
            "noble-updates amavisd-new 1:2.13.0-3ubuntu2: /usr/sbin/amavisd, Amavis.pm test-config, /usr/lib/systemd/system/amavis.service",
            "/usr/share/amavis/conf.d/10-debian_scripts line 23: $pid_file = \"/var/run/amavis/amavisd.pid\"",
            "noble rsyslog is Priority important; /etc/rsyslog.d/50-default.conf: mail.* -/var/log/mail.log",
        ],
        ..DEBIAN_FAMILY
    },
    ReleaseFacts { id: "rhel:8", version: "8", name: "RHEL 8 (and AlmaLinux, Rocky) with EPEL", ..EPEL },
    ReleaseFacts { id: "rhel:9", version: "9", name: "RHEL 9 (and AlmaLinux, Rocky) with EPEL", ..EPEL },
    ReleaseFacts { id: "rhel:10", version: "10", name: "RHEL 10 (and AlmaLinux, Rocky) with EPEL", ..EPEL },
    ReleaseFacts {
        id: "freebsd:13",
        version: "13",
        name: "FreeBSD 13 (ports and packages)",
        // FreeBSD 14.0's release notes: root's shell changed from csh to sh.
        root_shell: RootShell::Csh,
        ..FREEBSD_PORTS
    },
    ReleaseFacts { id: "freebsd:14", version: "14", name: "FreeBSD 14 (ports and packages)", ..FREEBSD_PORTS },
    ReleaseFacts {
        id: "openbsd:7",
        os: Os::Openbsd,
        version: "7",
        name: "OpenBSD 7.x (packages)",
        amavis_package: "amavisd-new",
        amavis_version: "2.14.0",
        amavisd_program: "/usr/local/sbin/amavisd",
        amavis_conf: "/etc/amavisd.conf",
        amavis_reads_conf_d: false,
        master: Master::PidFile("/var/amavisd/amavisd.pid"),
        amavis_reload: "rcctl reload amavisd",
        root_shell: RootShell::Sh,
        validation: Validation::TestConfig,
        postfix_dir: "/etc/postfix",
        packaged_transport: None,
        postfix_package: "postfix",
        clamd_package: "clamav",
        clamd_conf: &["/etc/clamd.conf"],
        clamd_max_threads: None,
        mail_log: MailLog::File { path: "/var/log/maillog" },
        sources: sources![
            "openbsd ports mail/amavisd-new: V= 2.14.0; pkg/PLIST-main @rcscript amavisd, @sample /etc/amavisd.conf; $MYHOME = /var/amavisd (patches), so $pid_file defaults to /var/amavisd/amavisd.pid (Amavis/Conf.pm)",
            "openbsd ports security/clamav: pkg/clamd.rc, @sample /etc/clamd.conf; patches/patch-etc_clamd_conf_sample changes LogFile, DatabaseDirectory and User only, so `#MaxThreads 20` stays commented: clamd's default 10 (the sample keeps its `Example` line, so a running clamd's file was edited, and a plan on the server reads it)",
        ],
        unconfirmed: &[],
    },
    ReleaseFacts { id: "alpine:3", version: "3", name: "Alpine Linux 3.x", ..ALPINE },
    ReleaseFacts {
        id: "opensuse:15",
        version: "15",
        name: "openSUSE Leap 15 and SLES 15 (PackageHub)",
        unconfirmed: &["every fact (these are openSUSE:Factory's)"],
        ..OPENSUSE
    },
    ReleaseFacts { id: "opensuse:tumbleweed", version: "tumbleweed", name: "openSUSE Tumbleweed", ..OPENSUSE },
    ReleaseFacts {
        id: "gentoo:systemd",
        version: "systemd",
        name: "Gentoo with systemd",
        master: Master::Unit("amavisd"),
        amavis_reload: "systemctl reload amavisd",
        mail_log: MailLog::Journal { command: "journalctl -u amavisd -u postfix" },
        unconfirmed: &["the Postfix unit's name (postfix.service)"],
        sources: sources![
            "gentoo/gentoo mail-filter/amavisd-new/amavisd-new-2.14.0-r1.ebuild @ b10389df: KEYWORDS amd64 (stable), /usr/sbin/amavisd, /etc/amavisd.conf; mail-mta/postfix/postfix-3.10.8.ebuild @ a4490d48: /etc/postfix",
            "app-antivirus/clamav/clamav-1.4.1-r1.ebuild @ 1f64051c: /etc/clamav/clamd.conf, MaxThreads not edited: clamd's default 10",
            "mail-filter/amavisd-new/files/amavisd.service-r1 @ b5e98d90: ExecStart=/usr/sbin/amavisd -c /etc/amavisd.conf foreground (no pid file), ExecReload=/usr/sbin/amavisd -c /etc/amavisd.conf reload",
        ],
        ..GENTOO
    },
    ReleaseFacts {
        id: "gentoo:openrc",
        version: "openrc",
        name: "Gentoo with OpenRC",
        sources: sources![
            "gentoo/gentoo mail-filter/amavisd-new/amavisd-new-2.14.0-r1.ebuild @ b10389df: KEYWORDS amd64 (stable), /usr/sbin/amavisd, /etc/amavisd.conf; mail-mta/postfix/postfix-3.10.8.ebuild @ a4490d48: /etc/postfix",
            "app-antivirus/clamav/clamav-1.4.1-r1.ebuild @ 1f64051c: /etc/clamav/clamd.conf, MaxThreads not edited: clamd's default 10",
            "mail-filter/amavisd-new/files/amavisd.initd-r2 @ 60275a4c: command_args=\"foreground\", command_background=\"true\", pidfile=\"/run/amavisd.pid\" (written by start-stop-daemon: the master's pid), extra_started_commands=\"reload\"",
        ],
        ..GENTOO
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(text: &str) -> OsRelease {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn parse_and_display() {
        for text in ["debian", "debian:12", "ubuntu:22.04", "rhel:9", "openbsd:7.6", "opensuse:tumbleweed"] {
            assert_eq!(asked(text).to_string(), text);
        }
        assert!("debian:".parse::<OsRelease>().is_err());
        assert!("debian:12a".parse::<OsRelease>().is_err());
        assert!("debian:1..2".parse::<OsRelease>().is_err());
        assert!("plan9:4".parse::<OsRelease>().is_err());
        assert!("gentoo:OpenRC".parse::<OsRelease>().is_err());
        assert!("gentoo:open-rc".parse::<OsRelease>().is_err());
    }

    #[test]
    fn every_family_has_a_release_and_ids_are_unique() {
        for os in Os::ALL {
            assert!(RELEASES.iter().any(|r| r.os == os), "{os}");
        }
        let mut ids: Vec<&str> = RELEASES.iter().map(|r| r.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), RELEASES.len());
        for facts in RELEASES {
            assert_eq!(facts.id, format!("{}:{}", facts.os, facts.version));
            assert_eq!(resolve_release(&asked(facts.id)), ResolvedRelease { facts, note: None });
            assert!(!facts.sources.is_empty(), "{}", facts.id);
        }
    }

    #[test]
    fn nearest_release() {
        let id = |text: &str| resolve_release(&asked(text)).facts.id;
        assert_eq!(id("rhel:9.4"), "rhel:9");
        assert_eq!(id("openbsd:7.6"), "openbsd:7");
        assert_eq!(id("debian:14"), "debian:13");
        assert_eq!(id("debian:10"), "debian:11");
        assert_eq!(id("ubuntu:23.10"), "ubuntu:22.04");
        assert_eq!(id("ubuntu:26.04"), "ubuntu:24.04");
        assert_eq!(id("debian"), "debian:13");
        assert_eq!(id("opensuse:15.6"), "opensuse:15");
        assert_eq!(id("opensuse:16.0"), "opensuse:15");
        assert_eq!(id("opensuse:tumbleweed"), "opensuse:tumbleweed");
        assert_eq!(id("gentoo"), "gentoo:openrc");
        assert_eq!(id("gentoo:systemd"), "gentoo:systemd");
        assert_eq!(id("alpine:3.22.1"), "alpine:3");
        let note = resolve_release(&asked("debian:14")).note.unwrap_or_default();
        assert!(note.contains("Debian 13 (trixie)") && note.contains("debian:11, debian:12, debian:13"), "{note}");
        assert!(resolve_release(&asked("debian")).note.is_some());
    }
}
