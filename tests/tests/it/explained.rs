//! Output that explains itself: snippet headers that survive pasting (read back by the real
//! `postconf` and amavisd), permalinks that reproduce a plan, old-link notices, presets, and the
//! guards against typos.

use std::path::{Path, PathBuf};
use std::process::Command;

use amavis_tune_tests::needs::Need;
use amavis_tune_tests::{
    Run, amavis_tune, amavisd_files_of, amavisd_reads, copy_tree, snapshot_tree, workspace_root, write_aged,
};

fn json(outcome: &amavis_tune_tests::Outcome) -> serde_json::Value {
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    serde_json::from_str(&outcome.stdout).expect("valid JSON")
}

/// The plan without `sources`, which says where the inputs came from (flags, link, preset).
fn plan_only(mut value: serde_json::Value) -> serde_json::Value {
    value.as_object_mut().expect("an object").remove("sources");
    value
}

fn under(tree: &Path, path: &str) -> PathBuf {
    tree.join(path.trim_start_matches('/'))
}

/// Pastes a snippet the way its placement says: amavisd's above the final `1;`, master.cf's in
/// place of the service's entry line (its `-o` lines stay), main.cf's in place of a line setting
/// the same parameter, else at the end.
fn paste(tree: &Path, snippet: &serde_json::Value, service: &str) {
    let path = under(tree, snippet["path"].as_str().expect("path"));
    let text =
        format!("{}{}", snippet["header"].as_str().expect("header"), snippet["content"].as_str().expect("content"));
    let original = std::fs::read_to_string(&path).expect("the file exists");
    let pasted = match snippet["file"].as_str().expect("file") {
        "amavis-conf" => match original.rfind("\n1;") {
            Some(at) => format!("{}\n{text}{}", &original[..at], &original[at + 1..]),
            None => format!("{original}{text}"),
        },
        "master-cf" => {
            let mut lines: Vec<String> = original.lines().map(str::to_owned).collect();
            let entry = lines
                .iter()
                .position(|l| l.split_whitespace().take(2).eq([service, "unix"]))
                .expect("the service's entry");
            lines[entry] = text.trim_end().to_owned();
            lines.join("\n") + "\n"
        }
        _ => {
            let content = snippet["content"].as_str().expect("content");
            let name = content.split('=').next().expect("a name").trim();
            let mut lines: Vec<String> = original.lines().map(str::to_owned).collect();
            match lines.iter().position(|l| l.split('=').next().is_some_and(|n| n.trim_end() == name)) {
                Some(at) => {
                    lines[at] = text.trim_end().to_owned();
                    lines.join("\n") + "\n"
                }
                None => format!("{original}{text}"),
            }
        }
    };
    write_aged(&path, pasted);
}

