//! Undoing `apply`: which files are amavis-tune's backups, and whether a backup really is an
//! earlier state of the file it is named after (the two may differ only in the numbers
//! amavis-tune changes and the lines it adds).

/// What every backup name has between the file's name and its stamp.
const MARK: &str = ".amavis-tune-";

/// The name of a backup of `file_name` made at `stamp` (UTC, `YYYYMMDDTHHMMSS`, with `-N` when
/// one with that stamp exists): `NAME.amavis-tune-STAMP.bak`. The dots make Debian's run-parts
/// (and so amavisd) skip it. [`backup_of`] reads the names this writes; `apply`, `restore` and the
/// printed steps all use this one scheme.
pub fn backup_name(file_name: &str, stamp: &str) -> String {
    format!("{file_name}{MARK}{stamp}.bak")
}

/// The shell glob that matches every backup of `path` (for the printed steps' rollback, which
/// takes the newest: stamps sort by time).
pub fn backup_glob(path: &str) -> String {
    format!("{path}{MARK}*.bak")
}

/// The file a backup belongs to and its stamp: `NAME.amavis-tune-STAMP[-N].bak` -> (`NAME`, `STAMP[-N]`).
pub fn backup_of(file_name: &str) -> Option<(&str, &str)> {
    let rest = file_name.strip_suffix(".bak")?;
    let index = rest.rfind(MARK)?;
    let (name, stamp) = (&rest[..index], &rest[index + MARK.len()..]);
    let valid =
        !name.is_empty() && !stamp.is_empty() && stamp.bytes().all(|b| b.is_ascii_digit() || b == b'T' || b == b'-');
    valid.then_some((name, stamp))
}

/// Whether `backup` differs from `current` only where amavis-tune edits: numbers on a line
/// (maxproc, `$max_servers`, a limit), and whole lines it adds (`$max_servers = N;`,
/// `<service>_destination_concurrency_limit = N`).
pub fn backup_matches(current: &[u8], backup: &[u8]) -> bool {
    let current: Vec<&[u8]> = current.split_inclusive(|&b| b == b'\n').collect();
    let backup: Vec<&[u8]> = backup.split_inclusive(|&b| b == b'\n').collect();
    let prefix = current.iter().zip(&backup).take_while(|(a, b)| a == b).count();
    let suffix = current[prefix..].iter().rev().zip(backup[prefix..].iter().rev()).take_while(|(a, b)| a == b).count();
    let keep = |lines: &[&[u8]]| -> Vec<String> {
        lines
            .iter()
            .map(|line| String::from_utf8_lossy(line).into_owned())
            .filter(|line| !is_added_line(line))
            .collect()
    };
    let current_middle = keep(&current[prefix..current.len() - suffix]);
    let backup_middle = keep(&backup[prefix..backup.len() - suffix]);
    current_middle.len() == backup_middle.len()
        && current_middle.iter().zip(&backup_middle).all(|(a, b)| shape(a) == shape(b))
}

/// A line amavis-tune adds when nothing set the value.
fn is_added_line(line: &str) -> bool {
    let line = line.trim_end();
    let number = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    line.strip_prefix("$max_servers = ").and_then(|rest| rest.strip_suffix(';')).is_some_and(number)
        || line
            .split_once("_destination_concurrency_limit = ")
            .is_some_and(|(service, value)| !service.contains(' ') && number(value))
}

/// A line with its whitespace runs folded and every number (or `-` field) replaced by `#`.
fn shape(line: &str) -> String {
    line.split_whitespace()
        .map(|word| {
            if word == "-" {
                "#".to_owned()
            } else {
                let mut out = String::new();
                for c in word.chars() {
                    if c.is_ascii_digit() {
                        if !out.ends_with('#') {
                            out.push('#');
                        }
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_names() {
        assert_eq!(backup_of("50-user.amavis-tune-20261128T101500.bak"), Some(("50-user", "20261128T101500")));
        assert_eq!(backup_of("master.cf.amavis-tune-20261128T101500-2.bak"), Some(("master.cf", "20261128T101500-2")));
        assert_eq!(backup_of("master.cf.bak"), None);
        assert_eq!(backup_of("master.cf.amavis-tune-x.bak"), None);
        assert_eq!(backup_of(".amavis-tune-1.bak"), None);
    }

    #[track_caller]
    fn check(current: &str, backup: &str, expect: bool) {
        assert_eq!(backup_matches(current.as_bytes(), backup.as_bytes()), expect, "{current:?} vs {backup:?}");
    }

    #[test]
    fn matching() {
        check("a unix - - n - 7 smtp\n", "a unix - - n - - smtp\n", true);
        check(
            "a unix -      -       n       -       12      smtp\n",
            "a unix -      -       n       -       2       smtp\n",
            true,
        );
        check("use strict;\n$max_servers = 6;\n1;\n", "use strict;\n1;\n", true);
        check("x = 1\nsmtp-amavis_destination_concurrency_limit = 25\n", "x = 1\n", true);
        check("a = 1\n", "a = 1\n", true);
        check("a unix - - n - 7 smtp\n", "b unix - - n - 7 smtp\n", false);
        check("content_filter = x\n", "myhostname = y\n", false);
        check("a\nb\n", "a\n", false);
    }
}
