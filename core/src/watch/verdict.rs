//! The watch's verdict, in the words of the log analysis (`logs::verdict`): what the children and
//! the accept queue showed over the watch, and the children this moment's demand needs.

use crate::inputs::concurrency::MIN_CONCURRENCY;
use crate::logs::verdict::{IDLE_BUSY_PEAK, Verdict};
use crate::watch::WatchReport;

/// Connections seen waiting in the accept queue in at least this many samples mean Postfix opens
/// more connections than amavisd has children. Judgement: one sample can catch a connection in
/// the moment between its arrival and a free child's `accept()`; two in a watch of a few hundred
/// samples do not happen by chance while children are free.
pub const QUEUED_SAMPLES_MIN: u64 = 2;

/// Every child working in at least this share of the samples, with no connection waiting, is a
/// pool that is full: Postfix holds the rest of the mail in its own queue. Judgement.
pub const SATURATED_SHARE: f64 = 0.5;

pub(crate) struct Judged {
    pub(crate) verdict: Verdict,
    pub(crate) needed: u32,
    pub(crate) at_least: bool,
    pub(crate) reason: String,
}

pub(crate) fn judge(report: &WatchReport, demand_peak: u32) -> Judged {
    let mut words = Vec::new();
    let samples = report.samples;
    let max = report.children.map_or(0, |c| c.max);
    let working = &report.working;
    if let Some(expect) = report.expect.filter(|e| !e.reached) {
        words.push(format!(
            "amavisd did not run the {} children expected within {:.0} s: it ran {}.",
            expect.children, expect.waited_s, expect.running
        ));
    }
    let (verdict, needed, at_least) = if samples == 0 {
        words.push("No sample was taken.".to_owned());
        (Verdict::NoData, MIN_CONCURRENCY, false)
    } else if max == 0 {
        words.push("amavisd ran no children during the watch (with $max_servers = 1 it serves in its master process, whose title does not show its state; or it was not running).".to_owned());
        (Verdict::NoData, MIN_CONCURRENCY, false)
    } else if let Some(queue) = report.accept_queue.filter(|q| q.samples_queued >= QUEUED_SAMPLES_MIN) {
        let needed = demand_peak.max(MIN_CONCURRENCY);
        words.push(format!(
            "Connections waited in amavisd's accept queue in {} of {samples} samples (at most {}, {:.2} on average) while {} of its {max} children were working on average: Postfix opens more connections than amavisd has children, and each waits for its greeting (delays c in Postfix's log, or a greeting time-out). The children working plus the connections waiting peaked at {demand_peak}: {needed} children would serve this moment's demand; make Postfix's limit equal to $max_servers (amavis README.postfix), or raise both to {needed} if memory allows (amavis-tune plan).",
            queue.samples_queued, queue.peak, queue.mean, fmt2(working.mean)
        ));
        (Verdict::PostfixExceedsAmavis, needed, false)
    } else if report.all_working_share >= SATURATED_SHARE {
        let needed = (max + 1).max(MIN_CONCURRENCY);
        words.push(format!(
            "Every one of the {max} children was working in {:.0}% of the samples, and no connection waited in amavisd's accept queue: the pool is full, and the mail beyond it waits in Postfix's queue (delays b), where this cannot see it. Both sides are too small for this moment's load: at least {needed} children; `amavis-tune logs` replays the mail log for the number.",
            report.all_working_share * 100.0
        ));
        (Verdict::Saturated, needed, true)
    } else {
        let idle_line = (f64::from(max) * 0.25).max(IDLE_BUSY_PEAK);
        let needed = demand_peak.max(MIN_CONCURRENCY);
        let queue = match report.accept_queue {
            Some(_) => "no connection waited in amavisd's accept queue",
            None => "the accept queue was not read",
        };
        if f64::from(working.peak) <= idle_line {
            words.push(format!(
                "At most {} of the {max} children worked at once ({} on average) and {queue}: the children are mostly idle; {needed} would serve this moment's load.",
                working.peak,
                fmt2(working.mean)
            ));
            (Verdict::Idle, needed, false)
        } else {
            words.push(format!(
                "At most {} of the {max} children worked at once ({} on average; a child was free in {:.0}% of the samples) and {queue}: amavisd has enough children for this moment's load, which {needed} would serve.",
                working.peak,
                fmt2(working.mean),
                (1.0 - report.all_occupied_share) * 100.0
            ));
            (Verdict::RightSized, needed, false)
        }
    };
    if let Some(expect) = report.expect.filter(|e| e.reached)
        && max > expect.children
    {
        words.push(format!(
            "amavisd ran up to {max} children where {} are expected: after a reload the previous children stay until the sessions Postfix holds open with them end (Postfix reuses a connection for up to smtp_connection_reuse_time_limit, 300 s by default), then exit.",
            expect.children
        ));
    }
    if let Some(note) = &report.queue_note {
        words.push(format!("The accept queue was not read: {note}."));
    }
    if report.master_changes > 0 {
        words.push(format!(
            "amavisd's master process changed {} time(s) during the watch (a restart).",
            report.master_changes
        ));
    }
    Judged { verdict, needed, at_least, reason: words.join(" ") }
}

/// Two decimals, as the text shows means.
fn fmt2(value: f64) -> String {
    format!("{value:.2}")
}
