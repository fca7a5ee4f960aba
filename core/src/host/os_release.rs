//! Which OS family a server runs, from the text of its `/etc/os-release`.

use crate::inputs::os::Os;

/// Guesses the OS from the text of `/etc/os-release` (`ID=` and `ID_LIKE=`); `None` when no
/// known family is named.
pub fn os_from_os_release(text: &str) -> Option<Os> {
    let field = |key: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
            .map(|value| value.trim().trim_matches('"').trim_matches('\'').to_ascii_lowercase())
            .unwrap_or_default()
    };
    let id = field("ID");
    let like = field("ID_LIKE");
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
    fn os_release() {
        check_release("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n", Some(Os::Debian));
        check_release("ID=ubuntu\nID_LIKE=debian\n", Some(Os::Ubuntu));
        check_release("ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n", Some(Os::Debian));
        check_release("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n", Some(Os::Rhel));
        check_release("ID=almalinux\n", Some(Os::Rhel));
        check_release("ID=freebsd\n", Some(Os::Freebsd));
        check_release("ID=alpine\n", None);
        check_release("", None);
    }
}
