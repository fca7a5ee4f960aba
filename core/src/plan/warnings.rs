//! Warnings a plan carries: a stable code for machines and a sentence for people.

use serde::Serialize;

use crate::config::postfix_defaults::CLAMD_DEFAULT_MAX_THREADS;
use crate::inputs::release::ReleaseFacts;
use crate::inputs::size::MiB;
use crate::inputs::{ClamAv, Inputs};
use crate::model::bounds::{LARGEST_PLAUSIBLE_RAM, SMALLEST_PLAUSIBLE_RAM, USEFUL_RANGE_TOP};
use crate::model::memory::{Assumptions, Budget, CLAMAV_MINIMUM_RAM, ClamdMode};
use crate::model::versions::Model;
use crate::plan::choose::Decision;
use crate::plan::permalink::size_text;

/// The stable codes of plan warnings (part of the JSON contract: never renamed, only added).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningCode {
    /// The requested number of children does not fit in RAM with the assumptions used.
    ExceedsSafeMax,
    /// Not even the minimum of 2 children fits.
    DoesNotFit,
    /// RAM is below what ClamAV's documentation asks for ClamAV alone.
    ClamavLowRam,
    /// Postfix's destination concurrency limit would let fewer connections through than N.
    DestinationConcurrencyLimit,
    /// With the main.cf method, master.cf's `-` maxproc (default_process_limit, 100) caps N.
    ProcessLimit,
    /// The main.cf limit caps nothing when the transport's recipient limit is 1.
    MainCfPerRecipient,
    /// More than the 3 children per CPU README.performance says to start with.
    AboveCpuGuidance,
    /// More than the 10-30 children README.postfix calls everyday use.
    AboveUsefulRange,
    /// More children than clamd scans at once (`MaxThreads`: clamd.conf's, else what the
    /// release's package writes, else clamd's default 10).
    ClamdMaxThreads,
    /// The RAM figure looks like a unit slip (`4048G` for `4048M`, `8M` for `8G`).
    RamUnitSlip,
    /// The release's Postfix package names amavisd's transport otherwise than the plan's service
    /// (openSUSE's `amavis`).
    ReleaseTransport,
}

