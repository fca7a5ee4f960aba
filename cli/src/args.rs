//! The command line, as clap definitions; `///` comments are the help text.

use std::path::PathBuf;

use amavis_tune_core::{
    Concurrency, Cpus, HeadroomPercent, MiB, OsRelease, PostfixMethod, Preset, ServiceName, parse_size,
};
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

/// Match amavisd's $max_servers and Postfix's maxproc to the RAM you have.
///
/// amavis-tune plans how many mail-scanning children amavisd-new can run beside ClamAV, prints
/// matched snippets for amavisd's config and Postfix's master.cf (or main.cf), and the commands
/// that make them live.
#[derive(Debug, Parser)]
#[command(name = "amavis-tune", version = version(), about, long_about, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Plan $max_servers and maxproc for a server's RAM (this machine's when --ram is not given).
    Plan(PlanArgs),
    /// Read the live configuration and say whether Postfix and amavisd agree (exit 0 yes, 1 no, 2 error).
    Check(CheckArgs),
    /// Set both sides to N in place: shows the diff, backs up, writes atomically, checks the result.
    Apply(ApplyArgs),
    /// Measure the memory of the running amavisd parent and children and clamd, or watch its children and accept queue (Linux, from /proc).
    Measure(MeasureArgs),
    /// Read the mail logs: how busy amavisd is, whether Postfix and amavisd agree, and the number this traffic needs.
    Logs(LogsArgs),
    /// List the backups apply made (newest first, with the diff back to each), or restore one.
    Restore(RestoreArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the manual page (roff).
    Man,
}

impl Command {
    /// Whether the command was asked for JSON output, so that an error is printed as JSON too.
    pub(crate) fn wants_json(&self) -> bool {
        let format = match self {
            Command::Plan(args) => args.output.format,
            Command::Check(args) => args.output.format,
            Command::Apply(args) => args.output.format,
            Command::Measure(args) => args.output.format,
            Command::Logs(args) => args.output.format,
            Command::Restore(_) | Command::Completions(_) | Command::Man => OutputFormat::Text,
        };
        format == OutputFormat::Json
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum OutputFormat {
    /// For people.
    #[default]
    Text,
    /// The stable JSON contract documented in the README.
    Json,
}

/// Output format, shared by every subcommand that prints a report.
#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: OutputFormat,
}

/// Where this machine's /proc and /sys are (for reading a captured machine; tests use it).
#[derive(Debug, Args)]
pub(crate) struct SysrootArgs {
    /// Where /proc, /sys and clamd's config and program are (for reading a captured machine;
    /// tests use it).
    #[arg(long, value_name = "DIR", default_value = "/", hide = true)]
    pub(crate) sysroot: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// Reproduce the plan of a permalink (the web calculator's address, or a snippet header that holds it).
    /// It conflicts with every input flag (see [`command`]).
    #[arg(long, value_name = "LINK")]
    pub(crate) from_url: Option<String>,

    /// Print only the permalink for these inputs (open it in the web calculator, or keep it).
    #[arg(long)]
    pub(crate) permalink: bool,

    /// The server runs a platform that generates both numbers from one setting: zimbra, carbonio
    /// or univention (found by itself on this machine when no input is given). The steps are then
    /// the platform's own command, never an edit of its files.
    #[arg(long, value_name = "PLATFORM")]
    pub(crate) platform: Option<amavis_tune_core::Platform>,

    /// Where the web calculator lives, for the permalinks in the output.
    #[arg(long, value_name = "URL", env = "AMAVIS_TUNE_BASE_URL", default_value = amavis_tune_core::DEFAULT_BASE_URL)]
    pub(crate) base_url: String,

    #[arg(long, help = format!(
        "Plan a concurrency above {}, beyond what the amavis documentation calls useful",
        amavis_tune_core::USEFUL_RANGE_TOP
    ))]
    pub(crate) force: bool,

    /// One screen: the two numbers and why, the warnings, the one-line change per side, then the
    /// commands to back up, validate, reload, verify and roll back (text only; JSON is always
    /// whole).
    #[arg(long)]
    pub(crate) brief: bool,

    #[command(flatten)]
    pub(crate) logs: LogUseArgs,

    #[command(flatten)]
    pub(crate) inputs: PlanInputArgs,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// The flags that name a plan's inputs (a permalink names them instead).
