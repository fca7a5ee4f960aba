//! The timeline at the resolution the log's span calls for: seconds for a burst, minutes for a
//! day, hours for a month. Peaks are kept per second while the span is at most
//! [`SECONDS_SPAN`], per minute while it is at most [`MINUTES_SPAN`], and per hour always (up to
//! a bound), so memory does not grow with the log; at the end the finest kept resolution is
//! folded into buckets of a plain size (1, 5, 10, 30 s, 1, 5, 10, 30 min, 1, 6, 12 h, a day),
//! the smallest that gives at most [`MAX_BUCKETS`].

use std::collections::BTreeMap;

use serde::Serialize;

use crate::logs::time::{Clock, MICROS_PER_SECOND, Micros};

/// Seconds are kept while the log spans at most this (10 minutes).
const SECONDS_SPAN: i64 = 600;
/// Minutes are kept while the log spans at most this (2 days).
const MINUTES_SPAN: i64 = 2 * 86_400;
/// Hours kept at most (a year and a bit); a log from a broken clock keeps its first ones.
const MAX_HOURS: usize = 10_000;
/// The most buckets a timeline shows.
pub const MAX_BUCKETS: usize = 60;
/// The plain bucket sizes, in seconds.
const SIZES: [i64; 12] = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 6 * 3600, 12 * 3600, 86_400];

/// One series' values at one resolution: per bucket, the peak (or, for counts, the sum).
#[derive(Debug, Clone, Default)]
struct Level {
    values: BTreeMap<i64, f64>,
    dropped: bool,
}

/// Three resolutions of the three series: deliveries (counted), connections busy and the
/// replay's demand (the busiest second's level).
#[derive(Debug, Clone, Default)]
pub(crate) struct Timeline {
    first: Option<i64>,
    last: Option<i64>,
    /// Per resolution (1, 60, 3600 s): deliveries, busy, demand.
    levels: [[Level; 3]; 3],
}

const RESOLUTIONS: [i64; 3] = [1, 60, 3600];

#[derive(Debug, Clone, Copy)]
pub(crate) enum Series {
    Deliveries = 0,
    Busy = 1,
    Demand = 2,
}

impl Timeline {
    fn note(&mut self, second: i64) {
        self.first = Some(self.first.map_or(second, |f| f.min(second)));
        self.last = Some(self.last.map_or(second, |l| l.max(second)));
        let span = self.last.unwrap_or(second) - self.first.unwrap_or(second);
        for (index, limit) in [SECONDS_SPAN, MINUTES_SPAN].into_iter().enumerate() {
            if span > limit {
                for level in &mut self.levels[index] {
                    level.values.clear();
                    level.dropped = true;
                }
            }
        }
    }

    /// A value of a series at a second: a delivery (`1.0`, summed), or a busy level (the peak).
    pub(crate) fn add(&mut self, series: Series, time: Micros, value: f64) {
        let second = time.div_euclid(MICROS_PER_SECOND);
        self.note(second);
        for (index, resolution) in RESOLUTIONS.into_iter().enumerate() {
            let level = &mut self.levels[index][series as usize];
            if level.dropped
                || (index == 2
                    && level.values.len() >= MAX_HOURS
                    && !level.values.contains_key(&second.div_euclid(resolution)))
            {
                continue;
            }
            let slot = level.values.entry(second.div_euclid(resolution)).or_default();
            match series {
                Series::Deliveries => *slot += value,
                Series::Busy | Series::Demand => *slot = slot.max(value),
            }
        }
    }

    /// Everything `other` holds, added to this one (each series is kept by one timeline only).
    pub(crate) fn merge(&mut self, other: &Timeline) {
        for second in [other.first, other.last].into_iter().flatten() {
            self.note(second);
        }
        for (mine, theirs) in self.levels.iter_mut().zip(&other.levels) {
            for (series, (level, from)) in mine.iter_mut().zip(theirs).enumerate() {
                level.dropped |= from.dropped;
                if level.dropped {
                    level.values.clear();
                    continue;
                }
                for (slot, value) in &from.values {
                    let entry = level.values.entry(*slot).or_default();
                    *entry = if series == Series::Deliveries as usize { *entry + value } else { entry.max(*value) };
                }
            }
        }
    }

