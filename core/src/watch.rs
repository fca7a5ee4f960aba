//! The running amavisd now: its children's states and the connections waiting for one, sampled
//! by the CLI several times a second and summed up here in bounded memory (a histogram of the
//! children working, sums and peaks; no sample is kept), then judged in the vocabulary of the
//! log analysis (`logs::verdict::Verdict`).
//!
//! Logs say what happened; this says what is happening, with nothing to enable on the server:
//! the children's process titles (`title.rs`), the accept queues of amavisd's listening sockets
//! (`sockets.rs`) and, where amavisd keeps it, `snmp.db` (`snmp.rs`).

pub(crate) mod snmp;
pub(crate) mod sockets;
pub(crate) mod title;
pub(crate) mod verdict;

use serde::Serialize;

use crate::logs::verdict::Verdict;
use snmp::{SnmpFigures, round3};
use title::{ChildState, child_state};

/// One look at amavisd: its children by state, and the connections waiting in the accept
/// queues of its listening sockets (summed over them; `None` when they could not be read).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Sample {
    pub working: u32,
    pub session: u32,
    pub free: u32,
    pub other: u32,
    pub accept_queue: Option<u32>,
}

impl Sample {
    /// The sample of these children's titles and this accept queue.
    pub fn of_titles<'a>(titles: impl IntoIterator<Item = &'a str>, accept_queue: Option<u32>) -> Sample {
        let mut sample = Sample { accept_queue, ..Sample::default() };
        for title in titles {
            let count = match child_state(title) {
                ChildState::Free => &mut sample.free,
                ChildState::Session => &mut sample.session,
                ChildState::Working => &mut sample.working,
                ChildState::Other => &mut sample.other,
            };
            *count += 1;
        }
        sample
    }

    pub fn children(&self) -> u32 {
        self.working.saturating_add(self.session).saturating_add(self.free).saturating_add(self.other)
    }

    /// Children working or holding a session: not free to take a new connection.
    pub fn occupied(&self) -> u32 {
        self.working.saturating_add(self.session)
    }

    /// What one sample, as `check` and `plan` take it on the server, shows worth saying: a
    /// non-empty accept queue. `ports` names the listening sockets read.
    pub fn accept_queue_note(&self, ports: &[String]) -> Option<String> {
        let queued = self.accept_queue.filter(|&q| q > 0)?;
        Some(format!(
            "At this moment {queued} connection(s) wait in the accept queue of amavisd's {} for a child, with {} of its {} children free: Postfix opens more connections than amavisd has children right now (one sample; `amavis-tune measure --watch` watches for a minute).",
            ports.join(", "),
            self.free,
            self.children()
        ))
    }
}

/// The most children the histogram tells apart; more are counted as this many. A sanity bound
/// (amavis-tune plans at most 10000), which keeps the histogram's memory fixed.
const MAX_TRACKED_CHILDREN: u32 = 10_000;

/// The samples of a watch, summed up in bounded memory.
#[derive(Debug, Clone, Default)]
pub struct Watch {
    samples: u64,
    /// Samples by the number of children working.
    working: Vec<u64>,
    working_sum: u64,
    occupied_sum: u64,
    occupied_peak: u32,
    session_sum: u64,
    free_sum: u64,
    /// Samples in which no child was free (every one working or holding a session).
    all_occupied: u64,
    /// Samples in which every child was working.
    all_working: u64,
    queue_samples: u64,
    queue_sum: u64,
    queue_peak: u32,
    /// Samples with a connection in the accept queue.
    queued: u64,
    /// The children working plus the connections waiting: what wanted a child at that moment.
    demand_peak: u32,
    children_min: Option<u32>,
    children_max: u32,
    last: Option<Sample>,
}

/// Peak and mean of a count over the samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PeakMean {
    pub peak: u32,
    pub mean: f64,
}

/// The share of samples with this many children working.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WorkingShare {
    pub working: u32,
    pub samples: u64,
    pub share: f64,
}

/// The children working: peak, mean and the distribution over the samples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkingFigures {
    pub peak: u32,
    pub mean: f64,
    pub distribution: Vec<WorkingShare>,
}

/// The accept queue, summed over amavisd's listening sockets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QueueFigures {
    pub peak: u32,
    pub mean: f64,
    /// Samples in which a connection waited.
    pub samples_queued: u64,
}

/// The number of children seen over the watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ChildrenSeen {
    pub min: u32,
    pub max: u32,
    pub last: u32,
}

/// With `--expect N`: whether amavisd ran N children (or more) before the watch began.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Expectation {
    pub children: u32,
    pub reached: bool,
    /// The children running when the wait ended.
    pub running: u32,
    /// Seconds waited for them (the whole wait when they never came).
    pub waited_s: f64,
}

/// What the CLI knows beside the samples: the time, the sockets, snmp.db, its own cost.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchContext {
    /// When the sampling began (RFC 3339, from the CLI's clock; core has none).
    pub started: Option<String>,
    pub duration_s: f64,
    pub interval_ms: u64,
    pub master_pid: Option<u32>,
    /// How often the master changed during the watch (a restart).
    pub master_changes: u32,
    /// amavisd's listening TCP sockets (`127.0.0.1:10024`), and its unix sockets by path.
    pub ports: Vec<String>,
    pub unix_sockets: Vec<String>,
    /// Why the accept queues were not read, when they were not.
    pub queue_note: Option<String>,
    pub snmp: SnmpFigures,
    pub expect: Option<Expectation>,
    /// Ctrl-C (or SIGTERM) ended the watch early.
    pub interrupted: bool,
    /// The watch's own CPU time (user + system), and that of the programs it ran
    /// (`amavisd-agent`), in milliseconds.
    pub own_cpu_ms: u64,
    pub helper_cpu_ms: u64,
}

