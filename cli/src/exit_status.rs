//! The exit codes amavis-tune promises (README, "Exit codes").

use std::process::ExitCode;

use amavis_tune_core::{Report, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// Success; for `check`, both sides agree.
    Ok,
    /// `check` found a mismatch, or something that would make Postfix refuse or defer mail;
    /// `measure --watch --expect N` did not see N children, or saw connections wait for one.
    Mismatch,
    /// Bad input or any other error: nothing was written.
    Error,
}

impl ExitStatus {
    /// `check`'s verdict: 0 when both sides match and nothing would make Postfix refuse or defer
    /// mail, else 1.
    pub(crate) fn of_report(report: &Report) -> ExitStatus {
        if report.status == Status::Match && !report.has_errors() { ExitStatus::Ok } else { ExitStatus::Mismatch }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        match status {
            ExitStatus::Ok => ExitCode::SUCCESS,
            ExitStatus::Mismatch => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}
