//! `amavis-tune logs`: read the mail logs (several files merged by time), analyse the deliveries
//! to amavisd and say how many children the traffic needs.

use std::io::Write;

use amavis_tune_core::{Inputs, LogAnalysis, LogOptions, LogReport, Micros, Verdict, parse_line};
use anyhow::Context;
use serde::Serialize;

use crate::args::{LogsArgs, OutputFormat};
use crate::exit_status::ExitStatus;
use crate::host::logs::{Source, default_files, journal, next_line, open};
use crate::output::Hinted;

#[derive(Debug, Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    report: &'a LogReport,
    /// What was read.
    files: Vec<String>,
}

pub(crate) fn run(args: LogsArgs, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let (report, files) = analyse(&args)?;
    if report.verdict == Verdict::NoData {
        return Err(no_data(&args, &files));
    }
    match args.output.format {
        OutputFormat::Json => crate::render::json::write_json(out, &Output { report: &report, files })?,
        OutputFormat::Text => crate::render::logs::write(out, &report, &files)?,
    }
    Ok(ExitStatus::Ok)
}

/// The analysis of the logs `args` name (this server's when none), and their names.
pub(crate) fn analyse(args: &LogsArgs) -> anyhow::Result<(LogReport, Vec<String>)> {
    let mut sources = Vec::new();
    let files = if args.files.is_empty() { default_files() } else { args.files.clone() };
    if files.is_empty() {
        sources.push(journal(args.since, args.until)?);
    }
    for file in &files {
        sources.push(open(file, args.log_date)?);
    }
    let names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let mut options = LogOptions::new(sources.first().map_or_else(crate::host::logs::today, |s| s.reference));
    options.host.clone_from(&args.host);
    options.since = args.since;
    options.until = args.until;
    if !args.next_hop.is_empty() {
        options.next_hops.clone_from(&args.next_hop);
    }
    options.services.clone_from(&args.syslog_name);
    options.max_servers = args.max_servers;
    options.postfix_limit = args.postfix_limit;
    options.inputs = bounds(args);
    let mut analysis = LogAnalysis::new(options);
    merge(&mut sources, &mut analysis)?;
    for source in &mut sources {
        if let Some(mut child) = source.child.take() {
            let status = child.wait().context("journalctl did not finish")?;
            if !status.success() {
                anyhow::bail!("journalctl failed ({status}) reading the journal");
            }
        }
    }
    Ok((analysis.finish(), names))
}

/// The RAM and CPUs that bound the number, as for `plan`: the flags, else this machine's (none
/// when its RAM cannot be read: the load's number then stands unbounded).
fn bounds(args: &LogsArgs) -> Option<Inputs> {
    let mut inputs = Inputs::try_from(&args.memory).ok()?;
    inputs.cpus = args.cpus.or_else(|| if args.memory.ram.is_none() { crate::host::machine::cpus() } else { None });
    Some(inputs)
}

/// Feeds every line of every source to the analysis in time order (each source is in time order
/// already: a k-way merge, one line of look-ahead per source).
fn merge(sources: &mut [Source], analysis: &mut LogAnalysis) -> anyhow::Result<()> {
    if let [source] = sources {
        let mut line = Vec::new();
        while next_line(source.reader.as_mut(), &mut line).with_context(|| format!("cannot read {}", source.name))? {
            analysis.push(parse_line(&line, source.reference));
        }
        return Ok(());
    }
    // The head line of each source and its time (None: not a log line, pushed at once).
    let mut heads: Vec<Option<(Vec<u8>, Micros)>> = Vec::with_capacity(sources.len());
    for source in sources.iter_mut() {
        heads.push(advance(source, analysis)?);
    }
    loop {
        let next = heads
            .iter()
            .enumerate()
            .filter_map(|(i, head)| head.as_ref().map(|(_, t)| (i, *t)))
            .min_by_key(|(_, t)| *t);
        let Some((index, _)) = next else { return Ok(()) };
        if let Some((line, _)) = heads[index].take() {
            analysis.push(parse_line(&line, sources[index].reference));
        }
        heads[index] = advance(&mut sources[index], analysis)?;
    }
}

/// The next log line of `source` with its time; lines that are not log lines go to the analysis
/// at once (to be counted).
fn advance(source: &mut Source, analysis: &mut LogAnalysis) -> anyhow::Result<Option<(Vec<u8>, Micros)>> {
    let mut line = Vec::new();
    while next_line(source.reader.as_mut(), &mut line).with_context(|| format!("cannot read {}", source.name))? {
        match parse_line(&line, source.reference) {
            Some((parsed, _)) => {
                let time = parsed.time;
                return Ok(Some((line, time)));
            }
            None => analysis.push(None),
        }
    }
    Ok(None)
}

fn no_data(args: &LogsArgs, files: &[String]) -> anyhow::Error {
    let hops = if args.next_hop.is_empty() {
        amavis_tune_core::DEFAULT_NEXT_HOPS.join(" or ")
    } else {
        args.next_hop.join(" or ")
    };
    let names =
        if args.syslog_name.is_empty() { String::new() } else { format!(" or from {}", args.syslog_name.join(", ")) };
    anyhow::Error::new(Hinted {
        message: format!(
            "no delivery to amavisd in {}: looked for Postfix delivery lines (postfix/.../smtp or lmtp) with relay=...{hops}{names}, and amavisd result lines (`Passed CLEAN ..., N ms`)",
            files.join(", ")
        ),
        hint: "is a content_filter set in main.cf (no filter, no deliveries to amavisd)? Does amavisd listen elsewhere (give --next-hop [ADDR]:PORT, or --syslog-name of the transport)? Is amavisd's $log_level below 0, or does it log to its own file ($LOGFILE)? Is this the right file and host (Debian 12 logs to the journal only; --host, --since and --until narrow what is read)?".to_owned(),
    })
}
