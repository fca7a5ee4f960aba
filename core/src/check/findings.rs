//! The findings `check` reports: a stable code, a severity, a sentence, a file and line.

use serde::Serialize;

use super::scheduler::greeting_timeout;
use super::{AMAVISD_DEFAULT_MAX_SERVERS, AmavisSide, Cap, ConfigSet, Feed, Location, PostfixSide, effective_maxproc};
use crate::config::diagnostic::{Diagnostic, DiagnosticCode, Severity};
use crate::config::postfix_defaults::DEFAULT_DESTINATION_CONCURRENCY_LIMIT;

/// Stable finding codes (part of the JSON contract: never renamed, only added).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingCode {
    /// The two numbers differ (beyond one spare amavisd child).
    Mismatch,
    /// Postfix opens more connections than amavisd has children: mail is delayed, and deferred
    /// once a connection waits past the greeting timeout.
    PostfixExceedsAmavis,
    /// amavisd runs more children than Postfix uses: RAM wasted.
    AmavisExceedsPostfix,
    /// amavisd has exactly one child more than Postfix uses: a spare, which counts as a match.
    OneSpare,
    /// maxproc 0 and no destination limit: Postfix has no cap at all.
    PostfixUnlimited,
    /// The destination concurrency limit, not maxproc, is what caps the connections.
    DestinationLimitCaps,
    /// A main.cf limit above maxproc: maxproc caps it.
    MaxprocCapsLimit,
    /// A main.cf limit that caps nothing because the recipient limit is 1.
    LimitPerRecipient,
    /// The transport serves several content-filter destinations.
    SeveralDestinations,
    /// The re-injection listener takes fewer connections than amavisd has children.
    ReinjectionLimited,
    /// content_filter names several different transports.
    SeveralTransports,
    /// No content_filter anywhere: Postfix sends nothing to amavisd.
    NoTransport,
    /// content_filter names a transport master.cf does not define.
    TransportMissing,
    /// content_filter's value cannot be read.
    ContentFilterUnreadable,
    /// `$max_servers` is set in a way that cannot be read statically.
    AmavisUnreadable,
    /// An earlier `$max_servers` is overridden by a file read later.
    AmavisOverridden,
    /// A file in amavisd's conf.d that amavisd does not read.
    AmavisFileSkipped,
    /// Nothing sets `$max_servers`: amavisd's built-in 2 applies.
    AmavisDefault,
    /// What a parser noticed (syntax, encoding).
    Syntax,
    /// A content filter that leads somewhere other than amavisd (another filter in the chain).
    OtherFilter,
    /// amavisd is fed by a before-queue filter (`smtpd_proxy_filter`).
    ProxyFilter,
    /// The amavis transport also carries other deliveries (a stock service, `*_transport`).
    SharedTransport,
    /// A statement including another amavisd file that could not be followed.
    AmavisIncludeUnfollowed,
    /// A file that a panel or installer generates and may overwrite.
    GeneratedFile,
    /// What the server's mail logs show about the load on amavisd (`check --logs`).
    ObservedLoad,
    /// A platform (Zimbra, Carbonio, UCS) generates both numbers from one setting of its own.
    PlatformGenerated,
}

