//! Issue 26: `apply` and `restore` as safe as the tools administrators already trust. Each test
//! stages the attack or fault on a copy of a fixture tree, as root, with the real tools
//! (`setfacl`, `setfattr`, `chattr`, bind mounts, `flock`, `strace`), and shows the safe outcome.
//! Each run keeps amavis-tune's record of its backups in the test's own directory
//! (`AMAVIS_TUNE_STATE_DIR`), so tests do not see each other's.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use amavis_tune_tests::{Outcome, Run, binary, copy_tree, snapshot_tree, workspace_root};

/// A copy of a fixture tree and a state directory, in one temporary directory.
struct Scratch {
    dir: tempfile::TempDir,
    root: PathBuf,
}

impl Scratch {
    fn of(fixture: &str) -> Scratch {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("tree");
        copy_tree(&workspace_root().join("tests/fixtures/trees").join(fixture), &root);
        Scratch { dir, root }
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn run(&self, args: &[&str]) -> Outcome {
        self.command(args).run()
    }

    fn command(&self, args: &[&str]) -> Run {
        Run::new(args.iter().copied().chain(["--root"]))
            .arg(&self.root)
            .env("AMAVIS_TUNE_STATE_DIR", &self.state().to_string_lossy())
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// Starts amavis-tune with `args` (and this tree) in the background.
    fn spawn(&self, args: &[&str], env: &[(&str, &Path)]) -> std::process::Child {
        let mut command = Command::new(binary());
        command.args(args).arg("--root").arg(&self.root).env("AMAVIS_TUNE_STATE_DIR", self.state());
        for (key, value) in env {
            command.env(key, value);
        }
        command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("starts amavis-tune")
    }
}

fn sh(script: &str) {
    let status = Command::new("sh").arg("-c").arg(script).status().expect("sh runs");
    assert!(status.success(), "`{script}` failed");
}

fn output(program: &str, args: &[&OsArg]) -> String {
    let out = Command::new(program).args(args).output().expect("runs");
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

type OsArg = std::ffi::OsStr;

/// A file's ACL (`getfacl`) and every extended attribute (`getfattr`), without its name.
fn attributes(path: &Path) -> String {
    let acl = output("getfacl", &[OsArg::new("--omit-header"), OsArg::new("--absolute-names"), path.as_os_str()]);
    let xattrs = output(
        "getfattr",
        &[OsArg::new("--dump"), OsArg::new("--match=-"), OsArg::new("--absolute-names"), path.as_os_str()],
    );
    let xattrs: Vec<&str> = xattrs.lines().filter(|l| !l.starts_with("# file:") && !l.is_empty()).collect();
    format!("{acl}{}", xattrs.join("\n"))
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).expect("stat").mode() & 0o7777
}

fn json(outcome: &Outcome) -> serde_json::Value {
    assert_eq!(outcome.code, 0, "{}{}", outcome.stdout, outcome.stderr);
    serde_json::from_str(&outcome.stdout).expect("valid JSON")
}

/// The backup `apply` (JSON) made of the file whose path ends with `name`.
fn backup_of(applied: &serde_json::Value, name: &str) -> PathBuf {
    let files = applied["files"].as_array().expect("files");
    let file = files.iter().find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(name))).expect("the file");
    PathBuf::from(file["backup"].as_str().expect("a backup"))
}

/// Item 2: an ACL (`setfacl -m u:nobody:rw`), a SELinux label and `user.*`/`trusted.*`
/// attributes stay on the new file and are on its backup, the ACL's mask does not become the
/// group's permission, and a default ACL of the directory is not given to a file that had none.
pub(crate) fn acls_and_extended_attributes_are_kept() {
    let scratch = Scratch::of("debian-match");
    let master = scratch.path("etc/postfix/master.cf");
    let user = scratch.path("etc/amavis/conf.d/50-user");
    let m = master.display();
    sh(&format!(
        "setfacl -m u:nobody:rw {m} && setfattr -n user.note -v kept {m} \
         && setfattr -n security.selinux -v system_u:object_r:postfix_etc_t:s0 {m} \
         && setfattr -n trusted.origin -v admin {m} && setfacl -d -m u:nobody:r {}",
        user.parent().expect("dir").display()
    ));
    let master_before = attributes(&master);
    let user_before = attributes(&user);
    assert!(master_before.contains("user:nobody:rw-") && master_before.contains("group::r--"), "{master_before}");
    assert!(master_before.contains("security.selinux=") && master_before.contains("user.note="), "{master_before}");
    let (master_mode, user_mode) = (mode(&master), mode(&user));

    let applied = json(&scratch.run(&["apply", "--concurrency", "6", "--ram", "64G", "--format", "json"]));
    assert!(std::fs::read_to_string(&master).expect("reads").contains("n       -       6       smtp"));
    assert_eq!(attributes(&master), master_before, "master.cf keeps its ACL and attributes");
    assert_eq!(attributes(&backup_of(&applied, "master.cf")), master_before, "and its backup has them");
    assert_eq!(attributes(&user), user_before, "50-user gets no ACL from the directory's default");
    assert_eq!((mode(&master), mode(&user)), (master_mode, user_mode));
}

