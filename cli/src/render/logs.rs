//! The text form of a log analysis: the figures, a plain-text chart of busy connections per
//! hour against the number needed, and the verdict with its reasoning.

use std::io::Write;

use amavis_tune_core::{Clock, Confidence, LogReport, Prediction, ScanSource, TimelineReport};

/// Columns of the chart's bars.
const CHART_WIDTH: usize = 40;

pub(crate) fn write(out: &mut dyn Write, r: &LogReport, files: &[String]) -> std::io::Result<()> {
    let l = &r.lines;
    writeln!(
        out,
        "Read {} lines from {} ({} used, {} of other programs or deliveries, {} not log lines, {} of other hosts, {} outside the period).",
        l.total,
        files.join(", "),
        l.used,
        l.other,
        l.unparsed,
        l.other_hosts,
        l.outside_period
    )?;
    if let (Some(first), Some(last)) = (&r.period.first, &r.period.last) {
        writeln!(out, "Period: {first} to {last} ({}).", clock_note(r.period.clock))?;
    }
    let d = &r.deferrals;
    writeln!(
        out,
        "Deliveries to amavisd: {} sent, {} bounced; {} messages deferred ({} lines: greeting-timeout {}, greeting-lost {}, refused {}, suspended with no connection {}, other {}, around amavisd's restarts {}).",
        r.sent,
        r.bounced,
        r.deferred_messages,
        d.total(),
        d.greeting_timeout,
        d.greeting_lost,
        d.refused,
        d.suspended.total(),
        d.other,
        d.restart
    )?;
    let ms = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v} ms"));
    let source = match r.scan_source {
        ScanSource::Amavisd => "amavisd's elapsed time per message",
        ScanSource::PostfixDelays => "Postfix's delays d, no amavisd line read",
        ScanSource::None => "none",
    };
    writeln!(
        out,
        "Scan time ({source}): p50 {}, p90 {}, p99 {}.",
        ms(r.scan_ms.p50),
        ms(r.scan_ms.p90),
        ms(r.scan_ms.p99)
    )?;
    let s = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2} s"));
    writeln!(
        out,
        "Waits at the 95th percentile: in the queue for a connection (delays b) {}, connecting and greeting (delays c) {}.",
        s(r.wait_s.queue_p95),
        s(r.wait_s.connect_p95)
    )?;
    let rate = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}/s"));
    writeln!(
        out,
        "Arrivals: {} on average, {} in the busiest minute.",
        rate(r.arrivals_per_s.mean),
        rate(r.arrivals_per_s.peak_minute)
    )?;
    let busy = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
    writeln!(out, "Busy connections per second: peak {}, p99 {}.", busy(r.busy.peak), busy(r.busy.p99))?;
    if r.abandoned_connections > 0 || r.denied_access > 0 {
        writeln!(
            out,
            "amavisd: {} connections that carried no mail (session-counter gaps: health checks, or clients that gave up), {} DENIED ACCESS.",
            r.abandoned_connections, r.denied_access
        )?;
    }
    writeln!(out)?;
    chart(out, &r.timeline, r.needed, r.period.clock)?;
    writeln!(out)?;
    predictions(out, r)?;
    writeln!(out)?;
    writeln!(out, "Verdict: {}", r.verdict.as_str())?;
    match r.needed {
        Some(n) if r.confidence == Confidence::Enough => writeln!(out, "Needed: {n}")?,
        Some(n) => writeln!(out, "Needed: about {n} (confidence: {})", confidence(r.confidence))?,
        None => writeln!(out, "Needed: no number (confidence: {})", confidence(r.confidence))?,
    }
    writeln!(out, "{}", r.reason)?;
    Ok(())
}

fn confidence(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::Enough => "enough",
        Confidence::NoDeliveries => "no deliveries to replay",
        Confidence::TooFewDeliveries => "too few deliveries",
        Confidence::ReplayDisagrees => "the replay does not explain the logged waits",
    }
}

