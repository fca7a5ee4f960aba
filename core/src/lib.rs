//! amavis-tune's core: the memory model and plan, with no I/O of any kind.
//!
//! Everything the core knows comes in as values; it compiles for `wasm32-unknown-unknown` and
//! natively from the same code. The modules are the stages (ARCHITECTURE.md, "Code map"), and
//! imports run one way: `inputs` <- `model` <- `plan`; `config` <- `check` <- `edit`; `host`
//! reads only the inputs and the model; `watch` reads `host` and the log analysis's verdict. Everything public is re-exported here, so users of the
//! crate never name a stage.

/// The sources of a table's facts (the releases', the platforms'), as a slice; the web
/// calculator never shows them, so its build leaves their text out (it weighs on the page's first
/// load). Defined before the modules, so every one of them has it.
#[cfg(not(target_arch = "wasm32"))]
macro_rules! sources {
    ($($source:expr),* $(,)?) => { &[$($source),*] };
}

#[cfg(target_arch = "wasm32")]
macro_rules! sources {
    ($($source:expr),* $(,)?) => {
        &[]
    };
}

mod check;
mod config;
mod edit;
mod host;
mod inputs;
/// Properties of the readers and patchers, shared by the fuzz targets and the tests.
#[doc(hidden)]
pub mod invariants;
mod logs;
mod model;
mod plan;
mod platform;
mod watch;