impl FindingCode {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::Mismatch => "mismatch",
            FindingCode::PostfixExceedsAmavis => "postfix-exceeds-amavis",
            FindingCode::AmavisExceedsPostfix => "amavis-exceeds-postfix",
            FindingCode::OneSpare => "one-spare",
            FindingCode::PostfixUnlimited => "postfix-unlimited",
            FindingCode::DestinationLimitCaps => "destination-limit-caps",
            FindingCode::MaxprocCapsLimit => "maxproc-caps-limit",
            FindingCode::LimitPerRecipient => "limit-per-recipient",
            FindingCode::SeveralDestinations => "several-destinations",
            FindingCode::ReinjectionLimited => "reinjection-limited",
            FindingCode::SeveralTransports => "several-transports",
            FindingCode::NoTransport => "no-transport",
            FindingCode::TransportMissing => "transport-missing",
            FindingCode::ContentFilterUnreadable => "content-filter-unreadable",
            FindingCode::AmavisUnreadable => "amavis-unreadable",
            FindingCode::AmavisOverridden => "amavis-overridden",
            FindingCode::AmavisFileSkipped => "amavis-file-skipped",
            FindingCode::AmavisDefault => "amavis-default",
            FindingCode::Syntax => "syntax",
            FindingCode::OtherFilter => "other-filter",
            FindingCode::ProxyFilter => "proxy-filter",
            FindingCode::SharedTransport => "shared-transport",
            FindingCode::AmavisIncludeUnfollowed => "amavis-include-unfollowed",
            FindingCode::GeneratedFile => "generated-file",
            FindingCode::ObservedLoad => "observed-load",
            FindingCode::PlatformGenerated => "platform-generated",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: FindingCode,
    pub severity: Severity,
    pub message: String,
    /// The file, or `None` when the finding is about the configuration as a whole.
    pub path: Option<String>,
    /// 1-based line; `None` when about a whole file.
    pub line: Option<usize>,
    /// For a `syntax` finding: the reader's own code (`nul`, `crlf`, `field-count`, ...); the key
    /// is left out of other findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostic: Option<DiagnosticCode>,
}

impl Finding {
    pub(crate) fn new(code: FindingCode, severity: Severity, message: String, location: Option<Location>) -> Finding {
        let (path, line) = match location {
            Some(Location { path, line }) => (Some(path), (line > 0).then_some(line)),
            None => (None, None),
        };
        Finding { code, severity, message, path, line, diagnostic: None }
    }
}

/// Every parser diagnostic, as a `syntax` finding of the same severity.
pub(super) fn syntax(config: &ConfigSet, findings: &mut Vec<Finding>) {
    let mut add = |path: &str, diagnostics: &[Diagnostic]| {
        for diagnostic in diagnostics {
            findings.push(Finding {
                diagnostic: Some(diagnostic.code),
                ..Finding::new(
                    FindingCode::Syntax,
                    diagnostic.severity,
                    diagnostic.message.clone(),
                    Some(Location { path: path.to_owned(), line: diagnostic.line }),
                )
            });
        }
    };
    add(&config.master_cf.path, &config.master_cf.doc.diagnostics);
    add(&config.main_cf.path, &config.main_cf.doc.diagnostics);
    for file in &config.amavis {
        add(&file.path, &file.doc.diagnostics);
    }
}

