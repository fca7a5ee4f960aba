//! Every version of the memory model amavis-tune has shipped, as data, so that a permalink made
//! years ago can be replayed with the model it was made with and compared with today's.
//!
//! A change to a default of [`crate::model::memory`] or to the recommendation's bounds adds an entry to
//! [`MODELS`] (and bumps [`MODEL_VERSION`]); entries are never edited or removed.

use crate::inputs::size::MiB;
use crate::model::bounds::{CHILDREN_PER_CPU, DIMINISHING_RETURNS};
use crate::model::memory::{
    Assumptions, DEFAULT_AMAVISD_PARENT, DEFAULT_CLAMD, DEFAULT_HEADROOM_PERCENT, DEFAULT_PER_CHILD, DEFAULT_RESERVE,
    MODEL_VERSION,
};

/// One version of the model: its defaults and bounds, and what changed from the version before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Model {
    pub version: u32,
    /// The memory assumptions used where the user overrides nothing.
    pub defaults: Assumptions,
    /// The recommendation's CPU bound: children per CPU.
    pub children_per_cpu: u32,
    /// The recommendation's ceiling.
    pub diminishing_returns: u32,
    /// What this version changed, for people reading an old link's notice.
    pub changes: &'static str,
}

/// Every model version, oldest first; the last is the current one.
pub const MODELS: &[Model] = &[
    Model {
        version: 1,
        defaults: Assumptions {
            reserve: MiB(1024),
            clamd: MiB(1536),
            amavisd_parent: MiB(128),
            per_child: MiB(100),
            headroom_percent: 10,
        },
        children_per_cpu: 3,
        diminishing_returns: 10,
        changes: "the first model: reserve 1024 MiB, clamd 1536 MiB (twice during a concurrent reload), amavisd parent \
                  128 MiB, 100 MiB per child, 10 % headroom; at most 3 children per CPU and 10 in all unless asked",
    },
    Model {
        version: 2,
        defaults: Assumptions {
            reserve: DEFAULT_RESERVE,
            clamd: DEFAULT_CLAMD,
            amavisd_parent: DEFAULT_AMAVISD_PARENT,
            per_child: DEFAULT_PER_CHILD,
            headroom_percent: DEFAULT_HEADROOM_PERCENT,
        },
        children_per_cpu: CHILDREN_PER_CPU,
        diminishing_returns: DIMINISHING_RETURNS,
        changes: "amavisd parent 184 MiB (was 128) and 70 MiB per child (was 100), measured with SpamAssassin: the \
                  parent's RSS plus N times a working child's private memory",
    },
];

/// The model [`crate::plan::plan`] uses.
pub fn current_model() -> &'static Model {
    let current = &MODELS[MODELS.len() - 1];
    debug_assert_eq!(current.version, MODEL_VERSION);
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_ends_with_the_current_model() {
        assert_eq!(current_model().version, MODEL_VERSION);
        assert_eq!(current_model().defaults, Assumptions::default());
        assert!(MODELS.windows(2).all(|w| w[0].version < w[1].version), "versions only grow");
    }
}