/// Every snippet, pasted with its header into real layouts, is read by the real programs: they
/// see the planned number, and `check` then finds both sides agree.
pub(crate) fn pasted_snippets_with_headers_are_read_by_postfix_and_amavisd() {
    let (postconf, amavisd) = (Need::Postconf.path(), Need::Amavisd.path());
    let trees = workspace_root().join("tests/fixtures/trees");
    for (tree, os) in [
        ("debian-match", "debian"),
        ("rhel-main-cf-limit", "rhel"),
        ("freebsd-mismatch", "freebsd"),
        ("openbsd-reinjection", "openbsd"),
    ] {
        for (method, n) in [("master-cf", "25"), ("main-cf", "7")] {
            let scratch = tempfile::tempdir().expect("tempdir");
            let copy = scratch.path().join("tree");
            copy_tree(&trees.join(tree), &copy);
            let plan = json(&amavis_tune(&format!(
                "plan --ram 32G --concurrency {n} --os {os} --method {method} --format json"
            )));
            for snippet in plan["snippets"].as_array().expect("snippets") {
                assert!(snippet["header"].as_str().is_some_and(|h| h.lines().all(|l| l.starts_with('#'))), "{snippet}");
                paste(&copy, snippet, "smtp-amavis");
            }
            let context = format!("{tree} {method}");
            let amavis_files = amavisd_files_of(&copy);
            assert_eq!(amavisd_reads(&amavisd, &amavis_files, scratch.path()), Ok(n.parse().expect("n")), "{context}");
            let postfix_dir =
                under(&copy, plan["snippets"][1]["path"].as_str().expect("path")).parent().expect("dir").to_path_buf();
            let query = if method == "master-cf" {
                vec!["-h", "-F", "smtp-amavis/unix/process_limit"]
            } else {
                vec!["-h", "smtp-amavis_destination_concurrency_limit"]
            };
            let output =
                Command::new(&postconf).arg("-c").arg(&postfix_dir).args(&query).output().expect("postconf runs");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success() && stderr.is_empty(), "{context}: {stderr}");
            assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), n, "{context}");
            if method == "master-cf" {
                // Both sides agree (openbsd-reinjection's too-small re-injection listener is a
                // finding of its own, which the plan's snippets do not touch).
                let check = Run::new(["check", "--os", os, "--format", "json", "--root"]).run_with_arg(&copy);
                let report: serde_json::Value = serde_json::from_str(&check.stdout).expect("valid JSON");
                assert_eq!(report["status"], "match", "{context}: {}", check.stdout);
                assert_eq!(report["amavis"]["max_servers"], 25, "{context}");
            }
        }
    }
}

/// `--permalink` prints the link; `--from-url` with that link, or with a whole header that holds
/// it, gives the same plan.
pub(crate) fn permalinks_and_headers_reproduce_the_plan() {
    for args in [
        "--ram 8G --os rhel --cpus 4",
        "--ram 4.5G --concurrency 6 --os ubuntu --no-concurrent-reload --method main-cf --service amavisfeed",
        "--ram 3G --os openbsd --no-clamav --per-child 150M --reserve 2G --headroom 5 --clamd 1G --amavisd-parent 90M",
        "--preset gateway --os freebsd",
    ] {
        let link = amavis_tune(&format!("plan {args} --permalink"));
        assert_eq!(link.code, 0, "{args}: {}", link.stderr);
        let link = link.stdout.trim().to_owned();
        assert!(link.starts_with("https://amavis-tune.github.io/amavis-tune/?v=2&ram="), "{link}");
        let direct = json(&amavis_tune(&format!("plan {args} --format json")));
        assert_eq!(direct["permalink"], link.as_str());
        let replayed = json(&Run::new(["plan", "--format", "json", "--from-url", &link]).run());
        assert_eq!(plan_only(replayed.clone()), plan_only(direct.clone()), "{args}");
        assert_eq!(replayed["sources"]["link"]["model_version"], 2);
        assert_eq!(replayed["sources"]["link"]["notice"], serde_json::Value::Null);
        let header = direct["snippets"][0]["header"].as_str().expect("header");
        let from_header = json(&Run::new(["plan", "--format", "json", "--from-url", header]).run());
        assert_eq!(plan_only(from_header), plan_only(direct), "{args}: from the header");
    }
    // Another copy of the calculator, by flag or environment.
    let moved =
        amavis_tune("plan --ram 8G --os debian --permalink --base-url https://docs.example/calc/index.html?x=1");
    assert_eq!(moved.stdout, "https://docs.example/calc/index.html?v=2&ram=8G&os=debian&clamav=on&method=master-cf\n");
    let by_env = Run::new(["plan", "--ram", "8G", "--os", "debian", "--format", "json"])
        .env("AMAVIS_TUNE_BASE_URL", "https://mail.example/tune/")
        .run();
    let by_env = json(&by_env);
    assert!(
        by_env["snippets"][0]["header"]
            .as_str()
            .is_some_and(|h| h.contains("# Reproduce: amavis-tune plan --from-url '?v=2&ram=8G")
                && h.contains("#   or, where the calculator is published, https://mail.example/tune/?v=2&ram=8G"))
    );
}