/// Undoes `chattr +i`/`+a` and bind mounts even when a test fails, so the tree can be removed.
struct Undo(Vec<String>);

impl Drop for Undo {
    fn drop(&mut self) {
        for script in self.0.iter().rev() {
            let _ = Command::new("sh").arg("-c").arg(script).status();
        }
    }
}

/// Item 3: a target no rename can replace (immutable, in an append-only directory, a file
/// mounted on its own) is found before anything is written; when a later rename still fails,
/// the files replaced before it are put back; the renames go in the order safe for the
/// direction (amavisd's file first when raising, Postfix's first when lowering).
pub(crate) fn all_or_nothing_across_files() {
    let scratch = Scratch::of("debian-match");
    let master = scratch.path("etc/postfix/master.cf");
    let conf_d = scratch.path("etc/amavis/conf.d");
    let before = snapshot_tree(&scratch.root);
    let raise = ["apply", "--concurrency", "6", "--ram", "64G"];
    let unchanged = |case: &str, outcome: &Outcome, says: &str| {
        assert_eq!(outcome.code, 2, "{case}: {}{}", outcome.stdout, outcome.stderr);
        assert!(outcome.stderr.contains(says), "{case}: {}", outcome.stderr);
        assert!(snapshot_tree(&scratch.root) == before, "{case}: every file is as it was, nothing added");
    };

    for (flag, target, says) in
        [("+i", &master, "it is immutable (chattr +i)"), ("+a", &conf_d, "its directory is append-only (chattr +a)")]
    {
        let _undo = Undo(vec![format!("chattr -{} {}", &flag[1..], target.display())]);
        sh(&format!("chattr {flag} {}", target.display()));
        unchanged(&format!("chattr {flag}"), &scratch.run(&raise), says);
    }

    let host_copy = scratch.dir.path().join("master.cf.host");
    std::fs::copy(&master, &host_copy).expect("copies");
    {
        let _undo = Undo(vec![format!("umount {}", master.display())]);
        sh(&format!("mount --bind {} {}", host_copy.display(), master.display()));
        unchanged("a single-file bind mount", &scratch.run(&raise), "it is mounted on its own");
    }

    for (args, case) in [(raise, "raising"), (["apply", "--concurrency", "2", "--ram", "64G"], "lowering")] {
        let outcome = scratch.command(&args).env("AMAVIS_TUNE_FAILPOINT", "rename-2").run();
        unchanged(case, &outcome, "the files replaced before it were put back");
    }

    // The order of the renames over the two files, as strace sees them.
    let order = |n: &str| -> Vec<&'static str> {
        let trace = scratch.dir.path().join(format!("strace-{n}"));
        let status = Command::new("strace")
            .args(["-f", "-qq", "-e", "trace=rename,renameat,renameat2", "-o"])
            .arg(&trace)
            .arg(binary())
            .args(["apply", "--concurrency", n, "--ram", "64G", "--root"])
            .arg(&scratch.root)
            .env("AMAVIS_TUNE_STATE_DIR", scratch.state())
            .stdout(Stdio::null())
            .status()
            .expect("strace runs");
        assert!(status.success(), "apply {n} under strace");
        let text = std::fs::read_to_string(trace).expect("reads the trace");
        text.lines()
            .filter_map(|line| {
                if line.contains("/etc/postfix/master.cf\"") {
                    Some("master.cf")
                } else if line.contains("/conf.d/50-user\"") {
                    Some("50-user")
                } else {
                    None
                }
            })
            .collect()
    };
    assert_eq!(order("6"), ["50-user", "master.cf"], "raising: amavisd's file first");
    assert_eq!(order("2"), ["master.cf", "50-user"], "lowering: Postfix's file first");
}

