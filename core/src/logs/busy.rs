//! Busy connections over time, rebuilt from intervals: each second holds the time spent in
//! service during it (so 2.5 means two and a half connections busy on average in that second).
//! Seconds are kept for a window behind the newest one (lines from several files or processes
//! arrive slightly out of order) and then folded into a distribution and the per-hour peaks, so
//! memory does not grow with the log.

use std::collections::{BTreeMap, VecDeque};

use crate::logs::distribution::Distribution;
use crate::logs::time::{MICROS_PER_SECOND, Micros};
use crate::logs::timeline::{Series, Timeline};

/// How far behind the newest second an interval may still end and be counted (and the longest
/// interval counted whole).
const WINDOW_SECONDS: i64 = 3600;

/// Busy levels are kept in tenths of a connection.
const SCALE: f64 = 10.0;

#[derive(Debug, Clone, Default)]
pub(crate) struct Busy {
    /// The first second in `slots`.
    start: i64,
    slots: VecDeque<f64>,
    /// Per-second levels (tenths) of every second folded so far, idle ones included.
    levels: Distribution,
    /// Per hour (seconds since the epoch / 3600): the busiest second's level (tenths).
    hours: BTreeMap<i64, u64>,
    /// The busy seconds at the timeline's resolutions, as this series (`Busy` or `Demand`).
    timeline: Timeline,
    demand: bool,
}

impl Busy {
    /// Busy levels of the replay's demand rather than of what was served.
    pub(crate) fn demand() -> Busy {
        Busy { demand: true, ..Busy::default() }
    }

    /// Adds one connection busy from `from` to `to`.
    pub(crate) fn add(&mut self, from: Micros, to: Micros) {
        if to <= from {
            return;
        }
        let from = from.max(to - WINDOW_SECONDS * MICROS_PER_SECOND);
        let last_second = (to - 1).div_euclid(MICROS_PER_SECOND);
        let first = from.div_euclid(MICROS_PER_SECOND);
        if self.slots.is_empty() {
            self.start = first;
        } else if first > self.start + self.slots.len() as i64 + WINDOW_SECONDS {
            // A long quiet gap: fold what is kept, count the idle seconds at once, and start
            // again at this interval (time spent in a loop never depends on the gap).
            while !self.slots.is_empty() {
                self.fold_front();
            }
            self.levels.add_many(0, (first - self.start) as u64);
            self.start = first;
        }
        if last_second < self.start {
            return;
        }
        while self.start + (self.slots.len() as i64) <= last_second {
            self.slots.push_back(0.0);
        }
        while self.slots.len() as i64 > WINDOW_SECONDS * 2 {
            self.fold_front();
        }
        let first_second = first.max(self.start);
        for second in first_second..=last_second {
            let slot_start = second * MICROS_PER_SECOND;
            let overlap = to.min(slot_start + MICROS_PER_SECOND) - from.max(slot_start);
            if overlap > 0
                && let Some(slot) = self.slots.get_mut((second - self.start) as usize)
            {
                *slot += overlap as f64 / MICROS_PER_SECOND as f64;
            }
        }
    }

    fn fold_front(&mut self) {
        if let Some(level) = self.slots.pop_front() {
            let tenths = (level * SCALE).round() as u64;
            self.levels.add(tenths);
            let hour = self.start.div_euclid(3600);
            let peak = self.hours.entry(hour).or_default();
            *peak = (*peak).max(tenths);
            if tenths > 0 {
                let series = if self.demand { Series::Demand } else { Series::Busy };
                self.timeline.add(series, self.start * MICROS_PER_SECOND, tenths as f64 / SCALE);
            }
            self.start += 1;
        }
    }

    /// Folds what is left and returns the summary.
    pub(crate) fn finish(mut self) -> BusySummary {
        while !self.slots.is_empty() {
            self.fold_front();
        }
        let tenths = |v: Option<u64>| v.map(|v| v as f64 / SCALE);
        BusySummary {
            peak: tenths(self.levels.max()),
            p99: tenths(self.levels.percentile(99)),
            hours: self.hours.into_iter().map(|(hour, peak)| (hour, peak as f64 / SCALE)).collect(),
            timeline: self.timeline,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct BusySummary {
    pub(crate) peak: Option<f64>,
    pub(crate) p99: Option<f64>,
    /// (hour since the epoch, the busiest second's level).
    pub(crate) hours: Vec<(i64, f64)>,
    /// The busy seconds at the timeline's resolutions.
    pub(crate) timeline: Timeline,
}
