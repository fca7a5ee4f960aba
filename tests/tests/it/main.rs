//! amavis-tune's one integration-test binary, organised by concern.

mod cli_errors;
mod cli_plan;
