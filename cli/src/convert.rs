//! From flags to core's inputs: each conversion written once, for every subcommand that takes
//! those flags.

use amavis_tune_core::{ClamAv, Inputs, Os, Overrides};

use crate::args::{MemoryArgs, OverrideArgs};

impl From<&OverrideArgs> for Overrides {
    fn from(args: &OverrideArgs) -> Overrides {
        Overrides {
            reserve: args.reserve,
            clamd: args.clamd,
            amavisd_parent: args.amavisd_parent,
            per_child: args.per_child,
            headroom_percent: args.headroom,
        }
    }
}

impl MemoryArgs {
    /// ClamAV as the flags say; `default_on` when neither --clamav nor --no-clamav is given (a
    /// preset without ClamAV turns it off).
    pub(crate) fn clamav(&self, default_on: bool) -> ClamAv {
        let on = if self.no_clamav || self.clamav { self.clamav } else { default_on };
        if on { ClamAv::On { concurrent_reload: !self.no_concurrent_reload } } else { ClamAv::Off }
    }
}

/// The inputs the memory flags name: the RAM given (else this machine's), ClamAV and the
/// overrides; every other input at its default, for the caller to set.
impl TryFrom<&MemoryArgs> for Inputs {
    type Error = anyhow::Error;

    fn try_from(args: &MemoryArgs) -> anyhow::Result<Inputs> {
        let ram = match args.ram {
            Some(ram) => ram,
            None => crate::host::machine::ram(&args.sysroot.sysroot)?.usable,
        };
        Ok(Inputs {
            clamav: args.clamav(true),
            overrides: Overrides::from(&args.overrides),
            ..Inputs::new(ram, Os::Debian)
        })
    }
}
