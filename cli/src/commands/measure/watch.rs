//! `amavis-tune measure --watch DURATION`: samples amavisd's children and accept queues every
//! `--interval` for DURATION (Ctrl-C or SIGTERM ends it early, and it still reports), with a live
//! line on a terminal, reads `snmp.db` at both ends where it can, and hands the samples to core
//! for the summary and the verdict.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use amavis_tune_core::{Expectation, SnmpFigures, Verdict, Watch, WatchContext, snmp_figures};
use anyhow::Context;

use crate::args::{MeasureArgs, OutputFormat};
use crate::exit_status::ExitStatus;
use crate::host::watch::Probe;
use crate::output::Hinted;
use crate::render::watch::LiveLine;

/// The longest nap between two looks at the stop flag, so Ctrl-C ends the watch at once.
const NAP: Duration = Duration::from_millis(50);

/// How long `--expect`'s number (or more) must hold before the watch begins.
const STEADY: Duration = Duration::from_secs(1);

pub(crate) fn run(args: &MeasureArgs, duration: Duration, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let interval = args.interval;
    if interval > duration {
        return Err(anyhow::Error::new(Hinted {
            message: format!(
                "the interval ({}) is longer than the watch ({})",
                humantime::format_duration(interval),
                humantime::format_duration(duration)
            ),
            hint: "leave out --interval (5 samples a second), or watch longer".to_owned(),
        }));
    }
    let mut probe = Probe::find(&args.sysroot.sysroot)?;
    let stop = stop_on_signals()?;
    let mut live = LiveLine::new(std::io::stderr().is_terminal());

    let expect = args.expect.map(|children| {
        let started = Instant::now();
        let mut steady_since: Option<Instant> = None;
        let (reached, running) = loop {
            let sample = probe.sample();
            let running = sample.children();
            let now = Instant::now();
            // N children (or more) for a second on end: a reload can pass through N on its way,
            // and after one the previous children stay until the sessions Postfix holds open
            // with them end.
            if running >= children {
                if now - *steady_since.get_or_insert(now) >= STEADY {
                    break (true, running);
                }
            } else {
                steady_since = None;
            }
            if stop.load(Ordering::Relaxed) || started.elapsed() >= duration {
                break (false, running);
            }
            live.waiting(children, &sample, started.elapsed());
            nap_until(Instant::now() + interval, &stop);
        };
        Expectation { children, reached, running, waited_s: started.elapsed().as_secs_f64() }
    });

    // With --expect and the children never there, there is nothing to watch: the report says so.
    let watching = expect.is_none_or(|e| e.reached);
    let db_dir = if watching { probe.snmp_db_dir() } else { Err("nothing was watched".to_owned()) };
    let helpers_before = cpu_ticks();
    let snmp_before = db_dir.as_ref().map_err(Clone::clone).and_then(|dir| crate::host::snmp::read(dir));
    let mut watch = Watch::new();
    let started_at = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
    let cpu_before = cpu_ticks();
    let started = Instant::now();
    let mut next = started;
    while watching && !stop.load(Ordering::Relaxed) && started.elapsed() < duration {
        let sample = probe.sample();
        watch.add(&sample);
        live.show(&sample, started.elapsed(), duration);
        next += interval;
        nap_until(next, &stop);
    }
    let elapsed = started.elapsed();
    let cpu_after = cpu_ticks();
    live.clear();
    let snmp = match (snmp_before, &db_dir) {
        (Ok(before), Ok(dir)) => match crate::host::snmp::read(dir) {
            Ok(after) => snmp_figures(
                before.counters,
                after.counters,
                after.at.saturating_duration_since(before.at).as_secs_f64(),
            ),
            Err(why) => SnmpFigures::unread(why),
        },
        (Err(why), _) => SnmpFigures::unread(why),
        (Ok(_), Err(why)) => SnmpFigures::unread(why.clone()),
    };
    let helpers_after = cpu_ticks();
    // Clock ticks (USER_HZ, 100 a second) to milliseconds: the sampling's own, and the agent's.
    let own_ms = cpu_before.zip(cpu_after).map_or(0, |(before, after)| after.0.saturating_sub(before.0) * 10);
    let helper_ms =
        helpers_before.zip(helpers_after).map_or(0, |(before, after)| after.1.saturating_sub(before.1) * 10);
    let report = watch.report(WatchContext {
        started: Some(started_at),
        duration_s: elapsed.as_secs_f64(),
        interval_ms: u64::try_from(interval.as_millis()).unwrap_or(u64::MAX),
        master_pid: probe.master(),
        master_changes: probe.master_changes,
        ports: probe.ports(),
        unix_sockets: probe.unix_sockets(),
        queue_note: probe.queue_note(),
        snmp,
        expect,
        interrupted: stop.load(Ordering::Relaxed),
        own_cpu_ms: own_ms,
        helper_cpu_ms: helper_ms,
    });
    match args.output.format {
        OutputFormat::Json => crate::render::json::write_json(out, &report)?,
        OutputFormat::Text => crate::render::watch::write(out, &report)?,
    }
    // As a verification (--expect): the children expected run, and no connection waits for one.
    let verified = report.expect.is_none_or(|e| e.reached) && report.verdict != Verdict::PostfixExceedsAmavis;
    Ok(if args.expect.is_some() && !verified { ExitStatus::Mismatch } else { ExitStatus::Ok })
}

/// A flag set by Ctrl-C (SIGINT), SIGTERM or SIGHUP, which end the watch early: it still
/// reports what it saw.
fn stop_on_signals() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed)).context("cannot catch Ctrl-C")?;
    Ok(stop)
}

/// Sleeps until `deadline`, in naps short enough to notice the stop flag.
fn nap_until(deadline: Instant, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        std::thread::sleep((deadline - now).min(NAP));
    }
}

/// This process's CPU time and that of the programs it ran and waited for, in clock ticks
/// (USER_HZ, 100 a second on every common architecture).
fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    amavis_tune_core::parse_stat_cpu_ticks(&stat)
}
