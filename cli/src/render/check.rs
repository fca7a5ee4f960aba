//! The text form of a check report: both numbers side by side with their sources, the findings,
//! and the one command that would fix them.

use std::io::{self, Write};
use std::path::PathBuf;

use amavis_tune_core::{Cap, Feed, FindingCode, Os, Report, Severity, Status};
use serde::Serialize;

use crate::args::ConfigArgs;
use crate::commands::logs::LogsRead;
use crate::host::layout::Layout;
use crate::host::watch::Now;

pub(crate) fn write(
    out: &mut dyn Write,
    report: &Report,
    layout: &Layout,
    args: &ConfigArgs,
    logs: Option<&LogsRead>,
    now: Option<&Now>,
) -> io::Result<()> {
    let amavis = &report.amavis;
    let postfix = &report.postfix;
    let amavis_value = amavis.max_servers.map_or("?".to_owned(), |n| n.to_string());
    let amavis_where = amavis.source.as_ref().map_or("(amavisd's built-in default)".to_owned(), |l| l.to_string());
    let proxy = postfix.feed == Feed::ProxyFilter;
    let proxy_services: Vec<String> =
        postfix.proxy_services.iter().map(|p| format!("{} maxproc {}", p.service, p.maxproc)).collect();
    let postfix_left = match (&postfix.service, &postfix.maxproc) {
        _ if proxy => format!("smtpd_proxy_filter on {}", proxy_services.join(", ")),
        (Some(service), Some(maxproc)) => format!("{service} maxproc = {maxproc}"),
        (Some(service), None) => format!("{service} (not in master.cf)"),
        _ => "no amavis transport".to_owned(),
    };
    let left_amavis = format!("$max_servers = {amavis_value}");
    let width = left_amavis.len().max(postfix_left.len()) + 3;
    writeln!(out, "amavisd  {left_amavis:<width$}{amavis_where}")?;
    writeln!(
        out,
        "Postfix  {postfix_left:<width$}{}",
        postfix.maxproc_source.as_ref().map_or(String::new(), |l| l.to_string())
    )?;
    let effective = match (postfix.effective, postfix.cap) {
        (Some(n), _) if proxy => format!("at most {n} SMTP sessions handing mail to amavisd (their process limits)"),
        (Some(n), Cap::Maxproc) => format!("at most {n} parallel deliveries to amavisd (capped by maxproc)"),
        (Some(n), Cap::DestinationConcurrencyLimit) => {
            format!("at most {n} parallel deliveries to amavisd (capped by the destination concurrency limit)")
        }
        (None, Cap::Unlimited) => "no limit on parallel deliveries to amavisd".to_owned(),
        _ => "unknown".to_owned(),
    };
    writeln!(out, "         effective: {effective}")?;
    match layout.platform {
        Some(platform) => {
            writeln!(out, "status: {} ({} on {})", report.status.as_str(), platform.name(), layout.release)?
        }
        None => writeln!(out, "status: {} ({})", report.status.as_str(), layout.release)?,
    }
    if let Some(logs) = logs {
        writeln!(out, "logs:    {}", logs_line(logs))?;
    }
    if let Some(note) = now.and_then(|now| now.note.as_ref()) {
        writeln!(out, "now:     {note}")?;
    }

    if !report.findings.is_empty() {
        writeln!(out)?;
    }
    for finding in &report.findings {
        let severity = finding.severity.as_str();
        let location = match (&finding.path, finding.line) {
            (Some(path), Some(line)) => format!(" {path}:{line}:"),
            (Some(path), None) => format!(" {path}:"),
            _ => String::new(),
        };
        writeln!(out, "{severity}[{}]{location} {}", finding.code.as_str(), finding.message)?;
    }
    // What the logs say is not a reason to change the numbers (their finding says what to do).
    let config_errors =
        report.findings.iter().any(|f| f.severity == Severity::Error && f.code != FindingCode::ObservedLoad);
    if (report.status == Status::Mismatch || config_errors)
        && postfix.maxproc.is_some()
        && !proxy
        && !report.findings.iter().any(|f| f.code == FindingCode::SharedTransport)
        && let Some(n) = report.suggested
    {
        writeln!(out)?;
        if let Some(platform) = layout.platform {
            // The platform's files are never edited: its own steps.
            let facts = platform.facts();
            writeln!(out, "To make both sides agree at {n} on {}:", facts.title)?;
            let Ok(n) = amavis_tune_core::Concurrency::new(n) else { return Ok(()) };
            let current = crate::host::setting::rollback_value(&layout.setting, report);
            for (i, step) in facts.steps(n, current).iter().enumerate() {
                writeln!(out, "  {}. {}\n     {}", i + 1, step.description, step.command)?;
            }
            return Ok(());
        }
        let mut command = format!("amavis-tune apply --concurrency {n}");
        if args.root != std::path::Path::new("/") {
            command.push_str(&format!(" --root {}", args.root.display()));
        }
        writeln!(
            out,
            "To make both sides agree at {n} (see `amavis-tune plan --concurrency {n}` for what it costs in RAM):"
        )?;
        writeln!(out, "  {command}")?;
    }
    Ok(())
}

/// The mail logs read, and whether they counted.
pub(crate) fn logs_line(logs: &LogsRead) -> String {
    let how = if logs.automatic { "the server's own, read by themselves; --no-logs leaves them" } else { "--logs" };
    match &logs.not_used {
        Some(why) => format!("{} ({how}): not used: {why}", logs.files.join(", ")),
        None => format!("{} ({how})", logs.files.join(", ")),
    }
}

/// `check --format json`: the report plus which files were read (README, "JSON output").
#[derive(Serialize)]
pub(crate) struct CheckJson<'a> {
    #[serde(flatten)]
    report: &'a Report,
    os: Os,
    /// The release table's entry whose steps apply (`debian:12`).
    release: &'static str,
    /// Why it is that entry when it is not the tree's own release (null when it is).
    release_note: Option<String>,
    files: Files,
    /// The mail logs read (`check --logs`, or by themselves on the server), when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    logs: Option<&'a LogsRead>,
    /// The platform that generates both numbers (Zimbra, Carbonio, UCS), with its facts; null
    /// elsewhere.
    platform: Option<&'static amavis_tune_core::PlatformFacts>,
    /// The platform's setting as read on this server (`{value, from}`); null where it was not
    /// read (no platform, nothing here to read it from, or reading failed: the finding says why).
    platform_setting: Option<&'a amavis_tune_core::SettingValue>,
    /// On this machine with amavisd running: one sample of its children and accept queue; null
    /// elsewhere.
    now: Option<&'a Now>,
}

#[derive(Serialize)]
struct Files {
    master_cf: PathBuf,
    main_cf: PathBuf,
    amavis: Vec<PathBuf>,
    amavis_skipped: Vec<PathBuf>,
}

impl<'a> CheckJson<'a> {
    pub(crate) fn new(
        report: &'a Report,
        layout: &'a Layout,
        logs: Option<&'a LogsRead>,
        now: Option<&'a Now>,
    ) -> CheckJson<'a> {
        CheckJson {
            report,
            logs,
            now,
            platform: layout.platform.map(amavis_tune_core::Platform::facts),
            platform_setting: layout.setting.as_ref().ok().and_then(Option::as_ref),
            os: layout.os,
            release: layout.release_facts().id,
            release_note: amavis_tune_core::resolve_release(&layout.release).note,
            files: Files {
                master_cf: layout.master_cf.clone(),
                main_cf: layout.main_cf.clone(),
                amavis: layout.amavis.clone(),
                amavis_skipped: layout.amavis_skipped.clone(),
            },
        }
    }
}
