//! The recommendation's bounds: judgements from amavis's own documentation, each with its source.
//! A model version carries the ones it recommends with (see [`crate::model::versions`]), so that
//! a replayed old link is bounded, and warned about, with its own figures.

use crate::inputs::size::MiB;

/// README.performance: going beyond about 10 children usually brings no more throughput and
/// wastes memory. The recommendation never exceeds this.
pub const DIMINISHING_RETURNS: u32 = 10;

/// README.performance: start with 2 or 3 children per CPU and raise gradually while the load
/// stays below 2-3 per CPU. The recommendation starts at the upper end.
pub const CHILDREN_PER_CPU: u32 = 3;

/// README.postfix: everyday use raises the number to 10-30, depending on resources.
pub const USEFUL_RANGE_TOP: u32 = 30;

/// Below this much RAM no mail server with amavisd runs: a smaller figure is taken for a unit
/// slip (`8M` for `8G`).
pub const SMALLEST_PLAUSIBLE_RAM: MiB = MiB(512);

/// Above this much RAM (1 TiB) a figure is taken for a unit slip (`4048G` for `4048M`): mail
/// servers are sized in GiB, and the biggest single machines sold carry a few dozen TiB.
pub const LARGEST_PLAUSIBLE_RAM: MiB = MiB(1024 * 1024);