/// The watch's CPU use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OwnCpu {
    /// Milliseconds of CPU the sampling took.
    pub ms: u64,
    /// That, as a share of one CPU over the watch, in percent.
    pub percent: f64,
    /// Milliseconds of CPU of the programs run (`amavisd-agent` twice).
    pub helpers_ms: u64,
}

/// The summary: the JSON contract of `measure --watch`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchReport {
    pub samples: u64,
    /// When the sampling began (RFC 3339, UTC).
    pub started: Option<String>,
    pub duration_s: f64,
    pub interval_ms: u64,
    pub interrupted: bool,
    pub master_pid: Option<u32>,
    pub master_changes: u32,
    pub children: Option<ChildrenSeen>,
    pub working: WorkingFigures,
    pub occupied: PeakMean,
    /// Mean children holding a session and free.
    pub session_mean: f64,
    pub free_mean: f64,
    /// The share of samples in which no child was free, and in which every child was working.
    pub all_occupied_share: f64,
    pub all_working_share: f64,
    /// Null when the accept queues could not be read (`queue_note` says why).
    pub accept_queue: Option<QueueFigures>,
    pub queue_note: Option<String>,
    pub ports: Vec<String>,
    pub unix_sockets: Vec<String>,
    pub snmp: SnmpFigures,
    pub verdict: Verdict,
    /// The children this moment's demand needs; with `needed_at_least`, a lower bound.
    pub needed: u32,
    pub needed_at_least: bool,
    pub reason: String,
    pub expect: Option<Expectation>,
    pub own_cpu: OwnCpu,
}

impl Watch {
    pub fn new() -> Watch {
        Watch::default()
    }

    pub fn add(&mut self, sample: &Sample) {
        let children = sample.children();
        self.samples += 1;
        let working = sample.working.min(MAX_TRACKED_CHILDREN) as usize;
        if self.working.len() <= working {
            self.working.resize(working + 1, 0);
        }
        self.working[working] += 1;
        self.working_sum += u64::from(sample.working);
        self.occupied_sum += u64::from(sample.occupied());
        self.occupied_peak = self.occupied_peak.max(sample.occupied());
        self.session_sum += u64::from(sample.session);
        self.free_sum += u64::from(sample.free);
        if children > 0 && sample.free == 0 {
            self.all_occupied += 1;
        }
        if children > 0 && sample.working == children {
            self.all_working += 1;
        }
        let queue = sample.accept_queue.unwrap_or(0);
        if sample.accept_queue.is_some() {
            self.queue_samples += 1;
            self.queue_sum += u64::from(queue);
            self.queue_peak = self.queue_peak.max(queue);
            if queue > 0 {
                self.queued += 1;
            }
        }
        self.demand_peak = self.demand_peak.max(sample.working.saturating_add(queue));
        self.children_min = Some(self.children_min.map_or(children, |min| min.min(children)));
        self.children_max = self.children_max.max(children);
        self.last = Some(*sample);
    }

    pub fn samples(&self) -> u64 {
        self.samples
    }

    fn mean(&self, sum: u64, count: u64) -> f64 {
        if count == 0 { 0.0 } else { round3(sum as f64 / count as f64) }
    }

    /// The summary and the verdict.
    pub fn report(&self, context: WatchContext) -> WatchReport {
        let samples = self.samples;
        let share = |count: u64| self.mean(count, samples);
        let distribution = self
            .working
            .iter()
            .enumerate()
            .map(|(working, &count)| WorkingShare { working: working as u32, samples: count, share: share(count) })
            .collect();
        let working_peak = self.working.len().saturating_sub(1) as u32;
        let accept_queue = (self.queue_samples > 0).then(|| QueueFigures {
            peak: self.queue_peak,
            mean: self.mean(self.queue_sum, self.queue_samples),
            samples_queued: self.queued,
        });
        let children = self.children_min.map(|min| ChildrenSeen {
            min,
            max: self.children_max,
            last: self.last.map_or(0, |s| s.children()),
        });
        let mut report = WatchReport {
            samples,
            started: context.started,
            duration_s: round3(context.duration_s),
            interval_ms: context.interval_ms,
            interrupted: context.interrupted,
            master_pid: context.master_pid,
            master_changes: context.master_changes,
            children,
            working: WorkingFigures { peak: working_peak, mean: self.mean(self.working_sum, samples), distribution },
            occupied: PeakMean { peak: self.occupied_peak, mean: self.mean(self.occupied_sum, samples) },
            session_mean: self.mean(self.session_sum, samples),
            free_mean: self.mean(self.free_sum, samples),
            all_occupied_share: share(self.all_occupied),
            all_working_share: share(self.all_working),
            accept_queue,
            queue_note: context.queue_note,
            ports: context.ports,
            unix_sockets: context.unix_sockets,
            snmp: context.snmp,
            verdict: Verdict::NoData,
            needed: 0,
            needed_at_least: false,
            reason: String::new(),
            expect: context.expect,
            own_cpu: OwnCpu {
                ms: context.own_cpu_ms,
                percent: if context.duration_s > 0.0 {
                    round3(context.own_cpu_ms as f64 / 10.0 / context.duration_s)
                } else {
                    0.0
                },
                helpers_ms: context.helper_cpu_ms,
            },
        };
        let judged = verdict::judge(&report, self.demand_peak);
        report.verdict = judged.verdict;
        report.needed = judged.needed;
        report.needed_at_least = judged.at_least;
        report.reason = judged.reason;
        report
    }
}

#[cfg(test)]
mod tests;
