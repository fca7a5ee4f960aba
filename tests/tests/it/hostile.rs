//! The catalogue of hostile and broken input, through the CLI as a process: each case gets a
//! clear error or a correct answer, the documented exit code, in bounded time and memory, never
//! a panic; and `apply` either finishes the job or leaves every file byte for byte as it was.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use amavis_tune_tests::{Outcome, Run, copy_tree, snapshot_tree, workspace_root};

/// What a case may do.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Exit with this code; the text must appear on stdout (codes 0 and 1) or stderr (code 2).
    Exit(i32, &'static str),
}

/// What a case does to a fresh tree before the runs.
type Setup = Box<dyn Fn(&Path)>;

/// A copy of the debian-match fixture (master.cf maxproc 4, `$max_servers = 4`) under `parent`.
fn tree_in(parent: &Path, name: &str) -> PathBuf {
    let root = parent.join(name);
    copy_tree(&workspace_root().join("tests/fixtures/trees/debian-match"), &root);
    root
}

const MASTER_CF: &str = "etc/postfix/master.cf";
const MAIN_CF: &str = "etc/postfix/main.cf";
const USER_CONF: &str = "etc/amavis/conf.d/50-user";

fn append(root: &Path, file: &str, bytes: &[u8]) {
    let path = root.join(file);
    let mut all = std::fs::read(&path).expect("reads");
    all.extend_from_slice(bytes);
    std::fs::write(&path, all).expect("writes");
}

fn replace_file(root: &Path, file: &str, bytes: &[u8]) {
    std::fs::write(root.join(file), bytes).expect("writes");
}

/// Deterministic pseudo-random bytes (a linear congruential generator).
fn garbage(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect()
}

/// The invariants of every run, whatever the input.
#[track_caller]
fn sane(case: &str, outcome: &Outcome) {
    assert!(!outcome.stderr.contains("panicked"), "{case}: a panic: {}", outcome.stderr);
    assert!(matches!(outcome.code, 0..=2), "{case}: exit {} (a crash?): {}", outcome.code, outcome.stderr);
    if outcome.code == 2 {
        assert!(outcome.stderr.starts_with("error: "), "{case}: {}", outcome.stderr);
    }
}

#[track_caller]
fn expect(case: &str, outcome: &Outcome, expect: Expect) {
    sane(case, outcome);
    let Expect::Exit(code, text) = expect;
    assert_eq!(outcome.code, code, "{case}: stdout {} stderr {}", outcome.stdout, outcome.stderr);
    let stream = if code == 2 { &outcome.stderr } else { &outcome.stdout };
    assert!(stream.contains(text), "{case}: expected {text:?} in:\n{stream}");
}

/// `check`, then `apply --concurrency 9` on the tree: apply either succeeds, after which `check`
/// finds both sides at 9, or fails, after which every file is byte for byte what it was.
fn check_and_apply(case: &str, root: &Path, check: Expect, memory_mib: u64) {
    let run = |args: &[&str]| {
        Run::with_memory_limit(memory_mib, args.iter().copied().chain(["--root"]))
            .deadline(Duration::from_secs(300))
            .run_with_arg(root)
    };
    let checked = run(&["check"]);
    expect(&format!("{case} (check)"), &checked, check);
    let before = snapshot_tree(root);
    let applied = run(&["apply", "--concurrency", "9", "--ram", "64G"]);
    sane(&format!("{case} (apply)"), &applied);
    if applied.code == 0 {
        let after = run(&["check", "--format", "json"]);
        let report: serde_json::Value = serde_json::from_str(&after.stdout).expect("valid JSON");
        assert_eq!(report["amavis"]["max_servers"], 9, "{case}: {}", after.stdout);
        assert_eq!(report["status"], "match", "{case}: {}", after.stdout);
    } else {
        assert_eq!(applied.code, 2, "{case}: apply exits 0 or 2: {}", applied.stderr);
        assert!(snapshot_tree(root) == before, "{case}: a refused apply changed a file");
    }
}

