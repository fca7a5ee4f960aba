//! Warnings a plan carries: a stable code for machines and a sentence for people.

use serde::Serialize;

/// The stable codes of plan warnings (part of the JSON contract: never renamed, only added).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningCode {
    /// The requested number of children does not fit in RAM with the assumptions used.
    ExceedsSafeMax,
    /// Not even the minimum of 2 children fits.
    DoesNotFit,
    /// RAM is below what ClamAV's documentation asks for ClamAV alone.
    ClamavLowRam,
    /// Postfix's destination concurrency limit would let fewer connections through than N.
    DestinationConcurrencyLimit,
    /// With the main.cf method, master.cf's `-` maxproc (default_process_limit, 100) caps N.
    ProcessLimit,
    /// The main.cf limit caps nothing when the transport's recipient limit is 1.
    MainCfPerRecipient,
    /// More than 3 children per CPU (README.performance).
    AboveCpuGuidance,
    /// More than the 10-30 children README.postfix calls everyday use.
    AboveUsefulRange,
    /// More children than clamd scans at once (`MaxThreads`, default 10).
    ClamdMaxThreads,
    /// The RAM figure looks like a unit slip (`4048G` for `4048M`, `8M` for `8G`).
    RamUnitSlip,
}

impl WarningCode {
    pub fn as_str(self) -> &'static str {
        match self {
            WarningCode::ExceedsSafeMax => "exceeds-safe-max",
            WarningCode::DoesNotFit => "does-not-fit",
            WarningCode::ClamavLowRam => "clamav-low-ram",
            WarningCode::DestinationConcurrencyLimit => "destination-concurrency-limit",
            WarningCode::ProcessLimit => "process-limit",
            WarningCode::MainCfPerRecipient => "main-cf-per-recipient",
            WarningCode::AboveCpuGuidance => "above-cpu-guidance",
            WarningCode::AboveUsefulRange => "above-useful-range",
            WarningCode::ClamdMaxThreads => "clamd-max-threads",
            WarningCode::RamUnitSlip => "ram-unit-slip",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub code: WarningCode,
    pub message: String,
}
