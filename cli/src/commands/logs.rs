//! `amavis-tune logs`: read the mail logs (several files merged by time), analyse the deliveries
//! to amavisd and say how many children the traffic needs.

use std::io::Write;

use amavis_tune_core::{
    ClassicStamps, Inputs, LineCounts, LogAnalysis, LogOptions, LogReport, Micros, ObservedLoad, UtcOffset, Verdict,
    parse_line,
};
use anyhow::Context;
use serde::Serialize;

use std::path::{Path, PathBuf};

use crate::args::{LogClockArgs, LogSelectArgs, LogUseArgs, LogsArgs, OutputFormat};
use crate::exit_status::ExitStatus;
use crate::host::logs::{Source, default_files, next_line, open};
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
    if let Some(error) = no_log_line(&report.lines, &files) {
        return Err(error);
    }
    if report.verdict == Verdict::NoData {
        return Err(no_data(&args.select, &files));
    }
    match args.output.format {
        OutputFormat::Json => crate::render::json::write_json(out, &Output { report: &report, files })?,
        OutputFormat::Text => crate::render::logs::write(out, &report, &files)?,
    }
    Ok(ExitStatus::Ok)
}

/// The analysis of the logs `args` name (this server's when none), and their names.
pub(crate) fn analyse(args: &LogsArgs) -> anyhow::Result<(LogReport, Vec<String>)> {
    let files = if args.files.is_empty() { default_files(Path::new("/")) } else { args.files.clone() };
    // The journal's times are UTC: the bounds as instants.
    let utc = |bound: Option<amavis_tune_core::TimeBound>| bound.map(|b| b.utc(args.clock.utc_offset));
    let journal = if files.is_empty() { Some((utc(args.since), utc(args.until))) } else { None };
    read(&files, journal, args.log_date, None, |options| {
        options.host.clone_from(&args.host);
        options.since = args.since;
        options.until = args.until;
        clock(options, &args.clock);
        select(options, &args.select);
        options.max_servers = args.max_servers;
        options.postfix_limit = args.postfix_limit;
        options.inputs = bounds(args);
    })
}

/// Sets the clock of classic stamps: the server's offset from UTC, when given.
pub(crate) fn clock(options: &mut LogOptions, clock: &LogClockArgs) {
    options.utc_offset = clock.utc_offset;
}

/// Sets how deliveries to amavisd are told: its next hops, the transport's syslog names.
pub(crate) fn select(options: &mut LogOptions, select: &LogSelectArgs) {
    if !select.next_hop.is_empty() {
        options.next_hops.clone_from(&select.next_hop);
    }
    options.services.clone_from(&select.syslog_name);
}

/// Reads `files` (or the journal for the period in `journal`, when given and there is no file),
/// merged by time, through the analysis `configure` sets up; their names.
/// Files found under a root (`within`) must resolve inside it.
pub(crate) fn read(
    files: &[PathBuf],
    journal: Option<(Option<Micros>, Option<Micros>)>,
    log_date: Option<amavis_tune_core::Date>,
    within: Option<&Path>,
    configure: impl FnOnce(&mut LogOptions),
) -> anyhow::Result<(LogReport, Vec<String>)> {
    let mut sources = Vec::new();
    if let (true, Some((since, until))) = (files.is_empty(), journal) {
        sources.push(crate::host::logs::journal(since, until)?);
    }
    for file in files {
        sources.push(match within {
            Some(root) => crate::host::logs::open_under(root, file, log_date)?,
            None => open(file, log_date)?,
        });
    }
    let names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let mut options = LogOptions::new(sources.first().map_or_else(crate::host::logs::today, |s| s.reference));
    configure(&mut options);
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

/// What `plan` or `check` read of the mail logs, for its output.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LogsRead {
    pub(crate) files: Vec<String>,
    /// Read without --logs: this is the server, and it has log files.
    pub(crate) automatic: bool,
    /// Why they did not count: no delivery to amavisd in them, or they could not be read.
    pub(crate) not_used: Option<String>,
    #[serde(skip)]
    pub(crate) load: Option<ObservedLoad>,
}

/// How far back a plan or check on this machine reads the journal when it has no mail log file.
const JOURNAL_DAYS: i64 = 7;

/// What `plan` or `check` knows of the server when it reads its logs: the two numbers, the
/// amavisd transport and its scheduling settings (from the config), and the RAM and CPUs that
/// bound the number (the plan's).
#[derive(Debug, Clone, Default)]
pub(crate) struct Known {
    pub(crate) max_servers: Option<u32>,
    pub(crate) postfix_limit: Option<u32>,
    pub(crate) scheduler: Option<amavis_tune_core::SchedulerSettings>,
    pub(crate) transport: Option<String>,
    pub(crate) inputs: Option<Inputs>,
    /// amavisd's addresses from its config (every port it listens on), counted beside the
    /// defaults unless `--next-hop` names the hops.
    pub(crate) next_hops: Vec<String>,
}

