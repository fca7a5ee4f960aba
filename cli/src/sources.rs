//! Where each of a plan's inputs came from (a flag, this machine, a preset, a permalink), so that
//! the output can say what it assumed. Gathered by `commands::plan`, shown by `render::plan` and in
//! the JSON output.

use serde::Serialize;

/// Where an input came from, so the output can say what it assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Source {
    /// Given on the command line.
    Flag,
    /// Read from this machine.
    Detected,
    /// Neither: the default.
    Default,
    /// Not known (the CPU count when planning for another machine).
    Unknown,
    /// From the preset named with --preset.
    Preset,
    /// From the permalink given with --from-url.
    Link,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Sources {
    pub(crate) ram: Source,
    /// When the RAM was read from this machine: where (`/proc/meminfo`, or a cgroup limit file).
    pub(crate) ram_from: Option<String>,
    /// The host's total when a cgroup limit is lower and used instead.
    pub(crate) host_ram_mib: Option<u64>,
    pub(crate) cpus: Source,
    pub(crate) os: Source,
    /// With `--measured`: the figures measured on this server (the defaults stay in `assumptions`
    /// where nothing was measured).
    pub(crate) measured: Option<Measured>,
    /// The preset the inputs started from.
    pub(crate) preset: Option<&'static str>,
    /// With --from-url: the model version the link names, and the notice when today's model
    /// gives other numbers than that version did (or the version is unknown).
    pub(crate) link: Option<LinkSource>,
    /// On this machine with no ClamAV flag: the clamd config read (or that clamd is not
    /// installed), which set ClamAV's inputs.
    pub(crate) clamd: Option<crate::host::machine::ClamdRead>,
    /// The mail logs read for the observed load (`--logs`, or by themselves on the server).
    pub(crate) logs: Option<crate::commands::logs::LogsRead>,
    /// A platform that generates both numbers (`--platform`, or found on this machine): the
    /// steps are its own, and the snippets only show what it will write.
    pub(crate) platform: Option<&'static amavis_tune_core::PlatformFacts>,
    /// What the platform means for the snippets and the reserve (the page says the same).
    #[serde(skip)]
    pub(crate) platform_notice: Option<String>,
    /// On the server with amavisd running: one sample of its children and accept queue, as the
    /// plan was made (a non-empty queue is said beside the logs).
    pub(crate) now: Option<crate::host::watch::Now>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct LinkSource {
    pub(crate) model_version: Option<u32>,
    pub(crate) notice: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Measured {
    pub(crate) per_child_mib: Option<u64>,
    pub(crate) amavisd_parent_mib: Option<u64>,
    pub(crate) clamd_mib: Option<u64>,
    pub(crate) children: usize,
    pub(crate) warnings: Vec<String>,
    /// Measured without --measured, because this machine runs amavisd and nothing was overridden.
    pub(crate) automatic: bool,
}