/// Broken bytes in the files: each still gets an answer, and apply keeps what it does not own.
pub(crate) fn broken_bytes() {
    let cases: Vec<(&str, Setup, Expect)> = vec![
        (
            "binary garbage as master.cf",
            Box::new(|root: &Path| replace_file(root, MASTER_CF, &garbage(64 * 1024, 7))),
            Expect::Exit(1, "status: mismatch"),
        ),
        (
            "binary garbage as 50-user",
            Box::new(|root: &Path| replace_file(root, USER_CONF, &garbage(64 * 1024, 11))),
            Expect::Exit(1, "status: mismatch"),
        ),
        (
            "NUL bytes in main.cf",
            Box::new(|root: &Path| append(root, MAIN_CF, b"bogus\0 = 1\nsmtpd_banner = a\0b\n")),
            Expect::Exit(1, "NUL byte(s) on 2 line(s), first here: this is not a text configuration file"),
        ),
        (
            "invalid UTF-8 in every file",
            Box::new(|root: &Path| {
                for file in [MASTER_CF, MAIN_CF, USER_CONF] {
                    let original = std::fs::read(root.join(file)).expect("reads");
                    replace_file(root, file, &[b"# caf\xe9 \xff\xfe\n".as_slice(), &original].concat());
                }
            }),
            Expect::Exit(0, "status: match"),
        ),
        (
            "CRLF line ends in every file",
            Box::new(|root: &Path| {
                for file in [MASTER_CF, MAIN_CF, USER_CONF] {
                    let text = std::fs::read_to_string(root.join(file)).expect("reads");
                    replace_file(root, file, text.replace('\n', "\r\n").as_bytes());
                }
            }),
            Expect::Exit(0, "status: match"),
        ),
        (
            "huge numbers in the files",
            Box::new(|root: &Path| {
                let master = std::fs::read_to_string(root.join(MASTER_CF)).expect("reads");
                let master = master.replace(
                    "smtp-amavis unix -      -       n       -       4       smtp",
                    "smtp-amavis unix -      -       n       -       99999999999999999999999 smtp",
                );
                replace_file(root, MASTER_CF, master.as_bytes());
                append(root, USER_CONF, b"$max_servers = 184467440737095516160000;\n1;\n");
                append(root, MAIN_CF, b"smtp-amavis_destination_concurrency_limit = 4294967296\n");
            }),
            Expect::Exit(1, "status: mismatch"),
        ),
    ];
    for (case, setup, check) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = tree_in(dir.path(), "tree");
        setup(&root);
        check_and_apply(case, &root, check, 1024);
    }
}