/// Reads the logs `plan` or `check` is to read: `--logs FILE...`; `--logs` alone, the server's
/// (under `root`), else the journal (only for this machine, `root` being `/`); without the flag, on the server (`automatic`), its log files
/// when it has some. `max_servers` and `postfix_limit` are the two numbers where known. `None`
/// when no log is to be read. Logs given with `--logs` that hold no delivery to amavisd, or
/// cannot be read, are an error; logs read by themselves are then only noted.
pub(crate) fn observe(
    args: &LogUseArgs,
    root: &Path,
    automatic: bool,
    known: Known,
) -> anyhow::Result<Option<LogsRead>> {
    let (files, explicit) = match &args.logs {
        _ if args.no_logs => return Ok(None),
        Some(files) if !files.is_empty() => (files.clone(), true),
        Some(_) => (default_files(root), true),
        None if automatic => (default_files(root), false),
        None => return Ok(None),
    };
    // The journal is this machine's: it stands in only for this machine's own log files, and
    // only for the last week (JOURNAL_DAYS), as a day's mail is what a sizing needs and a
    // journal can hold months.
    let on_this_machine = root == Path::new("/");
    if files.is_empty() && !explicit && !on_this_machine {
        return Ok(None);
    }
    let names = || {
        if files.is_empty() {
            vec![crate::host::logs::JOURNAL_NAME.to_owned()]
        } else {
            files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>()
        }
    };
    let since = crate::host::clock::now_micros() - JOURNAL_DAYS * 86_400 * 1_000_000;
    let journal = on_this_machine.then_some((Some(since), None));
    if files.is_empty() && journal.is_none() {
        return Err(anyhow::Error::new(Hinted {
            message: format!(
                "no mail log under {}: looked for {} and their rotations",
                root.display(),
                crate::host::logs::MAIL_LOGS.join(" and ")
            ),
            hint: "name the log files: --logs FILE...".to_owned(),
        }));
    }
    // The server's own logs (found, not named) are files under the root.
    let within = (!matches!(&args.logs, Some(named) if !named.is_empty())).then_some(root);
    let read = read(&files, journal, None, within, |options| {
        clock(options, &args.clock);
        select(options, &args.select);
        options.max_servers = known.max_servers;
        options.postfix_limit = known.postfix_limit;
        options.inputs = known.inputs;
        if let Some(scheduler) = known.scheduler {
            options.scheduler = scheduler;
        }
        if options.transport.is_none() {
            options.transport = known.transport;
        }
        if args.select.next_hop.is_empty() {
            for hop in known.next_hops {
                if !options.next_hops.contains(&hop) {
                    options.next_hops.push(hop);
                }
            }
        }
    });
    let not_used =
        |why: String, files: Vec<String>| LogsRead { files, automatic: true, not_used: Some(why), load: None };
    match read {
        Ok((report, files)) if none_parsed(&report.lines) => match no_log_line(&report.lines, &files) {
            Some(error) if explicit => Err(error),
            _ => Ok(Some(not_used(
                format!("none of their {} lines is a log line in a known format", report.lines.total),
                files,
            ))),
        },
        Ok((report, files)) if report.verdict != Verdict::NoData => Ok(Some(LogsRead {
            files,
            automatic: !explicit,
            not_used: None,
            load: Some(ObservedLoad::from_report(&report)),
        })),
        Ok((_, files)) if explicit => Err(no_data(&args.select, &files)),
        Ok((_, files)) => Ok(Some(not_used("no delivery to amavisd in them".to_owned(), files))),
        Err(error) if explicit => Err(error),
        Err(error) => Ok(Some(not_used(format!("{error:#}"), names()))),
    }
}

/// The RAM and CPUs that bound the number, as for `plan`: the flags; without them this machine's
/// when the logs are this machine's own (read without naming files), and none for files named on
/// the command line, which may come from another server (the number then stands unbounded, and
/// the report says so).
fn bounds(args: &LogsArgs) -> Option<Inputs> {
    if !args.files.is_empty() && args.memory.ram.is_none() {
        return None;
    }
    let mut inputs = Inputs::try_from(&args.memory).ok()?;
    inputs.cpus = args.cpus.or_else(|| if args.memory.ram.is_none() { crate::host::machine::cpus() } else { None });
    Some(inputs)
}

