//! `amavis-tune check` on real-world server trees: status, numbers, sources and exit codes.

use amavis_tune_tests::{Run, fixture_trees, workspace_root};

/// Each fixture tree's expected exit code, status and the two numbers.
const EXPECTED: &[(&str, i32, &str, &str, &str)] = &[
    // (tree, exit code, status, amavis.max_servers, postfix.effective)
    ("ansible-sakaal-centos7-amavisfeed", 0, "match", "12", "12"),
    ("clearos7-content-filter-chain", 1, "mismatch", "10", "5"),
    ("debian-amavisfeed-lmtp", 0, "match", "2", "2"),
    ("debian-default-mismatch", 1, "mismatch", "2", "20"),
    ("debian-expression", 1, "mismatch", "null", "4"),
    ("debian-later-file-wins", 0, "match", "8", "8"),
    ("debian-match", 0, "match", "4", "4"),
    ("docker-mailserver-amavis", 0, "match", "2", "2"),
    ("fedora-amavisd-new-readme-fedora", 1, "mismatch", "2", "20"),
    ("freebsd-mismatch", 1, "mismatch", "3", "10"),
    ("iredmail-debian12-installer", 0, "match", "4", "4"),
    ("iredmail-dockerized-ubuntu", 0, "match", "1", "1"),
    ("iredmail-freebsd-installer", 0, "match", "5", "5"),
    ("iredmail-rocky9-installer", 0, "match", "8", "8"),
    ("ispconfig-debian-amavis", 0, "match", "2", "2"),
    ("kolab-debian-two-filters", 1, "mismatch", "2", "3"),
    ("modoboa-debian-proxy-filter", 1, "mismatch", "2", "200"),
    ("openbsd-reinjection", 1, "match", "4", "4"),
    ("opensuse-tumbleweed", 1, "mismatch", "2", "4"),
    ("platform-carbonio", 0, "match", "10", "10"),
    ("platform-ucs-5", 0, "match", "2", "2"),
    ("platform-zimbra-10", 0, "match", "10", "10"),
    ("readme-postfix-amavisfeed-debian", 0, "match", "2", "2"),
    ("readme-postfix-main-cf-limit-debian", 0, "match", "2", "2"),
    ("rhel-main-cf-limit", 0, "match", "6", "6"),
    ("ubuntu-iredmail", 0, "match", "5", "5"),
    ("zentyal-ubuntu-mailfilter", 0, "match", "2", "2"),
];

fn check_in_fixtures(args: &[&str]) -> amavis_tune_tests::Outcome {
    Run::new(args).current_dir(workspace_root().join("tests/fixtures/trees")).run()
}

pub(crate) fn every_tree_has_an_expectation() {
    let names: Vec<String> =
        fixture_trees().iter().map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned()).collect();
    let expected: Vec<&str> = EXPECTED.iter().map(|e| e.0).collect();
    assert_eq!(names, expected);
}

pub(crate) fn status_numbers_and_exit_codes() {
    for &(tree, code, status, servers, effective) in EXPECTED {
        let outcome = check_in_fixtures(&["check", "--root", tree, "--format", "json"]);
        assert_eq!(outcome.code, code, "{tree}: {}{}", outcome.stdout, outcome.stderr);
        let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
        assert_eq!(json["status"], status, "{tree}");
        assert_eq!(json["amavis"]["max_servers"].to_string(), servers, "{tree}");
        assert_eq!(json["postfix"]["effective"].to_string(), effective, "{tree}");
        assert!(json["postfix"]["maxproc"].is_string(), "{tree}");
        for finding in json["findings"].as_array().expect("findings") {
            assert!(finding["code"].is_string() && finding["message"].is_string(), "{tree}");
            assert!(finding.get("path").is_some() && finding.get("line").is_some(), "{tree}");
        }
    }
}

pub(crate) fn text_snapshots() {
    for &(tree, ..) in EXPECTED {
        let outcome = check_in_fixtures(&["check", "--root", tree]);
        insta::assert_snapshot!(format!("check_{tree}"), outcome.stdout);
    }
}

pub(crate) fn json_snapshots() {
    for &(tree, ..) in EXPECTED {
        let outcome = check_in_fixtures(&["check", "--root", tree, "--format", "json"]);
        let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
        insta::assert_json_snapshot!(format!("check_json_{tree}"), json);
    }
}

