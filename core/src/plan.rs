//! `plan(&Inputs) -> Plan`: the one number for both sides, the budget, snippets, steps, warnings.

use serde::{Serialize, Serializer};

use crate::concurrency::Concurrency;
use crate::header;
use crate::inputs::{ClamAv, Inputs};
use crate::memory::{Assumptions, Budget, CLAMAV_MINIMUM_RAM};
use crate::method::PostfixMethod;
use crate::model::{Model, current_model};
use crate::permalink::{self, DEFAULT_BASE_URL};
use crate::postfix_defaults::{
    CLAMD_DEFAULT_MAX_THREADS, DEFAULT_DESTINATION_CONCURRENCY_LIMIT, DEFAULT_PROCESS_LIMIT,
};
use crate::snippet::{self, Snippet};
use crate::steps::{self, LOWERING_NOTE, Step};
use crate::warning::{Warning, WarningCode};

/// README.performance: going beyond about 10 children usually brings no more throughput and
/// wastes memory. The recommendation never exceeds this.
pub const DIMINISHING_RETURNS: u32 = 10;

/// README.performance: start with 2 or 3 children per CPU; beyond that, decrease.
pub const CHILDREN_PER_CPU: u32 = 3;

/// README.postfix: everyday use raises the number to 10-30, depending on resources.
pub const USEFUL_RANGE_TOP: u32 = 30;

/// Below this much RAM no mail server with amavisd runs: a smaller figure is taken for a unit
/// slip (`8M` for `8G`).
pub const SMALLEST_PLAUSIBLE_RAM: crate::size::MiB = crate::size::MiB(512);

/// Above this much RAM (1 TiB) a figure is taken for a unit slip (`4048G` for `4048M`): mail
/// servers are sized in GiB, and the biggest single machines sold carry a few dozen TiB.
pub const LARGEST_PLAUSIBLE_RAM: crate::size::MiB = crate::size::MiB(1024 * 1024);

/// What the header of each snippet says about its origin: where the web calculator lives, and
/// the date (the core has no clock: the caller passes it, or none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    pub base_url: String,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
}

impl Default for Provenance {
    fn default() -> Provenance {
        Provenance { base_url: DEFAULT_BASE_URL.to_owned(), date: None }
    }
}
/// What decided the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// The user asked for it.
    Requested,
    /// The most children that fit in RAM.
    Memory,
    /// 3 children per CPU.
    Cpu,
    /// More than about 10 children rarely adds throughput.
    DiminishingReturns,
    /// Nothing fits, and 2 is the least amavis-tune plans.
    Minimum,
}

/// The result of [`plan`]. Both sides' numbers are one field, `concurrency`: no plan can make
/// them differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub inputs: Inputs,
    pub concurrency: Concurrency,
    pub decided_by: Decision,
    /// One or two sentences saying what decided the number, and the source.
    pub reason: String,
    /// The most children that fit in this RAM with these assumptions (may be below 2).
    pub safe_max: u64,
    pub assumptions: Assumptions,
    pub budget: Budget,
    pub snippets: Vec<Snippet>,
    pub steps: Vec<Step>,
    pub lowering_note: &'static str,
    pub warnings: Vec<Warning>,
    pub model_version: u32,
    /// The web calculator's link for exactly these inputs.
    pub permalink: String,
}

/// The plan for `inputs` with the current model, headers pointing at [`DEFAULT_BASE_URL`].
pub fn plan(inputs: &Inputs) -> Plan {
    plan_with(inputs, &Provenance::default())
}

/// The plan for `inputs` with the current model and the given provenance in its headers.
pub fn plan_with(inputs: &Inputs, provenance: &Provenance) -> Plan {
    build(inputs, current_model(), provenance)
}

/// The plan a given model version gives (for replaying old permalinks).
pub(crate) fn plan_with_model(inputs: &Inputs, model: &Model) -> Plan {
    build(inputs, model, &Provenance::default())
}

