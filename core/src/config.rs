//! The configuration readers: lossless documents of Postfix's `master.cf` and `main.cf` and of
//! amavisd's Perl files, with what each reader noticed. Parsing never fails. This stage imports
//! no other stage of the crate.

pub(crate) mod amavis_conf;
pub(crate) mod clamd_conf;
pub(crate) mod diagnostic;
pub(crate) mod lines;
pub(crate) mod main_cf;
pub(crate) mod master_cf;
pub(crate) mod postfix_defaults;
pub(crate) mod run_parts;
