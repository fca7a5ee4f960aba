//! `check`: from the parsed files, what each side will really do, and whether they agree.
//!
//! Postfix's side is the most parallel deliveries it will open to amavisd: the transport's
//! master.cf maxproc (`-` = `default_process_limit`, `0` = no limit), further capped by the
//! destination concurrency limit per destination unless the recipient limit is 1. amavisd's side
//! is the last `$max_servers` assignment read, in the order amavisd reads its files, or its
//! built-in default of 2.

use serde::Serialize;

use crate::config::amavis_conf::{AmavisConf, AssignedValue, Assignment};
use crate::config::diagnostic::Severity;
use crate::config::main_cf::MainCf;
use crate::config::master_cf::{Entry, MasterCf, Maxproc, maxproc_value};
use crate::config::postfix_defaults::{DEFAULT_DESTINATION_CONCURRENCY_LIMIT, DEFAULT_PROCESS_LIMIT};

mod findings;
mod postfix_side;
pub(crate) mod scheduler;

pub use findings::{Finding, FindingCode};
use postfix_side::postfix_side;

/// amavisd's built-in `$max_servers` (Amavis/Conf.pm).
pub const AMAVISD_DEFAULT_MAX_SERVERS: u32 = 2;

pub use crate::config::postfix_defaults::DEFAULT_DESTINATION_RECIPIENT_LIMIT;

/// A parsed file and the path it was read from (as the user should see it).
#[derive(Debug, Clone)]
pub struct SourceFile<T> {
    pub path: String,
    pub doc: T,
}

/// The configuration `check` reads.
#[derive(Debug, Clone)]
pub struct ConfigSet {
    pub master_cf: SourceFile<MasterCf>,
    pub main_cf: SourceFile<MainCf>,
    /// amavisd's files in the order amavisd reads them.
    pub amavis: Vec<SourceFile<AmavisConf>>,
    /// Files in amavisd's `conf.d` directories that it does not read (run-parts naming rules).
    pub amavis_skipped: Vec<String>,
    /// For each file of `amavis` (by index; missing entries mean `None`): the file and statement
    /// that made amavisd read it, or `None` for a file amavisd reads by itself (`-c`, `conf.d`).
    pub amavis_included: Vec<Option<IncludedFrom>>,
    /// Statements that make amavisd read a file the caller could not follow, and why.
    pub amavis_unfollowed: Vec<Unfollowed>,
}

/// Where a file amavisd reads was included: the index in `ConfigSet::amavis` of the including
/// file and the byte offset of the statement (`Include::offset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncludedFrom {
    pub file: usize,
    pub offset: usize,
}

/// A statement reading another amavisd file that was not followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfollowed {
    pub location: Location,
    /// The statement as written.
    pub statement: String,
    /// Why it was not followed, in words (`the file does not exist`, ...).
    pub reason: String,
    /// Whether amavisd itself would skip it (a conditional statement whose file is absent): then
    /// the finding is informational only.
    pub skipped_by_amavisd: bool,
}

impl ConfigSet {
    /// The configuration in the given files, each a path (as the user should see it) and the
    /// bytes read from it, parsed by its reader; amavisd's files in the order amavisd reads them.
    /// No file is skipped: a caller that read a `conf.d` directory sets `amavis_skipped`.
    pub fn from_texts<'a>(
        master_cf: (&str, &[u8]),
        main_cf: (&str, &[u8]),
        amavis: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> ConfigSet {
        ConfigSet {
            master_cf: SourceFile { path: master_cf.0.to_owned(), doc: MasterCf::parse(master_cf.1) },
            main_cf: SourceFile { path: main_cf.0.to_owned(), doc: MainCf::parse(main_cf.1) },
            amavis: amavis
                .into_iter()
                .map(|(path, bytes)| SourceFile { path: path.to_owned(), doc: AmavisConf::parse(bytes) })
                .collect(),
            amavis_skipped: Vec::new(),
            amavis_included: Vec::new(),
            amavis_unfollowed: Vec::new(),
        }
    }

    /// The file and statement that made amavisd read file `index`, if another file included it.
    pub fn included_from(&self, index: usize) -> Option<IncludedFrom> {
        self.amavis_included.get(index).copied().flatten()
    }