#[derive(Debug, Args)]
pub(crate) struct PlanInputArgs {
    /// Start from a named deployment (its RAM, CPUs, ClamAV and concurrency); other flags change it.
    #[arg(long, value_enum, value_name = "NAME")]
    pub(crate) preset: Option<Preset>,

    /// The number of amavisd children (and Postfix connections) wanted, 2 or more. Default: recommend one.
    #[arg(long, value_name = "N", value_parser = parse_concurrency, allow_hyphen_values = true)]
    pub(crate) concurrency: Option<Concurrency>,

    /// The server's OS, with its release where you know it: debian, debian:12, ubuntu:22.04, rhel:9,
    /// freebsd:14, openbsd:7.6. The steps are that release's. Default: this machine's, from
    /// /etc/os-release (ID and VERSION_ID), else debian.
    #[arg(long, value_name = "OS[:VERSION]", value_parser = parse_os_release)]
    pub(crate) os: Option<OsRelease>,

    /// Where Postfix gets the number: the maxproc column in master.cf, or
    /// <service>_destination_concurrency_limit in main.cf.
    #[arg(long, value_enum)]
    pub(crate) method: Option<PostfixMethod>,

    /// The master.cf service that delivers to amavisd (main.cf's content_filter names it).
    #[arg(long, value_name = "NAME", default_value = amavis_tune_core::DEFAULT_SERVICE, value_parser = parse_service)]
    pub(crate) service: ServiceName,

    #[arg(long, value_name = "N", value_parser = parse_cpus, allow_hyphen_values = true, help = format!(
        "The server's CPU count; bounds the recommendation at {} children per CPU. Default: this machine's, when --ram is not given",
        amavis_tune_core::CHILDREN_PER_CPU
    ))]
    pub(crate) cpus: Option<Cpus>,

    /// Use the memory of the running amavisd children, parent and clamd (see `measure`) instead of
    /// the defaults, where no override is given.
    #[arg(long)]
    pub(crate) measured: bool,

    #[command(flatten)]
    pub(crate) memory: MemoryArgs,
}

/// The server's memory and what runs in it: the flags `plan` and `apply` share.
#[derive(Debug, Args)]
pub(crate) struct MemoryArgs {
    /// The server's total RAM, e.g. 8G, 8GiB, 8192M, 4.5G (binary units). Default: this machine's, from /proc/meminfo.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, allow_hyphen_values = true)]
    pub(crate) ram: Option<MiB>,

    /// The server runs no ClamAV (clamd).
    #[arg(long, overrides_with = "clamav")]
    pub(crate) no_clamav: bool,

    /// The server runs ClamAV (the default; turns it back on after a preset without it).
    #[arg(long, overrides_with = "no_clamav")]
    pub(crate) clamav: bool,

    /// clamd runs with `ConcurrentDatabaseReload no`, so it never holds two signature databases at
    /// once, but blocks scanning while it reloads them (clamd.conf(5)).
    #[arg(long, conflicts_with = "no_clamav")]
    pub(crate) no_concurrent_reload: bool,

    #[command(flatten)]
    pub(crate) overrides: OverrideArgs,

    #[command(flatten)]
    pub(crate) sysroot: SysrootArgs,
}

