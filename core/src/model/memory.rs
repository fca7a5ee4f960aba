//! The memory model: what each consumer needs, where each default comes from, and the budget.
//!
//! total RAM = headroom + reserve for the rest of the system + clamd (twice while it reloads its
//! database concurrently) + amavisd parent + N x per-child.
//!
//! Every default below is a judgement, named with its source, and every one can be overridden.
//! A change to any of them, or to the formula, must bump [`MODEL_VERSION`].

use serde::Serialize;

use crate::inputs::size::MiB;
use crate::inputs::{ClamAv, HeadroomPercent, Overrides};

/// The version of the memory model: bumped whenever a default or the formula changes, so that a
/// plan can say which model produced it.
pub const MODEL_VERSION: u32 = 2;

/// Resident memory of clamd with the full official signature set loaded.
///
/// ClamAV's documentation ("ClamAV in Docker", Memory (RAM) Requirements, 2020-09-20) says
/// loading the signatures takes "upwards of 1.2 GiB"; the set has grown since, and users report
/// clamd at about 1.4-1.65 GiB resident in 2024-2025 (ClamAV and mailcow issue threads). 1.5 GiB
/// sits in that range.
pub const DEFAULT_CLAMD: MiB = MiB(1536);

/// Resident memory of the amavisd parent process (Perl, its modules, SpamAssassin and its rules
/// compiled before forking). Its pages are shared copy-on-write with the children, so they are
/// counted once here and not in [`DEFAULT_PER_CHILD`]. Measured on Debian 12 (amavisd 2.13.0,
/// SpamAssassin 4.0.1 with its shipped rules, 4 children, 600 messages): the parent at 184 MiB
/// resident (57 MiB without SpamAssassin). The live lab's amavisd with SpamAssassin reads 163 MiB
/// on small test messages (`live::spamassassin_children_cost_parent_rss_plus_private`).
pub const DEFAULT_AMAVISD_PARENT: MiB = MiB(184);

/// What one amavisd child adds beyond the pages it shares with its parent: its private memory
/// (`Private_Clean + Private_Dirty` of `/proc/PID/smaps_rollup`) once it has scanned mail, which
/// stays flat after its first scans. Measured on the same Debian 12 server: 67 MiB private per
/// working child (16.5 MiB without SpamAssassin; a never-used "virgin child" has 4 MiB), rounded
/// up to 70. N children cost the parent's RSS plus N times this: 184 + 4 x 66.7 = 451 MiB there,
/// against a PSS sum of 447 MiB; the live lab checks that sum on every CI run.
pub const DEFAULT_PER_CHILD: MiB = MiB(70);

/// Memory kept for everything else on the server: the kernel, Postfix, Dovecot, a small database
/// and web stack. Calibrated against published minimums: iRedMail asks for at least 4 GB for a
/// low-traffic server with spam and virus scanning, and mailcow for 6 GiB plus swap; with this
/// reserve, clamd without concurrent reload, and 10 % headroom, a 4 GiB server fits about nine
/// children, and one with concurrent reload needs about 5 GiB before the first child fits.
pub const DEFAULT_RESERVE: MiB = MiB(1024);

/// Share of total RAM left free for the page cache and short peaks (a message that decodes into a
/// large tree of MIME parts, a burst of Postfix processes). Judgement.
pub const DEFAULT_HEADROOM_PERCENT: u8 = 10;

/// ClamAV's documentation recommends at least 3 GiB of RAM for ClamAV alone (preferred 4 GiB);
/// below this, clamd is the process the kernel kills, and mail stalls.
pub const CLAMAV_MINIMUM_RAM: MiB = MiB(3 * 1024);

/// The memory assumptions a plan uses: the defaults above, or the user's overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Assumptions {
    #[serde(rename = "reserve_mib")]
    pub reserve: MiB,
    #[serde(rename = "clamd_mib")]
    pub clamd: MiB,
    #[serde(rename = "amavisd_parent_mib")]
    pub amavisd_parent: MiB,
    #[serde(rename = "per_child_mib")]
    pub per_child: MiB,
    pub headroom_percent: u8,
}

impl Default for Assumptions {
    fn default() -> Assumptions {
        Assumptions {
            reserve: DEFAULT_RESERVE,
            clamd: DEFAULT_CLAMD,
            amavisd_parent: DEFAULT_AMAVISD_PARENT,
            per_child: DEFAULT_PER_CHILD,
            headroom_percent: DEFAULT_HEADROOM_PERCENT,
        }
    }
}

/// Where a figure in the budget came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    Default,
    Override,
}

