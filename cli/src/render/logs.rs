//! The text form of a log analysis: the figures, a plain-text chart of busy connections per
//! hour against the number needed, and the verdict with its reasoning.

use std::io::Write;

use amavis_tune_core::{Clock, Hour, LogReport, ScanSource};

/// Columns of the chart's bars.
const CHART_WIDTH: usize = 40;

/// More hours than this (a week) are charted per day.
const MAX_HOUR_ROWS: usize = 168;

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
        "Deliveries to amavisd: {} sent, {} bounced; {} messages deferred ({} lines: greeting-timeout {}, greeting-lost {}, refused {}, other {}).",
        r.sent,
        r.bounced,
        r.deferred_messages,
        d.total(),
        d.greeting_timeout,
        d.greeting_lost,
        d.refused,
        d.other
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
            "amavisd: {} abandoned connections (session-counter gaps), {} DENIED ACCESS.",
            r.abandoned_connections, r.denied_access
        )?;
    }
    writeln!(out)?;
    chart(out, &r.hours, r.needed, r.period.clock)?;
    writeln!(out)?;
    writeln!(out, "Verdict: {}", r.verdict.as_str())?;
    writeln!(out, "Needed: {}", r.needed)?;
    writeln!(out, "{}", r.reason)?;
    Ok(())
}

/// One row per hour (per day past a week): `#` up to the busiest second's busy connections,
/// `|` at N.
fn chart(out: &mut dyn Write, hours: &[Hour], needed: u32, clock: Clock) -> std::io::Result<()> {
    let per_day = hours.len() > MAX_HOUR_ROWS;
    let mut rows: Vec<(String, f64, u64)> = Vec::new();
    for hour in hours {
        let label = if per_day {
            hour.start[..10].to_owned()
        } else {
            format!("{} {}", &hour.start[..10], &hour.start[11..16])
        };
        match rows.last_mut() {
            Some((last, peak, deliveries)) if *last == label => {
                *peak = peak.max(hour.busy_peak);
                *deliveries += hour.deliveries;
            }
            _ => rows.push((label, hour.busy_peak, hour.deliveries)),
        }
    }
    let top = rows.iter().map(|(_, peak, _)| *peak).fold(f64::from(needed), f64::max).max(1.0);
    let column = |value: f64| ((value / top) * CHART_WIDTH as f64).round() as usize;
    let mark = column(f64::from(needed)).min(CHART_WIDTH - 1);
    writeln!(
        out,
        "Busy connections per {} ({}) (the busiest second; `|` marks N = {needed}, full width = {top:.1}):",
        if per_day { "day" } else { "hour" },
        clock_name(clock)
    )?;
    for (label, peak, deliveries) in rows {
        let filled = column(peak).min(CHART_WIDTH);
        let bar: String = (0..CHART_WIDTH)
            .map(|i| match (i < filled, i == mark) {
                (_, true) => '|',
                (true, false) => '#',
                (false, false) => ' ',
            })
            .collect();
        writeln!(out, "  {label}  {bar} {peak:>5.1}  ({deliveries} deliveries)")?;
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
