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

    pub const ALL: [PostfixMethod; 2] = [PostfixMethod::MasterCf, PostfixMethod::MainCf];

    /// The names, for messages that say what is valid.
    pub const NAMES: &str = "master-cf or main-cf";

    /// The name used by `--method`, in links and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            PostfixMethod::MasterCf => "master-cf",
            PostfixMethod::MainCf => "main-cf",
        }
    }

    /// The method a name (as [`PostfixMethod::name`] writes it) names.
    pub fn from_name(name: &str) -> Option<PostfixMethod> {
        PostfixMethod::ALL.into_iter().find(|method| method.name() == name)
    }
}