/// How clamd's memory is counted in the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClamdMode {
    /// No ClamAV on this server.
    Off,
    /// `ConcurrentDatabaseReload no`: one engine in memory; scanning blocks during reloads.
    Single,
    /// `ConcurrentDatabaseReload yes` (the default since ClamAV 0.103): the new engine is built
    /// before the old one is dropped, so for a while each day clamd holds two.
    ConcurrentReload,
}

/// Which line of the budget a consumer is, serialized as a stable identifier: `reserve`, `clamd`,
/// `clamd-reload`, `amavisd-parent`, `amavisd-children`, `headroom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsumerId {
    Reserve,
    Clamd,
    ClamdReload,
    AmavisdParent,
    AmavisdChildren,
    Headroom,
}

impl ConsumerId {
    pub const ALL: [ConsumerId; 6] = [
        ConsumerId::Reserve,
        ConsumerId::Clamd,
        ConsumerId::ClamdReload,
        ConsumerId::AmavisdParent,
        ConsumerId::AmavisdChildren,
        ConsumerId::Headroom,
    ];

    /// The identifier used in JSON, in the text output's legend and on the page.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsumerId::Reserve => "reserve",
            ConsumerId::Clamd => "clamd",
            ConsumerId::ClamdReload => "clamd-reload",
            ConsumerId::AmavisdParent => "amavisd-parent",
            ConsumerId::AmavisdChildren => "amavisd-children",
            ConsumerId::Headroom => "headroom",
        }
    }
}

impl std::fmt::Display for ConsumerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of the budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consumer {
    pub id: ConsumerId,
    /// A label for people.
    pub label: String,
    pub mib: MiB,
    pub origin: Origin,
}

/// The memory budget of a plan, in MiB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Budget {
    #[serde(rename = "total_mib")]
    pub total: MiB,
    pub consumers: Vec<Consumer>,
    /// The sum of all consumers, headroom included.
    #[serde(rename = "required_mib")]
    pub required: MiB,
    /// `total - required`: negative when the plan does not fit.
    pub free_mib: i64,
    pub fits: bool,
    pub clamd_mode: ClamdMode,
    /// clamd's peak with concurrent reload, and without; both shown so the user sees what turning
    /// `ConcurrentDatabaseReload` off would buy.
    #[serde(rename = "clamd_peak_concurrent_mib")]
    pub clamd_peak_concurrent: MiB,
    #[serde(rename = "clamd_peak_single_mib")]
    pub clamd_peak_single: MiB,
    /// With clamd budgeted at its concurrent-reload peak: how many children would fit with
    /// `ConcurrentDatabaseReload no` (clamd then blocks scanning while it reloads, clamd.conf(5));
    /// `None` when the budget did not count a concurrent reload.
    pub safe_max_without_concurrent_reload: Option<u64>,
    /// Where the safe maximum falls on the budget bar, in MiB from its start: the consumers
    /// before the children, then the safe maximum's children (no more than the total RAM).
    #[serde(rename = "safe_max_mark_mib")]
    pub safe_max_mark: MiB,
}

impl Budget {
    /// Which clamd peak the budget counted, and the other one, in a sentence; `None` without
    /// ClamAV.
    pub fn clamd_note(&self) -> Option<String> {
        match self.clamd_mode {
            ClamdMode::ConcurrentReload => Some(format!(
                "clamd is budgeted at its concurrent-reload peak ({} MiB); with ConcurrentDatabaseReload no it peaks at {} MiB, but blocks scanning while it reloads its signatures.",
                self.clamd_peak_concurrent.0, self.clamd_peak_single.0
            )),
            ClamdMode::Single => Some(format!(
                "clamd is budgeted without concurrent reload ({} MiB), so it blocks scanning while it reloads its signatures; with ConcurrentDatabaseReload yes (ClamAV's default) it keeps scanning but peaks at {} MiB.",
                self.clamd_peak_single.0, self.clamd_peak_concurrent.0
            )),
            ClamdMode::Off => None,
        }
    }
}

impl Assumptions {
    pub fn headroom(&self, total: MiB) -> MiB {
        MiB(total.0 / 100 * u64::from(self.headroom_percent) + total.0 % 100 * u64::from(self.headroom_percent) / 100)
    }

    pub fn clamd_peak(&self, mode: ClamdMode) -> MiB {
        match mode {
            ClamdMode::Off => MiB(0),
            ClamdMode::Single => self.clamd,
            ClamdMode::ConcurrentReload => MiB(self.clamd.0.saturating_mul(2)),
        }
    }

