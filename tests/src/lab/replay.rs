//! The replay proven on the running daemons: the same arrivals through the lab at several
//! numbers of children (`$max_servers` = maxproc, Postfix's defaults otherwise) and once with the
//! initial destination concurrency raised; `amavis-tune logs` on the logs of the smallest number
//! alone predicts the wait for a child at the others, beside the wait Postfix logged there
//! (`b + c` of `delays=`). The live test asserts the agreement; `lab-replay` prints the whole
//! table.

use std::time::Duration;

use serde::Serialize;

use super::{Lab, Load, PostfixLimit, Results, Settings};
use crate::Run;
use crate::lab_logs::SYSLOG_NAME;

/// How long a run may take to drain.
const DRAIN_DEADLINE: Duration = Duration::from_secs(180);

/// The arrivals a table is made of.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum Arrivals {
    /// `size` messages at once (`smtp-source -s SIZE -m SIZE`), `bursts` times, one burst every
    /// `every_s` seconds.
    Bursts { bursts: u32, size: u32, every_s: u64 },
    /// A steady load: `smtp-source -s SESSIONS -m MESSAGES -w 1`.
    Steady { messages: u32, sessions: u32 },
}

/// The bursts of the lab: 16 messages at once every 10 s, four times, 1 s scans.
pub const BURSTS: Arrivals = Arrivals::Bursts { bursts: 4, size: 16, every_s: 10 };
/// A steady load a little above what 2 children serve: 3 sessions each sending a message a
/// second, 60 in all, 1 s scans (about 2.5 offered a second where 2 children serve 1.8).
pub const STEADY: Arrivals = Arrivals::Steady { messages: 60, sessions: 3 };

impl Arrivals {
    /// Runs these arrivals through a lab with `settings`.
    pub fn through(self, settings: Settings) -> Results {
        let lab = Lab::start(settings.clone());
        let results = match self {
            Arrivals::Bursts { bursts, size, every_s } => {
                lab.run_bursts(bursts, size, Duration::from_secs(every_s), DRAIN_DEADLINE)
            }
            Arrivals::Steady { messages, sessions } => {
                lab.run(Load { messages, sessions, wait_s: Some(1) }, DRAIN_DEADLINE)
            }
        };
        assert!(results.drained, "the queue did not empty: {settings:?} {results:?}");
        results
    }

    /// How the arrivals were offered, in words.
    pub fn describe(self) -> String {
        match self {
            Arrivals::Bursts { bursts, size, every_s } => {
                format!(
                    "{bursts} bursts of {size} messages at once (smtp-source -s {size} -m {size}), {every_s} s apart"
                )
            }
            Arrivals::Steady { messages, sessions } => {
                format!(
                    "{messages} messages over {sessions} sessions, each waiting 1 s after a message (smtp-source -s {sessions} -m {messages} -w 1)"
                )
            }
        }
    }
}

/// Matched at `n`, 1 s scans.
pub fn matched(n: u32) -> Settings {
    Settings { max_servers: n, postfix_limit: PostfixLimit::Maxproc(n), ..Settings::default() }
}

/// The 95th percentile (nearest rank) of `values`; 0 without any.
pub fn p95(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (0.95 * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()).saturating_sub(1)).copied().unwrap_or(0.0)
}

/// `amavis-tune logs --format json` on a run's logs, with its two numbers.
pub fn logs_report(results: &Results, children: u32) -> serde_json::Value {
    let dir = tempfile::tempdir().expect("a directory for the logs");
    let postfix_log = dir.path().join("postfix.log");
    let amavisd_log = dir.path().join("amavisd.log");
    std::fs::write(&postfix_log, &results.postfix_log).expect("writes the log");
    std::fs::write(&amavisd_log, &results.amavisd_log).expect("writes the log");
    let n = children.to_string();
    let outcome = Run::new(["logs", "--format", "json", "--max-servers", &n, "--postfix-limit", &n])
        .arg("--syslog-name")
        .arg(SYSLOG_NAME)
        .arg(&postfix_log)
        .arg(&amavisd_log)
        .run();
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    serde_json::from_str(&outcome.stdout).expect("JSON")
}

/// One row of the table: the replay's p95 at a number beside the wait measured there.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub children: u32,
    /// `matched`, or `initial concurrency N`.
    pub how: String,
    pub predicted_p95_s: f64,
    pub measured_p95_s: f64,
}

impl Row {
    pub fn agrees(&self) -> bool {
        amavis_tune_core::agrees(self.predicted_p95_s, self.measured_p95_s)
    }
}

/// The arrivals through `numbers` children matched (the first, the smallest, is the one whose
/// logs are replayed), and through `lifted` children with the initial concurrency raised to the
/// same; the replay's report on the smallest number's logs and the table.
/// With `keep`, the smallest number's logs are written there (`postfix.log`, `amavisd.log`).
///
/// The replay checks itself on the logs it is given: replayed at their own number, it must give
/// the wait they show, else it says `replay-disagrees` (something it does not model shaped that
/// traffic). Up to `attempts` runs at the smallest number are made until one the replay explains
/// (each run it does not is printed, with what the replay said of it); the predictions are made
/// from that one.
pub fn table(
    arrivals: Arrivals,
    numbers: &[u32],
    lifted: Option<u32>,
    keep: Option<&std::path::Path>,
    attempts: u32,
) -> (serde_json::Value, Vec<Row>) {
    let smallest = numbers.first().copied().expect("at least one number");
    let mut attempt = 1;
    let (first, report) = loop {
        let first = arrivals.through(matched(smallest));
        let report = logs_report(&first, smallest);
        if report["confidence"] != "replay-disagrees" || attempt >= attempts {
            break (first, report);
        }
        println!(
            "live: run {attempt} at {smallest} children not explained by the replay (confidence {}, calibration {}; {} deferred, {} greeting time-outs): run again",
            report["confidence"], report["calibration"], first.deferred, first.greeting_timeouts
        );
        attempt += 1;
    };
    if let Some(dir) = keep {
        std::fs::create_dir_all(dir).expect("creates the directory for the logs");
        std::fs::write(dir.join("postfix.log"), &first.postfix_log).expect("writes the log");
        std::fs::write(dir.join("amavisd.log"), &first.amavisd_log).expect("writes the log");
    }
    let predicted = |key: &str, n: u32| -> f64 {
        report["replay"][key]
            .as_array()
            .and_then(|list| list.iter().find(|p| p["children"] == n))
            .and_then(|p| p["wait_p95_s"].as_f64())
            .unwrap_or_else(|| panic!("no {key} prediction at {n}: {report:#}"))
    };
    let mut rows = vec![Row {
        children: smallest,
        how: "matched".into(),
        predicted_p95_s: predicted("predictions", smallest),
        measured_p95_s: p95(&first.child_waits_s()),
    }];
    for &n in &numbers[1..] {
        let results = arrivals.through(matched(n));
        rows.push(Row {
            children: n,
            how: "matched".into(),
            predicted_p95_s: predicted("predictions", n),
            measured_p95_s: p95(&results.child_waits_s()),
        });
    }
    if let Some(n) = lifted {
        let results = arrivals.through(Settings { initial_concurrency: Some(n), ..matched(n) });
        rows.push(Row {
            children: n,
            how: format!("initial concurrency {n}"),
            predicted_p95_s: predicted("lifted_predictions", n),
            measured_p95_s: p95(&results.child_waits_s()),
        });
    }
    (report, rows)
}