/// Overrides of the memory model's assumptions (README, "The memory model"). Their help texts
/// quote the model's defaults from core's constants (built when the command is built), so that
/// `--help` never shows a figure the model no longer uses.
#[derive(Debug, Args)]
#[command(next_help_heading = "Memory assumptions")]
pub(crate) struct OverrideArgs {
    #[arg(long, value_name = "SIZE", value_parser = parse_size, allow_hyphen_values = true,
        help = size_help("Memory one amavisd child adds beyond what it shares with its parent", amavis_tune_core::DEFAULT_PER_CHILD, ""))]
    pub(crate) per_child: Option<MiB>,

    #[arg(long, value_name = "SIZE", value_parser = parse_size, allow_hyphen_values = true,
        help = size_help("Resident memory of clamd with its signatures loaded", amavis_tune_core::DEFAULT_CLAMD, "; doubled during a concurrent reload"))]
    pub(crate) clamd: Option<MiB>,

    #[arg(long, value_name = "SIZE", value_parser = parse_size, allow_hyphen_values = true,
        help = size_help("Resident memory of the amavisd parent process", amavis_tune_core::DEFAULT_AMAVISD_PARENT, ""))]
    pub(crate) amavisd_parent: Option<MiB>,

    #[arg(long, value_name = "SIZE", value_parser = parse_size, allow_hyphen_values = true,
        help = size_help("Memory kept for the rest of the system: OS, Postfix, Dovecot, database, web", amavis_tune_core::DEFAULT_RESERVE, ""))]
    pub(crate) reserve: Option<MiB>,

    #[arg(long, value_name = "PERCENT", value_parser = parse_headroom, allow_hyphen_values = true,
        help = format!(
            "Share of RAM kept free for the page cache and peaks, in percent, 0 to {} (default {})",
            amavis_tune_core::MAX_HEADROOM_PERCENT,
            amavis_tune_core::DEFAULT_HEADROOM_PERCENT
        ))]
    pub(crate) headroom: Option<HeadroomPercent>,
}

/// A memory flag's help: what it is, then the model's default in the unit the flag takes.
fn size_help(what: &str, default: MiB, more: &str) -> String {
    format!("{what} (default {}M{more})", default.0)
}

/// Which OS layout to read: detected from the files, or named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OsChoice {
    Auto,
    Os(OsRelease),
}

fn parse_os_release(text: &str) -> Result<OsRelease, String> {
    text.parse().map_err(|error: amavis_tune_core::InputError| match error {
        amavis_tune_core::InputError::Os { .. } => format!(
            "invalid operating system `{text}`: use debian, ubuntu, rhel, freebsd or openbsd, with the release after a colon where you know it (debian:12; listed: {})",
            amavis_tune_core::known_releases()
        ),
        other => other.to_string(),
    })
}

fn parse_os_choice(text: &str) -> Result<OsChoice, String> {
    if text.eq_ignore_ascii_case("auto") {
        return Ok(OsChoice::Auto);
    }
    parse_os_release(text).map(OsChoice::Os).map_err(|error| error.replace("use debian,", "use auto, debian,"))
}

