//! One replayed configuration: N amavisd children behind Postfix's scheduler, first come, first
//! served. Deliveries go in in the order they became ready; each waits until its destination's
//! window and a child let it start, holds the child for its service time, and its wait is
//! recorded. Memory is bounded: a pool that falls hopelessly behind (more than
//! [`MAX_WAITING`] deliveries waiting, or one waiting past [`MAX_WAIT_MICROS`]) stops and is
//! reported as overwhelmed.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use crate::logs::distribution::Distribution;
use crate::logs::replay::scheduler::{SchedulerSettings, Window};
use crate::logs::time::Micros;

/// Waiting deliveries beyond which a pool counts as overwhelmed.
pub(crate) const MAX_WAITING: usize = 4096;
/// A wait beyond which a pool counts as overwhelmed: an hour.
pub(crate) const MAX_WAIT_MICROS: Micros = 3600 * 1_000_000;
/// How far down the waiting line a dispatch looks for a delivery whose destination may start
/// (deliveries to other destinations can pass one whose window is full).
const DISPATCH_LOOKAHEAD: usize = 64;

/// A delivery to replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Job {
    pub(crate) ready: Micros,
    pub(crate) service: Micros,
    /// The destination's key (a hash of the next hop, or of the recipient).
    pub(crate) destination: u64,
}

/// Destination keys are hashes already.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

type Windows = HashMap<u64, Window, BuildHasherDefault<KeyHasher>>;

#[derive(Debug, Clone)]
pub(crate) struct Pool {
    pub(crate) children: u32,
    settings: SchedulerSettings,
    busy: BinaryHeap<Reverse<(Micros, u64)>>,
    waiting: VecDeque<Job>,
    windows: Windows,
    pub(crate) waits_ms: Distribution,
    pub(crate) over_greeting_timeout: u64,
    pub(crate) overwhelmed: bool,
    /// The most deliveries in service at once.
    pub(crate) peak_busy: u32,
}

impl Pool {
    pub(crate) fn new(children: u32, settings: SchedulerSettings) -> Pool {
        Pool {
            children,
            settings,
            busy: BinaryHeap::new(),
            waiting: VecDeque::new(),
            windows: Windows::default(),
            waits_ms: Distribution::default(),
            over_greeting_timeout: 0,
            overwhelmed: false,
            peak_busy: 0,
        }
    }

    /// The next delivery, in order of readiness.
    pub(crate) fn push(&mut self, job: Job) {
        if self.overwhelmed {
            return;
        }
        self.complete_until(job.ready);
        self.windows.entry(job.destination).or_insert_with(|| Window::new(&self.settings)).waiting += 1;
        self.waiting.push_back(job);
        self.dispatch(job.ready);
        let too_long = self.waiting.front().is_some_and(|first| job.ready - first.ready > MAX_WAIT_MICROS);
        if self.waiting.len() > MAX_WAITING || too_long {
            self.overwhelm();
        }
    }

    /// Every delivery replayed to its end.
    pub(crate) fn finish(&mut self) {
        if !self.overwhelmed {
            self.complete_until(Micros::MAX);
        }
    }

    fn overwhelm(&mut self) {
        self.overwhelmed = true;
        self.busy = BinaryHeap::new();
        self.waiting = VecDeque::new();
        self.windows = Windows::default();
    }

    /// Ends the deliveries in progress that are done by `time`, each letting the next start.
    fn complete_until(&mut self, time: Micros) {
        while let Some(&Reverse((end, destination))) = self.busy.peek() {
            if end > time {
                break;
            }
            self.busy.pop();
            if let Some(window) = self.windows.get_mut(&destination) {
                window.completed(&self.settings);
                if window.is_empty() {
                    self.windows.remove(&destination);
                }
            }
            self.dispatch(end);
            if self.overwhelmed {
                return;
            }
        }
    }

    /// Starts what may start at `now`: a free child, and room in the delivery's destination
    /// window, first come first served.
    fn dispatch(&mut self, now: Micros) {
        let mut index = 0;
        while self.busy.len() < self.children as usize && index < self.waiting.len().min(DISPATCH_LOOKAHEAD) {
            let job = self.waiting[index];
            let open = self.windows.get(&job.destination).is_none_or(Window::open);
            if !open {
                index += 1;
                continue;
            }
            self.waiting.remove(index);
            let window = self.windows.entry(job.destination).or_insert_with(|| Window::new(&self.settings));
            window.waiting = window.waiting.saturating_sub(1);
            window.busy += 1;
            let wait = (now - job.ready).max(0);
            self.waits_ms.add(u64::try_from(wait / 1000).unwrap_or(0));
            if wait as f64 > self.settings.helo_timeout_s * 1e6 {
                self.over_greeting_timeout += 1;
            }
            self.busy.push(Reverse((now + job.service.max(0), job.destination)));
            self.peak_busy = self.peak_busy.max(self.busy.len() as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Job, Pool};
    use crate::logs::replay::scheduler::SchedulerSettings;

    const SECOND: i64 = 1_000_000;

    /// A burst of `count` deliveries of `service_s` ready at once, through `children`.
    #[track_caller]
    fn burst(children: u32, initial: u32, count: u32, service_s: f64) -> (Option<u64>, Option<u64>, u32) {
        let settings = SchedulerSettings { initial_concurrency: initial, ..SchedulerSettings::default() };
        let mut pool = Pool::new(children, settings);
        for _ in 0..count {
            pool.push(Job { ready: 0, service: (service_s * SECOND as f64) as i64, destination: 1 });
        }
        pool.finish();
        (pool.waits_ms.percentile(50), pool.waits_ms.percentile(95), pool.peak_busy)
    }

    #[test]
    fn a_burst_through_children_and_the_window() {
        // 16 at once, 1 s each: 2 children serve them in 8 rounds.
        assert_eq!(burst(2, 5, 16, 1.0), (Some(3000), Some(7000), 2));
        // 16 children, but the window starts at 5 and grows by one per delivery: 5, then 10,
        // then the last one (at most 10 at once).
        assert_eq!(burst(16, 5, 16, 1.0), (Some(1000), Some(2000), 10));
        // The initial concurrency raised to 16: nothing waits.
        assert_eq!(burst(16, 16, 16, 1.0), (Some(0), Some(0), 16));
    }

    #[test]
    fn a_pool_that_falls_behind_is_overwhelmed() {
        let mut pool = Pool::new(1, SchedulerSettings::default());
        for i in 0..10_000 {
            pool.push(Job { ready: i * SECOND / 10, service: SECOND, destination: 1 });
        }
        pool.finish();
        assert!(pool.overwhelmed);
    }
}
