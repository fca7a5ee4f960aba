//! Postfix's side of the replay: how its queue manager lets deliveries to one destination start
//! (postconf(5), SCHEDULER_README; `qmgr_queue_create` and `qmgr_queue_unthrottle` in Postfix's
//! `src/qmgr/qmgr_queue.c`).
//!
//! A destination's in-core queue starts with a window of `initial_destination_concurrency`
//! deliveries at once. Each delivery that completes without a connection or handshake failure
//! gives positive feedback, which widens the window by one per whole unit gathered, but only
//! while the window is below the transport's `_destination_concurrency_limit` and below the
//! deliveries in progress plus the initial concurrency (Postfix's "margin the size of the
//! initial destination concurrency"). When the destination has nothing in progress and nothing
//! waiting, the in-core queue is deleted: the next delivery starts again from the initial
//! window. With `_destination_recipient_limit = 1` a destination is a recipient, not the next
//! hop.

use serde::Serialize;

use crate::config::postfix_defaults::{
    DEFAULT_DESTINATION_CONCURRENCY_LIMIT, DEFAULT_DESTINATION_RECIPIENT_LIMIT, DEFAULT_HELO_TIMEOUT_S,
    DEFAULT_INITIAL_DESTINATION_CONCURRENCY,
};

/// `default_destination_concurrency_positive_feedback`: a fixed amount per delivery (Postfix's
/// default is 1), or `1/concurrency`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Feedback {
    Fixed(f64),
    PerConcurrency,
}

impl Feedback {
    /// The value as postconf(5) spells it: `1`, `0.5`, `1/concurrency`, `1/8`; `None` otherwise.
    pub fn parse(text: &str) -> Option<Feedback> {
        let text = text.trim();
        if text == "1/concurrency" {
            return Some(Feedback::PerConcurrency);
        }
        let value = match text.split_once('/') {
            Some((numerator, denominator)) => {
                numerator.trim().parse::<f64>().ok()? / denominator.trim().parse::<f64>().ok()?
            }
            None => text.parse::<f64>().ok()?,
        };
        (value.is_finite() && value >= 0.0).then_some(Feedback::Fixed(value))
    }

    fn at(self, window: u32) -> f64 {
        match self {
            Feedback::Fixed(value) => value,
            Feedback::PerConcurrency => 1.0 / f64::from(window.max(1)),
        }
    }
}

/// The transport's scheduling settings: from the server's main.cf and master.cf where they are
/// at hand, Postfix's defaults otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SchedulerSettings {
    /// `<transport>_initial_destination_concurrency`.
    pub initial_concurrency: u32,
    /// `<transport>_destination_concurrency_limit` (0: no limit).
    pub destination_limit: u32,
    /// `<transport>_destination_concurrency_positive_feedback`.
    pub positive_feedback: Feedback,
    /// `<transport>_destination_recipient_limit`: 1 makes each recipient a destination.
    pub recipient_limit: u32,
    /// `smtp_helo_timeout` for the transport, in seconds: a connection that waits longer for
    /// amavisd's greeting is deferred.
    pub helo_timeout_s: f64,
}

impl Default for SchedulerSettings {
    fn default() -> SchedulerSettings {
        SchedulerSettings {
            initial_concurrency: DEFAULT_INITIAL_DESTINATION_CONCURRENCY,
            destination_limit: DEFAULT_DESTINATION_CONCURRENCY_LIMIT,
            positive_feedback: Feedback::Fixed(1.0),
            recipient_limit: DEFAULT_DESTINATION_RECIPIENT_LIMIT,
            helo_timeout_s: DEFAULT_HELO_TIMEOUT_S,
        }
    }
}

/// One destination's in-core queue: its window and the deliveries in progress.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub(crate) window: u32,
    success: f64,
    pub(crate) busy: u32,
    pub(crate) waiting: u32,
}

impl Window {
    pub(crate) fn new(settings: &SchedulerSettings) -> Window {
        Window { window: settings.initial_concurrency.max(1), success: 0.0, busy: 0, waiting: 0 }
    }

    /// Whether one more delivery may start now.
    pub(crate) fn open(&self) -> bool {
        self.busy < self.window
    }

    /// A delivery completed without a failure: `qmgr_queue_unthrottle`, called while the
    /// delivery still counts as in progress.
    pub(crate) fn completed(&mut self, settings: &SchedulerSettings) {
        let limit = settings.destination_limit;
        if (limit == 0 || limit > self.window) && self.window < self.busy + settings.initial_concurrency {
            let feedback = settings.positive_feedback.at(self.window);
            self.success += feedback;
            // Postfix's hysteresis is 1 unless configured otherwise.
            while self.success + feedback / 2.0 >= 1.0 {
                self.window += 1;
                self.success -= 1.0;
            }
            if limit > 0 && self.window > limit {
                self.window = limit;
            }
        }
        self.busy = self.busy.saturating_sub(1);
    }

    /// Nothing in progress and nothing waiting: Postfix deletes the in-core queue.
    pub(crate) fn is_empty(&self) -> bool {
        self.busy == 0 && self.waiting == 0
    }
}

#[cfg(test)]
mod tests {
    use super::{Feedback, SchedulerSettings, Window};

    #[test]
    fn feedback_spellings() {
        assert_eq!(Feedback::parse("1"), Some(Feedback::Fixed(1.0)));
        assert_eq!(Feedback::parse("1/concurrency"), Some(Feedback::PerConcurrency));
        assert_eq!(Feedback::parse("1/4"), Some(Feedback::Fixed(0.25)));
        assert_eq!(Feedback::parse("x"), None);
        assert_eq!(Feedback::parse("-1"), None);
    }

    #[test]
    fn the_window_grows_by_one_per_delivery_within_the_margin() {
        let settings = SchedulerSettings::default();
        let mut window = Window::new(&settings);
        window.busy = 5;
        // Each delivery done while another takes its place widens the window by one.
        for _ in 0..5 {
            window.completed(&settings);
            while window.open() {
                window.busy += 1;
            }
        }
        assert_eq!((window.window, window.busy), (10, 10));
        // Done with nothing to replace them, the margin (in progress + 5) stops the growth.
        for _ in 0..10 {
            window.completed(&settings);
        }
        assert_eq!((window.window, window.busy), (13, 0));
    }
}
