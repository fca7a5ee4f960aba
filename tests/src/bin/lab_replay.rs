//! The replay's proof in full: the same arrivals through the live lab at several numbers of
//! children and with the initial concurrency raised, the replay of the smallest number's logs
//! (`amavis-tune logs`) beside the waits Postfix logged at each (`b + c`, 95th percentile). Needs
//! root, Postfix and amavisd (tests/bench/run.sh, README "Reading the mail logs").
//!
//!     cargo run -p amavis-tune-tests --bin lab-replay [DIR]
//!
//! With DIR, the logs of the smallest number of each run are kept in `DIR/bursts` and
//! `DIR/steady`.

use std::process::ExitCode;

use amavis_tune_tests::lab::is_root;
use amavis_tune_tests::lab::replay::{self, Arrivals};

fn main() -> ExitCode {
    if !is_root() {
        eprintln!("error: the lab starts Postfix and amavisd, which needs root");
        return ExitCode::from(2);
    }
    println!("  made by: cargo run -p amavis-tune-tests --bin lab-replay");
    let keep = std::env::args_os().nth(1).map(std::path::PathBuf::from);
    let runs: [(&str, Arrivals, &[u32], Option<u32>); 2] =
        [("bursts", replay::BURSTS, &[2, 4, 6, 8, 16], Some(16)), ("steady", replay::STEADY, &[2, 4, 8], None)];
    for (name, arrivals, numbers, lifted) in runs {
        println!("  {} (1 s scans); predicted from the logs of {} children:", arrivals.describe(), numbers[0]);
        let (report, rows) =
            replay::table(arrivals, numbers, lifted, keep.as_ref().map(|dir| dir.join(name)).as_deref(), 1);
        println!("  {:>3} {:<24} {:>13} {:>12} {:>7}", "N", "", "predicted p95", "measured p95", "agrees");
        for row in &rows {
            println!(
                "  {:>3} {:<24} {:>11.2} s {:>10.2} s {:>7}",
                row.children,
                row.how,
                row.predicted_p95_s,
                row.measured_p95_s,
                if row.agrees() { "yes" } else { "no" }
            );
        }
        println!(
            "  the replay's number from those logs: {} (confidence {}); {}",
            report["needed"],
            report["confidence"],
            report["sizing_reason"].as_str().unwrap_or_default()
        );
        println!();
    }
    println!("  (agrees: within 25% or 1 s, amavis_tune_core::agrees)");
    ExitCode::SUCCESS
}
