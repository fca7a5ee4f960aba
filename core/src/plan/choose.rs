//! Choosing N: the user's number, or the smallest of the model's bounds; and the sentence that
//! says what decided it, with its source.

use serde::Serialize;

use crate::inputs::Inputs;
use crate::inputs::concurrency::{Concurrency, MIN_CONCURRENCY};
use crate::model::versions::Model;

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

/// The user's number when given; otherwise the smallest of the memory, CPU and
/// diminishing-returns bounds, never below 2.
pub(crate) fn choose(inputs: &Inputs, safe_max: u64, model: &Model) -> (Concurrency, Decision) {
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
    if value < u64::from(MIN_CONCURRENCY) {
        return (Concurrency::clamped(value), Decision::Minimum);
    }
    (Concurrency::clamped(value), decision)
}

pub(crate) fn reason(inputs: &Inputs, decided_by: Decision, n: u32, safe_max: u64, model: &Model) -> String {
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
            "CPU: amavis README.performance says to start with 2 or 3 children per CPU and raise the number gradually while the load stays below 2-3 per CPU and the machine does not swap; {} CPU(s) give {n} to start with. RAM would allow {safe_max}.",
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
