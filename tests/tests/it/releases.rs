//! The steps per release: every path, unit and program name a plan prints is its release's (the
//! data table, checked against the packages in its sources), and the commands that can run here
//! (Debian 12's postfix and amavisd) do what the steps say.

use std::path::Path;
use std::process::Command;

use amavis_tune_core::{Master, RELEASES, ReleaseFacts, Validation};
use amavis_tune_tests::needs::Need;
use amavis_tune_tests::{Run, copy_tree, workspace_root};

/// `plan --format json` for a release.
pub(crate) fn plan_json(args: &[&str]) -> serde_json::Value {
    let outcome = Run::new(["plan", "--ram", "8G", "--format", "json"].iter().chain(args)).run();
    assert_eq!(outcome.code, 0, "{args:?}: {}", outcome.stderr);
    serde_json::from_str(&outcome.stdout).expect("valid JSON")
}

pub(crate) fn commands(plan: &serde_json::Value) -> Vec<(String, String)> {
    plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|step| {
            (
                step["kind"].as_str().unwrap_or_default().to_owned(),
                step["command"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The absolute paths a command names (words starting with `/`, quotes and `$(` stripped).
fn paths_in(command: &str) -> Vec<String> {
    command
        .split(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '(' || c == ')')
        .filter(|word| word.starts_with('/'))
        .map(|word| word.split(".amavis-tune-").next().unwrap_or(word).to_owned())
        .collect()
}

fn check_release(facts: &ReleaseFacts, method: &str) {
    let plan = plan_json(&["--os", facts.id, "--method", method, "--concurrency", "25"]);
    let id = facts.id;
    assert_eq!(plan["release"]["id"], id);
    assert!(plan["release"]["note"].is_null(), "{id}: {}", plan["release"]["note"]);
    let allowed: Vec<String> = [facts.amavis_conf.to_owned(), facts.master_cf_path(), facts.main_cf_path()]
        .into_iter()
        .chain(facts.master.pid_file().map(str::to_owned))
        .collect();
    let steps = commands(&plan);
    for (kind, command) in &steps {
        for path in paths_in(command) {
            assert!(allowed.contains(&path), "{id}: `{command}` names {path}, not one of {allowed:?}");
        }
        // Another release's amavisd program name never appears: `amavisd-new` where the program
        // is `amavisd`, and the other way round.
        let other = if facts.amavisd_name() == "amavisd" { "amavisd-new " } else { "amavisd " };
        assert!(!command.starts_with(other) && !command.contains(&format!("&& {other}")), "{id}: `{command}`");
        if kind == "restart" && !command.starts_with("postfix") {
            assert_eq!(command, facts.amavis_reload, "{id}");
        }
    }
    let has = |command: &str| steps.iter().any(|(_, c)| c == command);
    assert!(has(&facts.validation_command()), "{id}: no `{}` in {steps:?}", facts.validation_command());
    // The children of the release's master (its pid file, or its unit's main process), until
    // there are at least 25.
    let counts = |c: &String| {
        c.contains("pgrep -P") && c.contains(&format!("p=$({});", facts.master.pid_command())) && c.contains("-ge 25 ")
    };
    assert!(steps.iter().any(|(_, c)| counts(c)), "{id}: no child count in {steps:?}");
    let validation = facts.validation_command();
    let subcommand = match facts.validation {
        Validation::TestConfig => "test-config",
        Validation::ShowKeys => "showkeys",
    };
    assert!(validation.starts_with(facts.amavisd_name()) && validation.ends_with(subcommand), "{id}: {validation}");
    if !facts.amavis_reads_conf_d {
        assert!(validation.contains(&format!("-c {}", facts.amavis_conf)), "{id}: {validation}");
    }
    // The rollback reloads amavisd with the same command, last (it undoes a raise: Postfix first).
    let rollback = steps.iter().find(|(kind, _)| kind == "rollback").map(|(_, c)| c.clone()).unwrap_or_default();
    assert!(rollback.ends_with(facts.amavis_reload), "{id}: {rollback}");
    // The snippets go where the table says.
    for snippet in plan["snippets"].as_array().expect("snippets") {
        let path = snippet["path"].as_str().unwrap_or_default();
        assert!(allowed[..3].contains(&path.to_owned()), "{id}: snippet at {path}");
    }
}

/// Each release's steps, with both methods, name only that release's paths, unit and program.
pub(crate) fn every_release_prints_its_own_paths_and_programs() {
    for facts in RELEASES {
        for method in ["master-cf", "main-cf"] {
            check_release(facts, method);
        }
    }
    // A release the table does not list gets the nearest one, and says so.
    let plan = plan_json(&["--os", "debian:14"]);
    assert_eq!(plan["release"]["id"], "debian:13");
    assert!(plan["release"]["note"].as_str().is_some_and(|n| n.contains("nearest")), "{}", plan["release"]);
    let plan = plan_json(&["--os", "rhel:9.4"]);
    assert_eq!(plan["release"]["id"], "rhel:9");
    assert!(plan["release"]["note"].is_null());
    let bad = Run::new(["plan", "--ram", "8G", "--os", "debian:twelve"]).run();
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("debian:twelve") && bad.stderr.contains("debian:12"), "{}", bad.stderr);
}

/// Debian 12's validation command, as printed, accepts this machine's packaged configuration;
/// the same subcommand rejects a broken file (each validation subcommand, test-config and
/// showkeys, both ways: this amavisd has both).
pub(crate) fn validation_commands_accept_good_and_reject_broken_files() {
    let amavisd = Need::Amavisd.path();
    let debian12 = RELEASES.iter().find(|r| r.id == "debian:12").expect("debian:12");
    let printed = debian12.validation_command();
    assert_eq!(printed, "amavisd test-config");
    let mut words = printed.split_whitespace();
    words.next();
    let status = Command::new(&amavisd).args(words).output().expect("runs amavisd");
    assert!(status.status.success(), "`{printed}` on the packaged config: {}", String::from_utf8_lossy(&status.stderr));
    let scratch = tempfile::tempdir().expect("tempdir");
    let good = scratch.path().join("good.conf");
    let broken = scratch.path().join("broken.conf");
    std::fs::write(&good, "use strict;\n$max_servers = 4;\n1;\n").expect("writes");
    std::fs::write(&broken, "use strict;\n$max_servers = 4\n$oops = ;\n1;\n").expect("writes");
    for subcommand in ["test-config", "showkeys"] {
        let run =
            |file: &Path| Command::new(&amavisd).arg("-c").arg(file).arg(subcommand).output().expect("runs amavisd");
        let accepted = run(&good);
        assert!(
            accepted.status.success(),
            "{subcommand} on a good file: {}",
            String::from_utf8_lossy(&accepted.stderr)
        );
        let rejected = run(&broken);
        assert!(!rejected.status.success(), "{subcommand} accepted a broken file");
        // amavisd says why on standard output, Perl's own warnings go to standard error.
        let said =
            format!("{}{}", String::from_utf8_lossy(&rejected.stdout), String::from_utf8_lossy(&rejected.stderr));
        assert!(said.contains("Error in config file") && said.contains("line 3"), "{subcommand}: {said}");
    }
}

/// The printed Postfix change, run with real postconf on a copy of a tree (MAIL_CONFIG points it
/// there), sets the number and reads it back; for a service that does not exist, postconf alone
/// warns and exits 0, and the printed chain fails.
pub(crate) fn postconf_change_steps_verify_their_effect() {
    let postconf = Need::Postconf.path();
    let sbin = postconf.parent().expect("postconf's directory").to_owned();
    let path = format!("{}:{}", sbin.display(), std::env::var("PATH").unwrap_or_default());
    for (method, read) in [("master-cf", "-F"), ("main-cf", "")] {
        // (main.cf takes a limit for any name, so only master.cf has a change that can miss.)
        let services: &[(&str, bool)] = if method == "master-cf" {
            &[("smtp-amavis", true), ("no-such-service", false)]
        } else {
            &[("smtp-amavis", true)]
        };
        for &(service, works) in services {
            let scratch = tempfile::tempdir().expect("tempdir");
            copy_tree(&workspace_root().join("tests/fixtures/trees/debian-match/etc/postfix"), scratch.path());
            let plan =
                plan_json(&["--os", "debian:12", "--method", method, "--service", service, "--concurrency", "7"]);
            let change = plan["snippets"]
                .as_array()
                .expect("snippets")
                .iter()
                .find(|s| s["file"] == method)
                .and_then(|s| s["command"].as_str())
                .expect("a postconf command")
                .to_owned();
            let output = Command::new("sh")
                .arg("-c")
                .arg(&change)
                .env("MAIL_CONFIG", scratch.path())
                .env("PATH", &path)
                .output()
                .expect("runs sh");
            assert_eq!(output.status.success(), works, "{method} {service}: `{change}`: {output:?}");
            if works {
                let key = if method == "master-cf" {
                    format!("{service}/unix/process_limit")
                } else {
                    format!("{service}_destination_concurrency_limit")
                };
                let mut command = Command::new(&postconf);
                command.arg("-c").arg(scratch.path()).arg("-h");
                if !read.is_empty() {
                    command.arg(read);
                }
                let value = command.arg(&key).output().expect("runs postconf");
                assert_eq!(String::from_utf8_lossy(&value.stdout).trim(), "7", "{method}");
            } else {
                // The first command of the chain alone: it warns and succeeds, which is why the
                // chain reads the value back.
                let first = change.split(" && ").next().unwrap_or_default();
                let alone = Command::new("sh")
                    .arg("-c")
                    .arg(first)
                    .env("MAIL_CONFIG", scratch.path())
                    .env("PATH", &path)
                    .output()
                    .expect("runs sh");
                assert!(alone.status.success(), "postconf -F -e on a missing service now fails: {alone:?}");
            }
        }
    }
}

/// Where amavisd writes no pid file (openSUSE's and Gentoo's units), the printed count asks
/// systemd for the unit's main process: run by sh with `systemctl` standing in for systemd (it
/// prints a real process's pid, as `systemctl show -p MainPID --value` prints one), it counts
/// that process's children, at least N (one more is fine); for a stopped unit (systemd's 0) it
/// counts none, not the children of pid 0 (the kernel's own processes).
pub(crate) fn unit_masters_children_are_counted() {
    let units: Vec<&ReleaseFacts> = RELEASES.iter().filter(|r| matches!(r.master, Master::Unit(_))).collect();
    assert!(!units.is_empty());
    // A parent with four children.
    let mut parent = Command::new("sh")
        .arg("-c")
        .arg("sleep 60 & sleep 60 & sleep 60 & sleep 60 & wait")
        .spawn()
        .expect("starts sh");
    let stub = tempfile::tempdir().expect("tempdir");
    let systemctl = stub.path().join("systemctl");
    let path = format!("{}:{}", stub.path().display(), std::env::var("PATH").unwrap_or_default());
    for facts in units {
        let plan = plan_json(&["--os", facts.id, "--concurrency", "3"]);
        let count = commands(&plan)
            .into_iter()
            .find(|(kind, command)| kind == "verify" && command.starts_with("i=0;"))
            .map(|(_, command)| command)
            .unwrap_or_else(|| panic!("{}: no child count", facts.id));
        let Master::Unit(unit) = facts.master else { unreachable!() };
        for (main_pid, expected) in [(parent.id(), "4"), (0, "0")] {
            std::fs::write(
                &systemctl,
                format!(
                    "#!/bin/sh\n[ \"$*\" = \"show -p MainPID --value {unit}\" ] || {{ echo \"unexpected: $*\" >&2; exit 1; }}\necho {main_pid}\n"
                ),
            )
            .expect("writes the stand-in");
            std::fs::set_permissions(&systemctl, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
            // A stopped unit never reaches 3: give up after one round, not 30.
            let command =
                if main_pid == 0 { count.replace("[ \"$i\" -ge 30 ]", "[ \"$i\" -ge 1 ]") } else { count.clone() };
            assert!(main_pid != 0 || command != count, "{}: the count's 30 rounds are not where expected", facts.id);
            let output = Command::new("sh").arg("-c").arg(&command).env("PATH", &path).output().expect("runs sh");
            assert!(output.status.success(), "{}: `{command}`: {output:?}", facts.id);
            assert_eq!(
                String::from_utf8_lossy(&output.stdout).trim(),
                expected,
                "{}: `{command}`: {output:?}",
                facts.id
            );
        }
    }
    let _ = Command::new("pkill").arg("-P").arg(parent.id().to_string()).status();
    let _ = parent.kill();
    let _ = parent.wait();
}

/// Gentoo's release is its init system, told by the tree: amavisd's OpenRC script, or its unit
/// without one; os-release's VERSION_ID (baselayout's) says nothing of it. The steps then reload
/// through that init system.
pub(crate) fn gentoo_release_is_the_tree_s_init_system() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let root = scratch.path();
    let source = workspace_root().join("tests/fixtures/trees/opensuse-tumbleweed/etc");
    std::fs::create_dir_all(root.join("etc/postfix")).expect("mkdir");
    for file in ["amavisd.conf", "postfix/main.cf", "postfix/master.cf"] {
        std::fs::copy(source.join(file), root.join("etc").join(file)).expect("copies");
    }
    std::fs::write(
        root.join("etc/os-release"),
        "NAME=Gentoo\nID=gentoo\nPRETTY_NAME=\"Gentoo Linux\"\nVERSION_ID=\"2.17\"\n",
    )
    .expect("writes");
    let n = std::cell::Cell::new(3);
    let check = |expected: &str, reload: &str| {
        let outcome = Run::new(["check", "--format", "json", "--root"]).run_with_arg(root);
        let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("JSON");
        assert_eq!(json["release"], expected, "{}", outcome.stdout);
        // apply on the scratch tree (a new number each time, so it writes and prints its steps).
        n.set(n.get() + 1);
        let apply =
            Run::new(["apply", "--ram", "8G", "--concurrency", &n.get().to_string(), "--root"]).run_with_arg(root);
        assert_eq!(apply.code, 0, "{expected}: {}", apply.stderr);
        assert!(apply.stdout.contains(reload), "{expected}: {}{}", apply.stdout, apply.stderr);
    };
    // Neither: the family's default, OpenRC.
    check("gentoo:openrc", "rc-service amavisd reload");
    std::fs::create_dir_all(root.join("usr/lib/systemd/system")).expect("mkdir");
    std::fs::write(root.join("usr/lib/systemd/system/amavisd.service"), "[Service]\n").expect("writes");
    check("gentoo:systemd", "systemctl reload amavisd");
    std::fs::create_dir_all(root.join("etc/init.d")).expect("mkdir");
    std::fs::write(root.join("etc/init.d/amavisd"), "#!/sbin/openrc-run\n").expect("writes");
    check("gentoo:openrc", "rc-service amavisd reload");
}
