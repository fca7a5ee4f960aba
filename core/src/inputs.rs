//! Everything a plan depends on, as values.

use std::num::NonZeroU32;

use serde::Serialize;

use crate::concurrency::Concurrency;
use crate::error::InputError;
use crate::memory::{self, Assumptions, ClamdMode, Overridden};
use crate::method::PostfixMethod;
use crate::os::Os;
use crate::service_name::ServiceName;
use crate::size::MiB;

/// The largest CPU count accepted (Linux's own limit is 8192 in common builds; no mail server
/// comes near either).
pub const MAX_CPUS: u32 = 4096;

/// Whether ClamAV runs on the server, and how it reloads its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClamAv {
    Off,
    On { concurrent_reload: bool },
}

impl Default for ClamAv {
    /// ClamAV on, with `ConcurrentDatabaseReload yes`, clamd's default since 0.103.
    fn default() -> ClamAv {
        ClamAv::On { concurrent_reload: true }
    }
}

impl Serialize for ClamAv {
    /// `{"enabled": bool, "concurrent_reload": bool}`: flat, for the JSON contract.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut state = serializer.serialize_struct("ClamAv", 2)?;
        state.serialize_field("enabled", &matches!(self, ClamAv::On { .. }))?;
        state.serialize_field("concurrent_reload", &matches!(self, ClamAv::On { concurrent_reload: true }))?;
        state.end()
    }
}

impl ClamAv {
    pub fn mode(self) -> ClamdMode {
        match self {
            ClamAv::Off => ClamdMode::Off,
            ClamAv::On { concurrent_reload: false } => ClamdMode::Single,
            ClamAv::On { concurrent_reload: true } => ClamdMode::ConcurrentReload,
        }
    }
}

/// A number of CPUs, from 1 to [`MAX_CPUS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Cpus(NonZeroU32);

impl Cpus {
    pub fn new(value: u32) -> Result<Cpus, InputError> {
        match NonZeroU32::new(value) {
            Some(n) if value <= MAX_CPUS => Ok(Cpus(n)),
            _ => Err(InputError::Cpus { value: value.to_string() }),
        }
    }

    pub fn get(self) -> u32 {
        self.0.get()
    }
}

impl std::str::FromStr for Cpus {
    type Err = InputError;

    fn from_str(text: &str) -> Result<Cpus, InputError> {
        let error = || InputError::Cpus { value: text.to_owned() };
        let value = text.trim().parse::<u32>().map_err(|_| error())?;
        Cpus::new(value).map_err(|_| error())
    }
}

/// A headroom percentage, from 0 to [`memory::MAX_HEADROOM_PERCENT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct HeadroomPercent(u8);

impl HeadroomPercent {
    pub fn get(self) -> u8 {
        self.0
    }
}

impl std::str::FromStr for HeadroomPercent {
    type Err = InputError;

    fn from_str(text: &str) -> Result<HeadroomPercent, InputError> {
        let error = || InputError::Headroom { value: text.to_owned() };
        let digits = text.trim().trim_end_matches('%').trim_end();
        let value = digits.parse::<u8>().map_err(|_| error())?;
        if value > memory::MAX_HEADROOM_PERCENT {
            return Err(error());
        }
        Ok(HeadroomPercent(value))
    }
}

/// The user's overrides of the memory assumptions; `None` keeps the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Overrides {
    #[serde(rename = "reserve_mib")]
    pub reserve: Option<MiB>,
    #[serde(rename = "clamd_mib")]
    pub clamd: Option<MiB>,
    #[serde(rename = "amavisd_parent_mib")]
    pub amavisd_parent: Option<MiB>,
    #[serde(rename = "per_child_mib")]
    pub per_child: Option<MiB>,
    pub headroom_percent: Option<HeadroomPercent>,
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

/// The inputs of [`crate::plan`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inputs {
    /// Total RAM of the server (or the memory limit of its container).
    #[serde(rename = "ram_mib")]
    pub ram: MiB,
    /// The number wanted; `None` asks the model to recommend one.
    pub concurrency: Option<Concurrency>,
    pub os: Os,
    pub clamav: ClamAv,
    pub method: PostfixMethod,
    pub service: ServiceName,
    /// The CPU count, when known; it bounds the recommendation (README.performance).
    pub cpus: Option<Cpus>,
    pub overrides: Overrides,
}

impl Inputs {
    /// The inputs with every default: ClamAV on with concurrent reload, master.cf method,
    /// `smtp-amavis`, no CPU count, no overrides.
    pub fn new(ram: MiB, os: Os) -> Inputs {
        Inputs {
            ram,
            concurrency: None,
            os,
            clamav: ClamAv::default(),
            method: PostfixMethod::default(),
            service: ServiceName::default(),
            cpus: None,
            overrides: Overrides::default(),
        }
    }
}
