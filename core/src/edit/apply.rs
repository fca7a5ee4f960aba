//! `apply`: the edits that make both sides run at N, decided from the parsed files, checked
//! before anything is written. Pure: the CLI writes what this returns.

use crate::check::FindingCode;
use crate::check::{
    AMAVISD_DEFAULT_MAX_SERVERS, ConfigSet, Feed, Report, SourceFile, Status, check, effective_maxproc,
};
use crate::config::amavis_conf::AmavisConf;
use crate::config::diagnostic::Severity;
use crate::config::main_cf::MainCf;
use crate::config::master_cf::MasterCf;
use crate::edit::patch::{self, Refused};
use crate::inputs::concurrency::Concurrency;
use crate::inputs::method::PostfixMethod;

/// What `apply` needs beyond the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOptions {
    pub concurrency: Concurrency,
    pub method: PostfixMethod,
    /// The index in `ConfigSet::amavis` of the file meant for local settings (Debian's
    /// `/etc/amavis/conf.d/50-user`), if there is one.
    pub amavis_local_override: Option<usize>,
}

/// One file's new contents and why each change was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: String,
    pub original: Vec<u8>,
    pub new: Vec<u8>,
    pub reasons: Vec<String>,
}

/// The result of [`apply`]: the changed files (none when everything is already in place), the
/// check before and after, and whether N is a raise (amavisd restarts first) or a cut (Postfix
/// reloads first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    pub files: Vec<FileChange>,
    pub before: Report,
    pub after: Report,
    pub raising: bool,
}

/// Why `apply` will not edit the files: each message says what to do by hand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Postfix would refuse a file as it is.
    #[error("{path}:{line}: {message}; fix it first")]
    UnreadableFile { path: String, line: usize, message: String },
    #[error(
        "no content_filter names an amavis transport, so there is no Postfix side to set; configure the content filter first"
    )]
    NoTransport,
    /// A finding that leaves the Postfix side ambiguous (`code` says which).
    #[error("{message}; resolve it by hand first")]
    Ambiguous { code: FindingCode, message: String },
    #[error("master.cf has no `{service}` entry")]
    NoEntry { service: String },
    #[error("master.cf defines `{service}/unix` {count} times; remove the extra entries first")]
    DuplicateEntry { service: String, count: usize },
    #[error(
        "`{service}_destination_recipient_limit` is 1, so `{service}_destination_concurrency_limit` counts per recipient and cannot cap the connections to amavisd; use --method master-cf"
    )]
    MainCfPerRecipient { service: String },
    #[error(
        "`{service}` delivers to {destinations} content-filter destinations and the main.cf limit counts each separately; use --method master-cf"
    )]
    MainCfSeveralDestinations { service: String, destinations: usize },
    #[error("no amavisd configuration file was read")]
    NoAmavisFile,
    #[error("{path}: {refused}")]
    AmavisEdit { path: String, refused: Refused },
    /// amavisd is fed by a before-queue filter: Postfix's side is smtpd's process limits.
    #[error(
        "Postfix hands mail to amavisd through smtpd_proxy_filter on {services}, whose process limits ({total} in all) are Postfix's side; amavis-tune does not change smtpd process limits, since they also cap how many SMTP clients are served at once: set $max_servers to at least {total} if the RAM allows, or lower those services' maxproc in master.cf by hand so that together they are at most {n} and set $max_servers to {n} (Postfix SMTPD_PROXY_README)"
    )]
    ProxyFilter { services: String, total: String, n: u32 },
    /// The amavis transport also carries other mail: its limit is not amavis-tune's to change.
    #[error("{message}")]
    SharedTransport { service: String, message: String },
    /// The edited text, read again, does not run both sides at N.
    #[error(
        "after these edits both sides would not run at {n} (amavisd {amavisd}, Postfix {postfix}){problems}; change the files by hand"
    )]
    NotAtN { n: u32, amavisd: String, postfix: String, problems: String },
}

/// The method in force on these files: main.cf's `<service>_destination_concurrency_limit` when
/// main.cf sets it and it is what caps Postfix (amavis README.postfix, "limit in main.cf"), else
/// master.cf's maxproc. `apply` without `--method` changes that one, not both.
pub fn method_in_force(config: &ConfigSet) -> PostfixMethod {
    let report = check(config);
    let postfix = &report.postfix;
    let own_limit_set = postfix
        .service
        .as_ref()
        .is_some_and(|service| config.main_cf.doc.get(&format!("{service}_destination_concurrency_limit")).is_some());
    if postfix.feed == Feed::ContentFilter
        && postfix.cap == crate::check::Cap::DestinationConcurrencyLimit
        && postfix.destination_concurrency_limit_applies
        && own_limit_set
    {
        PostfixMethod::MainCf
    } else {
        PostfixMethod::MasterCf
    }
}

