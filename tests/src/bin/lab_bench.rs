//! The live lab's benchmark: for a fixed scan time and a fixed offered load, delivered messages
//! per second and the p95 delivery delay as N (`$max_servers` = maxproc) goes 1, 2, 4, 8, 16,
//! beside the N that Little's law gives for the load measured. Needs root, Postfix and amavisd
//! (tests/bench/run.sh, README "The live lab").
//!
//!     cargo run -p amavis-tune-tests --bin lab-bench

use std::process::ExitCode;
use std::time::Duration;

use amavis_tune_core::children_for_load;
use amavis_tune_tests::lab::{Lab, Load, PostfixLimit, Settings, is_root};

/// Each message's scan.
const SCAN_TIME: Duration = Duration::from_millis(500);
/// About 4 messages a second for 10 s: 4 sessions, each sending one message a second.
const LOAD: Load = Load { messages: 40, sessions: 4, wait_s: Some(1) };
const DRAIN_DEADLINE: Duration = Duration::from_secs(180);
const CONCURRENCIES: [u32; 5] = [1, 2, 4, 8, 16];

fn main() -> ExitCode {
    if !is_root() {
        eprintln!("error: the lab starts Postfix and amavisd, which needs root");
        return ExitCode::from(2);
    }
    println!("  made by: cargo run -p amavis-tune-tests --bin lab-bench");
    println!(
        "  scan time {} ms; load: smtp-source -s {} -m {} -w {} (each session sends a message, then waits 1 s)",
        SCAN_TIME.as_millis(),
        LOAD.sessions,
        LOAD.messages,
        LOAD.wait_s.unwrap_or(0)
    );
    println!(
        "  {:>3} {:>11} {:>12} {:>12} {:>9} {:>8} {:>11}",
        "N", "arrivals/s", "delivered/s", "p95 delay s", "deferred", "wall s", "Little's N"
    );
    for n in CONCURRENCIES {
        // A child retires after `$max_requests` messages; with N = 1 amavisd serves in its
        // parent, which would then exit, so none retires during a run.
        let settings = Settings {
            max_servers: n,
            postfix_limit: PostfixLimit::Maxproc(n),
            scan_time: SCAN_TIME,
            max_requests: 1000,
            ..Settings::default()
        };
        let lab = Lab::start(settings);
        let results = lab.run(LOAD, DRAIN_DEADLINE);
        drop(lab);
        let p95 = results.delay_quantile(0.95).map_or_else(|| "-".to_owned(), |d| format!("{d:.2}"));
        println!(
            "  {:>3} {:>11.2} {:>12.2} {:>12} {:>9} {:>8.1} {:>11}{}",
            n,
            results.arrival_rate(),
            results.throughput(),
            p95,
            results.deferred,
            results.wall_time.as_secs_f64(),
            children_for_load(results.arrival_rate(), SCAN_TIME.as_secs_f64()),
            if results.drained { "" } else { "  (queue not empty at the deadline)" }
        );
    }
    println!(
        "  (Little's N: amavis_tune_core::children_for_load, as amavis-tune logs sizes: measured arrivals/s x scan time / 0.7, rounded up; p95 delay: Postfix's delay= of the delivery to amavisd plus that of the final delivery)"
    );
    ExitCode::SUCCESS
}