/// Files far larger or deeper than any real configuration: linear time, bounded memory.
pub(crate) fn huge_and_deep_files() {
    let cases: Vec<(&str, Setup, Expect, u64)> = vec![
        (
            "a 100 MiB master.cf",
            Box::new(|root: &Path| {
                let line = [b"# ".as_slice(), &[b'x'; 97], b"\n"].concat();
                append(root, MASTER_CF, &line.repeat(100 * 1024 * 1024 / line.len()));
            }),
            Expect::Exit(0, "status: match"),
            2048,
        ),
        (
            "a 1,000,000-line master.cf",
            Box::new(|root: &Path| {
                let lines: String = (0..1_000_000).map(|i| format!("s{i} unix - - n - - smtp\n")).collect();
                append(root, MASTER_CF, lines.as_bytes());
            }),
            Expect::Exit(0, "status: match"),
            4096,
        ),
        (
            "a 10,000-line continuation",
            Box::new(|root: &Path| {
                let deep = format!("deep unix - - n - - smtp\n{}", "  -o\n  smtp_tls_loglevel=1\n".repeat(5_000));
                append(root, MASTER_CF, deep.as_bytes());
            }),
            Expect::Exit(0, "status: match"),
            1024,
        ),
        (
            "an entry with 1,000 -o options",
            Box::new(|root: &Path| {
                let master = std::fs::read_to_string(root.join(MASTER_CF)).expect("reads");
                let options: String = (0..1_000).map(|i| format!("  -o option_{i}=value_{i}\n")).collect();
                let master = master.replacen(
                    "smtp-amavis unix -      -       n       -       4       smtp\n",
                    &format!("smtp-amavis unix -      -       n       -       4       smtp\n{options}"),
                    1,
                );
                replace_file(root, MASTER_CF, master.as_bytes());
            }),
            Expect::Exit(0, "status: match"),
            1024,
        ),
        (
            "a conf.d with 10,000 files",
            Box::new(|root: &Path| {
                for i in 0..10_000 {
                    std::fs::write(root.join(format!("etc/amavis/conf.d/60-extra-{i:05}")), "$extra = 1;\n1;\n")
                        .expect("writes");
                }
            }),
            Expect::Exit(0, "status: match"),
            1024,
        ),
    ];
    for (case, setup, check, memory_mib) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = tree_in(dir.path(), "tree");
        setup(&root);
        check_and_apply(case, &root, check, memory_mib);
    }
}

/// Paths that are not what they should be: a clear error (exit 2) naming the path, never a hang
/// on a FIFO or an endless read from a device, and apply writes nothing.
pub(crate) fn wrong_kinds_of_file() {
    let cases: Vec<(&str, Setup, &str)> = vec![
        (
            "master.cf is a FIFO",
            Box::new(|root: &Path| {
                std::fs::remove_file(root.join(MASTER_CF)).expect("removes");
                let status = Command::new("mkfifo").arg(root.join(MASTER_CF)).status().expect("mkfifo runs");
                assert!(status.success());
            }),
            "master.cf/master.cf: it is not a regular file",
        ),
        (
            "main.cf is /dev/zero",
            Box::new(|root: &Path| {
                std::fs::remove_file(root.join(MAIN_CF)).expect("removes");
                std::os::unix::fs::symlink("/dev/zero", root.join(MAIN_CF)).expect("links");
            }),
            // An absolute symlink names the tree's own /dev/zero (root as `/`), which it has not:
            // the host's device is never opened.
            "tree/dev/zero: No such file or directory",
        ),
        (
            "main.cf is a device node in the tree",
            Box::new(|root: &Path| {
                std::fs::remove_file(root.join(MAIN_CF)).expect("removes");
                let status =
                    Command::new("mknod").arg(root.join(MAIN_CF)).args(["c", "1", "5"]).status().expect("mknod runs");
                assert!(status.success());
            }),
            "it is not a regular file (a FIFO, socket or device)",
        ),
        (
            "master.cf is a directory",
            Box::new(|root: &Path| {
                std::fs::remove_file(root.join(MASTER_CF)).expect("removes");
                std::fs::create_dir(root.join(MASTER_CF)).expect("mkdir");
            }),
            "it is a directory, not a file",
        ),
        (
            "50-user is a symlink loop",
            Box::new(|root: &Path| {
                std::fs::remove_file(root.join(USER_CONF)).expect("removes");
                std::os::unix::fs::symlink("50-user-b", root.join(USER_CONF)).expect("links");
                std::os::unix::fs::symlink("50-user", root.join("etc/amavis/conf.d/50-user-b")).expect("links");
            }),
            "Too many levels of symbolic links",
        ),
        (
            "main.cf is missing",
            Box::new(|root: &Path| std::fs::remove_file(root.join(MAIN_CF)).expect("removes")),
            "No such file or directory",
        ),
    ];
    for (case, setup, says) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = tree_in(dir.path(), "tree");
        setup(&root);
        let says = says.replace("master.cf/master.cf", "master.cf");
        let before = snapshot_tree_without_special(&root);
        for args in [vec!["check"], vec!["apply", "--concurrency", "9", "--ram", "64G"]] {
            let outcome =
                Run::new(args.iter().copied().chain(["--root"])).deadline(Duration::from_secs(30)).run_with_arg(&root);
            expect(&format!("{case} ({})", args[0]), &outcome, Expect::Exit(2, ""));
            assert!(outcome.stderr.contains(&says), "{case}: expected {says:?} in {}", outcome.stderr);
        }
        assert!(snapshot_tree_without_special(&root) == before, "{case}: a file changed");
    }
}

