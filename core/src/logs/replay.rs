//! The replay: the server's own deliveries to amavisd, rebuilt from its log (when each became
//! ready, how long it held a child), run again through N children behind Postfix's scheduler for
//! every N worth asking about, first come, first served. Each N gets the waits it would have
//! given (p50, p95, p99) and how many would have waited past the transport's greeting timeout;
//! the number the traffic needs is the smallest N whose p99 wait is within
//! [`TARGET_P99_WAIT_S`].
//!
//! Little's law (mean busy children = arrival rate x time in service) holds for means over one
//! window and says nothing about bursts; a replay keeps every burst the log holds. The queue
//! manager's start-up window is part of it ([`scheduler`]): it, not the children, holds the waits
//! of short bursts. The replay's own check is the server's current limit: replayed, its waits
//! should be the waits the log shows (`b + c`), within [`CALIBRATION_TOLERANCE`].

pub(crate) mod demand;
pub(crate) mod pool;
pub(crate) mod scheduler;

use serde::Serialize;

use crate::logs::distribution::Distribution;
use crate::logs::replay::demand::{Delivered, Demand};
use crate::logs::replay::pool::{Job, Pool};
use crate::logs::replay::scheduler::SchedulerSettings;

/// The wait the number is chosen for: the 99th percentile of the replayed waits at most one
/// second. Judgement: a wait shorter than a typical scan (1-3 s with SpamAssassin) for all but
/// one delivery in a hundred keeps mail from queueing for amavisd, while the queue manager's own
/// scheduling takes milliseconds; p99 rather than the mean or p95 because the deliveries that
/// wait are the bursts the number must absorb, and they are a small share of the day.
pub const TARGET_P99_WAIT_S: f64 = 1.0;

/// Fewer deliveries than this replayed give no number: their percentiles are single deliveries.
pub const MIN_DELIVERIES: u64 = 10;

/// The replay's p95 at the current limit and the log's own p95 wait agree when within 25% of
/// each other, or 1 s, whichever is larger (the waits of a burst log are seconds; a second is
/// the resolution of classic syslog stamps).
pub const CALIBRATION_TOLERANCE: f64 = 0.25;
pub const CALIBRATION_TOLERANCE_S: f64 = 1.0;

/// More children stop helping once the p99 wait is within this much (10%, or 0.1 s) of the best
/// any replayed number gives.
const PLATEAU_SHARE: f64 = 0.10;
const PLATEAU_S: f64 = 0.1;

/// The numbers of children replayed: every one up to 16, then coarser steps to 64, and the
/// server's current limit (with a few around it) wherever it is.
fn candidates(current: Option<u32>) -> Vec<u32> {
    let mut list: Vec<u32> = (1..=16).chain([20, 24, 28, 32, 40, 48, 56, 64]).collect();
    if let Some(current) = current.filter(|&c| c > 0) {
        list.extend([current.saturating_sub(2), current, current.saturating_add(4)].into_iter().filter(|&n| n > 0));
        list.extend([current.saturating_mul(2).min(10_000)]);
    }
    list.sort_unstable();
    list.dedup();
    list.retain(|&n| n <= 10_000);
    list
}

/// One replayed number of children.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    pub children: u32,
    /// Predicted waits for a child, in seconds; null when the children fell hopelessly behind
    /// (`overwhelmed`).
    pub wait_p50_s: Option<f64>,
    pub wait_p95_s: Option<f64>,
    pub wait_p99_s: Option<f64>,
    /// Deliveries that would wait longer than the transport's greeting timeout: deferred when
    /// Postfix's limit is above the children, delayed as long in Postfix's queue when they match.
    pub over_greeting_timeout: u64,
    /// More deliveries waited than the replay keeps (or one waited over an hour): this number
    /// cannot serve the traffic.
    pub overwhelmed: bool,
    /// The most deliveries in service at once.
    pub peak_busy: u32,
}