    /// Everything but the children and the headroom.
    pub fn fixed(&self, mode: ClamdMode) -> MiB {
        self.reserve.saturating_add(self.clamd_peak(mode)).saturating_add(self.amavisd_parent)
    }

    /// The largest number of children that fits in `total`.
    pub fn safe_max(&self, total: MiB, mode: ClamdMode) -> u64 {
        let available = total.saturating_sub(self.headroom(total)).saturating_sub(self.fixed(mode));
        available.0 / self.per_child.0.max(1)
    }

    /// The least total RAM in which `children` fit, headroom included.
    pub fn ram_needed(&self, children: u64, mode: ClamdMode) -> MiB {
        let without_headroom = self.fixed(mode).0.saturating_add(children.saturating_mul(self.per_child.0));
        let keep = 100 - u64::from(self.headroom_percent);
        // The smallest total with total - headroom(total) >= without_headroom.
        let mut total = without_headroom.saturating_mul(100).div_ceil(keep);
        while total > 0 && MiB(total - 1).saturating_sub(self.headroom(MiB(total - 1))).0 >= without_headroom {
            total -= 1;
        }
        while MiB(total).saturating_sub(self.headroom(MiB(total))).0 < without_headroom {
            total += 1;
        }
        MiB(total)
    }

    pub fn budget(&self, total: MiB, children: u32, mode: ClamdMode, overridden: &Overridden) -> Budget {
        let origin = |is_override: bool| {
            if is_override { Origin::Override } else { Origin::Default }
        };
        let mut consumers = vec![Consumer {
            id: ConsumerId::Reserve,
            label: "rest of the system (OS, Postfix, ...)".to_owned(),
            mib: self.reserve,
            origin: origin(overridden.reserve),
        }];
        if mode != ClamdMode::Off {
            consumers.push(Consumer {
                id: ConsumerId::Clamd,
                label: "clamd signatures".to_owned(),
                mib: self.clamd,
                origin: origin(overridden.clamd),
            });
        }
        if mode == ClamdMode::ConcurrentReload {
            consumers.push(Consumer {
                id: ConsumerId::ClamdReload,
                label: "clamd reload peak".to_owned(),
                mib: self.clamd,
                origin: origin(overridden.clamd),
            });
        }
        consumers.push(Consumer {
            id: ConsumerId::AmavisdParent,
            label: "amavisd parent".to_owned(),
            mib: self.amavisd_parent,
            origin: origin(overridden.amavisd_parent),
        });
        consumers.push(Consumer {
            id: ConsumerId::AmavisdChildren,
            label: format!("{children} amavisd children x {}", self.per_child.0),
            mib: MiB(u64::from(children).saturating_mul(self.per_child.0)),
            origin: origin(overridden.per_child),
        });
        consumers.push(Consumer {
            id: ConsumerId::Headroom,
            label: format!("headroom ({} %)", self.headroom_percent),
            mib: self.headroom(total),
            origin: origin(overridden.headroom_percent),
        });
        let required = consumers.iter().fold(MiB(0), |sum, c| sum.saturating_add(c.mib));
        let before_children = consumers
            .iter()
            .take_while(|c| c.id != ConsumerId::AmavisdChildren)
            .fold(MiB(0), |sum, c| sum.saturating_add(c.mib));
        let safe_max_children = MiB(self.safe_max(total, mode).saturating_mul(self.per_child.0).min(total.0));
        let free_mib = total.0 as i64 - required.0 as i64;
        Budget {
            total,
            consumers,
            required,
            free_mib,
            fits: free_mib >= 0,
            clamd_mode: mode,
            clamd_peak_concurrent: self.clamd_peak(ClamdMode::ConcurrentReload),
            clamd_peak_single: self.clamd_peak(ClamdMode::Single),
            safe_max_without_concurrent_reload: (mode == ClamdMode::ConcurrentReload)
                .then(|| self.safe_max(total, ClamdMode::Single)),
            safe_max_mark: before_children.saturating_add(safe_max_children),
        }
    }
}

/// Which assumptions the user overrode (the budget says which figures are defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Overridden {
    pub reserve: bool,
    pub clamd: bool,
    pub amavisd_parent: bool,
    pub per_child: bool,
    pub headroom_percent: bool,
}

// The model's reading of the inputs: how ClamAV counts, and the user's overrides over a model's
// defaults. They live here, not with the input types, so that the inputs import nothing of the model.

impl ClamAv {
    pub fn mode(self) -> ClamdMode {
        match self {
            ClamAv::Off => ClamdMode::Off,
            ClamAv::On { concurrent_reload: false } => ClamdMode::Single,
            ClamAv::On { concurrent_reload: true } => ClamdMode::ConcurrentReload,
        }
    }
}