/// The comparison itself, in words the administrator will recognise from the logs.
pub(super) fn compare(config: &ConfigSet, amavis: &AmavisSide, postfix: &PostfixSide, findings: &mut Vec<Finding>) {
    let amavis_where = amavis.source.as_ref().map_or("amavisd's built-in default".to_owned(), |l| l.to_string());
    if amavis.source.is_none() && amavis.max_servers.is_some() {
        findings.push(Finding::new(
            FindingCode::AmavisDefault,
            Severity::Info,
            format!(
                "none of the {} amavisd config file(s) read sets $max_servers, so amavisd's built-in default of {AMAVISD_DEFAULT_MAX_SERVERS} applies",
                config.amavis.len()
            ),
            None,
        ));
    }
    let postfix_where = match postfix.cap {
        Cap::DestinationConcurrencyLimit => postfix.destination_concurrency_limit_source.as_ref().map_or(
            format!("Postfix's default_destination_concurrency_limit ({DEFAULT_DESTINATION_CONCURRENCY_LIMIT})"),
            |l| l.to_string(),
        ),
        _ => postfix.maxproc_source.as_ref().map_or("master.cf".to_owned(), |l| l.to_string()),
    };
    let Some(servers) = amavis.max_servers else { return };
    if postfix.feed == Feed::ProxyFilter {
        compare_proxy(amavis, postfix, servers, &amavis_where, findings);
        return;
    }
    let service = postfix.service.as_deref().unwrap_or("the amavis transport");
    match postfix.effective {
        Some(effective) if effective > servers => {
            findings.push(Finding::new(
                FindingCode::Mismatch,
                Severity::Error,
                format!("Postfix opens up to {effective} connections to amavisd ({postfix_where}) but amavisd runs {servers} children ({amavis_where})"),
                postfix.maxproc_source.clone(),
            ));
            // A transport other mail also uses is never to be lowered (shared-transport says why).
            let shared = findings.iter().any(|f| f.code == FindingCode::SharedTransport);
            let remedy = if shared {
                format!(
                    "do not lower {service}'s maxproc, which other mail uses too: give amavisd a dedicated transport (shared-transport), or raise $max_servers to {effective} if the RAM allows"
                )
            } else {
                format!("lower {service}'s maxproc to {servers} or raise $max_servers to {effective}")
            };
            findings.push(Finding::new(
                FindingCode::PostfixExceedsAmavis,
                Severity::Error,
                format!(
                    "when more than {servers} messages arrive at once, the connections beyond amavisd's {servers} children wait in its listen backlog for a greeting, so mail is first delayed (the wait shows in the c of delays=a/b/c/d); {}; {remedy}",
                    greeting_wait(config, postfix.service.as_deref())
                ),
                postfix.maxproc_source.clone(),
            ));
        }
        Some(effective) if servers > effective.saturating_add(1) => {
            findings.push(Finding::new(
                FindingCode::Mismatch,
                Severity::Warning,
                format!("amavisd runs {servers} children ({amavis_where}) but Postfix opens at most {effective} connections to it ({postfix_where})"),
                amavis.source.clone(),
            ));
            findings.push(Finding::new(
                FindingCode::AmavisExceedsPostfix,
                Severity::Warning,
                format!(
                    "{} children are never used and waste their memory; lower $max_servers to {effective} (one spare child is fine) or raise Postfix's limit to {servers}",
                    servers - effective
                ),
                amavis.source.clone(),
            ));
        }
        Some(effective) if servers == effective.saturating_add(1) => findings.push(Finding::new(
            FindingCode::OneSpare,
            Severity::Info,
            format!("amavisd runs one child more than Postfix uses ({servers} vs {effective}): a spare for quarantine releases and other feeds, counted as a match"),
            amavis.source.clone(),
        )),
        Some(_) => {}
        None if postfix.cap == Cap::Unlimited => {
            findings.push(Finding::new(
                FindingCode::PostfixUnlimited,
                Severity::Error,
                format!("{service}'s maxproc is 0 (no limit) and no destination concurrency limit applies: Postfix may open any number of connections to amavisd's {servers} children; set maxproc to {servers}"),
                postfix.maxproc_source.clone(),
            ));
        }
        None => {}
    }
}

/// What happens to a connection left waiting for amavisd's greeting, with the server's own
/// timeout: Postfix's smtp (or lmtp) client gives up after `smtp_helo_timeout` (or
/// `lmtp_lhlo_timeout`), 300 s unless set (postconf(5)), and only then defers the mail.
fn greeting_wait(config: &ConfigSet, transport: Option<&str>) -> String {
    let timeout = greeting_timeout(config, transport.unwrap_or_default());
    let seconds = if timeout.seconds.fract() == 0.0 {
        format!("{}", timeout.seconds as u64)
    } else {
        format!("{:.1}", timeout.seconds)
    };
    let set = match &timeout.source {
        Some(at) => format!("{seconds} s here, set at {at}"),
        None => format!("{seconds} s here, Postfix's default"),
    };
    format!(
        "Postfix gives up after {} ({set}) and defers the mail with \"timed out while receiving the initial server greeting\"",
        timeout.parameter
    )
}