/// How far the number can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Enough deliveries, and the replay explains the waits the log shows (or there is no
    /// current limit to check it against).
    Enough,
    /// No delivery with Postfix's `delays=` to replay (only amavisd's lines, or nothing got
    /// through).
    NoDeliveries,
    /// Fewer than [`MIN_DELIVERIES`] deliveries.
    TooFewDeliveries,
    /// Replayed at the current limit, the waits differ from the log's beyond the tolerance:
    /// something the replay does not model (scans slowing with concurrency, a CPU-bound host,
    /// a restart) shaped this traffic.
    ReplayDisagrees,
}

/// The replay's check against the log: at the current limit, the predicted and the observed
/// 95th percentile of the wait.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Calibration {
    pub children: u32,
    pub predicted_wait_p95_s: f64,
    pub observed_wait_p95_s: f64,
}

/// What holds the waits up when no number of children brings them within the target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Holder {
    /// `initial-destination-concurrency`: Postfix's start-up window.
    pub cause: &'static str,
    /// The main.cf line that lifts it.
    pub line: String,
    /// The number of children the lifted window is replayed with (the smallest that reaches the
    /// target with it, or the one that comes closest).
    pub children: u32,
    /// The replay's p99 wait there.
    pub lifted_wait_p99_s: f64,
}

/// The replay's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayReport {
    /// Deliveries replayed (transactions, not recipient lines).
    pub deliveries: u64,
    /// Recipient lines they logged.
    pub recipient_lines: u64,
    /// Deliveries whose service time is amavisd's own elapsed time (the others use Postfix's `d`).
    pub with_amavisd_time: u64,
    /// Deliveries that became ready longer before they were logged than the reorder window.
    pub late: u64,
    pub scheduler: SchedulerSettings,
    pub predictions: Vec<Prediction>,
    /// The same numbers (those above the initial concurrency, up to 64) replayed with
    /// `<transport>_initial_destination_concurrency` raised to the number itself.
    pub lifted_predictions: Vec<Prediction>,
    /// The limit replayed as the server's current one (the smaller of `$max_servers` and
    /// Postfix's limit).
    pub current_children: Option<u32>,
    pub calibration: Option<Calibration>,
    /// The waits the log shows (`b + c`), 95th percentile, seconds.
    pub observed_wait_p95_s: Option<f64>,
    pub target_p99_wait_s: f64,
    /// The smallest number whose p99 wait is within the target (or, when none is, past which
    /// more children stop helping), before memory and CPU bound it; null without evidence.
    pub needed: Option<u32>,
    /// Whether the target is reached at `needed`.
    pub target_reached: bool,
    pub holder: Option<Holder>,
    pub confidence: Confidence,
    /// amavisd's median scan time (ms) for deliveries that waited (every child busy) and for
    /// those that did not; null with fewer than [`MIN_DELIVERIES`] of either.
    pub scan_ms_p50_all_busy: Option<u64>,
    pub scan_ms_p50_some_free: Option<u64>,
    /// Scans took more than [`CPU_SLOWDOWN`] times as long while every child was busy: the
    /// host's CPUs, not the number of children, limit the throughput there, and the replay
    /// (which keeps each delivery's own scan time) promises more from more children than the
    /// host gives.
    pub cpu_bound: bool,
}

/// Scans this much slower with every child busy than with some free mean the host's CPUs are
/// the limit (judgement: beyond the noise of scan times, which vary by 10-20% in the lab).
pub const CPU_SLOWDOWN: f64 = 1.25;

/// Where a delivery, released in order of readiness, goes: every pool, and the demand's timeline.
struct Feed<'a> {
    pools: &'a mut Vec<Pool>,
    lifted: &'a mut Vec<Pool>,
    demand: &'a mut crate::logs::busy::Busy,
}

impl Feed<'_> {
    fn push(&mut self, job: Job) {
        self.demand.add(job.ready, job.ready + job.service);
        for pool in self.pools.iter_mut().chain(self.lifted.iter_mut()) {
            pool.push(job);
        }
    }
}