    /// The amavisd files in the order amavisd evaluates them: each listed file, with each file it
    /// includes evaluated where its include statement stands.
    pub fn amavis_file_order(&self) -> Vec<usize> {
        let mut order = Vec::new();
        for index in 0..self.amavis.len() {
            if self.included_from(index).is_none() {
                self.walk(index, 0, &mut order, &mut |_, _| {});
            }
        }
        order
    }

    /// Every `$max_servers` assignment in the order amavisd runs them, with its file's index.
    pub fn max_servers_assignments(&self) -> Vec<(usize, &Assignment)> {
        let mut found = Vec::new();
        let mut order = Vec::new();
        for index in 0..self.amavis.len() {
            if self.included_from(index).is_none() {
                self.walk(index, 0, &mut order, &mut |file, assignment| found.push((file, assignment)));
            }
        }
        found
    }

    fn walk<'a>(
        &'a self,
        file: usize,
        depth: usize,
        order: &mut Vec<usize>,
        on_assignment: &mut dyn FnMut(usize, &'a Assignment),
    ) {
        if depth > 16 || order.contains(&file) {
            return;
        }
        order.push(file);
        let doc = &self.amavis[file].doc;
        // Included files come after their includer, in the order of its statements.
        let mut children = (0..self.amavis.len())
            .filter_map(|child| self.included_from(child).filter(|f| f.file == file).map(|f| (f.offset, child)))
            .peekable();
        for assignment in &doc.assignments {
            while let Some(&(offset, child)) = children.peek() {
                if offset > assignment.statement.start {
                    break;
                }
                children.next();
                self.walk(child, depth + 1, order, on_assignment);
            }
            on_assignment(file, assignment);
        }
        for (_, child) in children {
            self.walk(child, depth + 1, order, on_assignment);
        }
    }

    /// The TCP ports amavisd listens on (`$inet_socket_port`, the last assignment read; amavisd's
    /// default 10024 when none), with where it was set; `None` ports when it is not a plain
    /// number or list of numbers.
    pub fn amavis_ports(&self) -> (Option<Vec<u16>>, Option<Location>) {
        let mut found = (Some(vec![AMAVISD_DEFAULT_PORT]), None);
        let mut listen: Option<(Option<Vec<u16>>, Option<Location>)> = None;
        for index in self.amavis_file_order() {
            let file = &self.amavis[index];
            if let Some(last) = file.doc.socket_ports.last() {
                found = (last.ports.clone(), Some(Location { path: file.path.clone(), line: last.line }));
            }
            if let Some(last) = file.doc.listen_sockets.last() {
                listen = Some((last.ports.clone(), Some(Location { path: file.path.clone(), line: last.line })));
            }
        }
        // amavisd 2.11+: a non-empty @listen_sockets replaces $inet_socket_port and
        // $unix_socketname (RELEASE_NOTES 2.11.0).
        listen.filter(|(ports, _)| ports.as_ref().is_none_or(|p| !p.is_empty())).unwrap_or(found)
    }

    /// The ports amavisd has a policy bank for (`$interface_policy{'10026'}`), with where; the
    /// last assignment for a port wins.
    pub fn amavis_policy_ports(&self) -> Vec<(u16, Location)> {
        let mut found: Vec<(u16, Location)> = Vec::new();
        for index in self.amavis_file_order() {
            let file = &self.amavis[index];
            for policy in &file.doc.policy_ports {
                let location = Location { path: file.path.clone(), line: policy.line };
                match found.iter_mut().find(|(port, _)| *port == policy.port) {
                    Some(entry) => entry.1 = location,
                    None => found.push((policy.port, location)),
                }
            }
        }
        found
    }

    /// The unix socket amavisd listens on (`$unix_socketname`), when a plain string sets it.
    pub fn amavis_socket(&self) -> Option<String> {
        let mut found = None;
        for index in self.amavis_file_order() {
            if let Some(last) = self.amavis[index].doc.socket_names.last() {
                found = last.path.clone();
            }
        }
        found
    }
}

