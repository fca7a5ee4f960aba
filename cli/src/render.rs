//! Presenting what core computed: text for people (plain characters that survive a copy into a
//! ticket) and the JSON contracts. Nothing here decides anything or touches the disk.

pub(crate) mod apply;
pub(crate) mod bars;
pub(crate) mod check;
pub(crate) mod diff;
pub(crate) mod json;
pub(crate) mod logs;
pub(crate) mod measure;
pub(crate) mod plan;
pub(crate) mod steps;
pub(crate) mod watch;