/// A before-queue filter: the SMTP clients wait while amavisd scans, so a client beyond
/// amavisd's children waits for a free one, and past `smtpd_proxy_timeout` gets a temporary error.
fn compare_proxy(
    amavis: &AmavisSide,
    postfix: &PostfixSide,
    servers: u32,
    amavis_where: &str,
    findings: &mut Vec<Finding>,
) {
    let services: Vec<&str> = postfix.proxy_services.iter().map(|p| p.service.as_str()).collect();
    let services = services.join(", ");
    let source = postfix.maxproc_source.clone();
    match postfix.effective {
        Some(effective) if effective > servers => {
            findings.push(Finding::new(
                FindingCode::Mismatch,
                Severity::Error,
                format!("up to {effective} SMTP sessions ({services}) can hand mail to amavisd at once, but amavisd runs {servers} children ({amavis_where})"),
                source.clone(),
            ));
            findings.push(Finding::new(
                FindingCode::PostfixExceedsAmavis,
                Severity::Error,
                format!(
                    "when more than {servers} clients send mail at once, the others wait for a free amavisd child while their SMTP session is open; past smtpd_proxy_timeout (100 s by default) smtpd gives up, logs the proxy error, and the client sees \"451 Error: queue file write error\" and retries later. Raise $max_servers to {effective} if the RAM allows, or lower the maxproc of {services} in master.cf so that together they are at most {servers} (this also limits how many SMTP clients are served at once: Postfix SMTPD_PROXY_README); amavis-tune apply does not change smtpd process limits"
                ),
                source,
            ));
        }
        Some(effective) if servers > effective.saturating_add(1) => findings.push(Finding::new(
            FindingCode::AmavisExceedsPostfix,
            Severity::Warning,
            format!("amavisd runs {servers} children ({amavis_where}) but at most {effective} SMTP sessions ({services}) hand it mail: {} children are never used; lower $max_servers to {effective}", servers - effective),
            amavis.source.clone(),
        )),
        Some(_) => {}
        None => findings.push(Finding::new(
            FindingCode::PostfixUnlimited,
            Severity::Error,
            format!("one of {services} has maxproc 0 (no limit): any number of SMTP sessions may wait on amavisd's {servers} children; give it a process limit"),
            source,
        )),
    }
}

/// The re-injection listener (the smtpd amavisd hands mail back to) must take `$max_servers`
/// connections, or amavisd's children wait for it.
pub(super) fn reinjection(config: &ConfigSet, servers: u32, findings: &mut Vec<Finding>) {
    for index in config.reinjection_entries() {
        let entry = &config.master_cf.doc.entries[index];
        if let Some(limit) = effective_maxproc(entry, &config.main_cf)
            && limit < servers
        {
            findings.push(Finding::new(
                FindingCode::ReinjectionLimited,
                Severity::Error,
                format!(
                    "the re-injection listener `{}` takes at most {limit} connections but amavisd has {servers} children handing mail back: the rest wait and mail is delayed; set its maxproc to {servers} or more",
                    entry.service()
                ),
                Some(Location { path: config.master_cf.path.clone(), line: entry.maxproc().line }),
            ));
        }
    }
}