    /// The buckets, at the finest resolution kept, folded to at most [`MAX_BUCKETS`].
    pub(crate) fn finish(&self, clock: Clock) -> TimelineReport {
        let (Some(first), Some(last)) = (self.first, self.last) else {
            return TimelineReport { bucket_s: 3600, buckets: Vec::new() };
        };
        let index = (0..3).find(|&i| !self.levels[i].iter().any(|l| l.dropped)).unwrap_or(2);
        let resolution = RESOLUTIONS[index];
        let span = last - first + 1;
        let size = SIZES
            .iter()
            .copied()
            .filter(|size| *size >= resolution)
            .find(|size| (span + size - 1) / size < MAX_BUCKETS as i64)
            .unwrap_or(86_400.max(resolution));
        let start = first.div_euclid(size);
        let end = last.div_euclid(size);
        let mut buckets: BTreeMap<i64, Bucket> = BTreeMap::new();
        if end - start < 100_000 {
            for bucket in start..=end {
                buckets.insert(bucket, Bucket::at(bucket * size, clock));
            }
        }
        for (series, level) in self.levels[index].iter().enumerate() {
            for (slot, value) in &level.values {
                let key = (slot * resolution).div_euclid(size);
                let bucket = buckets.entry(key).or_insert_with(|| Bucket::at(key * size, clock));
                match series {
                    0 => bucket.deliveries += *value as u64,
                    1 => bucket.busy_peak = bucket.busy_peak.max(*value),
                    _ => bucket.demand_peak = bucket.demand_peak.max(*value),
                }
            }
        }
        TimelineReport { bucket_s: size, buckets: buckets.into_values().collect() }
    }
}

/// The timeline of a report (`logs --format json`'s `timeline`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineReport {
    /// The seconds each bucket spans.
    pub bucket_s: i64,
    pub buckets: Vec<Bucket>,
}

impl TimelineReport {
    /// The bucket's span in words: `second`, `5 seconds`, `minute`, `30 minutes`, `hour`,
    /// `6 hours`, `day`.
    pub fn bucket_name(&self) -> String {
        let (value, unit) = match self.bucket_s {
            s if s % 86_400 == 0 => (s / 86_400, "day"),
            s if s % 3600 == 0 => (s / 3600, "hour"),
            s if s % 60 == 0 => (s / 60, "minute"),
            s => (s, "second"),
        };
        if value == 1 { unit.to_owned() } else { format!("{value} {unit}s") }
    }
}

/// One bucket of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    /// Its start, on the report's clock.
    pub start: String,
    /// Deliveries to amavisd logged in it.
    pub deliveries: u64,
    /// The busiest second's connections in service (what was served).
    pub busy_peak: f64,
    /// The busiest second's deliveries the replay's demand had in service had each started when
    /// it became ready (what was asked for).
    pub demand_peak: f64,
}

impl Bucket {
    fn at(second: i64, clock: Clock) -> Bucket {
        Bucket { start: clock.format(second * MICROS_PER_SECOND), deliveries: 0, busy_peak: 0.0, demand_peak: 0.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::{Series, Timeline};
    use crate::logs::time::Clock;

    #[track_caller]
    fn check(span_s: i64, expect_bucket_s: i64, expect_buckets: usize) {
        let mut timeline = Timeline::default();
        for second in 0..=span_s {
            timeline.add(Series::Busy, second * 1_000_000, 1.0);
        }
        let report = timeline.finish(Clock::Utc);
        assert_eq!((report.bucket_s, report.buckets.len()), (expect_bucket_s, expect_buckets));
    }

    #[test]
    fn resolution_follows_the_span() {
        // A 30 s burst: seconds. Ten minutes: 30 s buckets. A day: 30 minutes. A week: 6 hours.
        check(30, 1, 31);
        check(600, 30, 21);
        check(86_399, 1800, 48);
        check(7 * 86_400, 6 * 3600, 29);
    }
}
