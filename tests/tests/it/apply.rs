//! `amavis-tune apply` on copies of the fixture trees: both sides agree as the real programs read
//! them, nothing else changes, backups are complete and skipped by amavisd, failures leave the
//! originals intact.

use std::path::{Path, PathBuf};
use std::process::Command;

use amavis_tune_tests::needs::Need;
use amavis_tune_tests::{
    Outcome, Run, amavisd_files_of, amavisd_reads, copy_tree, fixture_trees, snapshot_tree, write_aged,
};

/// A copy of one fixture tree in a temporary directory.
fn copy_of(tree: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join(tree);
    copy_tree(&amavis_tune_tests::workspace_root().join("tests/fixtures/trees").join(tree), &root);
    (dir, root)
}

fn apply(root: &Path, args: &[&str]) -> Outcome {
    let mut all = vec!["apply", "--ram", "64G"];
    all.extend_from_slice(args);
    all.push("--root");
    Run::new(all).run_with_arg(root)
}

fn postfix_dir(root: &Path) -> PathBuf {
    ["etc/postfix", "usr/local/etc/postfix"].iter().map(|d| root.join(d)).find(|d| d.is_dir()).expect("postfix dir")
}

/// Lines with digit runs and lone `-` folded, so a changed number compares equal.
fn shape(line: &str) -> String {
    line.split_whitespace()
        .map(|word| {
            if word == "-" || word.bytes().all(|b| b.is_ascii_digit()) {
                "#".to_owned()
            } else {
                word.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every changed line only changes a number, and every added line is one amavis-tune adds.
fn assert_only_numbers_changed(before: &[u8], after: &[u8], n: u32, what: &str) {
    let diff = similar::TextDiff::from_lines(before, after);
    let mut deleted = Vec::new();
    let mut inserted = Vec::new();
    for change in diff.iter_all_changes() {
        let text = String::from_utf8_lossy(change.value()).into_owned();
        match change.tag() {
            similar::ChangeTag::Delete => deleted.push(text),
            similar::ChangeTag::Insert => inserted.push(text),
            similar::ChangeTag::Equal => {}
        }
    }
    let mut added = inserted.clone();
    for old in &deleted {
        let position = added.iter().position(|new| shape(new) == shape(old));
        let new = added
            .remove(position.unwrap_or_else(|| panic!("{what}: `{old}` changed more than a number: {inserted:?}")));
        assert!(new.contains(&n.to_string()), "{what}: {new}");
    }
    for line in added {
        let line = line.trim_end();
        assert!(
            line == format!("$max_servers = {n};") || line.ends_with(&format!("_destination_concurrency_limit = {n}")),
            "{what}: unexpected added line `{line}`"
        );
    }
}

const N: u32 = 7;

pub(crate) fn every_fixture_tree_ends_up_matched_at_n() {
    let postconf = Need::Postconf.path();
    let amavisd = Need::Amavisd.path();
    // The third-party corpus (trees with a SOURCE) has its own test, in `corpus.rs`.
    for tree in fixture_trees().into_iter().filter(|tree| !tree.join("SOURCE").is_file()) {
        let name = tree.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let (_dir, root) = copy_of(&name);
        let before = snapshot_tree(&root);
        let outcome = apply(&root, &["--concurrency", &N.to_string(), "--format", "json"]);
        if name == "debian-expression" {
            assert_eq!(outcome.code, 2, "{name}: {}", outcome.stdout);
            assert!(outcome.stderr.contains("cannot change safely"), "{}", outcome.stderr);
            assert_eq!(snapshot_tree(&root), before, "{name}: a refusal writes nothing");
            continue;
        }
        assert_eq!(outcome.code, 0, "{name}: {}{}", outcome.stdout, outcome.stderr);
        let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
        assert_eq!(json["check"]["status"], "match", "{name}");
        assert_eq!(json["check"]["amavis"]["max_servers"], N, "{name}");
        assert_eq!(json["check"]["postfix"]["effective"], N, "{name}");

        let after = snapshot_tree(&root);
        for (path, old) in &before {
            let new = &after[path];
            if new != old {
                assert_only_numbers_changed(old, new, N, &format!("{name}/{}", path.display()));
                let backups: Vec<_> = after
                    .keys()
                    .filter(|p| {
                        p.starts_with(path.parent().unwrap_or(Path::new("")))
                            && p.to_string_lossy().contains(".amavis-tune-")
                    })
                    .collect();
                let backup = backups
                    .iter()
                    .find(|b| {
                        b.file_name()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .starts_with(&*path.file_name().unwrap_or_default().to_string_lossy())
                    })
                    .unwrap_or_else(|| panic!("{name}: no backup of {}", path.display()));
                assert_eq!(&after[*backup], old, "{name}: the backup is the complete original");
            }
        }
        // Apply twice = apply once: no write, no second backup.
        let again = apply(&root, &["--concurrency", &N.to_string()]);
        assert_eq!(again.code, 0);
        assert!(again.stdout.starts_with("Already in place"), "{name}: {}", again.stdout);
        assert_eq!(snapshot_tree(&root), after, "{name}: the second apply wrote nothing");

        // The real programs read N: Postfix's maxproc, and amavisd's `$max_servers`.
        {
            let dir = postfix_dir(&root);
            for file in ["master.cf", "main.cf"] {
                let bytes = std::fs::read(dir.join(file)).expect("reads");
                write_aged(&dir.join(file), bytes);
            }
            let service = json["check"]["postfix"]["service"].as_str().expect("service");
            // Without --method, apply changes the limit in force: main.cf's where it caps Postfix.
            let main_cf = json["check"]["postfix"]["cap"] == "destination-concurrency-limit";
            let (args, what) = if main_cf {
                (
                    vec!["-x".to_owned(), "-h".to_owned(), format!("{service}_destination_concurrency_limit")],
                    "main.cf limit",
                )
            } else {
                (vec!["-h".to_owned(), "-F".to_owned(), format!("{service}/unix/process_limit")], "maxproc")
            };
            let output = Command::new(&postconf).arg("-c").arg(&dir).args(&args).output().expect("postconf runs");
            assert_eq!(
                String::from_utf8_lossy(&output.stdout).trim(),
                N.to_string(),
                "{name}: postconf reads the new {what}"
            );
        }
        {
            let scratch = tempfile::tempdir().expect("tempdir");
            let value = amavisd_reads(&amavisd, &amavisd_files_of(&root), scratch.path())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(value, N, "{name}: amavisd's own loader reads the new $max_servers");
        }
    }
}

pub(crate) fn dry_run_writes_nothing() {
    let (_dir, root) = copy_of("freebsd-mismatch");
    let before = snapshot_tree(&root);
    let outcome = apply(&root, &["--concurrency", "3", "--dry-run"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(
        outcome.stdout.contains("-smtp-amavis unix - - n - 10 smtp")
            && outcome.stdout.contains("+smtp-amavis unix - - n - 3 smtp"),
        "{}",
        outcome.stdout
    );
    assert!(outcome.stdout.ends_with("Dry run: nothing was written.\n"));
    assert!(!outcome.stdout.contains('\x1b'), "no colour when not on a terminal");
    assert_eq!(snapshot_tree(&root), before);
}

pub(crate) fn lowering_reloads_postfix_first() {
    let (_dir, root) = copy_of("debian-match");
    let outcome = apply(&root, &["--concurrency", "2"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let steps = &outcome.stdout[outcome.stdout.find("Steps (lowering: Postfix first)").expect("lowering steps")..];
    assert!(
        steps.find("postfix reload").expect("reload")
            < steps.find("systemctl reload amavis").expect("reload of amavisd"),
        "{steps}"
    );
}

pub(crate) fn main_cf_method() {
    let (_dir, root) = copy_of("rhel-main-cf-limit");
    let outcome = apply(&root, &["--concurrency", "9", "--method", "main-cf", "--format", "json"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let main = std::fs::read_to_string(root.join("etc/postfix/main.cf")).expect("reads");
    assert!(main.ends_with("smtp-amavis_destination_concurrency_limit = 9\n"), "{main}");
    assert_eq!(main.matches("smtp-amavis_destination_concurrency_limit").count(), 1, "never a second copy");
    // Without --method: main.cf's limit is what caps Postfix here (maxproc is `-`), so that is
    // the one number changed; master.cf is left alone.
    let (_dir, root) = copy_of("rhel-main-cf-limit");
    let master_before = std::fs::read(root.join("etc/postfix/master.cf")).expect("reads");
    let outcome = apply(&root, &["--concurrency", "9", "--format", "json"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let main = std::fs::read_to_string(root.join("etc/postfix/main.cf")).expect("reads");
    assert!(main.contains("smtp-amavis_destination_concurrency_limit = 9\n"), "{main}");
    assert_eq!(std::fs::read(root.join("etc/postfix/master.cf")).expect("reads"), master_before);
    let (_dir, root) = copy_of("ubuntu-iredmail");
    let outcome = apply(&root, &["--concurrency", "9", "--method", "main-cf"]);
    assert_eq!(outcome.code, 2);
    assert!(outcome.stderr.contains("use --method master-cf"), "{}", outcome.stderr);
}

pub(crate) fn memory_guard() {
    let (_dir, root) = copy_of("debian-match");
    let before = snapshot_tree(&root);
    let outcome = Run::new(["apply", "--ram", "4G", "--concurrency", "25", "--root"]).run_with_arg(&root);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("refusing to apply 25") && outcome.stderr.contains("--force"),
        "{}",
        outcome.stderr
    );
    assert_eq!(snapshot_tree(&root), before);
    let forced = Run::new(["apply", "--ram", "4G", "--concurrency", "25", "--force", "--root"]).run_with_arg(&root);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
}

/// Each injected failure (disk full halfway through a write, EIO on fsync, a failed rename, a
/// failed backup) leaves every original complete and no temporary file behind.
pub(crate) fn failures_leave_the_originals_intact() {
    for failpoint in ["write", "backup", "fsync", "rename"] {
        let (_dir, root) = copy_of("debian-default-mismatch");
        let before = snapshot_tree(&root);
        let mut run = Run::new(["apply", "--ram", "64G", "--concurrency", "5", "--root"]);
        run = run.env("AMAVIS_TUNE_FAILPOINT", failpoint);
        let outcome = run.run_with_arg(&root);
        assert_eq!(outcome.code, 2, "{failpoint}: {}", outcome.stdout);
        assert!(outcome.stderr.starts_with("error: "), "{failpoint}: {}", outcome.stderr);
        let after = snapshot_tree(&root);
        for (path, bytes) in &before {
            assert_eq!(after.get(path), Some(bytes), "{failpoint}: {} is intact", path.display());
        }
        for path in after.keys().filter(|p| !before.contains_key(*p)) {
            let name = path.to_string_lossy();
            assert!(!name.ends_with(".tmp"), "{failpoint}: a temporary file remains: {name}");
            let original =
                before.keys().find(|b| name.starts_with(&*b.to_string_lossy())).expect("a backup of an original");
            assert_eq!(after[path], before[original], "{failpoint}: a leftover backup is complete");
        }
        // A rerun finishes the job.
        let rerun = Run::new(["apply", "--ram", "64G", "--concurrency", "5", "--root"]).run_with_arg(&root);
        assert_eq!(rerun.code, 0, "{failpoint}: {}", rerun.stderr);
    }
}

pub(crate) fn missing_files_and_directories() {
    let (_dir, root) = copy_of("openbsd-reinjection");
    std::fs::remove_file(root.join("etc/postfix/main.cf")).expect("removes");
    let outcome = apply(&root, &["--concurrency", "4", "--os", "openbsd"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("cannot read main.cf at") && outcome.stderr.contains("No such file"),
        "{}",
        outcome.stderr
    );
    std::fs::create_dir(root.join("etc/postfix/main.cf")).expect("mkdir");
    let outcome = apply(&root, &["--concurrency", "4", "--os", "openbsd"]);
    assert_eq!(outcome.code, 2);
    assert!(outcome.stderr.contains("it is a directory"), "{}", outcome.stderr);
}

/// A config that is a symlink to a file elsewhere in the tree: the target is edited, the symlink
/// kept, modes kept. (A symlink out of the tree is refused: `hostile::root_confines_every_path`.)
pub(crate) fn symlinks_are_followed_and_kept_and_modes_kept() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, root) = copy_of("freebsd-mismatch");
    std::fs::create_dir_all(root.join("srv")).expect("mkdir");
    let real = root.join("srv/real-amavisd.conf");
    std::fs::rename(root.join("usr/local/etc/amavisd.conf"), &real).expect("moves");
    std::os::unix::fs::symlink("../../../srv/real-amavisd.conf", root.join("usr/local/etc/amavisd.conf"))
        .expect("links");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let master = root.join("usr/local/etc/postfix/master.cf");
    std::fs::set_permissions(&master, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let outcome = apply(&root, &["--concurrency", "6"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(outcome.stdout.contains("(a symlink; its target"), "{}", outcome.stdout);
    let link = std::fs::symlink_metadata(root.join("usr/local/etc/amavisd.conf")).expect("stat");
    assert!(link.file_type().is_symlink(), "the symlink stays a symlink");
    assert!(std::fs::read_to_string(&real).expect("reads").contains("$max_servers = 6;"));
    assert_eq!(std::fs::metadata(&real).expect("stat").permissions().mode() & 0o7777, 0o640);
    assert_eq!(std::fs::metadata(&master).expect("stat").permissions().mode() & 0o7777, 0o600);
}

/// Apply, then restore every backup: the files are byte for byte the originals again.
pub(crate) fn restore_round_trip_on_every_fixture() {
    // The third-party corpus (trees with a SOURCE), where some applies are refused, is `corpus.rs`'s.
    for tree in fixture_trees().into_iter().filter(|tree| !tree.join("SOURCE").is_file()) {
        let name = tree.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if name == "debian-expression" {
            continue;
        }
        let (_dir, root) = copy_of(&name);
        let originals = snapshot_tree(&root);
        let outcome = apply(&root, &["--concurrency", "7", "--format", "json"]);
        assert_eq!(outcome.code, 0, "{name}: {}", outcome.stderr);
        let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
        let listed = Run::new(["restore", "--root"]).run_with_arg(&root);
        assert_eq!(listed.code, 0, "{name}: {}", listed.stderr);
        for file in json["files"].as_array().expect("files") {
            let backup = file["backup"].as_str().expect("a backup");
            assert!(listed.stdout.contains(backup), "{name}: {backup} is listed");
            let restored = Run::new(["restore", "--backup", backup, "--root"]).run_with_arg(&root);
            // Exit 1 is right when the restored state is itself a mismatch.
            assert_ne!(restored.code, 2, "{name}: {}", restored.stderr);
            assert!(restored.stdout.contains("restored "), "{name}: {}", restored.stdout);
        }
        let after = snapshot_tree(&root);
        for (path, bytes) in &originals {
            assert_eq!(after.get(path), Some(bytes), "{name}: {} is the original again", path.display());
        }
    }
}

pub(crate) fn restore_refuses_a_backup_of_another_file() {
    let (_dir, root) = copy_of("freebsd-mismatch");
    let outcome = apply(&root, &["--concurrency", "4", "--format", "json"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
    let amavis_backup = json["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["backup"].as_str())
        .find(|b| b.contains("amavisd.conf"))
        .expect("amavisd.conf backup")
        .to_owned();
    let fake = root.join("usr/local/etc/postfix/master.cf.amavis-tune-20200101T000000.bak");
    std::fs::copy(&amavis_backup, &fake).expect("copies");
    let before = std::fs::read(root.join("usr/local/etc/postfix/master.cf")).expect("reads");
    // Named as a backup of master.cf, it is not one amavis-tune recorded making: refused, even
    // with --force (safety::restore_takes_only_its_own_backups has the other refusals).
    let refused = Run::new(["restore", "--force", "--backup"]).run_with_arg(&fake);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("not in the record"), "{}", refused.stderr);
    assert_eq!(std::fs::read(root.join("usr/local/etc/postfix/master.cf")).expect("reads"), before);
}

/// The printed backup and rollback steps, run by root's shell on the release (`sh` on Debian 12,
/// `tcsh` on FreeBSD 13, whose root shell is csh) on a copy of a tree (their absolute paths
/// pointed at it), in one shell session with an `apply --no-backup` between them: the rollback
/// puts back exactly the copies the backup step made (by `$stamp`), every byte. The backups carry
/// apply's names. (The reloads are for a live server, and are left out.)
pub(crate) fn printed_backup_and_rollback_steps_work() {
    for (release, tree, shell) in [("debian:12", "debian-match", "sh"), ("freebsd:13", "freebsd-mismatch", "tcsh")] {
        let (_dir, root) = copy_of(tree);
        let plan = Run::new(["plan", "--ram", "8G", "--os", release, "--concurrency", "6", "--format", "json"]).run();
        assert_eq!(plan.code, 0, "{}", plan.stderr);
        let json: serde_json::Value = serde_json::from_str(&plan.stdout).expect("valid JSON");
        let reload = json["release"]["facts"]["amavis_reload"].as_str().expect("the reload").to_owned();
        let command = |kind: &str| -> String {
            let steps = json["steps"].as_array().expect("steps");
            let step = steps.iter().find(|s| s["kind"] == kind).unwrap_or_else(|| panic!("a {kind} step"));
            let text = step["command"].as_str().expect("a command");
            text.replace(" && postfix reload", "")
                .replace(&format!(" && {reload}"), "")
                .replace(" /etc/", &format!(" {}/etc/", root.display()))
                .replace(" /usr/local/etc/", &format!(" {}/usr/local/etc/", root.display()))
        };
        let (backup, rollback) = (command("backup"), command("rollback"));
        assert!(rollback.contains("$stamp") && !rollback.contains("ls "), "{release}: {rollback}");
        let originals = snapshot_tree(&root);
        let apply = format!(
            "{} apply --ram 64G --os {release} --concurrency 9 --no-backup --root {} > /dev/null",
            amavis_tune_tests::binary().display(),
            root.display()
        );
        let changed = root.join("changed");
        let script = format!(
            "{backup} && {apply} && cp -p {} {} && {rollback}",
            root.join(if release == "freebsd:13" {
                "usr/local/etc/postfix/master.cf"
            } else {
                "etc/postfix/master.cf"
            })
            .display(),
            changed.display()
        );
        let mut run = Command::new(shell);
        if shell == "tcsh" {
            run.arg("-f");
        }
        let status = run.arg("-c").arg(&script).status().expect("the shell runs");
        assert!(status.success(), "{release} under {shell}: `{script}` failed");
        let after = snapshot_tree(&root);
        assert_ne!(
            after.get(Path::new("changed")),
            after.get(&PathBuf::from(if release == "freebsd:13" {
                "usr/local/etc/postfix/master.cf"
            } else {
                "etc/postfix/master.cf"
            })),
            "{release}: apply changed master.cf in between"
        );
        for (path, bytes) in &originals {
            assert_eq!(after.get(path), Some(bytes), "{release}: {} is the original again", path.display());
        }
        let listed = Run::new(["restore", "--root"]).run_with_arg(&root);
        assert!(
            listed.stdout.contains(".amavis-tune-"),
            "{release}: the step's copies carry apply's names: {}",
            listed.stdout
        );
    }
}

/// The rollback `apply` and then `restore` print names the backups that very run made, in the
/// order that undoes it; run by `sh` (reloads left out) it puts every byte back.
pub(crate) fn rollback_after_apply_and_restore_works() {
    let (_dir, root) = copy_of("debian-match");
    let rollback_of = |json: &serde_json::Value| -> String {
        let steps = json["steps"].as_array().expect("steps");
        let step = steps.iter().find(|s| s["kind"] == "rollback").expect("a rollback step");
        step["command"]
            .as_str()
            .expect("a command")
            .replace(" && postfix reload", "")
            .replace(" && systemctl reload amavis", "")
    };
    let sh = |script: &str| {
        let status = Command::new("sh").arg("-c").arg(script).status().expect("sh runs");
        assert!(status.success(), "`{script}` failed");
    };
    let originals = snapshot_tree(&root);
    // Lowering 4 to 2: the rollback raises it again, amavisd's file first.
    let outcome = apply(&root, &["--concurrency", "2", "--format", "json"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
    let rollback = rollback_of(&json);
    let user = rollback.find("50-user.amavis-tune-").expect("50-user's backup");
    let master = rollback.find("master.cf.amavis-tune-").expect("master.cf's backup");
    assert!(user < master, "undoing a cut: amavisd first: {rollback}");
    for file in json["files"].as_array().expect("files") {
        let backup = file["backup"].as_str().expect("a backup");
        let on_server = backup.strip_prefix(&*root.to_string_lossy()).expect("under the root");
        assert!(rollback.contains(on_server), "{on_server} in {rollback}");
    }
    sh(&rollback.replace(" /etc/", &format!(" {}/etc/", root.display())));
    let after: Vec<_> = snapshot_tree(&root).into_iter().filter(|(p, _)| originals.contains_key(p)).collect();
    assert!(after.iter().all(|(p, b)| originals.get(p) == Some(b)), "apply's rollback puts every byte back");

    // apply again, then restore master.cf from its backup: restore's rollback undoes the restore.
    let applied = apply(&root, &["--concurrency", "6", "--format", "json"]);
    let applied: serde_json::Value = serde_json::from_str(&applied.stdout).expect("valid JSON");
    let master_backup = applied["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["backup"].as_str())
        .find(|b| b.contains("master.cf"))
        .expect("master.cf's backup")
        .to_owned();
    let applied_master = std::fs::read(root.join("etc/postfix/master.cf")).expect("reads");
    let restored = Run::new(["restore", "--backup", &master_backup, "--root"]).run_with_arg(&root);
    assert_ne!(restored.code, 2, "{}", restored.stderr);
    let restored_text = restored.stdout;
    let rollback = restored_text
        .lines()
        .skip_while(|l| !l.contains("If anything went wrong"))
        .nth(1)
        .expect("restore prints a rollback")
        .trim()
        .replace(" && postfix reload", "")
        .replace(" && systemctl reload amavis", "");
    sh(&rollback.replace(" /etc/", &format!(" {}/etc/", root.display())));
    assert_eq!(std::fs::read(root.join("etc/postfix/master.cf")).expect("reads"), applied_master, "restore undone");
}

/// Issue 26 item 7 (secrets in diffs): a diff never shows the value of a secret-looking setting
/// beside the lines apply edits (amavisd's `$sql_password` and `@lookup_sql_dsn`, an inline
/// `smtp_sasl_password_maps` in master.cf), in apply's or restore's diffs; comments are shown as
/// they are; `--no-diff` prints no diff at all; the JSON output holds no file contents.
pub(crate) fn secrets_stay_out_of_diffs() {
    let (_dir, root) = copy_of("debian-default-mismatch");
    let user = root.join("etc/amavis/conf.d/50-user");
    let text = std::fs::read_to_string(&user).expect("reads 50-user");
    let marker = "#------------ Do not modify anything below this line";
    assert!(text.contains(marker), "50-user has Debian's marker, above which apply adds $max_servers");
    let secret_lines = "@lookup_sql_dsn = ( ['DBI:mysql:database=mail;host=127.0.0.1', 'amavis', 'Dsn-Secret-9'] );\n\
                        $sql_password = 'S3cret-sql-pw';\n\
                        # $sql_password = 'commented-out';\n";
    std::fs::write(&user, text.replace(marker, &format!("{secret_lines}{marker}"))).expect("writes 50-user");
    let master = root.join("etc/postfix/master.cf");
    let text = std::fs::read_to_string(&master).expect("reads master.cf");
    let transport =
        text.lines().find(|line| line.starts_with("smtp-amavis ")).expect("the amavis transport").to_owned();
    let sasl = "    -o smtp_sasl_password_maps=static:relay:Relay-Secret-7";
    std::fs::write(&master, text.replace(&transport, &format!("{transport}\n{sasl}"))).expect("writes master.cf");
    let secrets = ["Dsn-Secret-9", "S3cret-sql-pw", "Relay-Secret-7"];
    let assert_no_secret = |what: &str, outcome: &Outcome| {
        for secret in secrets {
            assert!(!outcome.stdout.contains(secret), "{what} shows {secret}:\n{}", outcome.stdout);
            assert!(!outcome.stderr.contains(secret), "{what} shows {secret} on stderr:\n{}", outcome.stderr);
        }
    };
    let diff_lines = |outcome: &Outcome| {
        outcome.stdout.lines().filter(|l| l.starts_with("---") || l.starts_with("+++") || l.starts_with("@@")).count()
    };

    let dry_run = apply(&root, &["--concurrency", "6", "--dry-run"]);
    assert_eq!(dry_run.code, 0, "{}", dry_run.stderr);
    assert_no_secret("apply --dry-run", &dry_run);
    for shown in [
        "+$max_servers = 6;",
        " @lookup_sql_dsn = ********",
        " $sql_password = ********",
        " # $sql_password = 'commented-out';",
        "     -o smtp_sasl_password_maps=********",
    ] {
        assert!(dry_run.stdout.lines().any(|line| line == shown), "the diff shows {shown:?}:\n{}", dry_run.stdout);
    }

    let no_diff = apply(&root, &["--concurrency", "6", "--dry-run", "--no-diff"]);
    assert_eq!(no_diff.code, 0, "{}", no_diff.stderr);
    assert_no_secret("apply --dry-run --no-diff", &no_diff);
    assert_eq!(diff_lines(&no_diff), 0, "{}", no_diff.stdout);
    for path in [&user, &master] {
        let named = format!("(the diff of {} is not shown: --no-diff)", path.display());
        assert!(no_diff.stdout.contains(&named), "{named}:\n{}", no_diff.stdout);
    }
    assert!(no_diff.stdout.contains("Dry run: nothing was written."), "{}", no_diff.stdout);

    let json = apply(&root, &["--concurrency", "6", "--dry-run", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_no_secret("apply --dry-run --format json", &json);
    let applied = apply(&root, &["--concurrency", "6", "--format", "json"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert_no_secret("apply --format json", &applied);
    let value: serde_json::Value = serde_json::from_str(&applied.stdout).expect("valid JSON");
    assert!(!applied.stdout.contains("smtp_sasl_password_maps"), "no file contents in the JSON: {value:#}");

    let listed = Run::new(["restore", "--root"]).run_with_arg(&root);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert_no_secret("restore's listing", &listed);
    assert!(listed.stdout.lines().any(|line| line == " $sql_password = ********"), "{}", listed.stdout);
    let listed = Run::new(["restore", "--no-diff", "--root"]).run_with_arg(&root);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert_eq!(diff_lines(&listed), 0, "{}", listed.stdout);
    assert!(listed.stdout.contains(".amavis-tune-"), "the backups are still listed: {}", listed.stdout);
    let backup = value["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|file| file["backup"].as_str())
        .find(|backup| backup.contains("50-user"))
        .expect("a backup of 50-user");
    for extra in [None, Some("--no-diff")] {
        let mut run = Run::new(["restore", "--dry-run", "--root"]).arg(&root);
        if let Some(extra) = extra {
            run = run.arg(extra);
        }
        let restored = run.arg("--backup").arg(backup).run();
        assert_eq!(restored.code, 0, "{extra:?}: {}", restored.stderr);
        assert_no_secret("restore --backup --dry-run", &restored);
        let expected_diff_lines = if extra.is_some() { 0 } else { 3 };
        assert_eq!(diff_lines(&restored), expected_diff_lines, "{extra:?}: {}", restored.stdout);
    }
}

/// Issue 27, item 4: FreeBSD 13's printed Postfix change and its check, run by `tcsh` (root's
/// shell there) with `postconf` pointed at a tree's Postfix directory: the change is made and
/// read back, where the unwrapped sh form fails in csh.
pub(crate) fn freebsd13_postfix_change_runs_under_tcsh() {
    let (_dir, root) = copy_of("freebsd-mismatch");
    let plan = Run::new([
        "plan",
        "--ram",
        "8G",
        "--os",
        "freebsd:13",
        "--method",
        "main-cf",
        "--concurrency",
        "6",
        "--format",
        "json",
    ])
    .run();
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).expect("valid JSON");
    let change = json["snippets"]
        .as_array()
        .expect("snippets")
        .iter()
        .find_map(|s| s["command"].as_str())
        .expect("a postconf command")
        .to_owned();
    assert!(change.starts_with("sh -c '"), "{change}");
    let postfix = root.join("usr/local/etc/postfix");
    let tcsh = |command: &str| {
        Command::new("tcsh").args(["-f", "-c", command]).env("MAIL_CONFIG", &postfix).output().expect("tcsh runs")
    };
    let done = tcsh(&change);
    assert!(done.status.success(), "`{change}` under tcsh: {}", String::from_utf8_lossy(&done.stderr));
    let main_cf = std::fs::read_to_string(postfix.join("main.cf")).expect("reads");
    assert!(main_cf.contains("smtp-amavis_destination_concurrency_limit = 6"), "{main_cf}");
    // The same command unwrapped is what csh cannot run.
    let unwrapped =
        change.strip_prefix("sh -c '").and_then(|c| c.strip_suffix('\'')).expect("wrapped").replace("'\\''", "'");
    assert!(!tcsh(&unwrapped).status.success(), "csh ran `{unwrapped}`");
}

/// Issue 27, item 10: the backups every `apply` leaves in conf.d are one line of `check`, not one
/// per backup (amavisd skips them all; run-parts is the judge of that in `amavis_oracle`).
pub(crate) fn backups_are_one_line_of_check() {
    let (_dir, root) = copy_of("debian-match");
    for n in ["5", "6", "7"] {
        let outcome = apply(&root, &["--concurrency", n]);
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    }
    let check = Run::new(["check", "--no-logs", "--root"]).run_with_arg(&root);
    let skipped: Vec<&str> = check.stdout.lines().filter(|l| l.contains("amavis-file-skipped")).collect();
    assert_eq!(skipped.len(), 1, "{}", check.stdout);
    assert!(skipped[0].contains("50-user.amavis-tune-*.bak: 3 file(s)"), "{}", skipped[0]);
}

/// Issue 27, item 9: `apply --root` on another tree without `--ram` says that the fit is judged
/// against this machine's RAM; with `--ram` it does not.
pub(crate) fn another_tree_without_ram_says_whose_ram() {
    let (_dir, root) = copy_of("debian-match");
    let without = Run::new(["apply", "--concurrency", "6", "--dry-run", "--root"]).run_with_arg(&root);
    assert_eq!(without.code, 0, "{}", without.stderr);
    assert!(without.stderr.contains("judged against this machine's RAM"), "{}", without.stderr);
    let with = Run::new(["apply", "--concurrency", "6", "--ram", "8G", "--dry-run", "--root"]).run_with_arg(&root);
    assert!(!with.stderr.contains("this machine's RAM"), "{}", with.stderr);
}
