//! Fuzz target: see `amavis_tune_core::invariants` for the properties checked.
#![no_main]

use amavis_tune_core::invariants;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violated) = invariants::logs(data) {
        panic!("{violated}");
    }
});
