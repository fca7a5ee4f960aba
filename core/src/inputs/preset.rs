//! Named starting points that match real deployments; each is a set of inputs the user then
//! changes (the OS, the method and the service stay the user's).

use crate::inputs::concurrency::Concurrency;
use crate::inputs::cpus::Cpus;
use crate::inputs::error::InputError;
use crate::inputs::size::MiB;
use crate::inputs::{ClamAv, Inputs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Preset {
    /// A small VPS that is the MX of a few domains: 2 GiB, 1 CPU, SpamAssassin only (no ClamAV).
    VpsMx,
    /// A small office server running the full stack: 8 GiB, 4 CPUs, ClamAV with concurrent reload.
    Office,
    /// A busy filtering gateway: 32 GiB, 16 CPUs, ClamAV, 25 children asked for.
    Gateway,
}

impl Preset {
    pub const ALL: [Preset; 3] = [Preset::VpsMx, Preset::Office, Preset::Gateway];

    /// The name used by `--preset` and the page's `preset=`.
    pub fn name(self) -> &'static str {
        match self {
            Preset::VpsMx => "vps-mx",
            Preset::Office => "office",
            Preset::Gateway => "gateway",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Preset::VpsMx => "Small VPS MX, no ClamAV (2 GiB, 1 CPU)",
            Preset::Office => "Small office, full stack with ClamAV (8 GiB, 4 CPUs)",
            Preset::Gateway => "Busy gateway, 25 children (32 GiB, 16 CPUs, ClamAV)",
        }
    }

    pub fn ram(self) -> MiB {
        match self {
            Preset::VpsMx => MiB::from_gib(2),
            Preset::Office => MiB::from_gib(8),
            Preset::Gateway => MiB::from_gib(32),
        }
    }

    pub fn cpus(self) -> Cpus {
        let n = match self {
            Preset::VpsMx => 1,
            Preset::Office => 4,
            Preset::Gateway => 16,
        };
        Cpus::new(n).unwrap_or_else(|_| unreachable!("preset CPU counts are in range"))
    }

    pub fn clamav(self) -> ClamAv {
        match self {
            Preset::VpsMx => ClamAv::Off,
            Preset::Office | Preset::Gateway => ClamAv::On { concurrent_reload: true },
        }
    }

    /// The number asked for; `None` lets the model recommend one.
    pub fn concurrency(self) -> Option<Concurrency> {
        match self {
            Preset::VpsMx | Preset::Office => None,
            Preset::Gateway => Concurrency::new(25).ok(),
        }
    }

    /// Sets the preset's inputs, keeping `inputs`' OS, method, service and overrides.
    pub fn apply_to(self, inputs: &mut Inputs) {
        inputs.ram = self.ram();
        inputs.cpus = Some(self.cpus());
        inputs.clamav = self.clamav();
        inputs.concurrency = self.concurrency();
    }
}

impl std::str::FromStr for Preset {
    type Err = InputError;

    fn from_str(text: &str) -> Result<Preset, InputError> {
        Preset::ALL.into_iter().find(|p| p.name() == text.trim()).ok_or_else(|| {
            let names: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
            InputError::Preset { value: text.to_owned(), names: names.join(", ") }
        })
    }
}