pub use check::scheduler::scheduler_settings;
pub use check::{
    AMAVISD_DEFAULT_FORWARD_METHOD, AMAVISD_DEFAULT_MAX_SERVERS, AMAVISD_DEFAULT_PORT, AmavisSide, Cap, ConfigSet,
    DEFAULT_DESTINATION_RECIPIENT_LIMIT, Feed, Finding, FindingCode, IncludedFrom, Location, PostfixSide, ProxyService,
    Report, SourceFile, Status, Unfollowed, check, note_observed_load,
};
pub use config::amavis_conf::{
    AmavisConf, AssignedValue, Assignment, Include, PolicyPort, PortAssignment, SocketAssignment,
};
pub use config::clamd_conf::{ClamdConf, ClamdValue, read_clamd_conf};
pub use config::diagnostic::{Diagnostic, DiagnosticCode, Severity};
pub use config::main_cf::{MainCf, Parameter};
pub use config::master_cf::{
    Entry, Field, InvalidMaxproc, MAXPROC_FIELD, MasterCf, Maxproc, ServiceOption, maxproc_value,
};
pub use config::postfix_defaults::{
    CLAMD_DEFAULT_MAX_THREADS, DEFAULT_DESTINATION_CONCURRENCY_LIMIT, DEFAULT_PROCESS_LIMIT,
};
pub use config::postfix_defaults::{DEFAULT_HELO_TIMEOUT_S, DEFAULT_INITIAL_DESTINATION_CONCURRENCY};
pub use config::run_parts::{is_run_parts_name, run_parts_order};
pub use edit::apply::{ApplyOptions, Changes, FileChange, Refusal, apply, method_in_force};
pub use edit::backup::{backup_glob, backup_matches, backup_name, backup_of};
pub use edit::patch::{Refused, replace_aligned, set_max_servers, set_maxproc, set_parameter};
pub use host::cgroup::{CgroupLimit, cgroup_memory_limit};
pub use host::meminfo::{MeminfoError, mem_total_from_meminfo};
pub use host::os_release::{os_from_os_release, release_from_os_release};
pub use host::processes::{
    Measurement, ProcessInfo, Rollup, YOUNG_CHILD_SECONDS, amavisd_family, is_amavisd, measure, parse_smaps_rollup,
    parse_stat_cpu_ticks, parse_stat_ppid, parse_stat_start_ticks,
};
pub use inputs::concurrency::{Concurrency, MAX_CONCURRENCY, MIN_CONCURRENCY};
pub use inputs::cpus::{Cpus, MAX_CPUS};
pub use inputs::error::InputError;
pub use inputs::method::PostfixMethod;
pub use inputs::os::Os;
pub use inputs::preset::Preset;
pub use inputs::release::{
    MailLog, Master, OsRelease, OsVersion, RELEASES, ReleaseFacts, ResolvedRelease, RootShell, Validation,
    known_releases, resolve_release,
};
pub use inputs::service_name::{DEFAULT_SERVICE, ServiceName};
pub use inputs::size::{MAX_SIZE, MiB, parse_size};
pub use inputs::{ClamAv, HeadroomPercent, Inputs, MAX_HEADROOM_PERCENT, Overrides};
pub use logs::analysis::{DEFAULT_NEXT_HOPS, LogAnalysis, LogOptions, analyze, analyze_texts};
pub use logs::event::{DeferralReason, Delivery, Status as DeliveryStatus};
pub use logs::line::{LineFormat, LogLine, parse_line};
pub use logs::replay::scheduler::{Feedback, SchedulerSettings};
pub use logs::replay::{
    CALIBRATION_TOLERANCE, CALIBRATION_TOLERANCE_S, CPU_SLOWDOWN, Calibration, Confidence, Holder, MIN_DELIVERIES,
    Prediction, ReplayReport, TARGET_P99_WAIT_S, agrees,
};
pub use logs::report::{
    Arrivals, BusyFigures, Deferrals, Hour, LineCounts, LogReport, Percentiles, Period, ScanSource, Waits,
};
pub use logs::sizing::{Sizing, SizingBound, TARGET_UTILISATION, bound_load, children_for_load};
pub use logs::time::{ClassicStamps, Clock, Date, Micros, TimeBound, UtcOffset, format_time, parse_bound, parse_time};
pub use logs::timeline::{Bucket, MAX_BUCKETS, TimelineReport};
pub use logs::verdict::{CONNECT_WAIT_LIMIT_S, IDLE_BUSY_PEAK, QUEUE_WAIT_LIMIT_S, RESTART_WINDOW_S, Verdict};
pub use model::bounds::{
    CHILDREN_PER_CPU, DIMINISHING_RETURNS, LARGEST_PLAUSIBLE_RAM, SMALLEST_PLAUSIBLE_RAM, USEFUL_RANGE_TOP,
};
pub use model::memory::{
    Assumptions, Budget, CLAMAV_MINIMUM_RAM, ClamdMode, Consumer, ConsumerId, DEFAULT_AMAVISD_PARENT, DEFAULT_CLAMD,
    DEFAULT_HEADROOM_PERCENT, DEFAULT_PER_CHILD, DEFAULT_RESERVE, MODEL_VERSION, Origin,
};
pub use model::versions::{MODELS, Model, current_model};
pub use plan::choose::{Decision, ObservedLoad};
pub use plan::header::{BUILD_COMMIT, TOOL_VERSION, build_info, inputs_text};
pub use plan::permalink::{
    DEFAULT_BASE_URL, KEYS, Link, LinkError, decode, encode, parse_link, parse_on_off, permalink, query_pairs,
    size_text, to_query, to_query_as_typed,
};
pub use plan::replay::{plan_with_version, version_notice, version_notice_in};
pub use plan::snippet::{FileKind, Snippet, master_cf_line};
pub use plan::steps::{Step, StepKind, apply_steps, rollback_step, shell_quote};
pub use plan::warnings::{Warning, WarningCode};
pub use plan::{Plan, Provenance, plan, plan_observed, plan_with};
pub use platform::{
    Platform, PlatformFacts, SettingValue, UCR_LAYERS, detect as detect_platform, generated_by_ucr, note_platform,
    platform_plan, prov_value, ucr_value,
};
pub use watch::snmp::{SnmpFigures, SnmpReading, parse_amavisd_agent, snmp_figures};
pub use watch::sockets::{ListenRow, parse_tcp_listen_row, parse_unix_listen_row, socket_inode};
pub use watch::title::{ChildState, child_state};
pub use watch::verdict::{QUEUED_SAMPLES_MIN, SATURATED_SHARE};
pub use watch::{
    ChildrenSeen, Expectation, OwnCpu, PeakMean, QueueFigures, Sample, Watch, WatchContext, WatchReport,
    WorkingFigures, WorkingShare,
};

#[cfg(test)]
mod roundtrip_tests;