/// Sources point at the line that carries the number, in the file amavisd reads last.
pub(crate) fn sources_are_file_and_line() {
    let outcome = check_in_fixtures(&["check", "--root", "debian-later-file-wins", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
    assert_eq!(json["amavis"]["source"], "debian-later-file-wins/etc/amavis/conf.d/61-dms_auto_generated:4");
    let skipped = json["files"]["amavis_skipped"].to_string();
    assert!(skipped.contains("50-user.dpkg-old"), "{skipped}");
    let outcome = check_in_fixtures(&["check", "--root", "debian-amavisfeed-lmtp", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
    // The maxproc field is on a continuation line, after a comment line inside the entry.
    let source = json["postfix"]["source"].as_str().expect("source");
    let line: usize = source.rsplit(':').next().and_then(|l| l.parse().ok()).expect("line");
    let master = std::fs::read_to_string(
        workspace_root().join("tests/fixtures/trees/debian-amavisfeed-lmtp/etc/postfix/master.cf"),
    )
    .expect("reads");
    assert_eq!(master.lines().nth(line - 1).map(str::trim), Some("-       2     lmtp"));
}

pub(crate) fn explicit_paths() {
    let outcome = check_in_fixtures(&[
        "check",
        "--root",
        "/nonexistent-is-fine-when-all-paths-are-given",
        "--master-cf",
        "freebsd-mismatch/usr/local/etc/postfix/master.cf",
        "--main-cf",
        "freebsd-mismatch/usr/local/etc/postfix/main.cf",
        "--amavis-conf",
        "rhel-main-cf-limit/etc/amavisd/amavisd.conf",
        "--amavis-conf",
        "freebsd-mismatch/usr/local/etc/amavisd.conf",
    ]);
    assert_eq!(outcome.code, 2, "{}", outcome.stdout);
    let outcome = check_in_fixtures(&[
        "check",
        "--master-cf",
        "freebsd-mismatch/usr/local/etc/postfix/master.cf",
        "--main-cf",
        "freebsd-mismatch/usr/local/etc/postfix/main.cf",
        "--amavis-conf",
        "rhel-main-cf-limit/etc/amavisd/amavisd.conf",
        "--amavis-conf",
        "freebsd-mismatch/usr/local/etc/amavisd.conf",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
    assert_eq!(json["amavis"]["source"], "freebsd-mismatch/usr/local/etc/amavisd.conf:2");
    assert_eq!(json["postfix"]["effective"], 10);
}

pub(crate) fn check_errors() {
    let missing = check_in_fixtures(&["check", "--root", "no-such-tree"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.starts_with("error: cannot use --root no-such-tree"), "{}", missing.stderr);
    let unknown = check_in_fixtures(&["check", "--root", "debian-match/etc/postfix"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("cannot tell which OS layout") && unknown.stderr.contains("hint: "),
        "{}",
        unknown.stderr
    );
    let wrong_os = check_in_fixtures(&["check", "--root", "debian-match", "--os", "rhel"]);
    assert_eq!(wrong_os.code, 2);
    // Every place the RHEL family's packages have put amavisd.conf is tried and named.
    assert!(
        wrong_os.stderr.contains("no amavisd configuration for rhel under debian-match: tried debian-match/etc/amavisd/amavisd.conf and debian-match/etc/amavisd.conf")
            && wrong_os.stderr.contains("hint: "),
        "{}",
        wrong_os.stderr
    );
    let directory = check_in_fixtures(&["check", "--root", "debian-match", "--master-cf", "debian-match/etc"]);
    assert_eq!(directory.code, 2);
    assert!(directory.stderr.contains("it is a directory"), "{}", directory.stderr);
    let bad_os = check_in_fixtures(&["check", "--os", "windows"]);
    assert_eq!(bad_os.code, 2);
    assert!(bad_os.stderr.contains("invalid operating system `windows`: use auto, debian"), "{}", bad_os.stderr);
}

/// Files that are not UTF-8, have CRLF line ends or NUL bytes are read and reported, never a
/// panic; a FIFO is refused without blocking.
pub(crate) fn odd_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("etc/postfix")).expect("mkdir");
    std::fs::write(root.join("etc/amavisd.conf"), b"# r\xe9glages\n$max_servers = 3;\n1;\n").expect("writes");
    std::fs::write(root.join("etc/postfix/master.cf"), b"smtp-amavis unix - - n - 3 smtp\r\n  -o max_use=20\r\n")
        .expect("writes");
    std::fs::write(
        root.join("etc/postfix/main.cf"),
        b"content_filter = smtp-amavis:[127.0.0.1]:10024\nbad\x00line = 1\n",
    )
    .expect("writes");
    let outcome = Run::new(["check", "--os", "openbsd", "--format", "json", "--root"]).run_with_arg(root);
    assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
    assert_eq!(json["amavis"]["max_servers"], 3);
    assert_eq!(json["postfix"]["effective"], 3);
    let findings = json["findings"].to_string();
    assert!(findings.contains("CRLF") && findings.contains("UTF-8") && findings.contains("NUL"), "{findings}");
    // Each reader diagnostic carries its own code, so a program can tell them apart without the
    // sentence; other findings have no `diagnostic` key.
    let mut codes: Vec<(String, String)> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| {
            Some((f["path"].as_str()?.rsplit('/').next()?.to_owned(), f["diagnostic"].as_str()?.to_owned()))
        })
        .collect();
    codes.sort();
    let expect = [("amavisd.conf", "not-utf8"), ("main.cf", "nul"), ("master.cf", "crlf")];
    assert_eq!(codes, expect.map(|(a, b)| (a.to_owned(), b.to_owned())), "{findings}");
    assert!(
        json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| (f["code"] == "syntax") == f.get("diagnostic").is_some()),
        "{findings}"
    );
    // The NUL byte is an error-level finding: Postfix would not read that line as meant.
    assert_eq!(outcome.code, 1);

    let fifo = root.join("fifo");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(status.success());
    let outcome = Run::new(["check", "--os", "openbsd", "--master-cf"]).current_dir(root).run_with_arg(&fifo);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(outcome.stderr.contains("not a regular file"), "{}", outcome.stderr);
}

/// Issue 27 item 5: Postfix above `$max_servers` first delays mail (the connections wait in
/// amavisd's listen backlog); it defers only after the transport's greeting timeout, and the
/// finding says which timeout and its value on this server. The master.cf entries are the live
/// lab's (`-o smtp_helo_timeout=10s`, tests/src/lab.rs) and README.postfix's `amavisfeed ... lmtp`;
/// Postfix's default for `smtp_helo_timeout` and `lmtp_lhlo_timeout` is 300 s (postconf(5)).
pub(crate) fn greeting_timeout_is_the_server_s() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let dir = scratch.path();
    let amavis = dir.join("50-user");
    std::fs::write(&amavis, "use strict;\n$max_servers = 2;\n1;\n").expect("writes");
    let finding = |master_cf: &str, main_cf: &str| {
        std::fs::write(dir.join("master.cf"), master_cf).expect("writes");
        std::fs::write(dir.join("main.cf"), main_cf).expect("writes");
        let outcome = Run::new(["check", "--format", "json", "--master-cf"])
            .arg(dir.join("master.cf"))
            .arg("--main-cf")
            .arg(dir.join("main.cf"))
            .arg("--amavis-conf")
            .run_with_arg(&amavis);
        assert_eq!(outcome.code, 1, "{}", outcome.stderr);
        let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
        let found =
            json["findings"].as_array().expect("findings").iter().find(|f| f["code"] == "postfix-exceeds-amavis");
        let message = found.and_then(|f| f["message"].as_str()).unwrap_or_default().to_owned();
        assert!(message.contains("wait in its listen backlog for a greeting, so mail is first delayed"), "{message}");
        message
    };
    let smtp = "content_filter = smtp-amavis:[127.0.0.1]:10024\n";
    let lab_entry = "smtp-amavis unix -      -       n       -       4       smtp\n  -o syslog_name=postfix/smtp-amavis\n  -o smtp_helo_timeout=10s\n  -o smtp_data_done_timeout=1200s\n";
    let master_cf = dir.join("master.cf").display().to_string();
    let main_cf = dir.join("main.cf").display().to_string();

    // The entry's own -o wins over main.cf.
    let message = finding(lab_entry, &format!("{smtp}smtp_helo_timeout = 60s\n"));
    assert!(
        message.contains(&format!("Postfix gives up after smtp_helo_timeout (10 s here, set at {master_cf}:3) and defers the mail with \"timed out while receiving the initial server greeting\"")),
        "{message}"
    );
    // main.cf, in Postfix's time units.
    let plain_entry = "smtp-amavis unix -      -       n       -       4       smtp\n";
    let message = finding(plain_entry, &format!("{smtp}smtp_helo_timeout = 2m\n"));
    assert!(message.contains(&format!("smtp_helo_timeout (120 s here, set at {main_cf}:2)")), "{message}");
    // Neither: Postfix's default.
    let message = finding(plain_entry, smtp);
    assert!(message.contains("smtp_helo_timeout (300 s here, Postfix's default)"), "{message}");
    // An lmtp transport waits for the LHLO greeting under its own parameter.
    let lmtp_entry = "amavisfeed unix    -       -       n        -      4     lmtp\n";
    let message = finding(lmtp_entry, "content_filter = amavisfeed:[127.0.0.1]:10024\nsmtp_helo_timeout = 10s\n");
    assert!(message.contains("lmtp_lhlo_timeout (300 s here, Postfix's default)"), "{message}");
}