impl WarningCode {
    pub fn as_str(self) -> &'static str {
        match self {
            WarningCode::ExceedsSafeMax => "exceeds-safe-max",
            WarningCode::DoesNotFit => "does-not-fit",
            WarningCode::ClamavLowRam => "clamav-low-ram",
            WarningCode::DestinationConcurrencyLimit => "destination-concurrency-limit",
            WarningCode::ProcessLimit => "process-limit",
            WarningCode::MainCfPerRecipient => "main-cf-per-recipient",
            WarningCode::AboveCpuGuidance => "above-cpu-guidance",
            WarningCode::AboveUsefulRange => "above-useful-range",
            WarningCode::ClamdMaxThreads => "clamd-max-threads",
            WarningCode::RamUnitSlip => "ram-unit-slip",
            WarningCode::ReleaseTransport => "release-transport",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub code: WarningCode,
    pub message: String,
}

pub(crate) fn push(warnings: &mut Vec<Warning>, code: WarningCode, message: String) {
    warnings.push(Warning { code, message });
}

/// What turning clamd's `ConcurrentDatabaseReload` off costs: clamd.conf(5) offers it "in case
/// users are willing to block scans during reload in exchange for lower RAM requirements".
pub(crate) const RELOAD_OFF_PRICE: &str = "scanning pauses during each signature reload";

/// The warnings that do not depend on how Postfix gets the number: the RAM figure, the budget,
/// ClamAV's minimum, and the model's CPU and range bounds.
#[allow(clippy::too_many_arguments)]
pub(crate) fn general(
    inputs: &Inputs,
    facts: &ReleaseFacts,
    model: &Model,
    assumptions: &Assumptions,
    budget: &Budget,
    decided_by: Decision,
    n: u32,
    safe_max: u64,
) -> Vec<Warning> {
    let mut found = Vec::new();
    let mode = inputs.clamav.mode();
    if let Some(message) = ram_unit_slip(inputs.ram) {
        push(&mut found, WarningCode::RamUnitSlip, message);
    }
    if !budget.fits {
        let needed = assumptions.ram_needed(u64::from(n), mode);
        // What would fit with one signature database in memory, said with its price.
        let without_reload = match budget.safe_max_without_concurrent_reload {
            Some(fit) if fit >= u64::from(n) => {
                format!(" With ConcurrentDatabaseReload no, {fit} fit ({RELOAD_OFF_PRICE}).")
            }
            Some(0) => " Even with ConcurrentDatabaseReload no, none fit.".to_owned(),
            Some(fit) => format!(" Even with ConcurrentDatabaseReload no, only {fit} fit."),
            None => String::new(),
        };
        match decided_by {
            Decision::Minimum => {
                let remedy = match mode {
                    ClamdMode::ConcurrentReload | ClamdMode::Single => "Add RAM, or run ClamAV elsewhere.",
                    ClamdMode::Off => {
                        "Add RAM, or give this server's own figures where they are smaller (amavis-tune measure; --per-child, --amavisd-parent, --reserve)."
                    }
                };
                push(
                    &mut found,
                    WarningCode::DoesNotFit,
                    format!(
                        "Not even {n} amavisd children fit in {} MiB with these assumptions; {n} need at least {} MiB ({} GiB).{without_reload} {remedy}",
                        inputs.ram.0,
                        needed.0,
                        needed.gib_one_decimal()
                    ),
                )
            }
            _ => {
                let victim = match mode {
                    ClamdMode::Off => "the kernel kills the largest process (an amavisd child or another service)",
                    _ => "clamd is the process the kernel kills",
                };
                push(
                    &mut found,
                    WarningCode::ExceedsSafeMax,
                    format!(
                        "{n} amavisd children do not fit in {} MiB: the safe maximum is {safe_max}, and {n} need at least {} MiB ({} GiB).{without_reload} \
                         When RAM runs out, {victim}, and mail stalls.",
                        inputs.ram.0,
                        needed.0,
                        needed.gib_one_decimal()
                    ),
                )
            }
        }
    }
    if matches!(inputs.clamav, ClamAv::On { .. }) && inputs.ram < CLAMAV_MINIMUM_RAM {
        push(
            &mut found,
            WarningCode::ClamavLowRam,
            format!(
                "{} MiB is below the {} GiB ClamAV's documentation asks for ClamAV alone; run clamd on a larger machine or without it (--no-clamav).",
                inputs.ram.0,
                CLAMAV_MINIMUM_RAM.0 / 1024
            ),
        );
    }
    if let Some(cpus) = inputs.cpus {
        let guidance = cpus.get().saturating_mul(model.children_per_cpu);
        if n > guidance {
            push(
                &mut found,
                WarningCode::AboveCpuGuidance,
                format!(
                    "{n} children on {} CPU(s) is more than the 2 or 3 per CPU amavis README.performance says to start with ({guidance} here); it says to raise the number gradually while the load stays below 2-3 per CPU and nothing swaps, and to lower it otherwise.",
                    cpus.get()
                ),
            );
        }
    }
    if n > USEFUL_RANGE_TOP {
        push(
            &mut found,
            WarningCode::AboveUsefulRange,
            format!(
                "{n} is above the 10-{USEFUL_RANGE_TOP} children amavis README.postfix calls everyday use; README.performance finds that more than about {} rarely adds throughput.",
                model.diminishing_returns
            ),
        );
    }
    if let Some(transport) = facts.packaged_transport
        && inputs.service.as_str() != transport
    {
        push(
            &mut found,
            WarningCode::ReleaseTransport,
            format!(
                "{}'s postfix package names amavisd's transport `{transport}`, and this plan changes `{}`: if yours is `{transport}`, plan with --service {transport}.",
                facts.name,
                inputs.service.as_str()
            ),
        );
    }
    let (max_threads, set) = clamd_max_threads(inputs, facts);
    if matches!(inputs.clamav, ClamAv::On { .. }) && n > max_threads {
        push(
            &mut found,
            WarningCode::ClamdMaxThreads,
            format!(
                "clamd scans at most MaxThreads files at once ({max_threads}, {set}); with {n} children, raise MaxThreads in clamd.conf to {n} or the extra children wait inside clamd."
            ),
        );
    }
    found
}

/// The `MaxThreads` a plan assumes, and where it comes from: the server's clamd (its clamd.conf,
/// as read); where that was not read, what the release's clamd package writes into clamd.conf
/// (Debian and Ubuntu: 12); else clamd's compiled default (10, clamd.conf(5)).
fn clamd_max_threads(inputs: &Inputs, facts: &ReleaseFacts) -> (u32, String) {
    match (inputs.clamd_max_threads, facts.clamd_max_threads) {
        (Some(threads), _) => (threads, "what this server's clamd runs with".to_owned()),
        (None, Some(threads)) => (
            threads,
            format!(
                "what {}'s {} package writes into {}; clamd.conf was not read",
                facts.name,
                facts.clamd_package,
                facts.clamd_conf.first().copied().unwrap_or("clamd.conf")
            ),
        ),
        (None, None) => (CLAMD_DEFAULT_MAX_THREADS, "clamd's own default; clamd.conf was not read".to_owned()),
    }
}

/// A warning when `ram` looks like a unit slip, naming the value probably meant.
pub(crate) fn ram_unit_slip(ram: MiB) -> Option<String> {
    if ram > LARGEST_PLAUSIBLE_RAM {
        let meant = MiB(ram.0 / 1024);
        return Some(format!(
            "{} of RAM ({} TiB) is more than any mail server has: if you meant {} MiB, enter {}.",
            size_text(ram),
            ram.tib_one_decimal(),
            meant.0.max(1),
            size_text(MiB(meant.0.max(1)))
        ));
    }
    if ram < SMALLEST_PLAUSIBLE_RAM {
        let meant = MiB(ram.0.saturating_mul(1024));
        return Some(format!(
            "{} MiB of RAM is less than amavisd and Postfix need to start: if you meant {} GiB, enter {}.",
            ram.0,
            ram.0,
            size_text(meant)
        ));
    }
    None
}