/// A link made with another model version says so, with the numbers of the current model.
pub(crate) fn old_and_unknown_links_show_a_notice() {
    // Model 1's defaults (parent 128 MiB, 100 MiB per child) on 5 GiB with ClamAV reloading
    // concurrently: 5120 - 512 - 1024 - 3072 - 128 = 384, 3 children; model 2's (184, 70): 328, 4.
    let text =
        Run::new(["plan", "--from-url", "https://amavis-tune.github.io/amavis-tune/?v=1&ram=5G&os=debian"]).run();
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout.starts_with(
            "notice: This link was made with memory model 1, which gave 3 children (safe maximum 3); the current model 2 gives 4 (safe maximum 4). What changed since: model 2: amavisd parent 184 MiB (was 128)"
        ),
        "{}",
        text.stdout
    );
    for (version, says) in [("0", "which no amavis-tune release made"), ("99", "which a newer amavis-tune made")] {
        let link = format!("https://amavis-tune.github.io/amavis-tune/?v={version}&ram=8G&os=debian");
        let text = Run::new(["plan", "--from-url", &link]).run();
        assert_eq!(text.code, 0, "{}", text.stderr);
        assert!(
            text.stdout.starts_with(&format!(
                "notice: This link names memory model {version}, {says} and this one (model 2) does not know"
            )),
            "{}",
            text.stdout
        );
        let value = json(&Run::new(["plan", "--format", "json", "--from-url", &link]).run());
        assert!(value["sources"]["link"]["notice"].as_str().is_some_and(|n| n.contains(says)));
        assert_eq!(value["max_servers"], 10);
    }
}

pub(crate) fn bad_links_are_clear_errors() {
    for (link, says) in [
        ("https://x.example/", "error: cannot read the permalink: the link has no query"),
        (
            "https://x.example/?ram=8G&colour=red",
            "error: cannot read the permalink: the link has an unknown key `colour`",
        ),
        (
            "https://x.example/?ram=8Q",
            "error: cannot read the permalink: in the link, `ram=8Q`: invalid size `8Q`: unknown unit `Q`",
        ),
        ("https://x.example/?os=debian", "error: cannot read the permalink: the link does not name the RAM"),
    ] {
        let outcome = Run::new(["plan", "--from-url", link]).run();
        assert_eq!(outcome.code, 2, "{link}");
        assert!(outcome.stderr.starts_with(says), "{link}: {}", outcome.stderr);
        assert!(outcome.stdout.is_empty());
    }
    let both = amavis_tune("plan --from-url https://x.example/?ram=8G --ram 4G");
    assert_eq!(both.code, 2);
    assert!(both.stderr.contains("cannot be used with"), "{}", both.stderr);
}

pub(crate) fn presets_are_starting_points() {
    let vps = json(&amavis_tune("plan --preset vps-mx --os debian --format json"));
    assert_eq!(vps["inputs"]["ram_mib"], 2048);
    assert_eq!(vps["inputs"]["cpus"], 1);
    assert_eq!(vps["inputs"]["clamav"]["enabled"], false);
    assert_eq!(vps["max_servers"], 3);
    assert_eq!(vps["sources"]["preset"], "vps-mx");
    assert_eq!(vps["sources"]["ram"], "preset");
    // Flags change a preset's inputs.
    let changed = json(&amavis_tune("plan --preset vps-mx --os debian --clamav --ram 6G --format json"));
    assert_eq!(changed["inputs"]["clamav"]["enabled"], true);
    assert_eq!(changed["inputs"]["ram_mib"], 6144);
    assert_eq!(changed["sources"]["ram"], "flag");
    let gateway = json(&amavis_tune("plan --preset gateway --os debian --concurrency 12 --format json"));
    assert_eq!(gateway["max_servers"], 12);
    assert_eq!(gateway["inputs"]["cpus"], 16);
    let office = amavis_tune("plan --preset office --os debian");
    assert!(
        office.stdout.starts_with("amavis-tune plan (preset office): 8 GiB RAM, 4 CPU(s), debian"),
        "{}",
        office.stdout
    );
    let unknown = amavis_tune("plan --preset huge");
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("[possible values: vps-mx, office, gateway]"), "{}", unknown.stderr);
}