/// Feeds every line of every source to the analysis in time order (each source is in time order
/// already: a k-way merge, one line of look-ahead per source).
fn merge(sources: &mut [Source], analysis: &mut LogAnalysis) -> anyhow::Result<()> {
    let utc_offset = analysis.stamps().utc_offset;
    if let [source] = sources {
        let mut line = Vec::new();
        while next_line(source.reader.as_mut(), &mut line).with_context(|| format!("cannot read {}", source.name))? {
            analysis.push(parse_line(&line, stamps(source, utc_offset)));
        }
        return Ok(());
    }
    // The head line of each source and its time (None: not a log line, pushed at once).
    let mut heads: Vec<Option<(Vec<u8>, Micros)>> = Vec::with_capacity(sources.len());
    for source in sources.iter_mut() {
        heads.push(advance(source, utc_offset, analysis)?);
    }
    loop {
        let next = heads
            .iter()
            .enumerate()
            .filter_map(|(i, head)| head.as_ref().map(|(_, t)| (i, *t)))
            .min_by_key(|(_, t)| *t);
        let Some((index, _)) = next else { return Ok(()) };
        if let Some((line, _)) = heads[index].take() {
            analysis.push(parse_line(&line, stamps(&sources[index], utc_offset)));
        }
        heads[index] = advance(&mut sources[index], utc_offset, analysis)?;
    }
}

/// How `source`'s classic stamps are read: its own reference date (for the year), the server's
/// offset.
fn stamps(source: &Source, utc_offset: Option<UtcOffset>) -> ClassicStamps {
    ClassicStamps { reference: source.reference, utc_offset }
}

/// The next log line of `source` with its time; lines that are not log lines go to the analysis
/// at once (to be counted).
fn advance(
    source: &mut Source,
    utc_offset: Option<UtcOffset>,
    analysis: &mut LogAnalysis,
) -> anyhow::Result<Option<(Vec<u8>, Micros)>> {
    let mut line = Vec::new();
    while next_line(source.reader.as_mut(), &mut line).with_context(|| format!("cannot read {}", source.name))? {
        match parse_line(&line, stamps(source, utc_offset)) {
            Some((parsed, _)) => {
                let time = parsed.time;
                return Ok(Some((line, time)));
            }
            None => analysis.push(None),
        }
    }
    Ok(None)
}

/// The error for logs with no delivery to amavisd: what was looked for, and why it may be missing.
pub(crate) fn no_data(select: &LogSelectArgs, files: &[String]) -> anyhow::Error {
    let hops = if select.next_hop.is_empty() {
        amavis_tune_core::DEFAULT_NEXT_HOPS.join(" or ")
    } else {
        select.next_hop.join(" or ")
    };
    let names = if select.syslog_name.is_empty() {
        String::new()
    } else {
        format!(" or from {}", select.syslog_name.join(", "))
    };
    anyhow::Error::new(Hinted {
        message: format!(
            "no delivery to amavisd in {}: looked for Postfix delivery lines (postfix/.../smtp or lmtp) with relay=...{hops}{names}, and amavisd result lines (`Passed CLEAN ..., N ms`)",
            files.join(", ")
        ),
        hint: "is a content_filter set in main.cf (no filter, no deliveries to amavisd)? Does amavisd listen elsewhere (give --next-hop [ADDR]:PORT, or --syslog-name of the transport)? Is amavisd's $log_level below 0, or does it log to its own file ($LOGFILE)? Is this the right file and host (Debian 12 logs to the journal only; --host, --since and --until narrow what is read)?".to_owned(),
    })
}

/// Whether lines were read and none was a log line in any known format (an empty log is only one
/// with no delivery to amavisd).
fn none_parsed(lines: &LineCounts) -> bool {
    lines.total > 0 && lines.unparsed == lines.total
}

/// The error for logs in which no line is a log line in a known format (`None` when some are):
/// how many lines were read, from where, and what the formats are.
pub(crate) fn no_log_line(lines: &LineCounts, files: &[String]) -> Option<anyhow::Error> {
    if !none_parsed(lines) {
        return None;
    }
    let read = if lines.total == 1 { "1 line".to_owned() } else { format!("{} lines", lines.total) };
    Some(anyhow::Error::new(Hinted {
        message: format!(
            "read {read} from {}, and none parsed as a log line in any known format",
            files.join(", ")
        ),
        hint: "is it a mail log? amavis-tune reads classic syslog (`Dec  2 07:22:40 host postfix/smtp[123]: ...`, as syslog, Postfix's maillog_file and amavisd's $LOGFILE write it), RFC 3339 stamps (rsyslog), and `journalctl -o short-iso` or `-o json`; other journalctl formats are not read, and a compressed rotation is read only when its name ends in .gz".to_owned(),
    }))
}