/// Where the configuration files are (shared by `check` and `apply`).
#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    /// The directory a server's files are under: / for this machine, or a tree mounted elsewhere.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub(crate) root: PathBuf,

    /// The OS layout: auto (from the tree's etc/os-release and which files exist), debian, ubuntu,
    /// rhel, freebsd or openbsd, with the release after a colon (debian:12) for its steps.
    #[arg(long, value_name = "OS", default_value = "auto", value_parser = parse_os_choice)]
    pub(crate) os: OsChoice,

    /// master.cf to read instead of the OS's (not under --root).
    #[arg(long, value_name = "PATH")]
    pub(crate) master_cf: Option<PathBuf>,

    /// main.cf to read instead of the OS's (not under --root).
    #[arg(long, value_name = "PATH")]
    pub(crate) main_cf: Option<PathBuf>,

    /// An amavisd config file to read instead of the OS's; repeat it, in the order amavisd reads them.
    #[arg(long = "amavis-conf", value_name = "PATH")]
    pub(crate) amavis_conf: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) config: ConfigArgs,

    #[command(flatten)]
    pub(crate) logs: LogUseArgs,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    /// The number both sides should run at, 2 or more.
    #[arg(long, value_name = "N", value_parser = parse_concurrency, allow_hyphen_values = true)]
    pub(crate) concurrency: Concurrency,

    #[command(flatten)]
    pub(crate) config: ConfigArgs,

    /// Where Postfix gets the number: the maxproc column in master.cf, or main.cf's
    /// <service>_destination_concurrency_limit. Default: the one in force in the files (main.cf's
    /// limit when it is set and is what caps Postfix, else master.cf).
    #[arg(long, value_enum)]
    pub(crate) method: Option<PostfixMethod>,

    /// Show the diff and stop: nothing is written.
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// Do not keep a backup of each changed file.
    #[arg(long)]
    pub(crate) no_backup: bool,

    #[arg(long, help = format!(
        "Apply even when N does not fit in the RAM (the plan says why), or is above {}, beyond what the amavis documentation calls useful",
        amavis_tune_core::USEFUL_RANGE_TOP
    ))]
    pub(crate) force: bool,

    /// After writing, run the validate and restart/reload steps, showing each command first.
    #[arg(long)]
    pub(crate) restart: bool,

    #[command(flatten)]
    pub(crate) diff: DiffArgs,

    #[command(flatten)]
    pub(crate) memory: MemoryArgs,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct MeasureArgs {
    /// Watch the running amavisd for DURATION (60s when not given; 30s, 2m, 1m30s) instead of
    /// measuring its memory: its children working, holding a session or free, and the connections
    /// waiting in its accept queue, sampled several times a second, with a verdict and the number
    /// of children this moment needs at the end. Ctrl-C ends it early and still reports.
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = "60s", value_parser = parse_watch_duration)]
    pub(crate) watch: Option<std::time::Duration>,

    /// With --watch: the time between two samples.
    #[arg(long, value_name = "DURATION", default_value = "200ms", requires = "watch", value_parser = parse_interval)]
    pub(crate) interval: std::time::Duration,

    /// With --watch: first wait (for at most DURATION) until amavisd runs at least N children, as
    /// after a change, then watch; exit 1 when it does not, or when connections wait for a child.
    #[arg(long, value_name = "N", requires = "watch", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub(crate) expect: Option<u32>,

    #[command(flatten)]
    pub(crate) output: OutputArgs,

    #[command(flatten)]
    pub(crate) sysroot: SysrootArgs,
}

#[derive(Debug, Args)]
pub(crate) struct LogsArgs {
    /// Log files to read, merged by time (`.gz` is decompressed; `-` reads standard input).
    /// Default: /var/log/mail.log or /var/log/maillog and their rotations, else the journal.
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,

    /// Only lines at or after this time: 2026-12-02, "2026-12-02 07:00" (the server's local time,
    /// as classic syslog stamps are; UTC against stamps with an offset when --utc-offset is not
    /// given), or RFC 3339 with an offset.
    #[arg(long, value_name = "TIME", value_parser = parse_log_time)]
    pub(crate) since: Option<amavis_tune_core::TimeBound>,

    /// Only lines before this time (the same forms as --since).
    #[arg(long, value_name = "TIME", value_parser = parse_log_time)]
    pub(crate) until: Option<amavis_tune_core::TimeBound>,

    #[command(flatten)]
    pub(crate) clock: LogClockArgs,

    /// Only lines of this host (the name after the time stamp), for a log several servers write.
    #[arg(long, value_name = "NAME")]
    pub(crate) host: Option<String>,

    #[command(flatten)]
    pub(crate) select: LogSelectArgs,

    /// amavisd's $max_servers, when known: tells a Postfix limit below it from both sides too small.
    #[arg(long, value_name = "N")]
    pub(crate) max_servers: Option<u32>,

    /// Postfix's limit on connections to amavisd (maxproc or the destination concurrency limit), when known.
    #[arg(long, value_name = "N")]
    pub(crate) postfix_limit: Option<u32>,

    /// The day the log was last written, YYYY-MM-DD: classic syslog stamps have no year and take
    /// it from this. Default: each file's modification date, today for standard input.
    #[arg(long, value_name = "DATE", value_parser = parse_log_date)]
    pub(crate) log_date: Option<amavis_tune_core::Date>,

