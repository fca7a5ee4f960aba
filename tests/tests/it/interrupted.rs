//! `apply` interrupted at every step that changes the disk, by an injected crash (abort: no
//! destructor, no clean-up, as under SIGKILL) and by a real SIGKILL at increasing delays: every
//! configuration file is always either the complete old version or the complete new one, every
//! backup that exists is complete, and a rerun finishes the job.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use amavis_tune_tests::{Run, binary, copy_tree, snapshot_tree, workspace_root};

/// The files apply changes in this tree (`--concurrency 25` on debian-match: maxproc, the
/// destination concurrency limit added to main.cf, `$max_servers`).
const FILES: [&str; 3] = ["etc/postfix/master.cf", "etc/postfix/main.cf", "etc/amavis/conf.d/50-user"];

const ARGS: [&str; 5] = ["apply", "--concurrency", "25", "--ram", "64G"];

fn fresh_tree(parent: &Path, padding: usize) -> PathBuf {
    let root = parent.join("tree");
    copy_tree(&workspace_root().join("tests/fixtures/trees/debian-match"), &root);
    if padding > 0 {
        // A large master.cf makes each write take long enough to be killed in the middle.
        let path = root.join(FILES[0]);
        let mut text = std::fs::read(&path).expect("reads");
        let line = [b"# ".as_slice(), &[b'p'; 77], b"\n"].concat();
        text.extend(line.repeat(padding / line.len()));
        std::fs::write(&path, text).expect("writes");
    }
    root
}

/// Each changed file's bytes, by path under the tree.
type Contents = BTreeMap<&'static str, Vec<u8>>;

fn contents(root: &Path) -> Contents {
    FILES.iter().map(|f| (*f, std::fs::read(root.join(f)).expect("reads"))).collect()
}

/// The state after an interruption: each file old or new, each backup complete, and only hidden
/// temporary files besides.
#[track_caller]
fn consistent(case: &str, root: &Path, old: &Contents, new: &Contents) {
    let now = contents(root);
    for file in FILES {
        assert!(
            now[file] == old[file] || now[file] == new[file],
            "{case}: {file} is neither the old nor the new version"
        );
    }
    for (path, bytes) in snapshot_tree(root) {
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        if name.contains(".amavis-tune-") && name.ends_with(".bak") {
            let original = FILES
                .iter()
                .find(|f| name.starts_with(Path::new(f).file_name().expect("name").to_str().expect("utf-8")));
            let original = original.unwrap_or_else(|| panic!("{case}: a backup of what? {name}"));
            assert!(bytes == old[original], "{case}: the backup {name} is incomplete");
        } else if name.contains(".amavis-tune.") {
            assert!(name.starts_with('.') && name.ends_with(".tmp"), "{case}: {name}");
        }
    }
}

/// After the interruption, a plain rerun finishes the job: every file is the new version.
#[track_caller]
fn rerun_finishes(case: &str, root: &Path, new: &Contents) {
    let rerun = Run::new(ARGS.iter().copied().chain(["--root"])).run_with_arg(root);
    assert_eq!(rerun.code, 0, "{case}: the rerun: {}", rerun.stderr);
    assert!(contents(root) == *new, "{case}: the rerun did not finish the job");
}

/// The files before and after an uninterrupted apply.
fn reference(padding: usize) -> (Contents, Contents, Duration) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = fresh_tree(dir.path(), padding);
    let old = contents(&root);
    let started = Instant::now();
    let outcome = Run::new(ARGS.iter().copied().chain(["--root"])).run_with_arg(&root);
    let took = started.elapsed();
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let new = contents(&root);
    for file in FILES {
        assert_ne!(old[file], new[file], "the reference apply changes {file}");
    }
    (old, new, took)
}

pub(crate) fn crash_at_every_write_step() {
    let (old, new, _) = reference(0);
    let mut points = 0;
    for point in 1.. {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = fresh_tree(dir.path(), 0);
        let outcome = Run::new(ARGS.iter().copied().chain(["--root"]))
            .env("AMAVIS_TUNE_CRASH_AT", &point.to_string())
            .run_with_arg(&root);
        if outcome.code == 0 {
            break;
        }
        let case = format!("crash at point {point}");
        assert!(outcome.stderr.contains(&format!("crash injected at point {point}")), "{case}: {}", outcome.stderr);
        assert_eq!(outcome.code, -1, "{case}: the process was aborted by a signal");
        consistent(&case, &root, &old, &new);
        rerun_finishes(&case, &root, &new);
        points = point;
    }
    // 3 files x (backup: temporary file created, half written, written, fsynced, linked into
    // place; new file: the same four steps) + 3 x (before rename, after rename, after the
    // directory fsync) + 3 before each file's backup.
    assert_eq!(points, 3 * (1 + 5 + 4) + 3 * 3, "every crash point was tried");
    eprintln!("tried {points} crash points");
}

pub(crate) fn sigkill_at_increasing_delays() {
    const PADDING: usize = 8 * 1024 * 1024;
    let (old, new, took) = reference(PADDING);
    let steps = 12;
    let mut outcomes = BTreeMap::new();
    for step in 0..=steps {
        // From 0 to three quarters of an uninterrupted run.
        let delay = took * step * 3 / (steps * 4);
        let dir = tempfile::tempdir().expect("tempdir");
        let root = fresh_tree(dir.path(), PADDING);
        let mut child = Command::new(binary())
            .args(ARGS)
            .arg("--root")
            .arg(&root)
            .env("SOURCE_DATE_EPOCH", amavis_tune_tests::SOURCE_DATE_EPOCH)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let status = child.wait().expect("waits");
        let case = format!("SIGKILL after {delay:?} of {took:?}");
        *outcomes.entry(if status.success() { "finished" } else { "killed" }).or_insert(0) += 1;
        consistent(&case, &root, &old, &new);
        rerun_finishes(&case, &root, &new);
    }
    eprintln!("SIGKILL at {} delays: {outcomes:?}", steps + 1);
    // How many die mid-way depends on the machine's load (a kill at delay 0 always does); the
    // crash points above cover every step exactly, whatever the timing.
    assert!(outcomes.get("killed").copied().unwrap_or(0) >= 1, "runs were killed: {outcomes:?}");
}