/// Item 4: `restore` puts back only a backup amavis-tune recorded making, unchanged, owned as
/// it made it, onto the configuration file it came from, and only when the two differ in the
/// numbers it edits (`--force` overrides that comparison alone).
pub(crate) fn restore_takes_only_its_own_backups() {
    let scratch = Scratch::of("debian-match");
    let master = scratch.path("etc/postfix/master.cf");
    let original = std::fs::read(&master).expect("reads");
    let applied = json(&scratch.run(&["apply", "--concurrency", "6", "--ram", "64G", "--format", "json"]));
    let genuine = backup_of(&applied, "master.cf");
    let applied_master = std::fs::read(&master).expect("reads");
    let restore = |backup: &Path, force: bool| {
        let mut args = vec!["restore", "--backup"];
        let backup = backup.to_string_lossy().into_owned();
        args.push(&backup);
        if force {
            args.push("--force");
        }
        scratch.run(&args)
    };
    let refused = |case: &str, outcome: &Outcome, says: &str| {
        assert_eq!(outcome.code, 2, "{case}: {}{}", outcome.stdout, outcome.stderr);
        assert!(outcome.stderr.contains(says), "{case}: {}", outcome.stderr);
        assert_eq!(std::fs::read(&master).expect("reads"), applied_master, "{case}: master.cf untouched");
    };

    // A planted, future-dated backup that opens the re-injection port to the world.
    let planted = scratch.path("etc/postfix/master.cf.amavis-tune-20991231T000000.bak");
    let opened = String::from_utf8_lossy(&original).replace("127.0.0.1:10025 inet", "0.0.0.0:10025 inet");
    std::fs::write(&planted, opened).expect("plants");
    let listing = scratch.run(&["restore"]);
    assert_eq!(listing.code, 0, "{}", listing.stderr);
    let (offered, not_offered) = listing.stdout.split_once("Not offered").expect("a not-offered section");
    assert!(offered.contains(&*genuine.to_string_lossy()), "{}", listing.stdout);
    assert!(!offered.contains("20991231T000000"), "the planted backup is not offered:\n{}", listing.stdout);
    assert!(not_offered.contains("20991231T000000") && not_offered.contains("not in the record"), "{not_offered}");
    refused("a planted backup", &restore(&planted, true), "not in the record");

    // A backup named after a file that is not a configuration file read here.
    let passwd = scratch.dir.path().join("passwd");
    std::fs::write(&passwd, "root:x:0:0:root:/root:/bin/bash\n").expect("writes");
    let fake = scratch.dir.path().join("passwd.amavis-tune-20990101T000000.bak");
    std::fs::write(&fake, "root::0:0:root:/root:/bin/bash\n").expect("writes");
    refused("a backup of passwd", &restore(&fake, true), "not in the record");
    assert_eq!(std::fs::read_to_string(&passwd).expect("reads"), "root:x:0:0:root:/root:/bin/bash\n");

    // The genuine backup, handed to another user and made writable by all; then changed.
    let g = genuine.display();
    sh(&format!("chown nobody {g} && chmod 0666 {g}"));
    refused("a backup owned by nobody, mode 0666", &restore(&genuine, true), "belongs to user");
    sh(&format!("chown root {g} && chmod 0644 {g}"));
    let kept = std::fs::read(&genuine).expect("reads");
    std::fs::write(&genuine, [kept.as_slice(), b"# one more line\n"].concat()).expect("writes");
    refused("a backup changed since", &restore(&genuine, true), "its SHA-256 differs");
    std::fs::write(&genuine, &kept).expect("writes");

    // A record others may write is not trusted.
    let record = scratch.state().join("backups.jsonl");
    sh(&format!("chmod g+w {}", record.display()));
    refused("a group-writable record", &restore(&genuine, true), "is not trusted");
    sh(&format!("chmod g-w {}", record.display()));

    // Since the backup, the administrator moved the re-injection port: restoring would undo
    // that too, so it takes --force.
    let moved = String::from_utf8_lossy(&applied_master).replace("127.0.0.1:10025 inet", "127.0.0.1:10027 inet");
    std::fs::write(&master, &moved).expect("writes");
    let outcome = restore(&genuine, false);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(outcome.stderr.contains("in more than the numbers amavis-tune changes"), "{}", outcome.stderr);
    assert_eq!(std::fs::read_to_string(&master).expect("reads"), moved);
    let forced = restore(&genuine, true);
    assert_ne!(forced.code, 2, "{}", forced.stderr);
    assert_eq!(std::fs::read(&master).expect("reads"), original, "--force restores it");
}

