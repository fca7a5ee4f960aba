//! Choosing N: the user's number, or the smallest of the model's bounds; and the sentence that
//! says what decided it, with its source.

use serde::Serialize;

use crate::inputs::concurrency::{Concurrency, MIN_CONCURRENCY};
use crate::inputs::{ClamAv, Inputs};
use crate::logs::replay::Confidence;
use crate::logs::report::LogReport;
use crate::logs::verdict::Verdict;
use crate::model::versions::Model;

/// The load the server's mail logs show (`amavis-tune logs`'s analysis), for a plan to size by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObservedLoad {
    pub verdict: Verdict,
    /// The children the replay of this traffic needs, before memory and CPU bound it; null
    /// without enough evidence.
    pub needed_for_load: Option<u32>,
    /// The logs' number within the bounds they were read with (the plan's own RAM and CPUs).
    pub needed: Option<u32>,
    pub confidence: Confidence,
    /// The analysis's words for the verdict.
    pub reason: String,
    /// The analysis's words for the number: the replay it comes from.
    pub sizing_reason: String,
}

impl ObservedLoad {
    pub fn from_report(report: &LogReport) -> ObservedLoad {
        ObservedLoad {
            verdict: report.verdict,
            needed_for_load: report.needed_for_load,
            needed: report.needed,
            confidence: report.confidence,
            reason: report.reason.clone(),
            sizing_reason: report.sizing_reason.clone(),
        }
    }

    /// How the plan may use it. The replay rebuilds the demand from when each delivery became
    /// ready, whether it then waited or not, so its number is the demand wherever it gives one;
    /// where it gives none (too few deliveries, or nothing got through), the logs say nothing
    /// about the demand.
    fn use_of(&self) -> LoadUse {
        match self.needed_for_load {
            Some(n) => LoadUse::Demand(n),
            None => LoadUse::None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoadUse {
    Demand(u32),
    None,
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
    /// The load the mail logs show (Little's law), within the memory and CPU bounds.
    ObservedLoad,
}

/// The user's number when given; otherwise the smallest of the memory, CPU and
/// diminishing-returns bounds, never below 2. With an observed load the logs' number takes the
/// place of the diminishing-returns judgement (it is evidence), within the memory and CPU bounds
/// ([`ObservedLoad`] says when it may lower the number).
pub(crate) fn choose(
    inputs: &Inputs,
    safe_max: u64,
    model: &Model,
    load: Option<&ObservedLoad>,
) -> (Concurrency, Decision) {
    if let Some(requested) = inputs.concurrency {
        return (requested, Decision::Requested);
    }
    let mut bounds = vec![(safe_max, Decision::Memory)];
    if let Some(cpus) = inputs.cpus {
        bounds.push((u64::from(cpus.get()) * u64::from(model.children_per_cpu), Decision::Cpu));
    }
    let judged =
        smallest(bounds.iter().copied().chain([(u64::from(model.diminishing_returns), Decision::DiminishingReturns)]));
    let Some(load) = load else { return judged };
    match load.use_of() {
        LoadUse::Demand(n) => smallest(std::iter::once((u64::from(n), Decision::ObservedLoad)).chain(bounds)),
        LoadUse::None => judged,
    }
}

/// The smallest bound (the first of equal ones), never below 2.
fn smallest(bounds: impl Iterator<Item = (u64, Decision)>) -> (Concurrency, Decision) {
    let (value, decision) = bounds.min_by_key(|(value, _)| *value).unwrap_or((0, Decision::Minimum));
    if value < u64::from(MIN_CONCURRENCY) {
        return (Concurrency::clamped(value), Decision::Minimum);
    }
    (Concurrency::clamped(value), decision)
}

pub(crate) fn reason(
    inputs: &Inputs,
    decided_by: Decision,
    n: u32,
    safe_max: u64,
    model: &Model,
    load: Option<&ObservedLoad>,
) -> String {
    let mut reason = decision_reason(inputs, decided_by, n, safe_max, model, load);
    if let Some(load) = load.filter(|_| decided_by != Decision::ObservedLoad) {
        let said = match load.use_of() {
            LoadUse::Demand(n) => format!(
                " The mail logs ({}) give {n} for their traffic ({}).",
                load.verdict.as_str(),
                load.sizing_reason.trim_end_matches('.')
            ),
            LoadUse::None => {
                format!(" The mail logs ({}) give no number: {}", load.verdict.as_str(), load.sizing_reason)
            }
        };
        reason.push_str(&said);
    }
    reason
}

fn decision_reason(
    inputs: &Inputs,
    decided_by: Decision,
    n: u32,
    safe_max: u64,
    model: &Model,
    load: Option<&ObservedLoad>,
) -> String {
    match decided_by {
        Decision::ObservedLoad => format!(
            "Observed load: the mail logs ({}) show the traffic this server handles. {} RAM would allow {safe_max}.",
            load.map_or("", |l| l.verdict.as_str()),
            load.map_or(String::new(), |l| l.sizing_reason.clone())
        ),
        Decision::Requested => {
            let budget = match inputs.clamav {
                ClamAv::On { .. } => "ClamAV's RAM documentation",
                ClamAv::Off => "overridable defaults for amavisd and the rest of the system",
            };
            format!(
                "You asked for {n}. The safe maximum for {} MiB with these assumptions is {safe_max} (memory budget: {budget}, the amavis README.postfix rule that both sides match).",
                inputs.ram.0
            )
        }
        Decision::Memory => match inputs.clamav {
            ClamAv::On { .. } => format!(
                "Memory: {n} is the most amavisd children that fit in {} MiB beside clamd and the rest of the system (ClamAV's RAM documentation for clamd; the other figures are overridable defaults).",
                inputs.ram.0
            ),
            ClamAv::Off => format!(
                "Memory: {n} is the most amavisd children that fit in {} MiB beside the rest of the system (the figures are overridable defaults).",
                inputs.ram.0
            ),
        },
        Decision::Cpu => format!(
            "CPU: amavis README.performance says to start with 2 or 3 children per CPU and raise the number gradually while the load stays below 2-3 per CPU and the machine does not swap; {} CPU(s) give {n} to start with. RAM would allow {safe_max}.",
            inputs.cpus.map_or(0, |c| c.get())
        ),
        Decision::DiminishingReturns => format!(
            "Throughput: amavis README.performance finds that more than about {} children rarely adds throughput and wastes memory; RAM would allow {safe_max}. Ask for more if your scan times and mail rate need it.",
            model.diminishing_returns
        ),
        Decision::Minimum => format!(
            "Minimum: {n} is the least amavis-tune plans (amavisd's own default; with 1 child amavisd serves in its parent, which exits after $max_requests messages, stopping a foreground unit such as Debian's), although RAM allows only {safe_max}."
        ),
    }
}