/// The running replay: the demand and one pool per number of children.
#[derive(Debug, Clone)]
pub(crate) struct Replay {
    demand: Demand,
    settings: SchedulerSettings,
    current: Option<u32>,
    pools: Vec<Pool>,
    /// The same numbers with the initial concurrency raised to the number itself.
    lifted: Vec<Pool>,
    observed_wait_ms: Distribution,
    /// The demand in service over time, had each delivery started when it became ready.
    demand_busy: crate::logs::busy::Busy,
}

impl Replay {
    /// `backlog_possible`: Postfix may open more connections than amavisd has children (unless
    /// both numbers are known and Postfix's is not the larger).
    pub(crate) fn new(settings: SchedulerSettings, current: Option<u32>, backlog_possible: bool) -> Replay {
        let numbers = candidates(current);
        let pools = numbers.iter().map(|&n| Pool::new(n, settings)).collect();
        let lifted = numbers
            .iter()
            .filter(|&&n| n > settings.initial_concurrency && n <= 64)
            .map(|&n| Pool::new(n, SchedulerSettings { initial_concurrency: n, ..settings }))
            .collect();
        Replay {
            demand: Demand::new(backlog_possible),
            settings,
            current,
            pools,
            lifted,
            observed_wait_ms: Distribution::default(),
            demand_busy: crate::logs::busy::Busy::demand(),
        }
    }

    /// A `status=sent` line on the amavisd hop; false when it is another recipient's line of a
    /// delivery already counted.
    pub(crate) fn delivered(&mut self, line: Delivered<'_>) -> bool {
        let [_, b, c, _] = line.delays;
        let per_recipient = self.settings.recipient_limit == 1;
        let mut feed = Feed { pools: &mut self.pools, lifted: &mut self.lifted, demand: &mut self.demand_busy };
        let new = self.demand.delivered(line, per_recipient, &mut |job| feed.push(job));
        if new {
            self.observed_wait_ms.add(((b + c) * 1000.0).round() as u64);
        }
        new
    }

    pub(crate) fn scanned(&mut self, time: crate::logs::time::Micros, queue_ids: [Option<&[u8]>; 2], elapsed_ms: u64) {
        let mut feed = Feed { pools: &mut self.pools, lifted: &mut self.lifted, demand: &mut self.demand_busy };
        self.demand.scanned(time, queue_ids, elapsed_ms, &mut |job| feed.push(job));
    }

    /// The report; `transport` names the transport in the main.cf lines it suggests. Also the
    /// demand's busy seconds, for the timeline.
    pub(crate) fn finish(mut self, transport: &str) -> (ReplayReport, crate::logs::timeline::Timeline) {
        let mut feed = Feed { pools: &mut self.pools, lifted: &mut self.lifted, demand: &mut self.demand_busy };
        self.demand.finish(&mut |job| feed.push(job));
        for pool in self.pools.iter_mut().chain(self.lifted.iter_mut()) {
            pool.finish();
        }
        let predictions: Vec<Prediction> = self.pools.iter().map(prediction).collect();
        let lifted: Vec<Prediction> = self.lifted.iter().map(prediction).collect();
        let deliveries = self.demand.deliveries;
        let observed_wait_p95_s = self.observed_wait_ms.percentile(95).map(|ms| ms as f64 / 1000.0);
        let calibration = self.current.and_then(|current| {
            let at = predictions.iter().find(|p| p.children == current)?;
            Some(Calibration {
                children: current,
                predicted_wait_p95_s: at.wait_p95_s?,
                observed_wait_p95_s: observed_wait_p95_s?,
            })
        });
        let (needed, target_reached) = choose(&predictions);
        let holder = if target_reached { None } else { holder(&predictions, &lifted, transport) };
        let confidence = if deliveries == 0 {
            Confidence::NoDeliveries
        } else if deliveries < MIN_DELIVERIES {
            Confidence::TooFewDeliveries
        } else if calibration.is_some_and(|c| !agrees(c.predicted_wait_p95_s, c.observed_wait_p95_s)) {
            Confidence::ReplayDisagrees
        } else {
            Confidence::Enough
        };
        let needed = match confidence {
            Confidence::NoDeliveries | Confidence::TooFewDeliveries => None,
            Confidence::Enough | Confidence::ReplayDisagrees => needed,
        };
        let demand = std::mem::take(&mut self.demand_busy).finish().timeline;
        let median = |d: &Distribution| if d.count() >= MIN_DELIVERIES { d.percentile(50) } else { None };
        let scan_ms_p50_all_busy = median(&self.demand.scan_ms_all_busy);
        let scan_ms_p50_some_free = median(&self.demand.scan_ms_some_free);
        let cpu_bound = scan_ms_p50_all_busy
            .zip(scan_ms_p50_some_free)
            .is_some_and(|(busy, free)| busy as f64 > free as f64 * CPU_SLOWDOWN);
        let report = ReplayReport {
            deliveries,
            recipient_lines: self.demand.recipients,
            with_amavisd_time: self.demand.joined,
            late: self.demand.late,
            scheduler: self.settings,
            predictions,
            lifted_predictions: lifted,
            current_children: self.current,
            calibration,
            observed_wait_p95_s,
            target_p99_wait_s: TARGET_P99_WAIT_S,
            needed,
            target_reached,
            holder,
            confidence,
            scan_ms_p50_all_busy,
            scan_ms_p50_some_free,
            cpu_bound,
        };
        (report, demand)
    }
}

