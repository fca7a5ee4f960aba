//! One module per subcommand: each gathers its inputs (flags, then this machine through
//! `host`), calls core, and hands the result to `render`.

pub(crate) mod apply;
pub(crate) mod check;
pub(crate) mod completions;
pub(crate) mod logs;
pub(crate) mod measure;
pub(crate) mod plan;
pub(crate) mod restore;