impl ConfigSet {
    /// The master.cf entries where amavisd hands mail back: the smtpd listener on the port of
    /// amavisd's `$forward_method` (its default `smtp:[127.0.0.1]:10025`; `smtp:*:*` is the
    /// incoming port plus one). When `$forward_method` is not a plain string, the usual signs
    /// (an smtpd on inet with an empty content_filter, or on port 10025).
    pub fn reinjection_entries(&self) -> Vec<usize> {
        let mut method = Some(AMAVISD_DEFAULT_FORWARD_METHOD.to_owned());
        for index in self.amavis_file_order() {
            if let Some(last) = self.amavis[index].doc.forward_methods.last() {
                method = last.path.clone();
            }
        }
        let ports: Option<Vec<u16>> = method.as_deref().and_then(|method| {
            let (_, port) = method.rsplit_once(':')?;
            if port == "*" {
                return self.amavis_ports().0.map(|ports| ports.iter().map(|p| p.saturating_add(1)).collect());
            }
            port.parse().ok().map(|port| vec![port])
        });
        self.master_cf
            .doc
            .entries
            .iter()
            .enumerate()
            .filter(|(_, entry)| match &ports {
                Some(ports) => {
                    entry.kind() == "inet"
                        && entry.command() == "smtpd"
                        && entry
                            .service()
                            .rsplit_once(':')
                            .and_then(|(_, p)| p.parse::<u16>().ok())
                            .is_some_and(|p| ports.contains(&p))
                }
                None => entry.is_reinjection_listener(),
            })
            .map(|(index, _)| index)
            .collect()
    }
}

/// amavisd's built-in `$forward_method` (Amavis/Conf.pm).
pub const AMAVISD_DEFAULT_FORWARD_METHOD: &str = "smtp:[127.0.0.1]:10025";

/// amavisd's built-in `$inet_socket_port` (Amavis/Conf.pm).
pub const AMAVISD_DEFAULT_PORT: u16 = 10024;

/// Where a value was read: a file and line. Serialized as `path:line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: String,
    pub line: usize,
}

impl Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.path, self.line)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Match,
    Mismatch,
}

impl Status {
    /// The name used in text output, in JSON and on the page.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Match => "match",
            Status::Mismatch => "mismatch",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AmavisSide {
    /// The number amavisd runs with; `None` when it cannot be read statically.
    pub max_servers: Option<u32>,
    /// Where it is set; `None` for the built-in default.
    pub source: Option<Location>,
}

/// What caps Postfix's parallel deliveries to amavisd.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cap {
    Maxproc,
    DestinationConcurrencyLimit,
    Unlimited,
    Unknown,
}

/// How Postfix hands mail to amavisd.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Feed {
    /// After the queue: a `content_filter` names a delivery transport (README.postfix).
    ContentFilter,
    /// Before the queue: `smtpd_proxy_filter` on smtpd services (SMTPD_PROXY_README).
    ProxyFilter,
}

/// An smtpd service that hands mail to amavisd through `smtpd_proxy_filter`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProxyService {
    /// `service/type`, as postconf names it.
    pub service: String,
    /// Its maxproc field as written.
    pub maxproc: String,
    pub source: Location,
    /// The filter's value.
    pub proxy_filter: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostfixSide {
    /// How Postfix hands mail to amavisd.
    pub feed: Feed,
    /// The master.cf service amavis is behind (for a proxy filter, the first smtpd service).
    pub service: Option<String>,
    /// Its maxproc field as written.
    pub maxproc: Option<String>,
    #[serde(rename = "source")]
    pub maxproc_source: Option<Location>,
    /// The most parallel deliveries Postfix opens to amavisd; `None` when unlimited or unknown.
    pub effective: Option<u32>,
    pub cap: Cap,
    /// The destination concurrency limit in force, and whether it caps the total.
    pub destination_concurrency_limit: Option<u32>,
    pub destination_concurrency_limit_source: Option<Location>,
    pub destination_concurrency_limit_applies: bool,
    /// How many destinations (`host:port`) the content filter delivers to through this service.
    pub destinations: usize,
    /// With a proxy filter: the smtpd services that carry it (their process limits add up).
    pub proxy_services: Vec<ProxyService>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub status: Status,
    pub amavis: AmavisSide,
    pub postfix: PostfixSide,
    pub findings: Vec<Finding>,
    /// The number that would make both sides agree without asking for more RAM: the smaller of
    /// the two, at least 2.
    pub suggested: Option<u32>,
}

