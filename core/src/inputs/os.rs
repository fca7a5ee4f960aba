//! The operating systems amavis-tune knows, and where each keeps the files and services involved.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::inputs::error::InputError;

/// A target operating system, or family of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Os {
    Debian,
    Ubuntu,
    /// Red Hat Enterprise Linux and its rebuilds (Rocky, AlmaLinux, CentOS Stream), amavisd-new from EPEL.
    Rhel,
    Freebsd,
    Openbsd,
}

impl Os {
    pub const ALL: [Os; 5] = [Os::Debian, Os::Ubuntu, Os::Rhel, Os::Freebsd, Os::Openbsd];

    pub fn name(self) -> &'static str {
        match self {
            Os::Debian => "debian",
            Os::Ubuntu => "ubuntu",
            Os::Rhel => "rhel",
            Os::Freebsd => "freebsd",
            Os::Openbsd => "openbsd",
        }
    }

    /// Debian and Ubuntu split amavisd's configuration into `conf.d` files read by `run-parts`.
    pub fn is_debian_family(self) -> bool {
        matches!(self, Os::Debian | Os::Ubuntu)
    }

    /// Where the administrator sets `$max_servers`.
    ///
    /// Debian/Ubuntu: `50-user` is the file the package reserves for local overrides. RHEL (EPEL),
    /// FreeBSD (ports) and OpenBSD (packages) keep one `amavisd.conf`; the paths are those of
    /// iRedMail's "Process more (or less) emails concurrently" page (docs.iredmail.org).
    pub fn amavis_conf_path(self) -> &'static str {
        match self {
            Os::Debian | Os::Ubuntu => "/etc/amavis/conf.d/50-user",
            Os::Rhel => "/etc/amavisd/amavisd.conf",
            Os::Freebsd => "/usr/local/etc/amavisd.conf",
            Os::Openbsd => "/etc/amavisd.conf",
        }
    }

    /// The directory holding Postfix's `main.cf` and `master.cf` (`postconf -h config_directory`).
    pub fn postfix_dir(self) -> &'static str {
        match self {
            Os::Freebsd => "/usr/local/etc/postfix",
            _ => "/etc/postfix",
        }
    }

    pub fn master_cf_path(self) -> String {
        format!("{}/master.cf", self.postfix_dir())
    }

    pub fn main_cf_path(self) -> String {
        format!("{}/main.cf", self.postfix_dir())
    }

    /// The command that restarts amavisd. Service names as in iRedMail's docs: `amavis` on
    /// Debian/Ubuntu (the package's unit), `amavisd` elsewhere.
    pub fn amavis_restart(self) -> &'static str {
        match self {
            Os::Debian | Os::Ubuntu => "systemctl restart amavis",
            Os::Rhel => "systemctl restart amavisd",
            Os::Freebsd => "service amavisd restart",
            Os::Openbsd => "rcctl restart amavisd",
        }
    }

    /// The command that validates amavisd's configuration without starting it (`test-config`).
    /// Debian's packaged amavisd reads its `conf.d` files without `-c`; elsewhere the file is named.
    pub fn amavis_test_config(self) -> String {
        if self.is_debian_family() {
            "amavisd test-config".to_owned()
        } else {
            format!("amavisd -c {} test-config", self.amavis_conf_path())
        }
    }

    /// The command that counts amavisd's children (their process titles read `amavisd (ch…)`).
    pub fn count_children(self) -> &'static str {
        "pgrep -f 'amavisd \\(ch' | wc -l"
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
            Err("invalid operating system `windows`: use one of debian, ubuntu, rhel, freebsd, openbsd".to_owned())
        );
    }
}