    #[arg(long, value_name = "N", value_parser = parse_cpus, allow_hyphen_values = true, help = format!(
        "The server's CPU count, bounding the number at {} children per CPU. Default: this machine's, when --ram is not given",
        amavis_tune_core::CHILDREN_PER_CPU
    ))]
    pub(crate) cpus: Option<Cpus>,

    #[command(flatten)]
    pub(crate) memory: MemoryArgs,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// How the deliveries to amavisd are told in a mail log (shared by `logs`, `plan --logs` and
/// `check --logs`).
#[derive(Debug, Args)]
pub(crate) struct LogSelectArgs {
    #[arg(long, value_name = "[ADDR]:PORT", value_parser = parse_next_hop, help = format!(
        "amavisd's address as Postfix's relay= shows it; repeat for several (default {})",
        amavis_tune_core::DEFAULT_NEXT_HOPS.join(" and ")
    ))]
    pub(crate) next_hop: Vec<String>,

    /// The transport's program name in the log (its syslog_name), e.g. postfix/smtp-amavis/smtp:
    /// its deliveries count whatever the relay. Repeatable.
    #[arg(long, value_name = "NAME")]
    pub(crate) syslog_name: Vec<String>,
}

/// The clock of the mail logs (shared by `logs`, `plan --logs` and `check --logs`).
#[derive(Debug, Args)]
pub(crate) struct LogClockArgs {
    /// The server's offset from UTC, e.g. +01:00 or -05:00: classic syslog stamps
    /// (`Dec  2 07:43:05`) are its local time and carry none. With it they are converted to UTC;
    /// without it the times shown are the server's local time. Stamps with an offset (RFC 3339,
    /// short-iso) and the journal's are UTC either way.
    #[arg(long, value_name = "±HH:MM", value_parser = parse_utc_offset, allow_hyphen_values = true)]
    pub(crate) utc_offset: Option<amavis_tune_core::UtcOffset>,
}

/// The mail logs `plan` and `check` read for the load they show.
#[derive(Debug, Args)]
pub(crate) struct LogUseArgs {
    /// Read these mail logs for the load they show (`amavis-tune logs`'s analysis); with no FILE,
    /// the server's mail log and its rotations, else the journal. On the server the log files are
    /// read by themselves, without this flag.
    #[arg(long, value_name = "FILE", num_args = 0.., conflicts_with = "no_logs")]
    pub(crate) logs: Option<Vec<PathBuf>>,

    /// Do not read the mail logs, even on the server.
    #[arg(long)]
    pub(crate) no_logs: bool,

    #[command(flatten)]
    pub(crate) select: LogSelectArgs,

    #[command(flatten)]
    pub(crate) clock: LogClockArgs,
}

/// The longest watch: a day of samples is still a few counters, but a longer one is a typo.
const LONGEST_WATCH: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text).map_err(|error| {
        format!("invalid duration `{text}` ({error}): use a number with a unit, e.g. 30s, 2m, 1m30s, 500ms")
    })
}

fn parse_watch_duration(text: &str) -> Result<std::time::Duration, String> {
    let duration = parse_duration(text)?;
    if duration < std::time::Duration::from_secs(1) || duration > LONGEST_WATCH {
        return Err(format!("a watch of `{text}` is out of range: from 1s to 24h"));
    }
    Ok(duration)
}

fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
    let interval = parse_duration(text)?;
    if interval < std::time::Duration::from_millis(20) || interval > std::time::Duration::from_secs(10) {
        return Err(format!("an interval of `{text}` is out of range: from 20ms to 10s"));
    }
    Ok(interval)
}

fn parse_log_time(text: &str) -> Result<amavis_tune_core::TimeBound, String> {
    amavis_tune_core::parse_bound(text).ok_or_else(|| {
        format!(
            "invalid time `{text}`: use 2026-12-02, \"2026-12-02 07:00\" (the server's local time) or RFC 3339 (2026-12-02T07:00:00+01:00)"
        )
    })
}

