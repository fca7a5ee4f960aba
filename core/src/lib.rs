//! amavis-tune's core: the memory model and plan, with no I/O of any kind.
//!
//! Everything the core knows comes in as values; it compiles for `wasm32-unknown-unknown` and
//! natively from the same code. See ARCHITECTURE.md.

mod amavis_conf;
mod apply;
mod cgroup;
mod check;
mod concurrency;
mod diagnostic;
mod error;
mod header;
mod inputs;
/// Properties of the readers and patchers, shared by the fuzz targets and the tests.
#[doc(hidden)]
pub mod invariants;
mod lines;
mod main_cf;
mod master_cf;
mod measure;
mod meminfo;
mod memory;
mod method;
mod model;
mod os;
mod patch;
mod permalink;
mod plan;
mod postfix_defaults;
mod preset;
mod restore;
mod run_parts;
mod service_name;
mod size;
mod snippet;
mod steps;
mod warning;

pub use amavis_conf::{AmavisConf, AssignedValue, Assignment};
pub use apply::{ApplyOptions, Changes, FileChange, Refusal, apply};
pub use cgroup::{CgroupLimit, cgroup_memory_limit};
pub use check::{
    AMAVISD_DEFAULT_MAX_SERVERS, AmavisSide, Cap, ConfigSet, DEFAULT_DESTINATION_RECIPIENT_LIMIT, Finding, FindingCode,
    Location, PostfixSide, Report, SourceFile, Status, check,
};
pub use concurrency::{Concurrency, MAX_CONCURRENCY, MIN_CONCURRENCY};
pub use diagnostic::{Diagnostic, Severity};
pub use error::InputError;
pub use header::{BUILD_COMMIT, TOOL_VERSION, build_info, inputs_text};
pub use inputs::{ClamAv, Cpus, HeadroomPercent, Inputs, MAX_CPUS, Overrides};
pub use main_cf::{MainCf, Parameter};
pub use master_cf::{Entry, Field, MAXPROC_FIELD, MasterCf, Maxproc, ServiceOption, maxproc_value};
pub use measure::{
    Measurement, ProcessInfo, Rollup, YOUNG_CHILD_SECONDS, measure, parse_smaps_rollup, parse_stat_ppid,
    parse_stat_start_ticks,
};
pub use meminfo::{MeminfoError, mem_total_from_meminfo};
pub use memory::{
    Assumptions, Budget, CLAMAV_MINIMUM_RAM, ClamdMode, Consumer, DEFAULT_AMAVISD_PARENT, DEFAULT_CLAMD,
    DEFAULT_HEADROOM_PERCENT, DEFAULT_PER_CHILD, DEFAULT_RESERVE, MAX_HEADROOM_PERCENT, MODEL_VERSION, Origin,
};
pub use method::PostfixMethod;
pub use model::{MODELS, Model, current_model, plan_with_version, version_notice, version_notice_in};
pub use os::{Os, os_from_os_release};
pub use patch::{Refused, replace_aligned, set_max_servers, set_maxproc, set_parameter};
pub use permalink::{
    DEFAULT_BASE_URL, KEYS, Link, LinkError, decode, encode, parse_link, parse_on_off, permalink, size_text, to_query,
};
pub use plan::{
    CHILDREN_PER_CPU, DIMINISHING_RETURNS, Decision, LARGEST_PLAUSIBLE_RAM, Plan, Provenance, SMALLEST_PLAUSIBLE_RAM,
    USEFUL_RANGE_TOP, plan, plan_with,
};
pub use postfix_defaults::{CLAMD_DEFAULT_MAX_THREADS, DEFAULT_DESTINATION_CONCURRENCY_LIMIT, DEFAULT_PROCESS_LIMIT};
pub use preset::Preset;
pub use restore::{backup_matches, backup_of};
pub use run_parts::{is_run_parts_name, run_parts_order};
pub use service_name::{DEFAULT_SERVICE, ServiceName};
pub use size::{MAX_SIZE, MiB, parse_size};
pub use snippet::{FileKind, Snippet, master_cf_line};
pub use steps::{BACKUP_SUFFIX, Step, StepKind, apply_steps};
pub use warning::{Warning, WarningCode};

#[cfg(test)]
mod roundtrip_tests;
