//! The analysis: lines in, one [`LogReport`] out. It keeps per-minute and per-hour counts, the
//! last hour of per-second busy levels, bounded distributions, and a little state per amavisd
//! child and deferred message, so memory depends on the period and the traffic's concurrency,
//! not on the log's size.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};

use crate::inputs::Inputs;
use crate::logs::busy::Busy;
use crate::logs::distribution::Distribution;
use crate::logs::event::{self, AmavisKind, DeferralReason, Status};
use crate::logs::line::{LineFormat, LogLine, parse_line};
use crate::logs::replay::Replay;
use crate::logs::replay::demand::Delivered;
use crate::logs::replay::scheduler::SchedulerSettings;
use crate::logs::report::{
    Arrivals, BusyFigures, Deferrals, Hour, LineCounts, LogReport, Percentiles, Period, ScanSource, Waits,
};
use crate::logs::sizing::bound_load;
use crate::logs::time::{ClassicStamps, Clock, Date, MICROS_PER_SECOND, Micros, TimeBound, UtcOffset};
use crate::logs::timeline::{Series, Timeline};
use crate::logs::verdict::{Evidence, judge};

/// What the analysis needs to know besides the lines.
#[derive(Debug, Clone, PartialEq)]
pub struct LogOptions {
    /// The day the log was last written: a classic stamp's year comes from it.
    pub reference: Date,
    /// Only lines from this host (case-insensitive); all hosts when `None`.
    pub host: Option<String>,
    /// The server's offset from UTC: classic stamps are converted to UTC by it. Unknown, they
    /// stay on the server's clock.
    pub utc_offset: Option<UtcOffset>,
    /// Only lines at or after this time (on each line's clock: [`TimeBound::on`]).
    pub since: Option<TimeBound>,
    /// Only lines before this time.
    pub until: Option<TimeBound>,
    /// amavisd's address as Postfix's `relay=` shows it: `[127.0.0.1]:10024`.
    pub next_hops: Vec<String>,
    /// Program names of the transport (its `syslog_name`), e.g. `postfix/smtp-amavis/smtp`: their
    /// deliveries count whatever the relay.
    pub services: Vec<String>,
    /// amavisd's `$max_servers` and Postfix's limit for the transport, when known.
    pub max_servers: Option<u32>,
    pub postfix_limit: Option<u32>,
    /// The server's RAM and CPUs, to bound the number as `plan` does.
    pub inputs: Option<Inputs>,
    /// The transport's scheduling settings (Postfix's defaults unless the config says otherwise).
    pub scheduler: SchedulerSettings,
    /// The transport's master.cf name, for the main.cf lines the report suggests; learned from
    /// its `syslog_name` (`postfix/smtp-amavis/smtp`) when not given.
    pub transport: Option<String>,
}

/// amavisd's usual address: README.postfix's `[127.0.0.1]:10024`, and the same port on IPv6.
pub const DEFAULT_NEXT_HOPS: [&str; 2] = ["[127.0.0.1]:10024", "[::1]:10024"];

impl LogOptions {
    /// What classic stamps leave out: the year's reference date and the server's offset.
    pub fn stamps(&self) -> ClassicStamps {
        ClassicStamps { reference: self.reference, utc_offset: self.utc_offset }
    }

    pub fn new(reference: Date) -> LogOptions {
        LogOptions {
            reference,
            host: None,
            utc_offset: None,
            since: None,
            until: None,
            next_hops: DEFAULT_NEXT_HOPS.iter().map(|hop| (*hop).to_owned()).collect(),
            services: Vec::new(),
            max_servers: None,
            postfix_limit: None,
            inputs: None,
            scheduler: SchedulerSettings::default(),
            transport: None,
        }
    }