/// Decides every edit that makes Postfix and amavisd run at `options.concurrency`.
pub fn apply(config: &ConfigSet, options: &ApplyOptions) -> Result<Changes, Refusal> {
    let n = options.concurrency.get();
    let before = check(config);
    for (path, diagnostics) in [
        (&config.master_cf.path, &config.master_cf.doc.diagnostics),
        (&config.main_cf.path, &config.main_cf.doc.diagnostics),
    ] {
        if let Some(error) = diagnostics.iter().find(|d| d.severity == Severity::Error) {
            return Err(Refusal::UnreadableFile {
                path: path.clone(),
                line: error.line,
                message: error.message.clone(),
            });
        }
    }
    if before.postfix.feed == Feed::ProxyFilter {
        let services: Vec<String> = before.postfix.proxy_services.iter().map(|p| p.service.clone()).collect();
        return Err(Refusal::ProxyFilter {
            services: services.join(", "),
            total: before.postfix.effective.map_or("no limit".to_owned(), |n| n.to_string()),
            n,
        });
    }
    let Some(service) = before.postfix.service.clone() else {
        return Err(Refusal::NoTransport);
    };
    if let Some(finding) = before.findings.iter().find(|f| f.code == FindingCode::SharedTransport) {
        return Err(Refusal::SharedTransport { service, message: finding.message.clone() });
    }
    if let Some(finding) = before.findings.iter().find(|f| {
        matches!(
            f.code,
            crate::FindingCode::TransportMissing
                | crate::FindingCode::SeveralTransports
                | crate::FindingCode::ContentFilterUnreadable
        )
    }) {
        return Err(Refusal::Ambiguous { code: finding.code, message: finding.message.clone() });
    }
    let entries: Vec<usize> = config
        .master_cf
        .doc
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.service() == service && e.kind() == "unix")
        .map(|(i, _)| i)
        .collect();
    let entry_index = match entries.as_slice() {
        [one] => *one,
        [] => match config.master_cf.doc.entries.iter().position(|e| e.service() == service) {
            Some(index) => index,
            None => return Err(Refusal::NoEntry { service }),
        },
        _ => {
            return Err(Refusal::DuplicateEntry { service, count: entries.len() });
        }
    };

    let mut master = FileChange::new(&config.master_cf);
    let mut main = FileChange::new(&config.main_cf);
    let own_limit = format!("{service}_destination_concurrency_limit");
    let entry = &config.master_cf.doc.entries[entry_index];
    let maxproc_line = entry.maxproc().line;
    match options.method {
        PostfixMethod::MasterCf => {
            master.edit(
                |doc| patch::set_maxproc(doc, entry_index, n),
                format!("line {maxproc_line}: maxproc of `{service}` {} -> {n}", entry.maxproc().text),
                MasterCf::parse,
            );
            let postfix = &before.postfix;
            let destinations = u32::try_from(postfix.destinations.max(1)).unwrap_or(u32::MAX);
            if postfix.destination_concurrency_limit_applies
                && postfix.destination_concurrency_limit.is_some_and(|limit| limit.saturating_mul(destinations) < n)
            {
                main.edit(
                    |doc| patch::set_parameter(doc, &own_limit, &n.to_string()),
                    format!(
                        "`{own_limit} = {n}`: the destination concurrency limit ({}) would otherwise let only {} deliveries through",
                        postfix.destination_concurrency_limit.unwrap_or_default(),
                        postfix.destination_concurrency_limit.unwrap_or_default().saturating_mul(destinations)
                    ),
                    MainCf::parse,
                );
            }
        }
        PostfixMethod::MainCf => {
            if !before.postfix.destination_concurrency_limit_applies
                && before.postfix.destination_concurrency_limit.is_some_and(|l| l > 0)
            {
                return Err(Refusal::MainCfPerRecipient { service });
            }
            if before.postfix.destinations > 1 {
                return Err(Refusal::MainCfSeveralDestinations { service, destinations: before.postfix.destinations });
            }
            main.edit(
                |doc| patch::set_parameter(doc, &own_limit, &n.to_string()),
                format!("`{own_limit} = {n}`"),
                MainCf::parse,
            );
            if effective_maxproc(entry, &config.main_cf).is_some_and(|m| m < n) {
                master.edit(
                    |doc| patch::set_maxproc(doc, entry_index, n),
                    format!("line {maxproc_line}: maxproc of `{service}` {} -> {n}, which would otherwise cap the main.cf limit", entry.maxproc().text),
                    MasterCf::parse,
                );
            }
        }
    }
    raise_reinjection(config, &mut master, n);
    let amavis = amavis_change(config, options)?;

    let after_config = ConfigSet {
        master_cf: SourceFile { path: master.path.clone(), doc: MasterCf::parse(&master.new) },
        main_cf: SourceFile { path: main.path.clone(), doc: MainCf::parse(&main.new) },
        amavis: config
            .amavis
            .iter()
            .map(|file| match &amavis {
                Some(change) if change.path == file.path => {
                    SourceFile { path: file.path.clone(), doc: AmavisConf::parse(&change.new) }
                }
                _ => file.clone(),
            })
            .collect(),
        amavis_skipped: config.amavis_skipped.clone(),
        amavis_included: config.amavis_included.clone(),
        amavis_unfollowed: config.amavis_unfollowed.clone(),
    };
    let after = check(&after_config);
    if after.status != Status::Match
        || after.amavis.max_servers != Some(n)
        || after.postfix.effective != Some(n)
        || after.has_errors()
    {
        let problems: Vec<String> =
            after.findings.iter().filter(|f| f.severity == Severity::Error).map(|f| f.message.clone()).collect();
        return Err(Refusal::NotAtN {
            n,
            amavisd: after.amavis.max_servers.map_or("unknown".to_owned(), |v| v.to_string()),
            postfix: after.postfix.effective.map_or("unlimited or unknown".to_owned(), |v| v.to_string()),
            problems: if problems.is_empty() { String::new() } else { format!(": {}", problems.join("; ")) },
        });
    }
    let raising = before.amavis.max_servers.is_none_or(|current| n >= current);
    let mut files: Vec<FileChange> = amavis.into_iter().chain([master, main]).filter(|f| f.new != f.original).collect();
    // A file a panel or installer owns: say so where the change is listed.
    for file in &mut files {
        for finding in before.findings.iter().filter(|f| f.code == FindingCode::GeneratedFile) {
            if finding.path.as_deref() == Some(file.path.as_str()) {
                file.reasons.push(format!("note: {}", finding.message));
            }
        }
    }
    Ok(Changes { files, before, after, raising })
}

