//! `measure --watch` on screen: the live line on a terminal (stderr) while it samples, and the
//! summary core computed, in plain characters.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::time::Duration;

use amavis_tune_core::{Sample, WatchReport};

/// How many samples the live line's sparkline shows.
const SPARK_SAMPLES: usize = 40;
/// The sparkline's steps, from no child working to all of them.
const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// Width of a distribution bar.
const BAR_WIDTH: f64 = 40.0;

/// The one line rewritten in place on a terminal while the watch runs; nothing elsewhere.
#[derive(Debug)]
pub(crate) struct LiveLine {
    on_terminal: bool,
    recent: VecDeque<(u32, u32)>,
}

impl LiveLine {
    pub(crate) fn new(on_terminal: bool) -> LiveLine {
        LiveLine { on_terminal, recent: VecDeque::with_capacity(SPARK_SAMPLES) }
    }

    fn put(&self, text: &str) {
        if self.on_terminal {
            // A failed write to the terminal only loses the live line.
            let mut err = io::stderr().lock();
            let _ = write!(err, "\r\x1b[K{text}");
            let _ = err.flush();
        }
    }

    /// While `--expect` waits for the children.
    pub(crate) fn waiting(&self, children: u32, sample: &Sample, waited: Duration) {
        self.put(&format!(
            "{:5.1} s  waiting for {children} amavisd children: {} now (Ctrl-C ends)",
            waited.as_secs_f64(),
            sample.children()
        ));
    }

    pub(crate) fn show(&mut self, sample: &Sample, elapsed: Duration, duration: Duration) {
        if self.recent.len() == SPARK_SAMPLES {
            self.recent.pop_front();
        }
        self.recent.push_back((sample.working, sample.children()));
        let spark: String = self
            .recent
            .iter()
            .map(|&(working, children)| {
                let step = (working as usize * (SPARKS.len() - 1)).checked_div(children as usize).unwrap_or(0);
                SPARKS[step.min(SPARKS.len() - 1)]
            })
            .collect();
        let queue = sample.accept_queue.map_or_else(|| "?".to_owned(), |q| q.to_string());
        self.put(&format!(
            "{:5.1}/{:.0} s  working {}  session {}  free {}  queue {queue}  {spark}  (Ctrl-C ends)",
            elapsed.as_secs_f64(),
            duration.as_secs_f64(),
            sample.working,
            sample.session,
            sample.free,
        ));
    }

    pub(crate) fn clear(&self) {
        self.put("");
    }
}

/// The summary.
pub(crate) fn write(out: &mut dyn Write, report: &WatchReport) -> io::Result<()> {
    let master = report.master_pid.map_or_else(|| "not running".to_owned(), |pid| format!("master {pid}"));
    let sockets: Vec<String> = report.ports.iter().chain(&report.unix_sockets).cloned().collect();
    let on = if sockets.is_empty() { String::new() } else { format!(", listening on {}", sockets.join(", ")) };
    writeln!(
        out,
        "Watched amavisd ({master}{on}) for {:.1} s{}: {} samples, one every {} ms.",
        report.duration_s,
        if report.interrupted { " (ended early)" } else { "" },
        report.samples,
        report.interval_ms
    )?;
    if let Some(expect) = report.expect {
        if expect.reached {
            writeln!(
                out,
                "amavisd ran at least the {} children expected (for a second on end) after {:.1} s: {} then.",
                expect.children, expect.waited_s, expect.running
            )?;
        } else {
            writeln!(
                out,
                "amavisd did NOT run the {} children expected within {:.1} s: it ran {}.",
                expect.children, expect.waited_s, expect.running
            )?;
        }
    }
    if let Some(children) = report.children {
        let count = if children.min == children.max {
            children.max.to_string()
        } else {
            format!("{} to {}, {} at the end", children.min, children.max, children.last)
        };
        writeln!(
            out,
            "Children: {count}. On average {:.2} working (at most {}), {:.2} holding a session for Postfix, {:.2} free.",
            report.working.mean, report.working.peak, report.session_mean, report.free_mean
        )?;
        writeln!(out, "Children working, share of the samples:")?;
        for share in &report.working.distribution {
            let bar = "#".repeat((share.share * BAR_WIDTH).round() as usize);
            writeln!(out, "  {:>4}  {bar:<40}  {:5.1}%", share.working, share.share * 100.0)?;
        }
        writeln!(
            out,
            "No child free (all working or holding a session) in {:.0}% of the samples; all working in {:.0}%.",
            report.all_occupied_share * 100.0,
            report.all_working_share * 100.0
        )?;
    }
    match (&report.accept_queue, &report.queue_note) {
        (Some(queue), _) => writeln!(
            out,
            "Accept queue (connections waiting for a child, summed over amavisd's TCP sockets): at most {}, {:.2} on average; not empty in {} of {} samples.",
            queue.peak, queue.mean, queue.samples_queued, report.samples
        )?,
        (None, Some(note)) => writeln!(out, "Accept queue: not read: {note}.")?,
        (None, None) => writeln!(out, "Accept queue: not read.")?,
    }
    let snmp = &report.snmp;
    match (snmp.mean, snmp.interval_s, &snmp.note) {
        (Some(mean), Some(interval), _) => writeln!(
            out,
            "snmp.db: {mean:.2} children busy with a message on average over {interval:.1} s ({} messages; amavisd's own TimeElapsedTotal, to a second).",
            snmp.messages.unwrap_or(0)
        )?,
        (_, _, Some(note)) => writeln!(out, "snmp.db: not read: {note}.")?,
        _ => writeln!(out, "snmp.db: not read.")?,
    }
    writeln!(out)?;
    writeln!(out, "Verdict: {}. {}", report.verdict.as_str(), report.reason)?;
    let at_least = if report.needed_at_least { "at least " } else { "" };
    writeln!(out, "Children this moment needs: {at_least}{}.", report.needed)?;
    writeln!(
        out,
        "Its own cost: {} ms of CPU over {:.1} s ({:.2}% of one CPU){}.",
        report.own_cpu.ms,
        report.duration_s,
        report.own_cpu.percent,
        if report.own_cpu.helpers_ms > 0 {
            format!(", and {} ms for amavisd-agent", report.own_cpu.helpers_ms)
        } else {
            String::new()
        }
    )?;
    Ok(())
}