/// Typos: a RAM figure off by a unit is named with the value probably meant; a concurrency above
/// 30 needs --force, for plan and for apply (which then writes nothing).
pub(crate) fn typo_guards() {
    for (ram, says) in [
        (
            "4048G",
            "warning[ram-unit-slip]: 4048G of RAM (4.0 TiB) is more than any mail server has: if you meant 4048 MiB, enter 4048M.",
        ),
        (
            "8M",
            "warning[ram-unit-slip]: 8 MiB of RAM is less than amavisd and Postfix need to start: if you meant 8 GiB, enter 8G.",
        ),
    ] {
        let outcome = amavis_tune(&format!("plan --ram {ram} --os debian"));
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        assert!(outcome.stdout.contains(says), "{}", outcome.stdout);
    }
    assert!(!amavis_tune("plan --ram 16G --os debian").stdout.contains("ram-unit-slip"));

    assert_eq!(amavis_tune("plan --ram 64G --os debian --concurrency 30").code, 0);
    let refused = amavis_tune("plan --ram 64G --os debian --concurrency 31");
    assert_eq!(refused.code, 2);
    assert_eq!(
        refused.stderr,
        "error: concurrency 31 is above the 10-30 children amavis README.postfix calls everyday use, and README.performance finds more than about 10 rarely adds throughput\n\
         hint: if 31 is what you meant, run `amavis-tune plan` again with --force\n"
    );
    assert!(refused.stdout.is_empty());
    let forced = amavis_tune("plan --ram 64G --os debian --concurrency 31 --force");
    assert_eq!(forced.code, 0);
    assert!(forced.stdout.contains("warning[above-useful-range]"), "{}", forced.stdout);
    let from_link = Run::new(["plan", "--from-url", "https://x.example/?v=1&ram=64G&concurrency=40"]).run();
    assert_eq!(from_link.code, 2, "a link is input too: {}", from_link.stderr);

    let scratch = tempfile::tempdir().expect("tempdir");
    let tree = scratch.path().join("tree");
    copy_tree(&workspace_root().join("tests/fixtures/trees/debian-match"), &tree);
    let before = snapshot_tree(&tree);
    let apply =
        Run::new(["apply", "--ram", "64G", "--concurrency", "31", "--os", "debian", "--root"]).run_with_arg(&tree);
    assert_eq!(apply.code, 2);
    assert!(apply.stderr.contains("run `amavis-tune apply` again with --force"), "{}", apply.stderr);
    assert_eq!(snapshot_tree(&tree), before, "nothing written");
    let forced = Run::new(["apply", "--ram", "64G", "--concurrency", "31", "--os", "debian", "--force", "--root"])
        .run_with_arg(&tree);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
}

/// SOURCE_DATE_EPOCH fixes the date in the headers; without it, today's date is used.
pub(crate) fn header_dates() {
    let fixed = json(&amavis_tune("plan --ram 8G --os debian --format json"));
    assert!(
        fixed["snippets"][0]["header"]
            .as_str()
            .is_some_and(|h| h.starts_with("# Generated by amavis-tune 0.1.0 (memory model 2), 2026-11-29\n"))
    );
    let other = json(
        &Run::new(["plan", "--ram", "8G", "--os", "debian", "--format", "json"]).env("SOURCE_DATE_EPOCH", "0").run(),
    );
    assert!(other["snippets"][0]["header"].as_str().is_some_and(|h| h.contains(", 1970-01-01\n")));
    let bad = Run::new(["plan", "--ram", "8G", "--os", "debian"]).env("SOURCE_DATE_EPOCH", "yesterday").run();
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.starts_with("error: invalid SOURCE_DATE_EPOCH `yesterday`"), "{}", bad.stderr);
}