fn build(inputs: &Inputs, model: &Model, provenance: &Provenance) -> Plan {
    let assumptions = inputs.overrides.assumptions_over(model.defaults);
    let mode = inputs.clamav.mode();
    let safe_max = assumptions.safe_max(inputs.ram, mode);
    let (concurrency, decided_by) = choose(inputs, safe_max, model);
    let n = concurrency.get();
    let budget = assumptions.budget(inputs.ram, n, mode, &inputs.overrides.overridden());
    let service = &inputs.service;
    let mut warnings = Vec::new();
    let mut warn = |code, message: String| warnings.push(Warning { code, message });

    if let Some(message) = ram_unit_slip(inputs.ram) {
        warn(WarningCode::RamUnitSlip, message);
    }
    if !budget.fits {
        let needed = assumptions.ram_needed(u64::from(n), mode);
        match decided_by {
            Decision::Minimum => warn(
                WarningCode::DoesNotFit,
                format!(
                    "Not even {n} amavisd children fit in {} MiB with these assumptions; {n} need at least {} MiB ({} GiB). \
                     Add RAM, turn off clamd's ConcurrentDatabaseReload, or run ClamAV elsewhere.",
                    inputs.ram.0,
                    needed.0,
                    needed.gib_one_decimal()
                ),
            ),
            _ => warn(
                WarningCode::ExceedsSafeMax,
                format!(
                    "{n} amavisd children do not fit in {} MiB: the safe maximum is {safe_max}, and {n} need at least {} MiB ({} GiB). \
                     When RAM runs out, clamd is the process the kernel kills, and mail stalls.",
                    inputs.ram.0,
                    needed.0,
                    needed.gib_one_decimal()
                ),
            ),
        }
    }
    if matches!(inputs.clamav, ClamAv::On { .. }) && inputs.ram < CLAMAV_MINIMUM_RAM {
        warn(
            WarningCode::ClamavLowRam,
            format!(
                "{} MiB is below the 3 GiB ClamAV's documentation asks for ClamAV alone; run clamd on a larger machine or without it (--no-clamav).",
                inputs.ram.0
            ),
        );
    }
    if let Some(cpus) = inputs.cpus {
        let guidance = cpus.get().saturating_mul(CHILDREN_PER_CPU);
        if n > guidance {
            warn(
                WarningCode::AboveCpuGuidance,
                format!(
                    "{n} children on {} CPU(s) is more than the 2-3 per CPU amavis README.performance advises ({guidance} here); watch the load and swap, and lower it if they climb.",
                    cpus.get()
                ),
            );
        }
    }
    if n > USEFUL_RANGE_TOP {
        warn(
            WarningCode::AboveUsefulRange,
            format!(
                "{n} is above the 10-30 children amavis README.postfix calls everyday use; README.performance finds that more than about 10 rarely adds throughput."
            ),
        );
    }
    if matches!(inputs.clamav, ClamAv::On { .. }) && n > CLAMD_DEFAULT_MAX_THREADS {
        warn(
            WarningCode::ClamdMaxThreads,
            format!(
                "clamd scans at most MaxThreads files at once (default {CLAMD_DEFAULT_MAX_THREADS}); with {n} children, raise MaxThreads in clamd.conf to {n} or the extra children wait inside clamd."
            ),
        );
    }

    let mut snippets = vec![snippet::amavis(inputs.os, concurrency)];
    match inputs.method {
        PostfixMethod::MasterCf => {
            snippets.push(snippet::master_cf(inputs.os, service, concurrency));
            if n > DEFAULT_DESTINATION_CONCURRENCY_LIMIT {
                warn(
                    WarningCode::DestinationConcurrencyLimit,
                    format!(
                        "Postfix sends at most default_destination_concurrency_limit ({DEFAULT_DESTINATION_CONCURRENCY_LIMIT}) deliveries at once to one destination, and the content filter is one; \
                         add `{service}_destination_concurrency_limit = {n}` to main.cf (included below) or only {DEFAULT_DESTINATION_CONCURRENCY_LIMIT} children will be used."
                    ),
                );
                snippets.push(snippet::main_cf_limit(
                    inputs.os,
                    service,
                    concurrency,
                    "Without it Postfix opens at most 20 connections to amavisd, whatever maxproc says.",
                ));
            }
        }
        PostfixMethod::MainCf => {
            snippets.push(snippet::main_cf_limit(
                inputs.os,
                service,
                concurrency,
                &format!("Leave the maxproc column of `{service} unix` in master.cf at `-` or at least {n}."),
            ));
            warn(
                WarningCode::MainCfPerRecipient,
                format!(
                    "This limit caps the connections to amavisd only while `{service}_destination_recipient_limit` is above 1; \
                     iRedMail and others set it to 1, which makes the limit per recipient: there, use the master.cf method (--method master-cf)."
                ),
            );
            if n > DEFAULT_PROCESS_LIMIT {
                warn(
                    WarningCode::ProcessLimit,
                    format!(
                        "A master.cf maxproc of `-` means default_process_limit ({DEFAULT_PROCESS_LIMIT}), which caps {n}; set the maxproc column to {n} too (included below)."
                    ),
                );
                snippets.push(snippet::master_cf(inputs.os, service, concurrency));
            }
        }
    }

    let reason = reason(inputs, decided_by, n, safe_max, model);
    let permalink = permalink::permalink(&provenance.base_url, inputs);
    let header = header::header(inputs, concurrency, &reason, model.version, provenance.date.as_deref(), &permalink);
    for snippet in &mut snippets {
        snippet.header.clone_from(&header);
    }
    let steps = steps::steps(inputs.os, inputs.method, service, concurrency, &snippets);
    Plan {
        inputs: inputs.clone(),
        concurrency,
        decided_by,
        reason,
        safe_max,
        assumptions,
        budget,
        snippets,
        steps,
        lowering_note: LOWERING_NOTE,
        warnings,
        model_version: model.version,
        permalink,
    }
}

