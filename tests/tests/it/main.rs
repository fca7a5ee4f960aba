//! amavis-tune's one integration-test binary, organised by concern.

mod check_fixtures;
mod cli_errors;
mod cli_plan;