/// Marks that a panel or installer owns a file and rewrites it, each with the words to say who
/// and where the setting belongs instead. The texts are the ones the files carry.
const GENERATED_MARKS: &[(&[u8], &str)] = &[
    // ClearOS app-mail-filter, deploy/amavisd.conf (installed as /etc/amavisd.conf).
    (
        b"This file will be overwritten\n# on upgrades!",
        "ClearOS's mail filter app overwrites this file on upgrades (its header says so): put local settings in /etc/amavisd/override.conf, which it reads last",
    ),
    // ClearOS app-mail-filter, packaging/api.conf: webconfig's own file.
    (
        b"# WARNING: If you want to override the settings in this file, please do so\n# in the /etc/amavisd/override.conf file.\n",
        "ClearOS webconfig manages this file: its mail filter settings (the mail volume among them) write $max_servers here, so a later change in webconfig replaces a number set by hand; set the same number in webconfig, or put local settings in /etc/amavisd/override.conf, which amavisd reads last",
    ),
    // iRedMail's Ansible-managed files (iRedMail Easy and its container image, iredmail/dockerized
    // config/): amavisd's (installed as /etc/amavis/conf.d/50-user) names where local settings go;
    // Postfix's carry only the first two lines. The first mark that matches a file is the one said.
    (
        b"# please do __NOT__ modify it manually.\n#\n#\n# If you need to modify any settings in this file, please define your custom\n# settings in /opt/iredmail/custom/amavisd/amavisd.conf",
        "iRedMail's deployment (iRedMail Easy, or its container image) manages this file and rewrites it on upgrades (its header says not to modify it by hand): put the setting in /opt/iredmail/custom/amavisd/amavisd.conf, which this file includes near its end",
    ),
    (
        b"# This file is managed by iRedMail Team <support@iredmail.org> with Ansible,\n# please do __NOT__ modify it manually.",
        "iRedMail's deployment (iRedMail Easy, or its container image) manages this file and rewrites it on upgrades (its header says not to modify it by hand): a change made here lasts until the next upgrade; make it in iRedMail's own custom settings too",
    ),
    // Zentyal's mail module writes master.cf and main.cf whole from its templates
    // (zentyal/zentyal main/mail/stubs/*.cf.mas, "# Generated by Zentyal" on the first line).
    (
        b"# Generated by Zentyal\n",
        "Zentyal's mail module writes this file from its template each time the module saves its changes or restarts, so a change made here is lost then: copy the template (master.cf.mas or main.cf.mas) from /usr/share/zentyal/stubs/mail/ to /etc/zentyal/stubs/mail/ and make the change there too (Zentyal's custom stubs)",
    ),
];

/// Files that a panel or installer generates: a change made there by hand may not last.
pub(super) fn generated(config: &ConfigSet, findings: &mut Vec<Finding>) {
    let mut files: Vec<(&str, &[u8])> = vec![
        (&config.master_cf.path, config.master_cf.doc.render()),
        (&config.main_cf.path, config.main_cf.doc.render()),
    ];
    files.extend(config.amavis.iter().map(|f| (f.path.as_str(), f.doc.render())));
    for (path, text) in files {
        for (mark, says) in GENERATED_MARKS {
            if let Some(at) = text.windows(mark.len()).position(|w| w == *mark) {
                let line = text[..at].iter().filter(|&&b| b == b'\n').count() + 1;
                findings.push(Finding::new(
                    FindingCode::GeneratedFile,
                    Severity::Warning,
                    (*says).to_owned(),
                    Some(Location { path: path.to_owned(), line }),
                ));
                break;
            }
        }
        // Zentyal's mail filter module writes this conf.d file (EBox/MailFilter/Amavis.pm,
        // AMAVIS_CONF_FILE) from its template, with no mark in the text.
        if path.rsplit('/').next() == Some("01-zentyal") {
            findings.push(Finding::new(
                FindingCode::GeneratedFile,
                Severity::Warning,
                "Zentyal's mail filter module writes this file from its template (mailfilter/amavisd.conf.mas) each time the module saves its changes or restarts, so a change made here is lost then: set $max_servers in a conf.d file read after it, such as 50-user".to_owned(),
                Some(Location { path: path.to_owned(), line: 0 }),
            ));
        }
        // docker-mailserver writes this conf.d file itself when the container starts
        // (`61-` in older releases, `65-` now, headed "# WARNING: this file is auto-generated.").
        if path.rsplit('/').next().is_some_and(|name| name.ends_with("-dms_auto_generated")) {
            findings.push(Finding::new(
                FindingCode::GeneratedFile,
                Severity::Warning,
                "docker-mailserver generates this file when the container starts, so a change made here is lost then: change the setting in docker-mailserver's own configuration (its config volume) instead".to_owned(),
                Some(Location { path: path.to_owned(), line: 0 }),
            ));
        }
    }
}
