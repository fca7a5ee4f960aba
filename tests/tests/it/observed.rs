//! Plans and checks from the server's own mail: `plan --logs`, a plain `plan` on a server with
//! mail logs, and `check` naming what the logs show. The logs are the live lab's (real Postfix and
//! amavisd, `tests/fixtures/lab-logs`); the figures to agree with are `amavis-tune logs`'s on the
//! same files, whose counts `logs::lab_scenarios_give_their_verdicts` checks against the lab's.

use std::path::{Path, PathBuf};

use amavis_tune_tests::lab_logs::{KeptLogs, SYSLOG_NAME};
use amavis_tune_tests::{Run, copy_tree, workspace_root};
use serde_json::Value;

fn lab(scenario: &str) -> [PathBuf; 2] {
    KeptLogs::named(scenario).files()
}

fn json_of(args: &[&str], files: &[PathBuf]) -> (i32, Value, String) {
    let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    all.extend(files.iter().map(|f| f.display().to_string()));
    let outcome = Run::new(&all).run();
    let json = serde_json::from_str(&outcome.stdout).unwrap_or(Value::Null);
    (outcome.code, json, outcome.stderr)
}

/// `plan --logs`: the logs' number (what `amavis-tune logs` gives for the same files) sizes the
/// plan, the same number `logs` gives with the same RAM and CPUs; where nothing got through, the
/// judgement stands and says why.
pub(crate) fn plan_sizes_by_the_logs() {
    for scenario in ["idle", "right-sized", "saturated", "postfix-exceeds-amavis", "amavisd-unreachable"] {
        let files = lab(scenario);
        let (code, logs, stderr) =
            json_of(&["logs", "--format", "json", "--syslog-name", SYSLOG_NAME, "--ram", "8G", "--cpus", "4"], &files);
        assert_eq!(code, 0, "{scenario}: {stderr}");
        let plain = json_of(&["plan", "--ram", "8G", "--cpus", "4", "--os", "debian", "--format", "json"], &[]).1;
        let mut args = vec!["plan", "--ram", "8G", "--cpus", "4", "--os", "debian", "--format", "json"];
        args.extend(["--syslog-name", SYSLOG_NAME, "--logs"]);
        let (code, plan, stderr) = json_of(&args, &files);
        assert_eq!(code, 0, "{scenario}: {stderr}");
        let observed = &plan["observed_load"];
        assert_eq!(observed["verdict"], logs["verdict"], "{scenario}");
        assert_eq!(observed["needed_for_load"], logs["needed_for_load"], "{scenario}");
        assert_eq!(plan["sources"]["logs"]["automatic"], false, "{scenario}");
        let files_read = plan["sources"]["logs"]["files"].as_array().map_or(0, Vec::len);
        assert_eq!(files_read, 2, "{scenario}");
        let judged = plain["max_servers"].as_u64().expect("a number");
        let n = plan["max_servers"].as_u64().expect("a number");
        let reason = plan["reason"].as_str().expect("a reason");
        // One number everywhere: the plan's N is the logs' own, read with the same RAM and CPUs.
        assert_eq!(observed["needed"], logs["needed"], "{scenario}");
        assert_eq!(observed["confidence"], logs["confidence"], "{scenario}");
        match logs["needed"].as_u64() {
            // The replay rebuilds the demand, whether the traffic then waited or not.
            Some(needed) => {
                assert_eq!(n, needed, "{scenario}");
                let by = plan["decided_by"].as_str().unwrap_or_default();
                assert!(["observed-load", "memory", "cpu"].contains(&by), "{scenario}: {by}");
                assert!(reason.contains("mail logs"), "{scenario}: {reason}");
            }
            // Nothing got through: the judgement stands and says why.
            None => {
                assert_eq!(n, judged, "{scenario}");
                assert!(reason.contains("give no number"), "{scenario}: {reason}");
            }
        }
    }
    // Asked-for numbers win; the reason still says what the logs give.
    let mut args = vec!["plan", "--ram", "8G", "--os", "debian", "--concurrency", "7", "--format", "json"];
    args.extend(["--syslog-name", SYSLOG_NAME, "--logs"]);
    let (_, plan, _) = json_of(&args, &lab("idle"));
    assert_eq!((plan["max_servers"].as_u64(), plan["decided_by"].as_str()), (Some(7), Some("requested")));
    assert!(plan["reason"].as_str().is_some_and(|r| r.contains("The mail logs (idle) give")), "{plan}");
    // Logs named with --logs that hold no delivery to amavisd: exit 2, what was looked for.
    let empty = tempfile::NamedTempFile::new().expect("a file");
    let (code, error, _) = json_of(&["plan", "--ram", "8G", "--format", "json", "--logs"], &[empty.path().to_owned()]);
    assert_eq!(code, 2);
    assert!(error["error"]["message"].as_str().is_some_and(|m| m.starts_with("no delivery to amavisd in")), "{error}");
    // A link is another machine's plan.
    let outcome = Run::new(["plan", "--from-url", "https://x.invalid/?v=2&ram=8G", "--logs", "a.log"]).run();
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
}

