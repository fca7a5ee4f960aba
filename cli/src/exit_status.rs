//! The exit codes amavis-tune promises (README, "Exit codes").

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// Success; for `check`, both sides agree.
    Ok,
    /// `check` found a mismatch, or something that would make Postfix refuse or defer mail.
    Mismatch,
    /// Bad input or any other error: nothing was written.
    Error,
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