fn parse_utc_offset(text: &str) -> Result<amavis_tune_core::UtcOffset, String> {
    amavis_tune_core::UtcOffset::parse(text).ok_or_else(|| {
        format!("invalid UTC offset `{text}`: use ±HH:MM between -12:00 and +14:00, e.g. +01:00 or -05:00")
    })
}

fn parse_log_date(text: &str) -> Result<amavis_tune_core::Date, String> {
    let invalid = || format!("invalid date `{text}`: use YYYY-MM-DD, e.g. 2026-12-02");
    if text.len() != 10 {
        return Err(invalid());
    }
    let time = amavis_tune_core::parse_time(text).ok_or_else(invalid)?;
    Ok(amavis_tune_core::Date::of(time))
}

/// `[127.0.0.1]:10024`, `[::1]:10024`: what Postfix writes after the name in relay=.
fn parse_next_hop(text: &str) -> Result<String, String> {
    let invalid = || {
        format!("invalid next hop `{text}`: use [ADDRESS]:PORT as Postfix's relay= shows it, e.g. [127.0.0.1]:10024")
    };
    let rest = text.strip_prefix('[').ok_or_else(invalid)?;
    let (address, port) = rest.split_once("]:").ok_or_else(invalid)?;
    if address.is_empty() || address.contains(['[', ']', ' ']) || port.parse::<u16>().is_err() {
        return Err(invalid());
    }
    Ok(text.to_owned())
}

#[derive(Debug, Args)]
pub(crate) struct RestoreArgs {
    #[command(flatten)]
    pub(crate) config: ConfigArgs,

    /// The backup to restore (NAME.amavis-tune-STAMP.bak, next to NAME). Without it, list them.
    #[arg(long, value_name = "PATH")]
    pub(crate) backup: Option<PathBuf>,

    /// Show the diff and stop: nothing is written.
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// Restore even when the backup differs from the file in more than amavis-tune's numbers.
    #[arg(long)]
    pub(crate) force: bool,

    #[command(flatten)]
    pub(crate) diff: DiffArgs,
}

/// How the diffs of `apply` and `restore` are shown.
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// Print no diff, only the names of the files (a diff's context lines can hold passwords;
    /// without this flag, the values of secret-looking settings in a diff are masked as ********).
    #[arg(long)]
    pub(crate) no_diff: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// The command line: clap's definitions, with `plan --from-url` in conflict with every flag of
/// [`PlanInputArgs`] (taken from its definition, so a new input flag conflicts without a list
/// to keep). Parsing, completions and the man page all use this.
pub(crate) fn command() -> clap::Command {
    let inputs = PlanInputArgs::augment_args(clap::Command::new("inputs"));
    let mut input_ids: Vec<clap::Id> = inputs.get_arguments().map(|arg| arg.get_id().clone()).collect();
    // A link is another machine's plan: this server's logs do not size it.
    input_ids.push(clap::Id::from("logs"));
    Cli::command().mut_subcommand("plan", |plan| {
        plan.mut_arg("from_url", |arg| arg.conflicts_with_all(input_ids))
            .mut_arg("logs", |arg| arg.conflicts_with("permalink"))
    })
}

impl Cli {
    /// Parses this process's arguments with [`command`].
    pub(crate) fn parse_args() -> Result<Cli, clap::Error> {
        let mut matches: ArgMatches = command().try_get_matches()?;
        Cli::from_arg_matches_mut(&mut matches)
    }
}

/// `0.1.0 (commit 1234567890ab, memory model 1)`.
fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(amavis_tune_core::build_info)
}

fn parse_concurrency(text: &str) -> Result<Concurrency, amavis_tune_core::InputError> {
    text.parse()
}

fn parse_cpus(text: &str) -> Result<Cpus, amavis_tune_core::InputError> {
    text.parse()
}

fn parse_headroom(text: &str) -> Result<HeadroomPercent, amavis_tune_core::InputError> {
    text.parse()
}

fn parse_service(text: &str) -> Result<ServiceName, amavis_tune_core::InputError> {
    text.parse()
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_definitions_are_consistent() {
        super::command().debug_assert();
    }
}