/// A warning when `ram` looks like a unit slip, naming the value probably meant.
fn ram_unit_slip(ram: crate::size::MiB) -> Option<String> {
    use crate::permalink::size_text;
    if ram > LARGEST_PLAUSIBLE_RAM {
        let meant = crate::size::MiB(ram.0 / 1024);
        return Some(format!(
            "{} of RAM ({} TiB) is more than any mail server has: if you meant {} MiB, enter {}.",
            size_text(ram),
            ram.tib_one_decimal(),
            meant.0.max(1),
            size_text(crate::size::MiB(meant.0.max(1)))
        ));
    }
    if ram < SMALLEST_PLAUSIBLE_RAM {
        let meant = crate::size::MiB(ram.0.saturating_mul(1024));
        return Some(format!(
            "{} MiB of RAM is less than amavisd and Postfix need to start: if you meant {} GiB, enter {}.",
            ram.0,
            ram.0,
            size_text(meant)
        ));
    }
    None
}

/// The user's number when given; otherwise the smallest of the memory, CPU and
/// diminishing-returns bounds, never below 2.
fn choose(inputs: &Inputs, safe_max: u64, model: &Model) -> (Concurrency, Decision) {
    if let Some(requested) = inputs.concurrency {
        return (requested, Decision::Requested);
    }
    let mut bounds = vec![(safe_max, Decision::Memory)];
    if let Some(cpus) = inputs.cpus {
        bounds.push((u64::from(cpus.get()) * u64::from(model.children_per_cpu), Decision::Cpu));
    }
    bounds.push((u64::from(model.diminishing_returns), Decision::DiminishingReturns));
    // `min_by_key` keeps the first of equal bounds: memory, then CPU, then diminishing returns.
    let (value, decision) = bounds.into_iter().min_by_key(|(value, _)| *value).unwrap_or((0, Decision::Minimum));
    if value < u64::from(crate::concurrency::MIN_CONCURRENCY) {
        return (Concurrency::clamped(value), Decision::Minimum);
    }
    (Concurrency::clamped(value), decision)
}

fn reason(inputs: &Inputs, decided_by: Decision, n: u32, safe_max: u64, model: &Model) -> String {
    match decided_by {
        Decision::Requested => format!(
            "You asked for {n}. The safe maximum for {} MiB with these assumptions is {safe_max} (memory budget: ClamAV's RAM documentation, the amavis README.postfix rule that both sides match).",
            inputs.ram.0
        ),
        Decision::Memory => format!(
            "Memory: {n} is the most amavisd children that fit in {} MiB beside clamd and the rest of the system (ClamAV's RAM documentation for clamd; the other figures are overridable defaults).",
            inputs.ram.0
        ),
        Decision::Cpu => format!(
            "CPU: amavis README.performance advises 2-3 children per CPU; {} CPU(s) give {n}. RAM would allow {safe_max}.",
            inputs.cpus.map_or(0, |c| c.get())
        ),
        Decision::DiminishingReturns => format!(
            "Throughput: amavis README.performance finds that more than about {} children rarely adds throughput and wastes memory; RAM would allow {safe_max}. Ask for more if your scan times and mail rate need it.",
            model.diminishing_returns
        ),
        Decision::Minimum => format!(
            "Minimum: {n} is the least amavis-tune plans (amavisd's own default; with 1 child amavisd stops under systemd after $max_requests messages), although RAM allows only {safe_max}."
        ),
    }
}

/// The JSON contract of `plan --format json` (README, "JSON output"). Keys are only ever added.
#[derive(Serialize)]
struct Contract<'a> {
    max_servers: u32,
    maxproc: u32,
    safe_max: u64,
    decided_by: Decision,
    reason: &'a str,
    model_version: u32,
    inputs: &'a Inputs,
    assumptions: &'a Assumptions,
    memory: &'a Budget,
    warnings: &'a [Warning],
    snippets: &'a [Snippet],
    steps: &'a [Step],
    lowering_note: &'a str,
    permalink: &'a str,
}

impl Serialize for Plan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Contract {
            max_servers: self.concurrency.get(),
            maxproc: self.concurrency.get(),
            safe_max: self.safe_max,
            decided_by: self.decided_by,
            reason: &self.reason,
            model_version: self.model_version,
            inputs: &self.inputs,
            assumptions: &self.assumptions,
            memory: &self.budget,
            warnings: &self.warnings,
            snippets: &self.snippets,
            steps: &self.steps,
            lowering_note: self.lowering_note,
            permalink: &self.permalink,
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
pub(crate) mod tests;