impl Report {
    /// Whether anything says mail would be refused, deferred or delayed.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Adds what the server's mail logs show (`amavis-tune logs`'s analysis, read with this report's
/// two numbers) as an `observed-load` finding: an error where mail was deferred or refused, a
/// warning where it waited, a note where it flowed.
pub fn note_observed_load(report: &mut Report, load: &crate::plan::choose::ObservedLoad) {
    use crate::logs::verdict::Verdict;
    let severity = match load.verdict {
        Verdict::PostfixExceedsAmavis | Verdict::AmavisdUnreachable | Verdict::AmavisdRefuses => Severity::Error,
        Verdict::Saturated | Verdict::PostfixBelowAmavis => Severity::Warning,
        Verdict::Idle | Verdict::RightSized | Verdict::NoData => Severity::Info,
    };
    let mut message = format!("the mail logs say {}: {}", load.verdict.as_str(), load.reason.trim_end());
    if load.verdict == Verdict::PostfixExceedsAmavis && report.status == Status::Match {
        message.push_str(" The files agree now: the logs may be from before a change, or amavisd runs with another number than its files say (a `-m N` on its command line, or a restart still to come).");
    }
    match load.needed {
        Some(needed) => {
            message.push_str(&format!(" The traffic needs {needed} (amavis-tune plan --logs sizes by it)."))
        }
        None => message.push_str(" The logs give no number for the traffic (see amavis-tune logs)."),
    }
    report.findings.push(Finding::new(FindingCode::ObservedLoad, severity, message, None));
}

/// Reads both sides and compares them. `$max_servers` equal to Postfix's effective concurrency,
/// or one more (a spare child for quarantine releases and other feeds, as amavis 2.3.0's release
/// notes suggest), is a match.
pub fn check(config: &ConfigSet) -> Report {
    let mut findings = Vec::new();
    findings::syntax(config, &mut findings);
    findings::generated(config, &mut findings);
    let amavis = amavis_side(config, &mut findings);
    let postfix = postfix_side(config, &mut findings);
    let status = match (amavis.max_servers, postfix.effective) {
        (Some(servers), Some(effective)) if servers == effective || servers == effective.saturating_add(1) => {
            Status::Match
        }
        _ => Status::Mismatch,
    };
    findings::compare(config, &amavis, &postfix, &mut findings);
    if let Some(servers) = amavis.max_servers {
        findings::reinjection(config, servers, &mut findings);
    }
    let suggested = match (amavis.max_servers, postfix.effective) {
        (Some(a), Some(p)) => Some(a.min(p)),
        (Some(a), None) => Some(a),
        (None, Some(p)) => Some(p),
        (None, None) => None,
    }
    .map(|n| n.max(crate::inputs::concurrency::MIN_CONCURRENCY));
    Report { status, amavis, postfix, findings, suggested }
}

fn amavis_side(config: &ConfigSet, findings: &mut Vec<Finding>) -> AmavisSide {
    let assignments: Vec<(&SourceFile<AmavisConf>, &Assignment)> =
        config.max_servers_assignments().into_iter().map(|(index, a)| (&config.amavis[index], a)).collect();
    for unfollowed in &config.amavis_unfollowed {
        findings.push(Finding::new(
            FindingCode::AmavisIncludeUnfollowed,
            if unfollowed.skipped_by_amavisd { Severity::Info } else { Severity::Warning },
            if unfollowed.skipped_by_amavisd {
                format!("`{}`: {}, and the statement's condition makes amavisd skip it too", unfollowed.statement, unfollowed.reason)
            } else {
                format!(
                    "`{}` makes amavisd read another file, which could not be followed ({}): a $max_servers set there is not counted; check it by hand",
                    unfollowed.statement, unfollowed.reason
                )
            },
            Some(unfollowed.location.clone()),
        ));
    }
    // amavis-tune's own backups of one file (one more after every `apply`) are one finding.
    let mut backups: Vec<(String, Vec<&str>)> = Vec::new();
    for skipped in &config.amavis_skipped {
        let (dir, name) = skipped.rsplit_once('/').unwrap_or(("", skipped));
        if let Some((of, stamp)) = crate::edit::backup::backup_of(name) {
            let glob = format!("{dir}/{}", crate::edit::backup::backup_glob(of));
            match backups.iter_mut().find(|(g, _)| *g == glob) {
                Some((_, stamps)) => stamps.push(stamp),
                None => backups.push((glob, vec![stamp])),
            }
            continue;
        }
        findings.push(Finding::new(
            FindingCode::AmavisFileSkipped,
            Severity::Info,
            "amavisd does not read this file: run-parts skips names with characters other than letters, digits, `_` and `-`".to_owned(),
            Some(Location { path: skipped.clone(), line: 0 }),
        ));
    }
    for (glob, stamps) in backups {
        let newest = stamps.iter().max().copied().unwrap_or_default();
        findings.push(Finding::new(
            FindingCode::AmavisFileSkipped,
            Severity::Info,
            format!(
                "{} file(s) named as amavis-tune's backups (the newest {newest}): amavisd does not read them (run-parts skips names with a `.`); `amavis-tune restore` lists the ones it made",
                stamps.len()
            ),
            Some(Location { path: glob, line: 0 }),
        ));
    }
    let Some(&(file, last)) = assignments.last() else {
        return AmavisSide { max_servers: Some(AMAVISD_DEFAULT_MAX_SERVERS), source: None };
    };
    let location = Location { path: file.path.clone(), line: last.line };
    for &(earlier_file, earlier) in &assignments[..assignments.len() - 1] {
        if earlier_file.path != file.path {
            findings.push(Finding::new(
                FindingCode::AmavisOverridden,
                Severity::Info,
                format!("this $max_servers is overridden by the one at {location}, which amavisd reads later"),
                Some(Location { path: earlier_file.path.clone(), line: earlier.line }),
            ));
        }
    }
    match (&last.value, last.in_block) {
        (AssignedValue::Number { value, .. }, false) => {
            AmavisSide { max_servers: Some(*value), source: Some(location) }
        }
        (AssignedValue::Number { value, .. }, true) => {
            findings.push(Finding::new(
                FindingCode::AmavisUnreadable,
                Severity::Error,
                format!("$max_servers = {value} is inside a block, so it may not run: set it at the top level of the file so that it can be checked"),
                Some(location.clone()),
            ));
            AmavisSide { max_servers: None, source: Some(location) }
        }
        (AssignedValue::Expression { text }, _) => {
            findings.push(Finding::new(
                FindingCode::AmavisUnreadable,
                Severity::Error,
                format!("$max_servers is set by `{text}`, which cannot be read without running Perl: replace it with a plain number, the one Postfix's side is set to (`$max_servers = N;`)"),
                Some(location.clone()),
            ));
            AmavisSide { max_servers: None, source: Some(location) }
        }
    }
}

/// A numeric main.cf value, following `$name` references to other parameters and their defaults.
pub(crate) fn numeric_parameter(
    main_cf: &SourceFile<MainCf>,
    name: &str,
    depth: usize,
) -> Option<(u32, Option<Location>)> {
    let builtin = |name: &str| match name {
        "default_process_limit" => Some(DEFAULT_PROCESS_LIMIT),
        "default_destination_concurrency_limit" => Some(DEFAULT_DESTINATION_CONCURRENCY_LIMIT),
        "default_destination_recipient_limit" => Some(DEFAULT_DESTINATION_RECIPIENT_LIMIT),
        _ => None,
    };
    let Some(parameter) = main_cf.doc.get(name) else {
        return builtin(name).map(|value| (value, None));
    };
    let location = Some(Location { path: main_cf.path.clone(), line: parameter.line });
    let value = parameter.value.as_str();
    if let Ok(number) = value.parse::<u32>() {
        return Some((number, location));
    }
    let reference = value
        .strip_prefix("${")
        .and_then(|v| v.strip_suffix('}'))
        .or_else(|| value.strip_prefix("$(").and_then(|v| v.strip_suffix(')')))
        .or_else(|| value.strip_prefix('$'))?;
    if depth > 10 || !reference.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return None;
    }
    numeric_parameter(main_cf, reference, depth + 1).map(|(number, _)| (number, location))
}

/// The effective maxproc of an entry: `None` when unlimited.
pub(crate) fn effective_maxproc(entry: &Entry, main_cf: &SourceFile<MainCf>) -> Option<u32> {
    match maxproc_value(&entry.maxproc().text) {
        Ok(Maxproc::Limit(n)) => Some(n),
        Ok(Maxproc::Unlimited) => None,
        Ok(Maxproc::Default) | Err(_) => Some(
            numeric_parameter(main_cf, "default_process_limit", 0).map_or(DEFAULT_PROCESS_LIMIT, |(value, _)| value),
        ),
    }
}

/// A configuration from texts, named `master.cf`, `main.cf` and as given, for data-driven tests.
#[cfg(test)]
pub(crate) fn test_config(master_cf: &str, main_cf: &str, amavis: &[(&str, &str)]) -> ConfigSet {
    ConfigSet::from_texts(
        ("master.cf", master_cf.as_bytes()),
        ("main.cf", main_cf.as_bytes()),
        amavis.iter().map(|(path, text)| (*path, text.as_bytes())),
    )
}

#[cfg(test)]
mod tests;