/// Item 7: the backups of a configuration file that is a symlink are made beside its target,
/// and `restore` lists and restores them there.
pub(crate) fn backups_of_a_symlinked_file_are_found() {
    let scratch = Scratch::of("freebsd-mismatch");
    std::fs::create_dir_all(scratch.path("srv")).expect("mkdir");
    let real = scratch.path("srv/real-amavisd.conf");
    std::fs::rename(scratch.path("usr/local/etc/amavisd.conf"), &real).expect("moves");
    std::os::unix::fs::symlink("../../../srv/real-amavisd.conf", scratch.path("usr/local/etc/amavisd.conf"))
        .expect("links");
    let original = std::fs::read(&real).expect("reads");
    let applied = json(&scratch.run(&["apply", "--concurrency", "6", "--format", "json"]));
    let backup = backup_of(&applied, "amavisd.conf");
    assert!(backup.starts_with(scratch.path("srv")), "beside the target: {}", backup.display());
    let listing = scratch.run(&["restore"]);
    let offered = listing.stdout.split("Not offered").next().unwrap_or_default();
    assert!(offered.contains(&*backup.to_string_lossy()), "{}", listing.stdout);
    let restored = scratch.run(&["restore", "--backup", &backup.to_string_lossy()]);
    assert_ne!(restored.code, 2, "{}", restored.stderr);
    assert_eq!(std::fs::read(&real).expect("reads"), original);
    assert!(std::fs::symlink_metadata(scratch.path("usr/local/etc/amavisd.conf")).expect("stat").is_symlink());
}

/// Waits until `path` exists (a background process signals it holds a lock or has paused).
fn wait_for_file(path: &Path) {
    let started = Instant::now();
    while !path.exists() {
        assert!(started.elapsed() < Duration::from_secs(30), "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn finish(child: std::process::Child) -> (i32, String) {
    let out = child.wait_with_output().expect("waits");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Item 6: one change at a time. `apply` waits for the tree's lock and for Postfix's own lock
/// (`master.cf.tmp`, as `postconf -M` takes it), then reads the files as they are; a file changed
/// by an editor that takes no lock, between the read and the rename, is found and nothing is
/// changed; two applies at once leave both sides at one number.
pub(crate) fn one_change_at_a_time() {
    let scratch = Scratch::of("debian-match");
    let master = scratch.path("etc/postfix/master.cf");
    let ready = scratch.dir.path().join("ready");

    // The tree's lock, held by another process: apply waits for it.
    let mut holder = Command::new("flock")
        .arg(&scratch.root)
        .args(["-c", &format!("touch {} && sleep 2", ready.display())])
        .spawn()
        .expect("flock starts");
    wait_for_file(&ready);
    let mut apply = scratch.spawn(&["apply", "--concurrency", "6", "--ram", "64G"], &[]);
    std::thread::sleep(Duration::from_millis(1000));
    assert!(apply.try_wait().expect("polls").is_none(), "apply waits while the tree is locked");
    assert!(holder.wait().expect("waits").success());
    let (code, stderr) = finish(apply);
    assert_eq!(code, 0, "{stderr}");
    std::fs::remove_file(&ready).expect("removes");

    // Postfix's lock: a `postconf -M`-like editor holds master.cf.tmp and adds a line before it
    // lets go; apply waits, then changes the file with that line in it.
    let lock = scratch.path("etc/postfix/master.cf.tmp");
    let holder = Command::new("flock")
        .arg(&lock)
        .args([
            "-c",
            &format!(
                "touch {} && sleep 1 && printf '# added while locked\\n' >> {}",
                ready.display(),
                master.display()
            ),
        ])
        .spawn()
        .expect("flock starts");
    wait_for_file(&ready);
    let applied = scratch.run(&["apply", "--concurrency", "8", "--ram", "64G"]);
    drop(holder);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let text = std::fs::read_to_string(&master).expect("reads");
    assert!(text.contains("# added while locked") && text.contains("n       -       8       smtp"), "{text}");
    assert!(!lock.exists(), "Postfix's lock file is removed when let go");
    // Postfix's own editor works on the result.
    let postconf = Command::new("postconf")
        .arg("-c")
        .arg(scratch.path("etc/postfix"))
        .args(["-e", "amavis_tune_test = 1"])
        .status()
        .expect("postconf runs");
    assert!(postconf.success());

    // An editor that takes no lock changes master.cf while apply is between its read and its
    // renames (a slow disk): apply finds it, puts 50-user back, and the line is kept.
    let pause = scratch.dir.path().join("pause");
    let before = snapshot_tree(&scratch.root);
    let apply = scratch.spawn(&["apply", "--concurrency", "9", "--ram", "64G"], &[("AMAVIS_TUNE_PAUSE", &pause)]);
    wait_for_file(&pause);
    let edited = [before[Path::new("etc/postfix/master.cf")].as_slice(), b"# added by hand\n"].concat();
    std::fs::write(&master, &edited).expect("edits");
    std::fs::remove_file(&pause).expect("resumes");
    let (code, stderr) = finish(apply);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("changed while amavis-tune was working on it") && stderr.contains("put back"), "{stderr}");
    assert_eq!(std::fs::read(&master).expect("reads"), edited, "the hand edit is kept");
    let user = Path::new("etc/amavis/conf.d/50-user");
    assert_eq!(std::fs::read(scratch.root.join(user)).expect("reads"), before[user], "50-user is put back");

    // Two applies at once, five times: each ends with both sides at one number.
    for round in 0..5 {
        let first = scratch.spawn(&["apply", "--concurrency", "4", "--ram", "64G"], &[]);
        let second = scratch.spawn(&["apply", "--concurrency", "7", "--ram", "64G"], &[]);
        for (code, stderr) in [finish(first), finish(second)] {
            assert_eq!(code, 0, "round {round}: {stderr}");
        }
        let check = scratch.run(&["check", "--no-logs"]);
        assert_eq!(check.code, 0, "round {round}: both sides agree: {}", check.stdout);
    }
}

/// Item 7: the temporary files a killed run leaves are removed by the next run on the files.
pub(crate) fn leftovers_of_a_killed_run_are_cleaned() {
    let scratch = Scratch::of("debian-match");
    let leftovers = |root: &Path| -> Vec<PathBuf> {
        snapshot_tree(root)
            .into_keys()
            .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains(".amavis-tune.")))
            .collect()
    };
    let killed =
        scratch.command(&["apply", "--concurrency", "6", "--ram", "64G"]).env("AMAVIS_TUNE_CRASH_AT", "8").run();
    assert!(killed.stderr.contains("crash injected at point 8"), "{}", killed.stderr);
    assert!(!leftovers(&scratch.root).is_empty(), "the crash left temporary files");
    let rerun = scratch.run(&["apply", "--concurrency", "6", "--ram", "64G"]);
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert!(rerun.stderr.contains("temporary file(s) an interrupted run left"), "{}", rerun.stderr);
    assert_eq!(leftovers(&scratch.root), Vec::<PathBuf>::new());
}