impl Overrides {
    /// The assumptions with the current model's defaults where nothing is overridden.
    pub fn assumptions(&self) -> Assumptions {
        self.assumptions_over(Assumptions::default())
    }

    /// The assumptions with `defaults` where nothing is overridden.
    pub fn assumptions_over(&self, defaults: Assumptions) -> Assumptions {
        Assumptions {
            reserve: self.reserve.unwrap_or(defaults.reserve),
            clamd: self.clamd.unwrap_or(defaults.clamd),
            amavisd_parent: self.amavisd_parent.unwrap_or(defaults.amavisd_parent),
            // A child cannot cost nothing; 1 MiB keeps the division in `safe_max` defined.
            per_child: self.per_child.map_or(defaults.per_child, |m| MiB(m.0.max(1))),
            headroom_percent: self.headroom_percent.map_or(defaults.headroom_percent, HeadroomPercent::get),
        }
    }

    pub fn overridden(&self) -> Overridden {
        Overridden {
            reserve: self.reserve.is_some(),
            clamd: self.clamd.is_some(),
            amavisd_parent: self.amavisd_parent.is_some(),
            per_child: self.per_child.is_some(),
            headroom_percent: self.headroom_percent.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_safe_max(total_mib: u64, mode: ClamdMode, expect: u64) {
        assert_eq!(Assumptions::default().safe_max(MiB(total_mib), mode), expect, "{total_mib} MiB {mode:?}");
    }

    #[test]
    fn safe_max_with_defaults() {
        // 8192 - 819 headroom - 1024 - 3072 - 184 = 3093 -> 44 children of 70 MiB.
        check_safe_max(8192, ClamdMode::ConcurrentReload, 44);
        // 8192 - 819 - 1024 - 1536 - 184 = 4629 -> 66; without clamd 6165 -> 88.
        check_safe_max(8192, ClamdMode::Single, 66);
        check_safe_max(8192, ClamdMode::Off, 88);
        // 4096 - 409 - 1024 - 3072 - 184 < 0; with one clamd, 943 -> 13.
        check_safe_max(4096, ClamdMode::ConcurrentReload, 0);
        check_safe_max(4096, ClamdMode::Single, 13);
        // 2048 - 204 - 1024 - 184 = 636 -> 9.
        check_safe_max(2048, ClamdMode::Off, 9);
        check_safe_max(1, ClamdMode::Off, 0);
    }

    #[test]
    fn ram_needed_is_the_least_that_fits() {
        let a = Assumptions::default();
        for mode in [ClamdMode::Off, ClamdMode::Single, ClamdMode::ConcurrentReload] {
            for children in [0, 1, 2, 10, 31, 100] {
                let need = a.ram_needed(children, mode);
                assert!(a.safe_max(need, mode) >= children);
                if children > 0 {
                    assert!(a.safe_max(MiB(need.0 - 1), mode) < children);
                }
            }
        }
    }

    /// The safe maximum's mark: the consumers before the children, then the safe maximum's
    /// children, no more than the RAM.
    #[track_caller]
    fn check_safe_max_mark(total_mib: u64, children: u32, mode: ClamdMode, expect: u64) {
        let budget = Assumptions::default().budget(MiB(total_mib), children, mode, &Overridden::default());
        assert_eq!(budget.safe_max_mark, MiB(expect), "{total_mib} MiB {mode:?}");
    }

    #[test]
    fn safe_max_mark() {
        // 1024 + 1536 + 1536 + 184 before the children, then 44 children of 70 MiB.
        check_safe_max_mark(8192, 10, ClamdMode::ConcurrentReload, 4280 + 3080);
        check_safe_max_mark(8192, 40, ClamdMode::ConcurrentReload, 4280 + 3080);
        check_safe_max_mark(8192, 10, ClamdMode::Off, 1208 + 88 * 70);
        check_safe_max_mark(4096, 10, ClamdMode::ConcurrentReload, 4280);
    }

    #[test]
    fn ids_are_named_as_serialized() {
        for id in ConsumerId::ALL {
            assert_eq!(serde_json::to_value(id).ok(), Some(serde_json::Value::from(id.as_str())));
        }
    }

    #[test]
    fn headroom_rounds_down() {
        let a = Assumptions::default();
        assert_eq!(a.headroom(MiB(8192)), MiB(819));
        assert_eq!(a.headroom(MiB(99)), MiB(9));
        assert_eq!(a.headroom(crate::inputs::size::MAX_SIZE), MiB(6_710_886));
    }
}