/// Every regular file's bytes (FIFOs, devices and loops are not read: reading them would hang).
fn snapshot_tree_without_special(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("lists") {
            let path = entry.expect("entry").path();
            let kind = std::fs::symlink_metadata(&path).expect("metadata").file_type();
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                files.push((path.clone(), std::fs::read(&path).expect("reads")));
            }
        }
    }
    files.sort();
    files
}

/// A file the user running amavis-tune cannot read (as root everything is readable, so the run
/// drops to `nobody` with setpriv).
pub(crate) fn unreadable_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = tree_in(dir.path(), "tree");
    let mode = |path: &Path, mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    mode(dir.path(), 0o755);
    mode(&root.join(MAIN_CF), 0o000);
    let outcome = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(amavis_tune_tests::binary())
        .args(["check", "--root"])
        .arg(&root)
        .output()
        .expect("setpriv runs");
    let stderr = String::from_utf8_lossy(&outcome.stderr);
    assert_eq!(outcome.status.code(), Some(2), "{stderr}");
    assert!(
        stderr
            .starts_with(&format!("error: cannot read main.cf at {}: Permission denied", root.join(MAIN_CF).display())),
        "{stderr}"
    );
}

/// Paths with spaces and non-ASCII work; `--root` at a file or at nothing is a clear error.
pub(crate) fn odd_paths_and_roots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = tree_in(dir.path(), "my mail server é ☃");
    check_and_apply("a root with spaces and non-ASCII", &root, Expect::Exit(0, "status: match"), 1024);
    let applied = std::fs::read_to_string(root.join(MASTER_CF)).expect("reads");
    assert!(applied.contains("smtp-amavis unix -      -       n       -       9       smtp"), "{applied}");

    for (root, says) in [
        ("/dev/null", "error: cannot use --root /dev/null: it is not a directory"),
        ("/nonexistent/amavis-tune", "error: cannot use --root /nonexistent/amavis-tune: No such file or directory"),
        ("", "error: a value is required for '--root <DIR>' but none was supplied"),
    ] {
        for command in ["check", "apply"] {
            let mut args = vec![command];
            if command == "apply" {
                args.extend(["--concurrency", "9", "--ram", "64G"]);
            }
            args.extend(["--root", root]);
            let outcome = Run::new(&args).run();
            sane(root, &outcome);
            assert_eq!(outcome.code, 2, "{args:?}");
            assert!(outcome.stderr.starts_with(says), "{args:?}: {}", outcome.stderr);
        }
    }
}

