//! Runs every scenario of the live lab and keeps its logs: per scenario, `postfix.log`,
//! `amavisd.log` and `settings.json` (its settings, load and results) in `DIR/<scenario>/`.
//! Needs root, Postfix and amavisd (README, "The live lab").
//!
//!     cargo run -p amavis-tune-tests --bin lab-capture -- tests/fixtures/lab-logs

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use amavis_tune_tests::lab::scenario::scenarios;
use amavis_tune_tests::needs::Need;
use anyhow::{Context, bail};

fn main() -> ExitCode {
    match capture() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn capture() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let (Some(out), None) = (args.next().map(PathBuf::from), args.next()) else {
        bail!("usage: lab-capture DIR (the directory to write one folder per scenario into)");
    };
    if !amavis_tune_tests::lab::is_root() {
        bail!("the lab starts Postfix and amavisd, which needs root");
    }
    let versions = serde_json::json!({
        "postfix": program_output(Need::Postconf, &["-d", "-h", "mail_version"])?,
        "amavisd": program_output(Need::Amavisd, &["-V"])?,
    });
    let only: Vec<String> =
        std::env::var("LAB_SCENARIOS").map(|s| s.split(',').map(str::to_owned).collect()).unwrap_or_default();
    for scenario in scenarios() {
        if !only.is_empty() && !only.iter().any(|name| name == scenario.name) {
            continue;
        }
        let dir = out.join(scenario.name);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let (lab, results) = scenario.run();
        println!(
            "{:<24} {:>3} injected {:>3} delivered {:>3} deferred {:>3} greeting time-outs {:>6.1} s",
            scenario.name,
            results.injected,
            results.delivered,
            results.deferred,
            results.greeting_timeouts,
            results.wall_time.as_secs_f64()
        );
        let postfix = std::fs::read(lab.postfix_log()).context("reading Postfix's log")?;
        let amavisd = std::fs::read(lab.amavisd_log()).context("reading amavisd's log")?;
        drop(lab);
        std::fs::write(dir.join("postfix.log"), postfix)?;
        std::fs::write(dir.join("amavisd.log"), amavisd)?;
        let settings = serde_json::json!({
            "scenario": scenario.name,
            "description": scenario.description,
            "made_by": "cargo run -p amavis-tune-tests --bin lab-capture -- tests/fixtures/lab-logs",
            "versions": versions,
            "settings": scenario.settings,
            "load": scenario.load,
            "amavisd_stopped": scenario.amavisd_stopped,
            "drain_deadline_s": scenario.drain_deadline.as_secs_f64(),
            "results": results,
        });
        std::fs::write(dir.join("settings.json"), format!("{}\n", serde_json::to_string_pretty(&settings)?))?;
    }
    Ok(())
}

/// The first line a program prints, trimmed.
fn program_output(need: Need, args: &[&str]) -> anyhow::Result<String> {
    let output =
        Command::new(need.path()).args(args).output().with_context(|| format!("running {}", need.describe()))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    Ok(text.lines().next().unwrap_or_default().trim().to_owned())
}