/// Item 7: a path from the server in a printed step (a tree's amavisd.conf named with
/// `--amavis-conf`, here with a space and a quote in it) reaches the program as one argument
/// when `sh` runs the step, as `--restart` does.
pub(crate) fn paths_in_steps_are_quoted() {
    let scratch = Scratch::of("rhel-main-cf-limit");
    let odd = scratch.path("etc/amavisd/it's mine/amavisd.conf");
    std::fs::create_dir_all(odd.parent().expect("dir")).expect("mkdir");
    std::fs::rename(scratch.path("etc/amavisd/amavisd.conf"), &odd).expect("moves");
    let conf = odd.to_string_lossy().into_owned();
    let applied = json(&scratch.run(&[
        "apply",
        "--concurrency",
        "6",
        "--ram",
        "64G",
        "--os",
        "rhel",
        "--amavis-conf",
        &conf,
        "--format",
        "json",
    ]));
    let steps = applied["steps"].as_array().expect("steps");
    let validate =
        steps.iter().find(|s| s["kind"] == "validate" && s["command"].as_str().is_some_and(|c| c.contains(" -c ")));
    let validate = validate.and_then(|s| s["command"].as_str()).expect("amavisd's validation step");
    // A stand-in for amavisd that prints its arguments one per line.
    let bin = scratch.dir.path().join("bin");
    std::fs::create_dir(&bin).expect("mkdir");
    let program = validate.split_whitespace().next().expect("a program");
    std::fs::write(bin.join(program), "#!/bin/sh\nprintf '%s\\n' \"$@\"\n").expect("writes");
    sh(&format!("chmod +x {}", bin.join(program).display()));
    let out = Command::new("sh")
        .arg("-c")
        .arg(validate)
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .output()
        .expect("sh runs");
    let args: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect();
    let at = args.iter().position(|a| a == "-c").expect("-c");
    assert_eq!(args[at + 1], "/etc/amavisd/it's mine/amavisd.conf", "`{validate}` gives {args:?}");
}