impl ReplayReport {
    /// The prediction for `children`, when replayed.
    pub fn at(&self, children: u32) -> Option<&Prediction> {
        self.predictions.iter().find(|p| p.children == children)
    }

    /// How the replay reached its number, in words.
    pub fn describe(&self) -> String {
        let mut words = Vec::new();
        let seconds = |w: Option<f64>| w.map_or_else(|| "over an hour".to_owned(), |w| format!("{w:.2} s"));
        match self.confidence {
            Confidence::NoDeliveries => {
                words.push("No delivery to amavisd with Postfix's `delays=` to replay, so no number: the replay needs Postfix's delivery lines to amavisd (`status=sent` with `delays=a/b/c/d`).".to_owned());
                return words.join(" ");
            }
            Confidence::TooFewDeliveries => {
                words.push(format!(
                    "Only {} deliveries to amavisd: too few for a number (the replay needs at least {MIN_DELIVERIES}); read a longer log, one that covers a busy day.",
                    self.deliveries
                ));
                return words.join(" ");
            }
            Confidence::Enough | Confidence::ReplayDisagrees => {}
        }
        let largest = self.predictions.last().map_or(0, |p| p.children);
        words.push(format!(
            "Replayed {} deliveries ({} with amavisd's own scan time) through 1 to {largest} children behind Postfix's scheduler (a destination starts at {} deliveries at once):",
            self.deliveries, self.with_amavisd_time, self.scheduler.initial_concurrency
        ));
        if let Some(n) = self.needed {
            let here = self.at(n).and_then(|p| p.wait_p99_s);
            if self.target_reached {
                let below = self.predictions.iter().rev().find(|p| p.children < n);
                words.push(format!(
                    "{n} is the smallest number whose 99th-percentile wait for a child is within {:.0} s ({}{}).",
                    self.target_p99_wait_s,
                    seconds(here),
                    below.map(|p| format!("; {} gives {}", p.children, seconds(p.wait_p99_s))).unwrap_or_default()
                ));
            } else {
                words.push(format!(
                    "no number brings the 99th-percentile wait within {:.0} s; past {n} more children stop helping ({} at {n}).",
                    self.target_p99_wait_s,
                    seconds(here)
                ));
                match &self.holder {
                    Some(holder) => words.push(format!(
                        "Postfix's start-up window holds the waits: each burst starts at {} deliveries at once and grows by one per delivery done. `{}` in main.cf gives a 99th-percentile wait of {:.2} s with {} children.",
                        self.scheduler.initial_concurrency, holder.line, holder.lifted_wait_p99_s, holder.children
                    )),
                    None => words.push("What holds the waits is not the number of children: the scan times themselves, or deliveries that arrive faster than any pool drains them.".to_owned()),
                }
            }
        }
        if let (true, Some(busy), Some(free)) = (self.cpu_bound, self.scan_ms_p50_all_busy, self.scan_ms_p50_some_free)
        {
            words.push(format!(
                "Scans took {busy} ms (median) while every child was busy against {free} ms while some were free: the host's CPUs, not the number of children, limit the throughput at the busiest times, so more children will not shorten the waits as much as the replay says; add CPUs or shorten the scans."
            ));
        }
        if let Some(c) = self.calibration {
            words.push(format!(
                "At the current {} children the replay gives a 95th-percentile wait of {:.2} s; the logs show {:.2} s.",
                c.children, c.predicted_wait_p95_s, c.observed_wait_p95_s
            ));
            if self.confidence == Confidence::ReplayDisagrees {
                words.push(format!(
                    "They differ by more than {:.0}% (or {:.0} s): the replay does not explain this traffic (scans that slow down as more run at once, a CPU-bound host, a restart, deferred mail retried), so take the number as an estimate.",
                    CALIBRATION_TOLERANCE * 100.0,
                    CALIBRATION_TOLERANCE_S
                ));
            }
        }
        words.join(" ")
    }
}

