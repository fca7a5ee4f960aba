//! The number of amavisd children a measured load needs, bounded by memory and CPU the way `plan`
//! bounds its recommendation; and Little's law, the mean the replay refines.

use serde::Serialize;

use crate::inputs::Inputs;
use crate::inputs::concurrency::MIN_CONCURRENCY;
use crate::model::versions::current_model;

/// The share of time each child should be busy at the peak. Judgement: a pool run at 70% leaves
/// room for bursts within the minute (queueing delay grows steeply past about 0.7-0.8 for a
/// multi-server queue); DOMAIN: "Mail rate to concurrency (Little's law) ... a target
/// utilisation (about 0.7)".
pub const TARGET_UTILISATION: f64 = 0.7;

/// Children needed for `arrivals_per_s` deliveries per second that each hold a child for
/// `service_s` seconds: the mean number busy (Little's law, L = lambda x W) over the target
/// utilisation, rounded up, never below 2 (amavisd's own default, and the least amavis-tune
/// plans).
pub fn children_for_load(arrivals_per_s: f64, service_s: f64) -> u32 {
    let busy = arrivals_per_s * service_s;
    if !busy.is_finite() || busy <= 0.0 {
        return MIN_CONCURRENCY;
    }
    let needed = (busy / TARGET_UTILISATION).ceil();
    if needed >= f64::from(u32::MAX) { u32::MAX } else { (needed as u32).max(MIN_CONCURRENCY) }
}

/// What bounded a sizing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SizingBound {
    /// The load itself (the replay of the log's deliveries).
    Load,
    /// The most children that fit in RAM.
    Memory,
    /// 3 children per CPU.
    Cpu,
    /// No RAM or CPUs were given for the server whose logs these are: the load's number stands
    /// unbounded.
    Unbounded,
}

/// The load's number, bounded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sizing {
    /// The number to run: the load's, or a lower bound's, never below 2; `None` without enough
    /// evidence.
    pub needed: Option<u32>,
    /// What the replay alone gives.
    pub for_load: Option<u32>,
    pub bound: SizingBound,
    pub reason: String,
}

/// The replay's number, bounded by the RAM and CPUs in `inputs` (when given) as `plan` bounds
/// its number: the memory model's safe maximum, and children per CPU. `reason` says how the
/// replay reached its number.
pub fn bound_load(for_load: Option<u32>, mut reason: String, inputs: Option<&Inputs>) -> Sizing {
    let Some(for_load) = for_load else {
        return Sizing { needed: None, for_load: None, bound: SizingBound::Load, reason };
    };
    let mut needed = for_load;
    let mut bound = SizingBound::Load;
    let Some(inputs) = inputs else {
        reason.push_str(" No RAM or CPU count was given for the server these logs come from (--ram, --cpus), so memory and CPU do not bound this number.");
        return Sizing { needed: Some(needed), for_load: Some(for_load), bound: SizingBound::Unbounded, reason };
    };
    let model = current_model();
    let assumptions = inputs.overrides.assumptions_over(model.defaults);
    let safe_max = assumptions.safe_max(inputs.ram, inputs.clamav.mode());
    if u64::from(needed) > safe_max {
        needed = u32::try_from(safe_max).unwrap_or(u32::MAX).max(MIN_CONCURRENCY);
        bound = SizingBound::Memory;
        reason.push_str(&format!(
            " Memory decides: only {safe_max} fit in {} MiB (the plan's memory model), so {needed}; more would swap; add RAM or shorten the scans.",
            inputs.ram.0
        ));
    }
    if let Some(cpus) = inputs.cpus {
        let cpu_bound = cpus.get().saturating_mul(model.children_per_cpu);
        if needed > cpu_bound {
            needed = cpu_bound.max(MIN_CONCURRENCY);
            bound = SizingBound::Cpu;
            reason.push_str(&format!(
                " CPU decides: amavis README.performance advises at most {} children per CPU; {} CPU(s) give {needed}.",
                model.children_per_cpu,
                cpus.get()
            ));
        }
    }
    Sizing { needed: Some(needed), for_load: Some(for_load), bound, reason }
}

#[cfg(test)]
mod tests {
    use super::children_for_load;

    #[test]
    fn littles_law() {
        // 2 deliveries/s x 1.4 s = 2.8 busy; / 0.7 = 4.
        assert_eq!(children_for_load(2.0, 1.4), 4);
        // 10/s x 1.0 s = 10 busy; / 0.7 = 14.29 -> 15.
        assert_eq!(children_for_load(10.0, 1.0), 15);
        assert_eq!(children_for_load(0.0, 1.0), 2);
        assert_eq!(children_for_load(f64::NAN, 1.0), 2);
        assert_eq!(children_for_load(1e30, 1e30), u32::MAX);
    }
}
