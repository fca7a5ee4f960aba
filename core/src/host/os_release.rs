//! Which OS family a server runs, from the text of its `/etc/os-release`.

use crate::inputs::os::Os;
use crate::inputs::release::OsRelease;

/// The family and release from the text of `/etc/os-release`: [`os_from_os_release`] and
/// `VERSION_ID` (left out when it is missing or not digits and dots).
pub fn release_from_os_release(text: &str) -> Option<OsRelease> {
    let os = os_from_os_release(text)?;
    let id = field(text, "ID");
    let version = match id.as_str() {
        // Fedora's VERSION_ID counts Fedora's releases, not RHEL's: Fedora 21 is no `rhel:21`.
        // Gentoo's is its baselayout's version; its releases here are its init systems, which
        // the files tell.
        "fedora" | "gentoo" => None,
        // Tumbleweed's (and Slowroll's) VERSION_ID is a snapshot's date.
        "opensuse-tumbleweed" | "opensuse-slowroll" => "tumbleweed".parse().ok(),
        _ => field(text, "VERSION_ID").parse().ok(),
    };
    Some(OsRelease { os, version })
}

/// The value of `key=` in os-release text, unquoted and lower-cased; empty when missing.
fn field(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
        .map(|value| value.trim().trim_matches('"').trim_matches('\'').to_ascii_lowercase())
        .unwrap_or_default()
}

/// Guesses the OS from the text of `/etc/os-release` (`ID=` and `ID_LIKE=`); `None` when no
/// known family is named.
pub fn os_from_os_release(text: &str) -> Option<Os> {
    let id = field(text, "ID");
    let like = field(text, "ID_LIKE");
    let words = || std::iter::once(id.as_str()).chain(like.split_whitespace());
    if id == "ubuntu" {
        return Some(Os::Ubuntu);
    }
    if words().any(|w| w == "debian" || w == "ubuntu") {
        return Some(Os::Debian);
    }
    if words().any(|w| matches!(w, "rhel" | "fedora" | "centos" | "rocky" | "almalinux")) {
        return Some(Os::Rhel);
    }
    if words().any(|w| w == "freebsd") {
        return Some(Os::Freebsd);
    }
    if words().any(|w| w == "openbsd") {
        return Some(Os::Openbsd);
    }
    // openSUSE Leap (`opensuse-leap`, like `suse opensuse`), Tumbleweed, SLES (`sles`, like
    // `suse`).
    if words().any(|w| matches!(w, "suse" | "opensuse" | "sles") || w.starts_with("opensuse-")) {
        return Some(Os::Opensuse);
    }
    if words().any(|w| w == "gentoo") {
        return Some(Os::Gentoo);
    }
    if words().any(|w| w == "alpine") {
        return Some(Os::Alpine);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_release(text: &str, expect: Option<Os>) {
        assert_eq!(os_from_os_release(text), expect, "{text}");
    }

    #[test]
    fn fedora_is_the_rhel_family_without_a_rhel_release() {
        let fedora = release_from_os_release("NAME=Fedora\nID=fedora\nVERSION_ID=21\n").expect("a family");
        assert_eq!((fedora.os, fedora.version), (Os::Rhel, None));
        let rocky = release_from_os_release("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\n")
            .expect("a family");
        assert_eq!((rocky.os, rocky.version.map(|v| v.to_string())), (Os::Rhel, Some("9.4".to_owned())));
    }

    #[test]
    fn os_release() {
        check_release("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n", Some(Os::Debian));
        check_release("ID=ubuntu\nID_LIKE=debian\n", Some(Os::Ubuntu));
        check_release("ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n", Some(Os::Debian));
        check_release("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n", Some(Os::Rhel));
        check_release("ID=almalinux\n", Some(Os::Rhel));
        check_release("ID=freebsd\n", Some(Os::Freebsd));
        check_release("ID=alpine\n", Some(Os::Alpine));
        check_release("ID=plan9\n", None);
        check_release("", None);
    }

    #[test]
    fn release_versions() {
        let release = |text: &str| release_from_os_release(text).map(|r| r.to_string());
        assert_eq!(release("ID=debian\nVERSION_ID=\"12\"\n").as_deref(), Some("debian:12"));
        assert_eq!(release("ID=ubuntu\nVERSION_ID=\"22.04\"\n").as_deref(), Some("ubuntu:22.04"));
        assert_eq!(release("ID=\"rocky\"\nVERSION_ID=\"9.4\"\n").as_deref(), Some("rhel:9.4"));
        assert_eq!(release("ID=freebsd\nVERSION_ID=14.1\n").as_deref(), Some("freebsd:14.1"));
        // Debian testing has no VERSION_ID; a non-numeric one is left out.
        assert_eq!(release("ID=debian\n").as_deref(), Some("debian"));
        assert_eq!(release("ID=debian\nVERSION_ID=sid\n").as_deref(), Some("debian"));
        assert_eq!(release("ID=alpine\nVERSION_ID=3.22.1\n").as_deref(), Some("alpine:3.22.1"));
        let leap = "NAME=\"openSUSE Leap\"\nID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\nVERSION_ID=\"15.6\"\n";
        assert_eq!(release(leap).as_deref(), Some("opensuse:15.6"));
        let tumbleweed = "ID=\"opensuse-tumbleweed\"\nID_LIKE=\"opensuse suse\"\nVERSION_ID=\"20261201\"\n";
        assert_eq!(release(tumbleweed).as_deref(), Some("opensuse:tumbleweed"));
        assert_eq!(release("ID=\"sles\"\nID_LIKE=\"suse\"\nVERSION_ID=\"15.6\"\n").as_deref(), Some("opensuse:15.6"));
        assert_eq!(release("ID=gentoo\nVERSION_ID=2.17\n").as_deref(), Some("gentoo"));
    }
}