/// Whether a prediction and an observation agree within the calibration tolerance.
pub fn agrees(predicted: f64, observed: f64) -> bool {
    (predicted - observed).abs() <= (CALIBRATION_TOLERANCE * observed.max(predicted)).max(CALIBRATION_TOLERANCE_S)
}

fn seconds(ms: Option<u64>) -> Option<f64> {
    ms.map(|ms| ms as f64 / 1000.0)
}

fn prediction(pool: &Pool) -> Prediction {
    let waits = |p| if pool.overwhelmed { None } else { seconds(pool.waits_ms.percentile(p)) };
    Prediction {
        children: pool.children,
        wait_p50_s: waits(50),
        wait_p95_s: waits(95),
        wait_p99_s: waits(99),
        over_greeting_timeout: pool.over_greeting_timeout,
        overwhelmed: pool.overwhelmed,
        peak_busy: pool.peak_busy,
    }
}

/// Postfix's start-up window holds the waits when, lifted to the number of children, it brings
/// the p99 wait within the target (the smallest number that does), or at least shortens it.
fn holder(predictions: &[Prediction], lifted: &[Prediction], transport: &str) -> Option<Holder> {
    let best = predictions.iter().filter_map(|p| p.wait_p99_s).fold(f64::INFINITY, f64::min);
    let reaching = lifted.iter().find(|p| p.wait_p99_s.is_some_and(|w| w <= TARGET_P99_WAIT_S));
    let closest = || {
        lifted
            .iter()
            .filter(|p| p.wait_p99_s.is_some())
            .min_by(|a, b| a.wait_p99_s.unwrap_or(f64::INFINITY).total_cmp(&b.wait_p99_s.unwrap_or(f64::INFINITY)))
            .filter(|p| p.wait_p99_s.is_some_and(|w| w + PLATEAU_S < best))
    };
    let at = reaching.or_else(closest)?;
    Some(Holder {
        cause: "initial-destination-concurrency",
        line: format!("{transport}_initial_destination_concurrency = {}", at.children),
        children: at.children,
        lifted_wait_p99_s: at.wait_p99_s?,
    })
}

/// The smallest number (2 at least: amavis-tune never plans fewer) whose p99 wait is within the
/// target; when none is, the smallest past which more children stop helping. Whether the
/// target was reached.
fn choose(predictions: &[Prediction]) -> (Option<u32>, bool) {
    let floor = |n: u32| n.max(crate::inputs::concurrency::MIN_CONCURRENCY);
    if let Some(p) = predictions.iter().find(|p| p.wait_p99_s.is_some_and(|w| w <= TARGET_P99_WAIT_S)) {
        return (Some(floor(p.children)), true);
    }
    let best = predictions.iter().filter_map(|p| p.wait_p99_s).fold(f64::INFINITY, f64::min);
    if !best.is_finite() {
        return (predictions.last().map(|p| floor(p.children)), false);
    }
    let plateau = best + (best * PLATEAU_SHARE).max(PLATEAU_S);
    let n = predictions.iter().find(|p| p.wait_p99_s.is_some_and(|w| w <= plateau)).map(|p| floor(p.children));
    (n, false)
}

