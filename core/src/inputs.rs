//! Everything a plan depends on, as values.
//!
//! Each input type holds its own preconditions (`Concurrency` is 2..=10000, `Cpus` is non-zero, a
//! `ServiceName` is a valid Postfix name), so nothing downstream checks them again. This stage
//! imports no other stage of the crate.

pub(crate) mod concurrency;
pub(crate) mod cpus;
pub(crate) mod error;
pub(crate) mod method;
pub(crate) mod os;
pub(crate) mod preset;
pub(crate) mod release;
pub(crate) mod service_name;
pub(crate) mod size;

use serde::Serialize;

use crate::inputs::concurrency::Concurrency;
use crate::inputs::cpus::Cpus;
use crate::inputs::error::InputError;
use crate::inputs::method::PostfixMethod;
use crate::inputs::os::Os;
use crate::inputs::release::OsVersion;
use crate::inputs::service_name::ServiceName;
use crate::inputs::size::MiB;

/// The largest headroom a user may ask for.
pub const MAX_HEADROOM_PERCENT: u8 = 90;

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

/// A headroom percentage, from 0 to [`MAX_HEADROOM_PERCENT`].
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
        let error = || InputError::Headroom { value: text.to_owned(), max: MAX_HEADROOM_PERCENT };
        let digits = text.trim().trim_end_matches('%').trim_end();
        let value = digits.parse::<u8>().map_err(|_| error())?;
        if value > MAX_HEADROOM_PERCENT {
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

/// The inputs of [`crate::plan`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inputs {
    /// Total RAM of the server (or the memory limit of its container).
    #[serde(rename = "ram_mib")]
    pub ram: MiB,
    /// The number wanted; `None` asks the model to recommend one.
    pub concurrency: Option<Concurrency>,
    pub os: Os,
    /// The release of `os`, when known (os-release's `VERSION_ID`, or `--os debian:12`): the
    /// commands are that release's (or the nearest listed one's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_version: Option<OsVersion>,
    pub clamav: ClamAv,
    /// clamd's `MaxThreads` where it was read from clamd.conf; `None`: clamd's default (10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clamd_max_threads: Option<u32>,
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
            os_version: None,
            clamav: ClamAv::default(),
            clamd_max_threads: None,
            method: PostfixMethod::default(),
            service: ServiceName::default(),
            cpus: None,
            overrides: Overrides::default(),
        }
    }
}
