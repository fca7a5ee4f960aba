//! The operating systems amavis-tune knows, and where each keeps the files and services involved.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::inputs::error::InputError;
use crate::inputs::release::{RELEASES, ReleaseFacts};

/// A target operating system, or family of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Os {
    Debian,
    Ubuntu,
    /// Red Hat Enterprise Linux and its rebuilds (Rocky, AlmaLinux, CentOS Stream), with EPEL's
    /// `amavis` package (named amavisd-new until 2.12).
    Rhel,
    Freebsd,
    Openbsd,
    /// openSUSE Leap and Tumbleweed, and SUSE Linux Enterprise Server (its PackageHub).
    Opensuse,
    /// Gentoo, whose releases here are its two init systems (OpenRC and systemd).
    Gentoo,
    Alpine,
}

impl Os {
    pub const ALL: [Os; 8] =
        [Os::Debian, Os::Ubuntu, Os::Rhel, Os::Freebsd, Os::Openbsd, Os::Opensuse, Os::Gentoo, Os::Alpine];

    pub fn name(self) -> &'static str {
        match self {
            Os::Debian => "debian",
            Os::Ubuntu => "ubuntu",
            Os::Rhel => "rhel",
            Os::Freebsd => "freebsd",
            Os::Openbsd => "openbsd",
            Os::Opensuse => "opensuse",
            Os::Gentoo => "gentoo",
            Os::Alpine => "alpine",
        }
    }

    /// Debian and Ubuntu split amavisd's configuration into `conf.d` files read by `run-parts`.
    pub fn is_debian_family(self) -> bool {
        matches!(self, Os::Debian | Os::Ubuntu)
    }

    /// The table's newest release of this family (whose paths the family's layout uses).
    pub fn newest_release(self) -> &'static ReleaseFacts {
        RELEASES.iter().rev().find(|release| release.os == self).unwrap_or(&RELEASES[0])
    }

    /// Where the administrator sets `$max_servers` (the family's newest release's file).
    pub fn amavis_conf_path(self) -> &'static str {
        self.newest_release().amavis_conf
    }

    /// The directory holding Postfix's `main.cf` and `master.cf` (`postconf -h config_directory`).
    pub fn postfix_dir(self) -> &'static str {
        self.newest_release().postfix_dir
    }

    pub fn master_cf_path(self) -> String {
        format!("{}/master.cf", self.postfix_dir())
    }

    pub fn main_cf_path(self) -> String {
        format!("{}/main.cf", self.postfix_dir())
    }
}

impl fmt::Display for Os {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Os {
    type Err = InputError;

    fn from_str(text: &str) -> Result<Os, InputError> {
        Os::ALL
            .into_iter()
            .find(|os| os.name().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| InputError::Os { value: text.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_names() {
        for os in Os::ALL {
            assert_eq!(os.name().parse::<Os>(), Ok(os));
        }
        assert_eq!("RHEL".parse::<Os>(), Ok(Os::Rhel));
        assert_eq!(
            "windows".parse::<Os>().map_err(|e| e.to_string()),
            Err("invalid operating system `windows`: use one of debian, ubuntu, rhel, freebsd, openbsd, opensuse, gentoo, alpine".to_owned())
        );
    }
}
