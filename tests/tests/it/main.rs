//! amavis-tune's one integration-test binary, organised by concern.

mod amavis_oracle;
mod apply;
mod check_fixtures;
mod cli_errors;
mod cli_plan;
mod explained;
mod fuzz_corpus;
mod hostile;
mod interrupted;
mod measure;
mod postfix_oracle;
mod web;
