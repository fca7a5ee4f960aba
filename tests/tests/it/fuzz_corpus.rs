//! Replays every fuzz corpus input and every regression the fuzzers found through the same
//! properties the fuzz targets check (`amavis_tune_core::invariants`), without libFuzzer: fast,
//! on stable Rust, in every test run. The fuzzers themselves: README, "Fuzzing".

use std::path::{Path, PathBuf};

use amavis_tune_core::invariants::{self, Property};
use amavis_tune_tests::workspace_root;

/// The property a target checks, as the fuzz target calls it.
fn property(target: &str, data: &[u8]) -> Property {
    let n = invariants::number_from(data);
    match target {
        "master_cf" => invariants::master_cf(data, n, 4),
        "main_cf" => invariants::main_cf(data, n),
        "amavis_conf" => invariants::amavis_conf(data, n),
        "check_apply" => invariants::check_and_apply(data, n),
        "permalink" => invariants::permalink(data),
        "logs" => invariants::logs(data),
        other => panic!("no fuzz target {other}"),
    }
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.expect("entry").path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

const TARGETS: [&str; 6] = ["master_cf", "main_cf", "amavis_conf", "check_apply", "permalink", "logs"];

pub(crate) fn every_corpus_input_keeps_the_properties() {
    let fuzz = workspace_root().join("tests/fuzz");
    let mut replayed = 0;
    for target in TARGETS {
        let files = inputs(&fuzz.join("corpus").join(target));
        assert!(!files.is_empty(), "the {target} corpus is empty: run tests/fuzz/seed-corpora.sh");
        for file in files {
            let data = std::fs::read(&file).expect("reads");
            if let Err(violated) = property(target, &data) {
                panic!("{}: {violated}", file.display());
            }
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} corpus inputs");
}

/// Each regression is a file named after what the fuzzer found, under `regressions/TARGET/`.
#[track_caller]
fn regression(target: &str, name: &str) {
    let path = workspace_root().join("tests/fuzz/regressions").join(target).join(name);
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if let Err(violated) = property(target, &data) {
        panic!("{}: {violated}", path.display());
    }
}

/// main.cf `smtp-amavis_destination_concurrency_limit =` with nothing after it: the patch adds
/// the usual space before the number, and nothing else (the fuzzer's first find, 2026-11-29; the
/// property was too strict, the patch right).
pub(crate) fn main_cf_empty_value_gets_a_space() {
    regression("main_cf", "empty-value-gets-a-space");
}

/// master.cf: a maxproc field at the very start of a continuation line (the line begins with a
/// vertical tab, which continues a logical line but does not separate fields): replacing it must
/// keep the line a continuation, or the entry falls apart (found by the fuzzer, 2026-11-29;
/// `set_maxproc` now puts a space before the number there).
pub(crate) fn master_cf_maxproc_at_line_start_keeps_continuation() {
    regression("master_cf", "maxproc-at-line-start-keeps-continuation");
}

/// Every file under `regressions/` has a named test above.
pub(crate) fn every_regression_has_a_test() {
    let source = include_str!("fuzz_corpus.rs");
    for target in TARGETS {
        for file in inputs(&workspace_root().join("tests/fuzz/regressions").join(target)) {
            let name = file.file_name().expect("name").to_string_lossy().into_owned();
            assert!(source.contains(&format!("regression(\"{target}\", \"{name}\")")), "no test for {target}/{name}");
        }
    }
}
