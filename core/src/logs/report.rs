//! The analysis's result; it serializes to `amavis-tune logs --format json`'s contract (README,
//! "JSON output": keys are only ever added).

use serde::Serialize;

use crate::logs::line::LineFormat;
use crate::logs::replay::{Calibration, Confidence, Prediction, ReplayReport};
use crate::logs::sizing::SizingBound;
use crate::logs::time::{Clock, MICROS_PER_SECOND};
use crate::logs::timeline::TimelineReport;
use crate::logs::verdict::Verdict;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogReport {
    /// Deliveries to amavisd with `status=sent` (deliveries, not messages).
    pub sent: u64,
    /// Distinct queue ids deferred at least once on the amavisd hop.
    pub deferred_messages: u64,
    /// Deferral lines by reason.
    pub deferrals: Deferrals,
    pub scan_ms: Percentiles,
    pub busy: BusyFigures,
    pub wait_s: Waits,
    pub arrivals_per_s: Arrivals,
    pub verdict: Verdict,
    /// The children this traffic needs, within the memory and CPU bounds; null without enough
    /// evidence (`confidence` says what is missing).
    pub needed: Option<u32>,
    pub reason: String,
    /// The replay's number before the memory and CPU bounds.
    pub needed_for_load: Option<u32>,
    pub bound: SizingBound,
    pub sizing_reason: String,
    pub bounced: u64,
    /// amavisd results that carried their elapsed time (one per message).
    pub scanned: u64,
    pub scan_source: ScanSource,
    /// Busy children rebuilt from amavisd's elapsed times.
    pub busy_amavisd: BusyFigures,
    pub abandoned_connections: u64,
    pub denied_access: u64,
    pub period: Period,
    pub hosts: Vec<String>,
    pub formats: Vec<LineFormat>,
    pub lines: LineCounts,
    pub hours: Vec<Hour>,
    /// Deliveries, connections busy and the replay's demand over time, at the resolution the
    /// log's span calls for.
    pub timeline: TimelineReport,
    /// The replay's waits per number of children (README, "Reading the mail logs").
    pub predictions: Vec<Prediction>,
    /// The limit replayed as the server's current one, when known.
    pub current_children: Option<u32>,
    /// The replay at the current limit beside the waits the logs show.
    pub calibration: Option<Calibration>,
    pub confidence: Confidence,
    /// The replay in full: deliveries, the scheduler settings it used, the target, what holds the
    /// waits.
    pub replay: ReplayReport,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Deferrals {
    #[serde(rename = "greeting-timeout")]
    pub greeting_timeout: u64,
    #[serde(rename = "greeting-lost")]
    pub greeting_lost: u64,
    pub refused: u64,
    /// Deferred with no connection made (`delivery temporarily suspended`): Postfix had
    /// suspended amavisd's destination after failed attempts. Not delivery attempts, so not in
    /// the counts above.
    pub suspended: Suspended,
    pub other: u64,
    /// Refused or lost connections just before one of amavisd's start lines: a restart's effect,
    /// counted here instead of as `refused` or `greeting-lost`.
    pub restart: u64,
}

impl Deferrals {
    pub fn total(&self) -> u64 {
        self.attempted() + self.suspended.total()
    }

    /// The deferrals that tried a connection (all but the suspended ones).
    pub fn attempted(&self) -> u64 {
        self.greeting_timeout + self.greeting_lost + self.refused + self.other + self.restart
    }
}

/// Deferrals made while Postfix had suspended amavisd's destination, by the failure that
/// suspended it (repeated in each line).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Suspended {
    /// After `Connection refused`.
    pub refused: u64,
    /// After a greeting that timed out or was lost.
    pub greeting: u64,
    pub other: u64,
}

impl Suspended {
    pub fn total(&self) -> u64 {
        self.refused + self.greeting + self.other
    }
}

/// Nearest-rank percentiles; null without data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Percentiles {
    pub p50: Option<u64>,
    pub p90: Option<u64>,
    pub p99: Option<u64>,
}

/// Connections busy at once, per second (the mean over each second), to a tenth.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct BusyFigures {
    pub peak: Option<f64>,
    pub p99: Option<f64>,
}

/// 95th percentiles of `delays=a/b/c/d`'s b (waiting in the queue manager for a connection) and
/// c (connection set-up, including the wait for amavisd's greeting), in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Waits {
    pub queue_p95: Option<f64>,
    pub connect_p95: Option<f64>,
}

/// Deliveries per second: over the whole period, and in its busiest minute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Arrivals {
    pub mean: Option<f64>,
    pub peak_minute: Option<f64>,
}

/// Where the scan times came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScanSource {
    /// amavisd's `..., N ms` per message.
    Amavisd,
    /// Postfix's transmission time (`d` of `delays=`), which includes the scan, when no amavisd
    /// line was read.
    PostfixDelays,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    pub first: Option<String>,
    pub last: Option<String>,
    /// The clock of every time in the report (`first`, `last`, the hours' `start`).
    pub clock: Clock,
}

/// What happened to the lines read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LineCounts {
    pub total: u64,
    /// Lines the analysis used.
    pub used: u64,
    /// Log lines of other programs, or of Postfix and amavisd that say nothing about the hop.
    pub other: u64,
    /// Lines in none of the formats (garbage, or a format not read).
    pub unparsed: u64,
    pub other_hosts: u64,
    pub outside_period: u64,
}

/// One hour of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hour {
    /// `2026-12-02T07:00:00Z`; without the `Z` on the server's clock ([`Period::clock`]).
    pub start: String,
    pub deliveries: u64,
    /// The busiest second's busy connections.
    pub busy_peak: f64,
}

impl Hour {
    pub(crate) fn at(hour: i64, clock: Clock) -> Hour {
        Hour { start: clock.format(hour * 3600 * MICROS_PER_SECOND), deliveries: 0, busy_peak: 0.0 }
    }
}