/// A server's mail log and a rotation under `root` (`var/log/mail.log`, `mail.log.1`).
fn with_logs(root: &Path, scenario: &str) {
    let [postfix, amavisd] = lab(scenario);
    std::fs::create_dir_all(root.join("var/log")).expect("creates var/log");
    std::fs::copy(postfix, root.join("var/log/mail.log")).expect("copies");
    std::fs::copy(amavisd, root.join("var/log/mail.log.1")).expect("copies");
}

/// A plain `plan` on a mail server reads its log files by itself and says so; `--no-logs` leaves
/// them; a log with no delivery to amavisd is noted and the plan is the usual one.
pub(crate) fn plain_plan_reads_the_server_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sysroot = dir.path().join("sysroot");
    copy_tree(&workspace_root().join("tests/fixtures/sysroot/no-limit"), &sysroot);
    with_logs(&sysroot, "idle");
    let run = |extra: &[&str]| {
        let mut args = vec!["plan", "--os", "debian", "--format", "json", "--syslog-name", SYSLOG_NAME];
        args.extend_from_slice(extra);
        args.push("--sysroot");
        let outcome = Run::new(args).run_with_arg(&sysroot);
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        serde_json::from_str::<Value>(&outcome.stdout).expect("valid JSON")
    };
    let plan = run(&[]);
    assert_eq!(plan["sources"]["logs"]["automatic"], true, "{plan}");
    assert_eq!(plan["sources"]["logs"]["not_used"], Value::Null);
    let files: Vec<&str> =
        plan["sources"]["logs"]["files"].as_array().expect("files").iter().filter_map(Value::as_str).collect();
    assert!(files.len() == 2 && files.iter().all(|f| f.contains("/var/log/mail.log")), "{files:?}");
    assert_eq!(plan["observed_load"]["verdict"], "idle");
    assert_eq!(plan["decided_by"], "observed-load");
    let text = Run::new(["plan", "--os", "debian", "--syslog-name", SYSLOG_NAME, "--sysroot"]).run_with_arg(&sysroot);
    assert!(text.stdout.contains("(the server's own, read by themselves; --no-logs leaves them)"), "{}", text.stdout);
    let without = run(&["--no-logs"]);
    assert!(without.get("observed_load").is_none() && without["sources"]["logs"].is_null(), "{without}");
    // Another number asked for, or another machine's RAM: the logs are not read.
    assert!(run(&["--ram", "8G"])["sources"]["logs"].is_null());

    // No delivery to amavisd in the server's log: noted, and the usual plan.
    std::fs::write(sysroot.join("var/log/mail.log"), "Dec  2 07:00:00 mx postfix/qmgr[1]: 4F3A1: removed\n")
        .expect("writes");
    std::fs::remove_file(sysroot.join("var/log/mail.log.1")).expect("removes");
    let plan = run(&[]);
    assert_eq!(plan["sources"]["logs"]["not_used"], "no delivery to amavisd in them", "{plan}");
    assert!(plan.get("observed_load").is_none());
    assert_ne!(plan["decided_by"], "observed-load");
}