    /// The limit the server runs with now: the smaller of the two numbers, where known.
    fn current_limit(&self) -> Option<u32> {
        match (self.max_servers, self.postfix_limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The longest timeline (in hours) whose quiet hours are listed.
const MAX_FILLED_HOURS: i64 = 10_000;

/// How many hosts' names a report lists.
const MAX_HOSTS_LISTED: usize = 16;

/// amavisd children not heard from for this long are forgotten (their task-id counters).
const CHILD_FORGET_MICROS: Micros = 24 * 3600 * MICROS_PER_SECOND;

#[derive(Debug, Clone, Copy)]
struct Child {
    session: u32,
    /// A result line without its elapsed ms was seen: a `...` continuation may carry it.
    result_open: bool,
    last_seen: Micros,
}

/// Per-minute counts, folded into their peak once an hour old.
#[derive(Debug, Clone, Default)]
struct Minutes {
    pending: BTreeMap<i64, u64>,
    peak: u64,
    total: u64,
}

impl Minutes {
    fn add(&mut self, time: Micros) {
        let minute = time.div_euclid(60 * MICROS_PER_SECOND);
        *self.pending.entry(minute).or_default() += 1;
        self.total += 1;
        while self.pending.len() > 120 {
            if let Some((_, count)) = self.pending.pop_first() {
                self.peak = self.peak.max(count);
            }
        }
    }

    fn peak(&self) -> u64 {
        self.pending.values().copied().fold(self.peak, u64::max)
    }
}

/// The running analysis. Feed it lines with [`LogAnalysis::push_line`] (or lines parsed by
/// [`parse_line`] with [`LogAnalysis::push`]), then call [`LogAnalysis::finish`].
#[derive(Debug, Clone)]
pub struct LogAnalysis {
    options: LogOptions,
    lines: LineCounts,
    formats: BTreeSet<LineFormat>,
    hosts: BTreeSet<String>,
    first: Option<Micros>,
    last: Option<Micros>,
    sent: u64,
    bounced: u64,
    deferrals: Deferrals,
    deferred_ids: HashSet<u64>,
    queue_wait_cs: Distribution,
    connect_wait_cs: Distribution,
    transmit_ms: Distribution,
    scan_ms: Distribution,
    busy_postfix: Busy,
    busy_amavisd: Busy,
    arrivals_postfix: Minutes,
    arrivals_amavisd: Minutes,
    hour_deliveries: BTreeMap<i64, u64>,
    /// Deliveries at the timeline's resolutions.
    timeline: Timeline,
    children: HashMap<u32, Child>,
    abandoned: u64,
    denied: u64,
    since_sweep: u64,
    /// The next hops (`[ADDR]:PORT`) seen on the lines of the transports named by their
    /// `syslog_name`, so that `postfix/error`'s lines for the same hop count too (at most
    /// [`MAX_LEARNED_HOPS`]).
    learned_hops: Vec<Vec<u8>>,
    replay: Replay,
    /// Recent refused and lost-greeting deferrals, to count as a restart's when amavisd's start
    /// line follows them (at most [`MAX_RECENT_FAILURES`]).
    recent_failures: std::collections::VecDeque<(Micros, DeferralReason)>,
    restarts: u64,
    /// Hops off loopback whose replies were amavisd's, not counted: how many deliveries each.
    uncounted_hops: BTreeMap<String, u64>,
    /// The transport's name as its `syslog_name` shows it (`smtp-amavis` in
    /// `postfix/smtp-amavis/smtp`).
    learned_transport: Option<String>,
}

/// How many recent refused or lost connections are kept for a restart to claim.
const MAX_RECENT_FAILURES: usize = 4096;

/// How many next hops the transports named by `syslog_name` may teach the analysis (a
/// transport has one or two: IPv4 and IPv6).
const MAX_LEARNED_HOPS: usize = 8;

impl LogAnalysis {
    pub fn new(options: LogOptions) -> LogAnalysis {
        let backlog_possible =
            !matches!((options.max_servers, options.postfix_limit), (Some(max), Some(limit)) if limit <= max);
        let replay = Replay::new(options.scheduler, options.current_limit(), backlog_possible);
        LogAnalysis {
            replay,
            recent_failures: std::collections::VecDeque::new(),
            restarts: 0,
            uncounted_hops: BTreeMap::new(),
            learned_transport: None,
            options,
            lines: LineCounts::default(),
            formats: BTreeSet::new(),
            hosts: BTreeSet::new(),
            first: None,
            last: None,
            sent: 0,
            bounced: 0,
            deferrals: Deferrals::default(),
            deferred_ids: HashSet::new(),
            queue_wait_cs: Distribution::default(),
            connect_wait_cs: Distribution::default(),
            transmit_ms: Distribution::default(),
            scan_ms: Distribution::default(),
            busy_postfix: Busy::default(),
            busy_amavisd: Busy::default(),
            arrivals_postfix: Minutes::default(),
            arrivals_amavisd: Minutes::default(),
            hour_deliveries: BTreeMap::new(),
            timeline: Timeline::default(),
            children: HashMap::new(),
            abandoned: 0,
            denied: 0,
            since_sweep: 0,
            learned_hops: Vec::new(),
        }
    }

    pub fn reference(&self) -> Date {
        self.options.reference
    }

    /// What classic stamps leave out, as the options supply it.
    pub fn stamps(&self) -> ClassicStamps {
        self.options.stamps()
    }

    /// One line, without its line end.
    pub fn push_line(&mut self, line: &[u8]) {
        let parsed = parse_line(line, self.options.stamps());
        self.push(parsed);
    }

    /// A line already split by [`parse_line`] (`None`: it was not a log line).
    pub fn push(&mut self, parsed: Option<(LogLine<'_>, LineFormat)>) {
        self.lines.total += 1;
        let Some((line, format)) = parsed else {
            self.lines.unparsed += 1;
            return;
        };
        if let Some(host) = &self.options.host
            && !line.host.eq_ignore_ascii_case(host.as_bytes())
        {
            self.lines.other_hosts += 1;
            return;
        }
        let (clock, offset) = (format.clock(self.options.utc_offset), self.options.utc_offset);
        if self.options.since.is_some_and(|since| line.time < since.on(clock, offset))
            || self.options.until.is_some_and(|until| line.time >= until.on(clock, offset))
        {
            self.lines.outside_period += 1;
            return;
        }
        if self.hosts.len() < MAX_HOSTS_LISTED && !line.host.is_empty() {
            let host = String::from_utf8_lossy(&line.host);
            if !self.hosts.contains(host.as_ref()) {
                self.hosts.insert(host.into_owned());
            }
        }
        self.formats.insert(format);
        self.since_sweep += 1;
        if self.since_sweep >= 100_000 {
            self.sweep(line.time);
        }
        let used = if event::is_amavis(&line.program) {
            self.amavis_line(&line)
        } else if line.program.starts_with(b"postfix") {
            self.postfix_line(&line)
        } else {
            false
        };
        if used {
            self.lines.used += 1;
            self.first = Some(self.first.map_or(line.time, |t| t.min(line.time)));
            self.last = Some(self.last.map_or(line.time, |t| t.max(line.time)));
        } else {
            self.lines.other += 1;
        }
    }

    fn sweep(&mut self, now: Micros) {
        self.since_sweep = 0;
        self.children.retain(|_, child| now - child.last_seen < CHILD_FORGET_MICROS);
    }

    fn is_amavis_hop(&mut self, program: &[u8], relay: &[u8], reason: &[u8]) -> bool {
        // The transport's own lines count whatever their relay: `relay=none` when the connection
        // was refused (amavisd not listening) is still a delivery attempt on the amavis hop. The
        // hop they name is learned for `postfix/error`'s lines.
        if self.options.services.iter().any(|s| s.as_bytes() == program) {
            let hop = if relay == b"none" { hop_in(reason) } else { hop_in(relay) };
            if let Some(hop) = hop
                && self.learned_hops.len() < MAX_LEARNED_HOPS
                && !self.learned_hops.iter().any(|known| known.as_slice() == hop)
            {
                self.learned_hops.push(hop.to_vec());
            }
            return true;
        }
        let given = self.options.next_hops.iter().map(|hop| hop.as_bytes());
        let learned = self.learned_hops.iter().map(Vec::as_slice);
        given.chain(learned).any(|hop| {
            if relay.ends_with(hop) {
                return true;
            }
            // `postfix/error` (relay=none) names the hop in its reason: `connect to
            // 127.0.0.1[127.0.0.1]:10024: ...`, or without the port for a lost greeting.
            relay == b"none"
                && (memchr::memmem::find(reason, hop).is_some()
                    || hop_address(hop).is_some_and(|address| {
                        memchr::memmem::find(reason, address).is_some_and(|at| {
                            reason[at + address.len()..].starts_with(b" while receiving the initial server greeting")
                        })
                    }))
        })
    }

    /// A delivery whose reply is amavisd's (`250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): ...`,
    /// amavisd passing on its re-injection's answer) went to amavisd, on whatever port. On a
    /// loopback address its hop is learned and counted; elsewhere (it could be another
    /// server's amavisd answering through its own proxy) it is only noted, for `--next-hop`.
    fn amavis_reply(&mut self, delivery: &event::Delivery<'_>) -> bool {
        if delivery.status != Status::Sent || !delivery.reason.starts_with(b"250 2.0.0 from MTA(") {
            return false;
        }
        let Some(hop) = hop_in(delivery.relay) else { return false };
        let loopback = hop.starts_with(b"[127.") || hop.starts_with(b"[::1]");
        if loopback && self.learned_hops.len() < MAX_LEARNED_HOPS {
            self.learned_hops.push(hop.to_vec());
            return true;
        }
        let hop = String::from_utf8_lossy(hop).into_owned();
        if let Some(count) = self.uncounted_hops.get_mut(&hop) {
            *count += 1;
        } else if self.uncounted_hops.len() < MAX_LEARNED_HOPS {
            self.uncounted_hops.insert(hop, 1);
        }
        false
    }

    fn postfix_line(&mut self, line: &LogLine<'_>) -> bool {
        let program: &[u8] = &line.program;
        let agent = program.rsplit(|&b| b == b'/').next().unwrap_or_default();
        if !matches!(agent, b"smtp" | b"lmtp" | b"error" | b"retry") {
            return false;
        }
        let Some(delivery) = event::delivery(&line.message) else { return false };
        if !self.is_amavis_hop(program, delivery.relay, delivery.reason) && !self.amavis_reply(&delivery) {
            return false;
        }
        match delivery.status {
            Status::Sent => {
                if self.learned_transport.is_none() {
                    self.learned_transport = transport_of(program);
                }
                if let Some(delays) = delivery.delays {
                    let new = self.replay.delivered(Delivered {
                        time: line.time,
                        queue_id: delivery.queue_id,
                        queued_as: event::queued_as(delivery.reason),
                        recipient: delivery.recipient,
                        next_hop: hop_in(delivery.relay).unwrap_or(delivery.relay),
                        delays,
                    });
                    if !new {
                        // Another recipient's line of a delivery already counted.
                        return true;
                    }
                }
                self.sent += 1;
                if let Some([_, b, c, d]) = delivery.delays {
                    let held = ((c + d) * MICROS_PER_SECOND as f64) as Micros;
                    let start = line.time - held;
                    self.busy_postfix.add(start, line.time);
                    self.arrivals_postfix.add(start);
                    self.queue_wait_cs.add((b * 100.0).round() as u64);
                    self.connect_wait_cs.add((c * 100.0).round() as u64);
                    self.transmit_ms.add((d * 1000.0).round() as u64);
                } else {
                    self.arrivals_postfix.add(line.time);
                }
                *self.hour_deliveries.entry(line.time.div_euclid(3600 * MICROS_PER_SECOND)).or_default() += 1;
                self.timeline.add(Series::Deliveries, line.time, 1.0);
            }
            Status::Deferred => {
                let reason = DeferralReason::of(delivery.reason);
                let suspended = event::is_suspended(delivery.reason);
                match reason {
                    DeferralReason::GreetingTimeout | DeferralReason::GreetingLost if suspended => {
                        self.deferrals.suspended.greeting += 1
                    }
                    DeferralReason::Refused if suspended => self.deferrals.suspended.refused += 1,
                    DeferralReason::Other if suspended => self.deferrals.suspended.other += 1,
                    DeferralReason::GreetingTimeout => self.deferrals.greeting_timeout += 1,
                    DeferralReason::GreetingLost => self.deferrals.greeting_lost += 1,
                    DeferralReason::Refused => self.deferrals.refused += 1,
                    DeferralReason::Other => self.deferrals.other += 1,
                }
                if !suspended && matches!(reason, DeferralReason::GreetingLost | DeferralReason::Refused) {
                    if self.recent_failures.len() == MAX_RECENT_FAILURES {
                        self.recent_failures.pop_front();
                    }
                    self.recent_failures.push_back((line.time, reason));
                }
                if let Some([_, b, c, _]) = delivery.delays
                    && delivery.relay != b"none"
                {
                    self.queue_wait_cs.add((b * 100.0).round() as u64);
                    self.connect_wait_cs.add((c * 100.0).round() as u64);
                }
                let mut hasher = DefaultHasher::new();
                delivery.queue_id.hash(&mut hasher);
                self.deferred_ids.insert(hasher.finish());
            }
            Status::Bounced => self.bounced += 1,
            Status::Other => {}
        }
        true
    }

    fn amavis_line(&mut self, line: &LogLine<'_>) -> bool {
        let parsed = event::amavis(&line.message);
        let time = line.time;
        let mut elapsed = None;
        if let Some(task) = parsed.task {
            let child = self.children.entry(task.pid).or_insert(Child {
                session: task.session,
                result_open: false,
                last_seen: time,
            });
            if task.session > child.session + 1 {
                // Sessions the child counted but logged nothing for: connections the client
                // abandoned before the child greeted them.
                self.abandoned += u64::from(task.session - child.session - 1);
            }
            if task.session != child.session {
                child.result_open = false;
            }
            child.session = task.session;
            child.last_seen = time;
            match parsed.kind {
                AmavisKind::Result { elapsed_ms: Some(ms) } => {
                    child.result_open = false;
                    elapsed = Some(ms);
                }
                AmavisKind::Result { elapsed_ms: None } => child.result_open = true,
                AmavisKind::Continuation { elapsed_ms: Some(ms) } if child.result_open => {
                    child.result_open = false;
                    elapsed = Some(ms);
                }
                _ => {}
            }
        } else if let AmavisKind::Result { elapsed_ms: Some(ms) } = parsed.kind {
            elapsed = Some(ms);
        }
        if parsed.kind == AmavisKind::DeniedAccess {
            self.denied += 1;
        }
        if parsed.task.is_none() && line.message.starts_with(b"starting. ") {
            self.restarted(time);
        }
        if let Some(ms) = elapsed {
            self.replay.scanned(time, event::result_queue_ids(&line.message), ms);
            self.scan_ms.add(ms);
            let held = i64::try_from(ms).unwrap_or(i64::MAX / 2).min(i64::MAX / 2000) * 1000;
            self.busy_amavisd.add(time - held, time);
            self.arrivals_amavisd.add(time - held);
        }
        true
    }

    /// amavisd started at `time`: the refused and lost connections just before were its restart's.
    fn restarted(&mut self, time: Micros) {
        self.restarts += 1;
        let since = time - crate::logs::verdict::RESTART_WINDOW_S * MICROS_PER_SECOND;
        for (at, reason) in self.recent_failures.drain(..) {
            if at < since {
                continue;
            }
            match reason {
                DeferralReason::GreetingLost => self.deferrals.greeting_lost -= 1,
                DeferralReason::Refused => self.deferrals.refused -= 1,
                DeferralReason::GreetingTimeout | DeferralReason::Other => continue,
            }
            self.deferrals.restart += 1;
        }
    }

    /// The report on everything pushed.
    pub fn finish(self) -> LogReport {
        let percent_cs = |d: &Distribution, p: u32| d.percentile(p).map(|cs| cs as f64 / 100.0);
        let (scan, scan_source) = if self.scan_ms.count() > 0 {
            (&self.scan_ms, ScanSource::Amavisd)
        } else if self.transmit_ms.count() > 0 {
            (&self.transmit_ms, ScanSource::PostfixDelays)
        } else {
            (&self.scan_ms, ScanSource::None)
        };
        let scan_ms = Percentiles { p50: scan.percentile(50), p90: scan.percentile(90), p99: scan.percentile(99) };
        let busy_postfix = self.busy_postfix.finish();
        let busy_amavisd = self.busy_amavisd.finish();
        let from_postfix = self.arrivals_postfix.total > 0;
        let arrivals = if from_postfix { &self.arrivals_postfix } else { &self.arrivals_amavisd };
        let span_s = match (self.first, self.last) {
            (Some(first), Some(last)) => ((last - first) as f64 / MICROS_PER_SECOND as f64).max(60.0),
            _ => 60.0,
        };
        let arrivals_per_s = Arrivals {
            mean: (arrivals.total > 0).then(|| round3(arrivals.total as f64 / span_s)),
            peak_minute: (arrivals.total > 0).then(|| round3(arrivals.peak() as f64 / 60.0)),
        };
        let busy_main = if from_postfix { &busy_postfix } else { &busy_amavisd };
        let busy = BusyFigures { peak: busy_main.peak, p99: busy_main.p99 };
        let wait_s = Waits {
            queue_p95: percent_cs(&self.queue_wait_cs, 95),
            connect_p95: percent_cs(&self.connect_wait_cs, 95),
        };
        let transport = self.options.transport.clone().or(self.learned_transport.clone());
        let (replay, demand_timeline) = self.replay.finish(transport.as_deref().unwrap_or("TRANSPORT"));
        let sizing = bound_load(replay.needed, replay.describe(), self.options.inputs.as_ref());
        let evidence = Evidence {
            sent: self.sent,
            scanned: self.scan_ms.count(),
            deferrals: &self.deferrals,
            denied_access: self.denied,
            wait_s: &wait_s,
            busy: &busy,
            busy_amavisd_peak: busy_amavisd.peak,
            max_servers: self.options.max_servers,
            postfix_limit: self.options.postfix_limit,
            sizing: &sizing,
            abandoned: self.abandoned,
            uncounted_hops: &self.uncounted_hops,
            restarts: self.restarts,
            hosts: self.hosts.len(),
            host_filter: self.options.host.is_some(),
        };
        let (verdict, reason) = judge(&evidence);
        let utc_offset = self.options.utc_offset;
        let clock = self.formats.iter().map(|format| format.clock(utc_offset)).reduce(Clock::and).unwrap_or(Clock::Utc);
        let mut hours: BTreeMap<i64, Hour> = BTreeMap::new();
        for (hour, peak) in &busy_main.hours {
            hours.entry(*hour).or_insert_with(|| Hour::at(*hour, clock)).busy_peak = *peak;
        }
        for (hour, count) in &self.hour_deliveries {
            hours.entry(*hour).or_insert_with(|| Hour::at(*hour, clock)).deliveries = *count;
        }
        // Quiet hours between busy ones belong on the timeline too (up to a year and a bit of
        // them: a timeline spanning centuries, from a broken clock, keeps only its busy hours).
        if let (Some(first), Some(last)) = (hours.first_key_value(), hours.last_key_value())
            && last.0 - first.0 <= MAX_FILLED_HOURS
        {
            for hour in *first.0..*last.0 {
                hours.entry(hour).or_insert_with(|| Hour::at(hour, clock));
            }
        }
        LogReport {
            sent: self.sent,
            deferred_messages: self.deferred_ids.len() as u64,
            deferrals: self.deferrals,
            scan_ms,
            busy,
            wait_s,
            arrivals_per_s,
            verdict,
            needed: sizing.needed,
            reason,
            needed_for_load: sizing.for_load,
            bound: sizing.bound,
            sizing_reason: sizing.reason,
            predictions: replay.predictions.clone(),
            current_children: replay.current_children,
            calibration: replay.calibration,
            confidence: replay.confidence,
            replay,
            bounced: self.bounced,
            scanned: self.scan_ms.count(),
            scan_source,
            busy_amavisd: BusyFigures { peak: busy_amavisd.peak, p99: busy_amavisd.p99 },
            abandoned_connections: self.abandoned,
            denied_access: self.denied,
            period: Period {
                first: self.first.map(|t| clock.format(t)),
                last: self.last.map(|t| clock.format(t)),
                clock,
            },
            hosts: self.hosts.into_iter().collect(),
            formats: self.formats.into_iter().collect(),
            lines: self.lines,
            hours: hours.into_values().collect(),
            timeline: {
                let mut timeline = self.timeline;
                timeline.merge(&busy_main.timeline);
                timeline.merge(&demand_timeline);
                timeline.finish(clock)
            },
        }
    }
}

/// `[127.0.0.1]` from `[127.0.0.1]:10024`: the address as a reason without the port names it.
/// The `[ADDR]:PORT` of a relay (`127.0.0.1[127.0.0.1]:10024`) or of a reason (`connect to
/// 127.0.0.1[127.0.0.1]:10024: Connection refused`).
fn hop_in(text: &[u8]) -> Option<&[u8]> {
    let close = memchr::memmem::find(text, b"]:")?;
    let open = memchr::memrchr(b'[', &text[..close])?;
    let digits = text[close + 2..].iter().take_while(|b| b.is_ascii_digit()).count();
    (digits > 0).then(|| &text[open..close + 2 + digits])
}

/// `smtp-amavis` from `postfix/smtp-amavis/smtp`: the middle of a three-part program name, which
/// master.cf's `-o syslog_name=postfix/SERVICE` gives a transport.
fn transport_of(program: &[u8]) -> Option<String> {
    let mut parts = program.split(|&b| b == b'/');
    let (Some(b"postfix"), Some(service), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let valid =
        !service.is_empty() && service.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    valid.then(|| String::from_utf8_lossy(service).into_owned())
}

fn hop_address(hop: &[u8]) -> Option<&[u8]> {
    let close = memchr::memchr(b']', hop)?;
    hop.get(..=close)
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// The analysis of a whole text (the web page's and the tests' entry point).
pub fn analyze(text: &[u8], options: LogOptions) -> LogReport {
    let mut analysis = LogAnalysis::new(options);
    for line in text.split(|&b| b == b'\n') {
        if !line.is_empty() {
            analysis.push_line(line);
        }
    }
    analysis.finish()
}

/// The analysis of several whole texts (Postfix's log and amavisd's, often separate), their lines
/// merged by time as `amavis-tune logs` merges files: each text is in time order already, so the
/// earliest head line goes next. Lines that are not log lines are counted where they stand.
pub fn analyze_texts(texts: &[&[u8]], options: LogOptions) -> LogReport {
    let stamps = options.stamps();
    let mut analysis = LogAnalysis::new(options);
    let mut sources: Vec<_> = texts.iter().map(|text| text.split(|&b| b == b'\n').filter(|l| !l.is_empty())).collect();
    let mut heads: Vec<_> = sources.iter_mut().map(|lines| next_log_line(lines, stamps, &mut analysis)).collect();
    while let Some(index) = heads
        .iter()
        .enumerate()
        .filter_map(|(i, head)| head.as_ref().map(|(line, _)| (i, line.time)))
        .min_by_key(|(_, time)| *time)
        .map(|(i, _)| i)
    {
        analysis.push(heads[index].take());
        heads[index] = next_log_line(&mut sources[index], stamps, &mut analysis);
    }
    analysis.finish()
}

/// The next log line of `lines`, parsed; the lines before it that are not log lines go to the
/// analysis at once (to be counted).
fn next_log_line<'a>(
    lines: &mut impl Iterator<Item = &'a [u8]>,
    stamps: ClassicStamps,
    analysis: &mut LogAnalysis,
) -> Option<(LogLine<'a>, LineFormat)> {
    for line in lines {
        match parse_line(line, stamps) {
            Some(parsed) => return Some(parsed),
            None => analysis.push(None),
        }
    }
    None
}