/// The curve behind the number: the replay's waits per number of children, up to a few past
/// the larger of the number and the current limit.
fn predictions(out: &mut dyn Write, r: &LogReport) -> std::io::Result<()> {
    if r.predictions.is_empty() || r.replay.deliveries == 0 {
        return Ok(());
    }
    let last = r.needed.unwrap_or(2).max(r.current_children.unwrap_or(0)).saturating_add(4);
    let shown: Vec<&Prediction> = r.predictions.iter().filter(|p| p.children <= last).collect();
    let top = shown.iter().filter_map(|p| p.wait_p99_s).fold(r.replay.target_p99_wait_s, f64::max);
    writeln!(
        out,
        "Predicted wait for a child by number of children (the replay of {} deliveries; `#` to the p99 wait, `|` at the {:.0} s target, full width = {top:.1} s):",
        r.replay.deliveries, r.replay.target_p99_wait_s
    )?;
    let column = |value: f64| ((value / top) * CHART_WIDTH as f64).round() as usize;
    let mark = column(r.replay.target_p99_wait_s).min(CHART_WIDTH - 1);
    let s = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"));
    writeln!(out, "  {:>4}  {:<w$}  {:>7} {:>7} {:>7}", "N", "", "p50 s", "p95 s", "p99 s", w = CHART_WIDTH)?;
    for p in shown {
        let filled = if p.overwhelmed { CHART_WIDTH } else { column(p.wait_p99_s.unwrap_or(0.0)).min(CHART_WIDTH) };
        let bar: String = (0..CHART_WIDTH)
            .map(|i| match (i < filled, i == mark) {
                (_, true) => '|',
                (true, false) => '#',
                (false, false) => ' ',
            })
            .collect();
        let mut note = String::new();
        if p.overwhelmed {
            note.push_str("  falls behind for good");
        } else if p.over_greeting_timeout > 0 {
            note.push_str(&format!("  {} over the greeting timeout", p.over_greeting_timeout));
        }
        if Some(p.children) == r.current_children {
            note.push_str("  <- current");
        }
        if Some(p.children) == r.replay.needed {
            note.push_str("  <- needed");
        }
        writeln!(
            out,
            "  {:>4}  {bar}  {:>7} {:>7} {:>7}{note}",
            p.children,
            s(p.wait_p50_s),
            s(p.wait_p95_s),
            s(p.wait_p99_s)
        )?;
    }
    Ok(())
}

/// One row per bucket of the timeline (its size follows the log's span): `#` up to the busiest
/// second's connections in service, `.` on to the replay's demand where it was higher (deliveries
/// that waited), `|` at N.
fn chart(out: &mut dyn Write, timeline: &TimelineReport, needed: Option<u32>, clock: Clock) -> std::io::Result<()> {
    let buckets = &timeline.buckets;
    let top =
        buckets.iter().map(|b| b.busy_peak.max(b.demand_peak)).fold(f64::from(needed.unwrap_or(0)), f64::max).max(1.0);
    let column = |value: f64| ((value / top) * CHART_WIDTH as f64).round() as usize;
    let mark = needed.map(|n| column(f64::from(n)).min(CHART_WIDTH - 1));
    let marks = needed.map_or_else(|| "no N to mark".to_owned(), |n| format!("`|` marks N = {n}"));
    writeln!(
        out,
        "Connections busy per {} ({}): `#` served, `.` the replay's demand beyond it (the busiest second of each); {marks}, full width = {top:.1}:",
        timeline.bucket_name(),
        clock_name(clock)
    )?;
    for bucket in buckets {
        let label = if timeline.bucket_s < 60 {
            bucket.start[11..19].to_owned()
        } else if timeline.bucket_s < 86_400 {
            format!("{} {}", &bucket.start[..10], &bucket.start[11..16])
        } else {
            bucket.start[..10].to_owned()
        };
        let served = column(bucket.busy_peak).min(CHART_WIDTH);
        let asked = column(bucket.demand_peak).min(CHART_WIDTH);
        let bar: String = (0..CHART_WIDTH)
            .map(|i| {
                if Some(i) == mark {
                    '|'
                } else if i < served {
                    '#'
                } else if i < asked {
                    '.'
                } else {
                    ' '
                }
            })
            .collect();
        writeln!(
            out,
            "  {label}  {bar} {:>5.1} {:>5.1}  ({} deliveries)",
            bucket.busy_peak, bucket.demand_peak, bucket.deliveries
        )?;
    }
    Ok(())
}

/// The clock the times are on, as the chart's heading names it.
fn clock_name(clock: Clock) -> &'static str {
    match clock {
        Clock::Utc => "UTC",
        Clock::ServerLocal => "the server's local time",
        Clock::Mixed => "mixed clocks",
    }
}

/// The clock the period is on, and what to do when it is not UTC.
fn clock_note(clock: Clock) -> &'static str {
    match clock {
        Clock::Utc => "UTC",
        Clock::ServerLocal => {
            "the server's local time, as its classic syslog stamps give it; --utc-offset ±HH:MM converts it to UTC"
        }
        Clock::Mixed => {
            "mixed clocks: classic syslog stamps on the server's local time, the others in UTC; give the server's offset with --utc-offset ±HH:MM to read them together"
        }
    }
}
