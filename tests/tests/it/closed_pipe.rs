//! A closed stdout pipe (`amavis-tune plan | head`, `... | grep -q`) is not an error: every
//! subcommand and format that writes to stdout exits 0 and prints no `error:` when the reader has
//! gone before it writes a byte. It ends the output, never the work: `apply` still writes, and
//! exits with the code the work earned.

use std::path::Path;

use amavis_tune_tests::{Run, copy_tree, snapshot_tree, workspace_root};

use crate::measure::fake_process;

/// Runs `args` (then `path`, when given) into a closed pipe and asserts a quiet exit 0.
#[track_caller]
fn check(args: &[&str], path: Option<&Path>) {
    let run = Run::new(args);
    let outcome = match path {
        Some(path) => run.run_with_arg(path),
        None => run.run(),
    };
    assert_eq!(outcome.code, 0, "{args:?} {path:?} fails when stdout is open: {}", outcome.stderr);
    let mut run = Run::new(args);
    if let Some(path) = path {
        run = run.arg(path);
    }
    let outcome = run.run_into_closed_pipe();
    assert_eq!(outcome.code, 0, "{args:?} {path:?} into a closed pipe: exit {}: {}", outcome.code, outcome.stderr);
    assert!(
        !outcome.stderr.contains("error:") && !outcome.stderr.contains("panicked"),
        "{args:?} {path:?} into a closed pipe: {}",
        outcome.stderr
    );
}

pub(crate) fn every_output_exits_0() {
    let trees = workspace_root().join("tests/fixtures/trees");
    let scratch = tempfile::tempdir().expect("tempdir");

    for format in ["text", "json"] {
        check(&["plan", "--ram", "8G", "--os", "debian", "--format", format], None);
        check(&["check", "--format", format, "--root"], Some(&trees.join("debian-match")));
    }
    check(&["plan", "--ram", "8G", "--os", "rhel", "--permalink"], None);

    // apply --dry-run on a copy (debian-default-mismatch gets a diff on both sides).
    let copy = scratch.path().join("apply");
    copy_tree(&trees.join("debian-default-mismatch"), &copy);
    for format in ["text", "json"] {
        check(&["apply", "--concurrency", "6", "--dry-run", "--format", format, "--root"], Some(&copy));
    }

    // restore: the listing, and a dry run, after an apply made a backup.
    let applied = Run::new(["apply", "--concurrency", "6", "--root"]).run_with_arg(&copy);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    check(&["restore", "--root"], Some(&copy));
    let backup = std::fs::read_dir(copy.join("etc/postfix"))
        .expect("lists etc/postfix")
        .map(|entry| entry.expect("entry").path())
        .find(|path| path.to_string_lossy().ends_with(".bak"))
        .expect("apply made a backup of master.cf");
    let restore = ["restore", "--dry-run", "--root", &copy.to_string_lossy(), "--backup"].map(str::to_owned);
    check(&restore.iter().map(String::as_str).collect::<Vec<_>>(), Some(&backup));

    // measure on a /proc tree with an amavisd parent, its children and clamd.
    let sysroot = scratch.path().join("sysroot");
    let proc_dir = sysroot.join("proc");
    fake_process(&proc_dir, 700, 1, "amavisd (master)", 131_072);
    for (pid, pss) in [(701, 61_440), (702, 71_680)] {
        fake_process(&proc_dir, pid, 700, &format!("amavisd (ch{}-avail)", pid - 700), pss);
    }
    fake_process(&proc_dir, 800, 1, "/usr/sbin/clamd --foreground=true", 1_572_864);
    std::fs::create_dir_all(proc_dir.join("self")).expect("mkdir");
    std::fs::write(proc_dir.join("meminfo"), "MemTotal:        8388608 kB\n").expect("writes");
    for format in ["text", "json"] {
        check(&["measure", "--format", format, "--sysroot"], Some(&sysroot));
        check(&["measure", "--watch", "1s", "--format", format, "--sysroot"], Some(&sysroot));
    }

    // logs, on one delivery to amavisd.
    let log = scratch.path().join("mail.log");
    std::fs::write(&log, "Dec  2 07:00:01 mx postfix/smtp[1]: Q1: to=<a@x.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n")
        .expect("writes");
    for format in ["text", "json"] {
        check(&["logs", "--ram", "8G", "--log-date", "2026-12-02", "--format", format], Some(&log));
    }

    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        check(&["completions", shell], None);
    }
    check(&["man"], None);
    check(&["--help"], None);
    check(&["plan", "--help"], None);
    check(&["--version"], None);
}

/// Issue 26 item 7 (a closed pipe may end the output, never the work): `apply` into a closed
/// pipe still writes the files and exits with the code the work earned, and a real failure
/// after the output has ended is still exit 2 with the error on stderr.
pub(crate) fn apply_finishes_its_work() {
    let trees = workspace_root().join("tests/fixtures/trees");
    let scratch = tempfile::tempdir().expect("tempdir");
    let copy = scratch.path().join("apply");
    copy_tree(&trees.join("debian-default-mismatch"), &copy);
    let user = copy.join("etc/amavis/conf.d/50-user");
    let master = copy.join("etc/postfix/master.cf");

    let outcome = Run::new(["apply", "--concurrency", "6", "--ram", "8G", "--root"]).arg(&copy).run_into_closed_pipe();
    assert_eq!(outcome.code, 0, "apply into a closed pipe: {}", outcome.stderr);
    assert_eq!(outcome.stderr, "", "a closed pipe alone is not an error");
    // Read back what amavisd and Postfix will read: `$max_servers` and the transport's maxproc.
    let user_text = std::fs::read_to_string(&user).expect("reads 50-user");
    assert!(user_text.lines().any(|line| line == "$max_servers = 6;"), "50-user was written:\n{user_text}");
    let master_text = std::fs::read_to_string(&master).expect("reads master.cf");
    let transport = master_text.lines().find(|line| line.starts_with("smtp-amavis ")).expect("the amavis transport");
    assert_eq!(transport.split_whitespace().nth(6), Some("6"), "master.cf's maxproc was written: {transport}");
    let backups = std::fs::read_dir(copy.join("etc/postfix"))
        .expect("lists etc/postfix")
        .filter(|entry| entry.as_ref().expect("entry").file_name().to_string_lossy().ends_with(".bak"))
        .count();
    assert_eq!(backups, 1, "the backup of master.cf was made");

    // A failure injected at the rename, after the diff went into the closed pipe: exit 2, the
    // error on stderr, the files as they were.
    let before = snapshot_tree(&copy);
    let failed = Run::new(["apply", "--concurrency", "4", "--ram", "8G", "--root"])
        .arg(&copy)
        .env("AMAVIS_TUNE_FAILPOINT", "rename")
        .run_into_closed_pipe();
    assert_eq!(failed.code, 2, "a failed apply into a closed pipe: {}", failed.stderr);
    assert!(failed.stderr.starts_with("error: "), "{}", failed.stderr);
    for (path, bytes) in &before {
        assert_eq!(snapshot_tree(&copy).get(path), Some(bytes), "{} is intact", path.display());
    }

    // --restart refuses a tree other than /, before anything is written: an error, not a
    // quiet 0.
    let restart = Run::new(["apply", "--concurrency", "5", "--ram", "8G", "--restart", "--root"])
        .arg(&copy)
        .run_into_closed_pipe();
    assert_eq!(restart.code, 2, "apply --restart into a closed pipe: {}", restart.stderr);
    assert!(
        restart.stderr.starts_with("error: --restart runs commands on this machine, but --root"),
        "{}",
        restart.stderr
    );
}