/// Every integer input at its limit and one beyond: the limit is accepted, beyond it is a clear
/// error naming the valid range.
pub(crate) fn integer_limits() {
    let accepted: &[&[&str]] = &[
        &["plan", "--ram", "64T", "--os", "debian"],
        &["plan", "--ram", "1M", "--os", "debian"],
        &["plan", "--ram", "64T", "--os", "debian", "--concurrency", "10000", "--force"],
        &["plan", "--ram", "8G", "--os", "debian", "--concurrency", "2"],
        &["plan", "--ram", "8G", "--os", "debian", "--cpus", "4096"],
        &["plan", "--ram", "8G", "--os", "debian", "--headroom", "90"],
        &["plan", "--ram", "8G", "--os", "debian", "--headroom", "0"],
        &[
            "plan",
            "--ram",
            "64T",
            "--os",
            "debian",
            "--per-child",
            "64T",
            "--clamd",
            "64T",
            "--reserve",
            "64T",
            "--amavisd-parent",
            "64T",
        ],
        &["plan", "--ram", "8G", "--os", "debian", "--per-child", "1M"],
    ];
    for args in accepted {
        let outcome = Run::new(*args).run();
        sane(&format!("{args:?}"), &outcome);
        assert_eq!(outcome.code, 0, "{args:?}: {}", outcome.stderr);
    }
    let refused: &[(&[&str], &str)] = &[
        (&["plan", "--ram", "65T"], "it is more than the largest supported size, 64T"),
        (&["plan", "--ram", "67108865M"], "it is more than the largest supported size, 64T"),
        (&["plan", "--ram", "18446744073709551615M"], "it is more than the largest supported size"),
        (&["plan", "--ram", "18446744073709551616M"], "it is more than the largest supported size"),
        (&["plan", "--ram", "1023K"], "it is less than 1 MiB"),
        (
            &["plan", "--ram", "8G", "--concurrency", "10001", "--force"],
            "it is too large; use a whole number from 2 to 10000",
        ),
        (&["plan", "--ram", "8G", "--concurrency", "4294967295"], "it is too large"),
        (&["plan", "--ram", "8G", "--concurrency", "18446744073709551616"], "invalid concurrency"),
        (&["plan", "--ram", "8G", "--cpus", "4097"], "invalid CPU count `4097`: use a whole number from 1 to 4096"),
        (&["plan", "--ram", "8G", "--cpus", "4294967296"], "invalid CPU count"),
        (&["plan", "--ram", "8G", "--cpus", "-1"], "invalid CPU count"),
        (&["plan", "--ram", "8G", "--headroom", "91"], "invalid headroom `91`: use a whole percentage from 0 to 90"),
        (&["plan", "--ram", "8G", "--headroom", "256"], "invalid headroom"),
        (&["plan", "--ram", "8G", "--headroom", "-1"], "invalid headroom"),
        (&["plan", "--ram", "8G", "--per-child", "65T"], "it is more than the largest supported size"),
        (&["apply", "--concurrency", "10001", "--ram", "8G"], "it is too large; use a whole number from 2 to 10000"),
        (&["apply", "--concurrency", "1", "--ram", "8G"], "amavisd does not fork"),
    ];
    for (args, says) in refused {
        let outcome = Run::new(*args).run();
        sane(&format!("{args:?}"), &outcome);
        assert_eq!(outcome.code, 2, "{args:?}");
        assert!(outcome.stdout.is_empty(), "{args:?}");
        assert!(outcome.stderr.contains(says), "{args:?}: expected {says:?} in {}", outcome.stderr);
    }
}