/// `check` names what the server's logs show (read by themselves under --root, or with --logs):
/// an error where Postfix opened more connections than amavisd had children, a note where the
/// traffic flowed; `--no-logs` leaves them, and files named with --logs that hold nothing are an
/// error.
pub(crate) fn check_names_what_the_logs_show() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("tree");
    copy_tree(&workspace_root().join("tests/fixtures/trees/debian-match"), &root);
    with_logs(&root, "postfix-exceeds-amavis");
    let run = |extra: &[&str]| {
        let mut args = vec!["check", "--format", "json", "--syslog-name", SYSLOG_NAME];
        args.extend_from_slice(extra);
        args.push("--root");
        let outcome = Run::new(args).run_with_arg(&root);
        (outcome.code, serde_json::from_str::<Value>(&outcome.stdout).expect("valid JSON"))
    };
    let (code, report) = run(&[]);
    assert_eq!(code, 1, "mail was deferred: {report}");
    assert_eq!(report["status"], "match", "the files agree");
    let finding = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == "observed-load")
        .cloned()
        .expect("an observed-load finding");
    assert_eq!(finding["severity"], "error");
    let message = finding["message"].as_str().expect("a message");
    assert!(message.starts_with("the mail logs say postfix-exceeds-amavis: "), "{message}");
    assert!(message.contains("The files agree now"), "{message}");
    assert_eq!(report["logs"]["automatic"], true);
    let text = Run::new(["check", "--syslog-name", SYSLOG_NAME, "--root"]).run_with_arg(&root);
    assert!(
        !text.stdout.contains("amavis-tune apply"),
        "the logs are no reason to change matching files: {}",
        text.stdout
    );

    let (code, report) = run(&["--no-logs"]);
    assert_eq!(code, 0, "{report}");
    assert!(report.get("logs").is_none() && !report.to_string().contains("observed-load"), "{report}");

    let [postfix, amavisd] = lab("right-sized");
    let (code, report, _) = json_of(
        &["check", "--format", "json", "--syslog-name", SYSLOG_NAME, "--root", &root.display().to_string(), "--logs"],
        &[postfix, amavisd],
    );
    assert_eq!(code, 0, "{report}");
    let finding =
        report["findings"].as_array().expect("findings").iter().find(|f| f["code"] == "observed-load").cloned();
    assert_eq!(finding.map(|f| f["severity"].clone()), Some(Value::from("info")), "{report}");
    assert_eq!(report["logs"]["automatic"], false);

    // `--logs` alone on a tree reads the tree's logs, never this machine's journal.
    let bare = workspace_root().join("tests/fixtures/trees/debian-match");
    let (code, error, _) = json_of(&["check", "--format", "json", "--logs", "--root"], &[bare]);
    assert_eq!(code, 2, "{error}");
    assert!(error["error"]["message"].as_str().is_some_and(|m| m.starts_with("no mail log under ")), "{error}");

    let empty = tempfile::NamedTempFile::new().expect("a file");
    let (code, error, _) = json_of(
        &["check", "--format", "json", "--root", &root.display().to_string(), "--logs"],
        &[empty.path().to_owned()],
    );
    assert_eq!(code, 2, "{error}");
    assert!(error["error"]["message"].as_str().is_some_and(|m| m.starts_with("no delivery to amavisd in")), "{error}");
}

/// A plain `plan` on a server with no mail log file (Debian 12 logs to the journal only) reads
/// the journal by itself, for the last 7 days. The journal here is a stand-in `journalctl` on
/// the PATH that records its arguments and prints twelve deliveries to amavisd as
/// `journalctl -o json` prints them.
pub(crate) fn plain_plan_reads_the_journal_without_a_log_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs();
    let mut entries = String::new();
    for i in 0..12u64 {
        let entry = serde_json::json!({
            "__REALTIME_TIMESTAMP": ((now - 3600 + i * 10) * 1_000_000).to_string(),
            "_HOSTNAME": "mx.example.org", "SYSLOG_IDENTIFIER": SYSLOG_NAME, "_PID": "77", "SYSLOG_FACILITY": "2",
            "MESSAGE": format!("Q{i}: to=<u{i}@x.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0.01/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok)"),
        });
        entries.push_str(&format!("{entry}\n"));
    }
    std::fs::write(dir.path().join("entries.json"), entries).expect("writes");
    let fake = dir.path().join("journalctl");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{0}/args'\ncat '{0}/entries.json'\n", dir.path().display()),
    )
    .expect("writes the stand-in");
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    let path = format!("{}:{}", dir.path().display(), std::env::var("PATH").unwrap_or_default());
    let outcome =
        Run::new(["plan", "--os", "debian", "--format", "json", "--syslog-name", SYSLOG_NAME]).env("PATH", &path).run();
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let plan: Value = serde_json::from_str(&outcome.stdout).expect("JSON");
    let log_files: Vec<&str> =
        ["/var/log/mail.log", "/var/log/maillog"].into_iter().filter(|f| Path::new(f).exists()).collect();
    let read: Vec<&str> =
        plan["sources"]["logs"]["files"].as_array().expect("files").iter().filter_map(Value::as_str).collect();
    assert_eq!(plan["sources"]["logs"]["automatic"], true, "{plan}");
    if !log_files.is_empty() {
        // This machine has a mail log file: it is read, not the journal.
        assert!(read.iter().all(|f| log_files.iter().any(|l| f.starts_with(l))), "{read:?}");
        return;
    }
    assert_eq!(read, ["the journal (journalctl)"], "{plan}");
    assert_eq!(plan["observed_load"]["verdict"], "idle", "{plan}");
    assert_eq!(plan["observed_load"]["needed"], 2, "{plan}");
    // Bounded to the last 7 days: journalctl was asked for the mail facility since a week ago.
    let args = std::fs::read_to_string(dir.path().join("args")).expect("the stand-in ran");
    let week_ago = std::process::Command::new("date").args(["-u", "-d", "7 days ago", "+%F"]).output().expect("date");
    let week_ago = String::from_utf8_lossy(&week_ago.stdout).trim().to_owned();
    assert!(args.lines().any(|a| a.starts_with(&format!("--since={week_ago} "))), "{args}");
    assert!(args.lines().any(|a| a == "SYSLOG_FACILITY=2"), "{args}");
}