#[cfg(test)]
mod tests {
    use super::{Replay, TARGET_P99_WAIT_S};
    use crate::logs::replay::demand::Delivered;
    use crate::logs::replay::scheduler::SchedulerSettings;

    /// Bursts of `size` deliveries of `service_s`, `every_s` apart, logged as Postfix would at
    /// `children` (each delivery's `b` the wait it had): the replay's number.
    #[track_caller]
    fn replay_bursts(bursts: u32, size: u32, every_s: f64, service_s: f64) -> super::ReplayReport {
        let mut replay = Replay::new(SchedulerSettings::default(), None, true);
        let mut lines = Vec::new();
        for burst in 0..bursts {
            for i in 0..size {
                let ready = f64::from(burst) * every_s;
                lines.push((ready + service_s, format!("Q{burst}x{i}")));
            }
        }
        lines.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (end, id) in &lines {
            replay.delivered(Delivered {
                time: (end * 1e6) as i64,
                queue_id: id.as_bytes(),
                queued_as: None,
                recipient: b"user@example.org",
                next_hop: b"[127.0.0.1]:10024",
                delays: [0.0, 0.0, 0.0, service_s],
            });
        }
        replay.finish("smtp-amavis").0
    }

    #[test]
    fn steady_traffic_reaches_the_target() {
        // One delivery of 1 s every 2 s: one child would do, amavis-tune plans 2.
        let report = replay_bursts(30, 1, 2.0, 1.0);
        assert_eq!((report.needed, report.target_reached), (Some(2), true));
    }

    #[test]
    fn bursts_are_held_by_the_start_up_window() {
        // 16 at once every 10 s, 1.1 s each: no number brings p99 within a second with Postfix's
        // start at 5; past 6 more children stop helping, and the start-up window is named.
        let report = replay_bursts(6, 16, 10.0, 1.1);
        assert_eq!((report.needed, report.target_reached), (Some(6), false), "{:#?}", report.predictions);
        let holder = report.holder.expect("a holder");
        assert_eq!(holder.line, "smtp-amavis_initial_destination_concurrency = 16");
        assert_eq!(holder.children, 16);
        assert!(report.predictions.iter().all(|p| p.wait_p99_s.is_some_and(|w| w > TARGET_P99_WAIT_S)));
    }

    #[test]
    fn scans_slower_while_every_child_is_busy_mean_the_cpus_limit() {
        let mut replay = Replay::new(SchedulerSettings::default(), None, true);
        // 12 deliveries that did not wait, scanned in 1 s, then 12 that waited 3 s, in 2 s.
        for i in 0..24u32 {
            let (waited, scan_ms) = if i < 12 { (0.0, 1000) } else { (3.0, 2000) };
            let id = format!("Q{i}");
            let end = f64::from(i) * 10.0 + 5.0;
            replay.scanned((end * 1e6) as i64, [Some(id.as_bytes()), None], scan_ms);
            replay.delivered(Delivered {
                time: (end * 1e6) as i64,
                queue_id: id.as_bytes(),
                queued_as: None,
                recipient: b"u@example.org",
                next_hop: b"[127.0.0.1]:10024",
                delays: [0.0, waited, 0.0, scan_ms as f64 / 1000.0],
            });
        }
        let report = replay.finish("smtp-amavis").0;
        assert_eq!((report.scan_ms_p50_all_busy, report.scan_ms_p50_some_free), (Some(2000), Some(1000)));
        assert!(report.cpu_bound);
        assert!(report.describe().contains("the host's CPUs, not the number of children"), "{}", report.describe());
    }

    #[test]
    fn too_few_deliveries_give_no_number() {
        let report = replay_bursts(1, 4, 10.0, 1.0);
        assert_eq!(report.needed, None);
    }
}
