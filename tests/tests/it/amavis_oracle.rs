//! Differential tests: our reading of `$max_servers` against amavisd's own loader.
//!
//! `AMAVIS_TEST_CONFIG=1 amavisd -c FILE ...` makes amavisd read exactly those files, in that
//! order, and exit; a last file of our own prints the value it would run with.

use amavis_tune_core::{AmavisConf, AssignedValue};
use amavis_tune_tests::needs::Need;
use amavis_tune_tests::{Run, amavisd_reads, amavisd_reads_tree, fixture_trees, workspace_root, write_aged};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

pub(crate) fn fixtures_agree_with_amavisd() {
    let amavisd = Need::Amavisd.path();
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut compared = 0;
    for tree in fixture_trees() {
        // The tree's etc laid over /etc, so files included by absolute path are the tree's.
        let theirs = amavisd_reads_tree(&amavisd, &tree, scratch.path())
            .unwrap_or_else(|e| panic!("{}: {e}", tree.display()))
            .max_servers;
        let outcome =
            Run::new(["check", "--format", "json", "--root"]).current_dir(workspace_root()).run_with_arg(&tree);
        let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
        match json["amavis"]["max_servers"].as_u64() {
            Some(ours) => assert_eq!(ours, u64::from(theirs), "{}", tree.display()),
            // An expression is reported, not guessed: the finding must say so.
            None => assert!(json["findings"].to_string().contains("amavis-unreadable"), "{}", tree.display()),
        }
        compared += 1;
    }
    assert_eq!(compared, fixture_trees().len());
}

/// A piece of a generated config: what it sets (if anything certain) and its text.
fn piece() -> impl Strategy<Value = (Option<u32>, String)> {
    let n = 2u32..200;
    prop_oneof![
        n.clone().prop_map(|n| (Some(n), format!("$max_servers = {n};\n"))),
        n.clone().prop_map(|n| (Some(n), format!("$max_servers={n};  # children\n"))),
        n.clone().prop_map(|n| (Some(n), format!("$max_servers\n   = {n}\n ;\n"))),
        n.clone().prop_map(|n| (Some(n), format!("$Amavis::Conf::max_servers = {n};\n"))),
        n.clone().prop_map(|n| (None, format!("# $max_servers = {n};\n"))),
        n.clone().prop_map(|n| (None, format!("$log_templ = '$max_servers = {n};';\n"))),
        n.clone().prop_map(|n| (None, format!("$notes = q{{ $max_servers = {n}; }};\n"))),
        n.clone().prop_map(|n| (None, format!("=pod\n\n$max_servers = {n};\n\n=cut\n"))),
        n.clone().prop_map(|n| (None, format!("$text = <<\"EOT\";\n$max_servers = {n};\nEOT\n"))),
        n.clone().prop_map(|n| (None, format!("$max_servers_hint = {n};\n"))),
        n.clone().prop_map(|n| (None, format!("@parts = split /;/, '$max_servers = {n};';\n"))),
        Just((None, "$max_requests = 20;\n".to_owned())),
        Just((None, "$copy = $max_servers;\n".to_owned())),
    ]
}

fn config_files() -> impl Strategy<Value = Vec<Vec<(Option<u32>, String)>>> {
    prop::collection::vec(prop::collection::vec(piece(), 0..6), 1..4)
}

/// The number of generated configurations (each one starts amavisd's loader, about 0.4 s).
const GENERATED_CASES: u32 = 48;

pub(crate) fn generated_configs_agree_with_amavisd() {
    let amavisd = Need::Amavisd.path();
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut runner = TestRunner::new(Config {
        cases: GENERATED_CASES,
        failure_persistence: None,
        max_shrink_iters: 50,
        ..Config::default()
    });
    runner
        .run(&config_files(), |files| {
            let mut paths = Vec::new();
            let mut expected = 2;
            let mut ours = 2;
            for (index, pieces) in files.iter().enumerate() {
                let text: String = pieces.iter().map(|(_, t)| t.as_str()).chain(["1;\n"]).collect();
                let path = scratch.path().join(format!("{index:02}-generated"));
                write_aged(&path, &text);
                paths.push(path);
                if let Some(n) = pieces.iter().rev().find_map(|(n, _)| *n) {
                    expected = n;
                }
                if let Some(last) = AmavisConf::parse(text.as_bytes()).last() {
                    match last.value {
                        AssignedValue::Number { value, .. } => ours = value,
                        AssignedValue::Expression { ref text } => {
                            return Err(TestCaseError::fail(format!("unreadable: {text}")));
                        }
                    }
                }
            }
            let theirs = amavisd_reads(&amavisd, &paths, scratch.path()).map_err(TestCaseError::fail)?;
            prop_assert_eq!(theirs, expected, "the generator's expectation is wrong");
            prop_assert_eq!(ours, theirs, "{:?}", files);
            Ok(())
        })
        .expect("our $max_servers reading agrees with amavisd");
}