/// Issue 26, item 5: every read is of a regular file (or standard input when asked), opened and
/// bounded; what is refused is named. Each case runs under a memory limit and a deadline, so an
/// endless read or a hang fails the test instead of the machine.
pub(crate) fn unbounded_reads_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bounded = |args: Vec<String>| {
        Run::with_memory_limit(512, args.iter().map(String::as_str)).deadline(Duration::from_secs(30)).run()
    };
    let mkfifo = |path: &Path| {
        let status = Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
        assert!(status.success(), "mkfifo {}", path.display());
    };
    // `logs` on a device or a FIFO: exit 2, the file named, the way to stream one in.
    let fifo = dir.path().join("mail.fifo");
    mkfifo(&fifo);
    for path in ["/dev/zero".to_owned(), fifo.display().to_string()] {
        let outcome = bounded(vec!["logs".into(), path.clone()]);
        expect(
            &format!("logs {path}"),
            &outcome,
            Expect::Exit(2, "it is not a regular file (a FIFO, socket or device)"),
        );
        assert!(outcome.stderr.contains(&path) && outcome.stderr.contains("amavis-tune logs -"), "{}", outcome.stderr);
    }

    // A tree whose os-release is /dev/zero, with a FIFO among its mail log's rotations: check
    // answers (the layout from the tree's files), and names the log it could not read instead of
    // hanging on it.
    let root = tree_in(dir.path(), "tree");
    std::fs::remove_file(root.join("etc/os-release")).ok();
    std::os::unix::fs::symlink("/dev/zero", root.join("etc/os-release")).expect("links");
    std::fs::create_dir_all(root.join("var/log")).expect("mkdir");
    std::fs::write(root.join("var/log/mail.log"), "Dec  2 07:00:00 mx postfix/qmgr[1]: 4F3A1: removed\n")
        .expect("writes");
    mkfifo(&root.join("var/log/mail.log.1"));
    let outcome =
        bounded(vec!["check".into(), "--format".into(), "json".into(), "--root".into(), root.display().to_string()]);
    sane("check on a tree with a device and a FIFO", &outcome);
    let report: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
    assert_eq!(report["status"], "match", "{report:#}");
    let not_used = report["logs"]["not_used"].as_str().unwrap_or_default();
    assert!(not_used.contains("it is not a regular file"), "{report:#}");

    // One file included under several spellings is read once; the files amavisd reads are listed
    // once each.
    let big = format!("{}1;\n", "# a long comment line that takes room in the file\n".repeat(20_000));
    std::fs::write(root.join("etc/amavis/big.conf"), &big).expect("writes");
    let spellings: Vec<String> = (0..40).map(|i| format!("'/etc/amavis/{}big.conf'", "./".repeat(i))).collect();
    append(&root, USER_CONF, format!("include_config_files({});\n1;\n", spellings.join(", ")).as_bytes());
    let outcome = bounded(vec![
        "check".into(),
        "--format".into(),
        "json".into(),
        "--no-logs".into(),
        "--root".into(),
        root.display().to_string(),
    ]);
    sane("one file included 40 times", &outcome);
    let report: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
    let amavis_files = report["files"]["amavis"].as_array().expect("files");
    let big_reads = amavis_files.iter().filter(|f| f.as_str().is_some_and(|f| f.ends_with("big.conf"))).count();
    assert_eq!(big_reads, 1, "{amavis_files:?}");

    // restore lists a backup that is a symlink (here to a secret of the host's) without reading
    // it, and refuses to restore from it.
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "root:SECRET-HASH:19000:0:99999:7:::\n").expect("writes");
    let planted = root.join("etc/postfix/master.cf.amavis-tune-20991231T000000.bak");
    std::os::unix::fs::symlink(&secret, &planted).expect("links");
    let listing = bounded(vec!["restore".into(), "--root".into(), root.display().to_string()]);
    sane("restore listing a symlinked backup", &listing);
    assert!(!listing.stdout.contains("SECRET-HASH"), "{}", listing.stdout);
    assert!(listing.stdout.contains("is a symlink, and amavis-tune's backups never are"), "{}", listing.stdout);
    let restored = bounded(vec![
        "restore".into(),
        "--root".into(),
        root.display().to_string(),
        "--backup".into(),
        planted.display().to_string(),
        "--force".into(),
    ]);
    expect("restore from a symlinked backup", &restored, Expect::Exit(2, "is a symlink"));
    assert!(!restored.stderr.contains("SECRET-HASH") && !restored.stdout.contains("SECRET-HASH"));
}