impl FileChange {
    fn new<T: Rendered>(file: &SourceFile<T>) -> FileChange {
        FileChange {
            path: file.path.clone(),
            original: file.doc.bytes().to_vec(),
            new: file.doc.bytes().to_vec(),
            reasons: Vec::new(),
        }
    }

    /// Applies one edit to the current new text (re-parsed, so earlier edits' shifts are known),
    /// recording the reason only when it changes something.
    fn edit<T>(&mut self, edit: impl FnOnce(&T) -> Vec<u8>, reason: String, parse: fn(&[u8]) -> T) {
        let edited = edit(&parse(&self.new));
        if edited != self.new {
            self.new = edited;
            self.reasons.push(reason);
        }
    }
}

trait Rendered {
    fn bytes(&self) -> &[u8];
}

impl Rendered for MasterCf {
    fn bytes(&self) -> &[u8] {
        self.render()
    }
}

impl Rendered for MainCf {
    fn bytes(&self) -> &[u8] {
        self.render()
    }
}

/// The re-injection listener must take N connections back from amavisd.
fn raise_reinjection(config: &ConfigSet, master: &mut FileChange, n: u32) {
    for index in config.reinjection_entries() {
        let entry = &config.master_cf.doc.entries[index];
        if effective_maxproc(entry, &config.main_cf).is_some_and(|limit| limit < n) {
            master.edit(
                |doc| patch::set_maxproc(doc, index, n),
                format!(
                    "line {}: maxproc of the re-injection listener `{}` {} -> {n}, so amavisd's children can all hand mail back",
                    entry.maxproc().line,
                    entry.service(),
                    entry.maxproc().text
                ),
                MasterCf::parse,
            );
        }
    }
}

/// The amavisd file to edit: the one whose assignment is in force, or the local override file
/// when that is read later than the assignment in force (package files are never edited).
fn amavis_change(config: &ConfigSet, options: &ApplyOptions) -> Result<Option<FileChange>, Refusal> {
    let n = options.concurrency.get();
    let winner = config.max_servers_assignments().last().map(|(file, _)| *file);
    let order = config.amavis_file_order();
    let position = |file: usize| order.iter().position(|&f| f == file).unwrap_or(file);
    let target = match (winner, options.amavis_local_override) {
        (Some(w), Some(local)) if position(w) < position(local) => local,
        (Some(w), _) => w,
        (None, Some(local)) => local,
        (None, None) if !config.amavis.is_empty() => config.amavis.len() - 1,
        (None, None) => return Err(Refusal::NoAmavisFile),
    };
    let file = &config.amavis[target];
    let new = patch::set_max_servers(&file.doc, n)
        .map_err(|refused| Refusal::AmavisEdit { path: file.path.clone(), refused })?;
    let reason = match (winner, file.doc.last()) {
        (_, Some(last)) => format!("line {}: $max_servers -> {n}", last.line),
        (Some(w), None) => format!(
            "added `$max_servers = {n};` above the final `1;` and any \"Do not modify anything below this line\" comment: this file is read after {}, which sets it now",
            config.amavis[w].path
        ),
        (None, None) => {
            format!(
                "added `$max_servers = {n};` above the final `1;` and any \"Do not modify anything below this line\" comment (nothing set it: amavisd's default is {AMAVISD_DEFAULT_MAX_SERVERS})"
            )
        }
    };
    let mut reasons = vec![reason];
    if let (Some(local), true) =
        (options.amavis_local_override, target != options.amavis_local_override.unwrap_or(target))
    {
        reasons.push(format!(
            "edited here, not in {}, because this file is read later and its value is the one in force; a tool that generates it may overwrite the change",
            config.amavis[local].path
        ));
    }
    Ok(Some(FileChange { path: file.path.clone(), original: file.doc.render().to_vec(), new, reasons }))
}

#[cfg(test)]
mod tests;
