//! How Postfix is told the number.

use serde::Serialize;

/// Where the Postfix side of the number is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum PostfixMethod {
    /// The `maxproc` column of the transport's master.cf entry (amavis README.postfix's first
    /// choice, and the only one that caps the total when the recipient limit is 1).
    #[default]
    MasterCf,
    /// `<service>_destination_concurrency_limit` in main.cf, master.cf's column left at `-`.
    MainCf,
}

impl PostfixMethod {
    /// What the number is called on the Postfix side: `smtp-amavis maxproc`, or the main.cf
    /// parameter `smtp-amavis_destination_concurrency_limit`.
    pub fn setting(self, service: &crate::ServiceName) -> String {
        match self {
            PostfixMethod::MasterCf => format!("{service} maxproc"),
            PostfixMethod::MainCf => format!("{service}_destination_concurrency_limit"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PostfixMethod::MasterCf => "master-cf",
            PostfixMethod::MainCf => "main-cf",
        }
    }
}