/// Issue 26, item 1: under `--root` every path resolves as if the root were `/`. A tree whose
/// amavisd config is an absolute symlink names the tree's file of that path (here none: refused
/// as missing), not this host's; an include that climbs with `..` stops at the root; a config
/// that is an absolute symlink to a file of the tree is read and edited there. Nothing of the
/// host's file is printed, it is not edited, and no backup is left beside it; a mail log that
/// is an absolute symlink is not read on the host either.
pub(crate) fn root_confines_every_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = dir.path().join("host-secret");
    let secret_text = "root:SECRET-HASH:19000:0:99999:7:::\n$max_servers = 7;\n";
    std::fs::write(&secret, secret_text).expect("writes");
    let host_files = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("lists")
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        names.sort();
        names
    };
    let before = host_files(dir.path());
    let cases: Vec<(&str, Setup)> = vec![
        (
            "50-user is an absolute symlink to a host file",
            Box::new({
                let secret = secret.clone();
                move |root: &Path| {
                    std::fs::remove_file(root.join(USER_CONF)).expect("removes");
                    std::os::unix::fs::symlink(&secret, root.join(USER_CONF)).expect("links");
                }
            }),
        ),
        (
            "an include climbs out with ..",
            Box::new(|root: &Path| {
                append(root, USER_CONF, b"include_config_files('/etc/../../host-secret');\n1;\n");
            }),
        ),
    ];
    for (index, (case, setup)) in cases.into_iter().enumerate() {
        let root = tree_in(dir.path(), "tree");
        setup(&root);
        for args in [vec!["check"], vec!["apply", "--concurrency", "9", "--ram", "64G"]] {
            let outcome =
                Run::new(args.iter().copied().chain(["--root"])).deadline(Duration::from_secs(30)).run_with_arg(&root);
            sane(&format!("{case} ({})", args[0]), &outcome);
            if index == 0 {
                // The tree's own path of the symlink's target, which the tree does not have.
                let in_tree = root.join(secret.strip_prefix("/").expect("absolute"));
                assert_eq!(outcome.code, 2, "{case} ({}): {}", args[0], outcome.stderr);
                assert!(outcome.stderr.contains(&*in_tree.to_string_lossy()), "{case}: {}", outcome.stderr);
            } else if args[0] == "check" {
                let stopped = format!("{} does not exist", root.join("host-secret").display());
                assert!(outcome.stdout.contains(&stopped), "{case}: {}", outcome.stdout);
            }
            assert!(
                !outcome.stdout.contains("SECRET-HASH") && !outcome.stderr.contains("SECRET-HASH"),
                "{case}: the host's file was printed: {outcome:?}"
            );
        }
        assert_eq!(std::fs::read_to_string(&secret).expect("reads"), secret_text, "{case}: the host's file changed");
        let mut expected = before.clone();
        expected.push("tree".to_owned());
        expected.sort();
        assert_eq!(host_files(dir.path()), expected, "{case}: a file (a backup?) appeared beside the host's file");
        std::fs::remove_dir_all(&root).expect("removes the tree");
    }

    // The server's mail log, a symlink out of the tree: named as not used, never read.
    let root = tree_in(dir.path(), "tree");
    std::fs::create_dir_all(root.join("var/log")).expect("mkdir");
    std::os::unix::fs::symlink(&secret, root.join("var/log/mail.log")).expect("links");
    let outcome =
        Run::new(["check", "--format", "json", "--root"]).deadline(Duration::from_secs(30)).run_with_arg(&root);
    sane("a mail log out of the tree", &outcome);
    assert!(!outcome.stdout.contains("SECRET-HASH"), "{}", outcome.stdout);

    // A config that is an absolute symlink to another file of the tree: that file is read and
    // edited, the link kept.
    let root = tree_in(dir.path(), "linked");
    std::fs::create_dir_all(root.join("srv")).expect("mkdir");
    std::fs::rename(root.join(USER_CONF), root.join("srv/user.conf")).expect("moves");
    std::os::unix::fs::symlink("/srv/user.conf", root.join(USER_CONF)).expect("links");
    let outcome = Run::new(["apply", "--concurrency", "9", "--ram", "64G", "--root"]).run_with_arg(&root);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(std::fs::read_to_string(root.join("srv/user.conf")).expect("reads").contains("$max_servers = 9;"));
    assert!(std::fs::symlink_metadata(root.join(USER_CONF)).expect("stat").is_symlink());
}
