//! Mail logs: a streaming reader for the formats servers write (classic syslog, RFC 3339,
//! `journalctl -o short-iso` and `-o json`, Postfix's `maillog_file`, amavisd's `$LOGFILE`) and
//! the analysis of the deliveries to amavisd: scan times, busy connections, waits, deferrals, a
//! verdict and the number of children the traffic needs.
//!
//! Lines in, a report out; no I/O. Reads `inputs` and `model` (to bound the number as `plan`
//! does), nothing else.

pub(crate) mod analysis;
pub(crate) mod busy;
pub(crate) mod distribution;
pub(crate) mod event;
pub(crate) mod line;
pub(crate) mod replay;
pub(crate) mod report;
pub(crate) mod sizing;
pub(crate) mod time;
pub(crate) mod timeline;
pub(crate) mod verdict;

#[cfg(test)]
mod tests;
