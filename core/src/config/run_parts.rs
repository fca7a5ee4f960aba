//! Which files Debian's amavisd reads from a `conf.d` directory, and in what order: those that
//! `run-parts --list` prints (names of ASCII letters, digits, `_` and `-` only), sorted bytewise.

/// Whether `run-parts` would list this file name (so amavisd on Debian reads it).
pub fn is_run_parts_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Splits directory entries into the names read, in reading order, and those skipped.
pub fn run_parts_order(names: &[String]) -> (Vec<String>, Vec<String>) {
    let (mut read, mut skipped): (Vec<String>, Vec<String>) =
        names.iter().cloned().partition(|name| is_run_parts_name(name));
    read.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    skipped.sort_unstable();
    (read, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_order() {
        let names: Vec<String> = [
            "50-user",
            "50-user.bak",
            "50-user~",
            "01-debian",
            "61-dms_auto_generated",
            "50-user-old",
            "Z9",
            ".hidden",
            "a b",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (read, skipped) = run_parts_order(&names);
        assert_eq!(read, ["01-debian", "50-user", "50-user-old", "61-dms_auto_generated", "Z9"]);
        assert_eq!(skipped, [".hidden", "50-user.bak", "50-user~", "a b"]);
    }
}
