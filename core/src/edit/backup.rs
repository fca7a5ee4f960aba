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

/// Whether `backup` differs from `current` only where amavis-tune edits: the number of a
/// `$max_servers` assignment, of a `<service>_destination_concurrency_limit` setting or in the
/// maxproc column of a master.cf service line, and whole lines it adds (`$max_servers = N;`,
/// `<service>_destination_concurrency_limit = N`). Anything else that differs (an address, a
/// port, `mynetworks`, another column of a service line) makes it not match.
pub fn backup_matches(current: &[u8], backup: &[u8]) -> bool {
    let current = logical_lines(current);
    let backup = logical_lines(backup);
    let prefix = current.iter().zip(&backup).take_while(|(a, b)| a == b).count();
    let suffix = current[prefix..].iter().rev().zip(backup[prefix..].iter().rev()).take_while(|(a, b)| a == b).count();
    let keep =
        |lines: &[String]| -> Vec<String> { lines.iter().filter(|line| !is_added_line(line)).cloned().collect() };
    let current_middle = keep(&current[prefix..current.len() - suffix]);
    let backup_middle = keep(&backup[prefix..backup.len() - suffix]);
    current_middle.len() == backup_middle.len()
        && current_middle.iter().zip(&backup_middle).all(|(a, b)| a == b || only_the_edited_number_differs(a, b))
}

/// The lines of a file with each continuation line (one starting with whitespace, as Postfix
/// continues a master.cf entry or a main.cf setting) joined to the line it continues; comment
/// and blank lines between them stay lines of their own, as Postfix skips them.
fn logical_lines(bytes: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut continued: Option<usize> = None;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(line);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            lines.push(line.into_owned());
        } else if let Some(index) = continued.filter(|_| line.starts_with([' ', '\t'])) {
            lines[index].push_str(&line);
        } else {
            continued = Some(lines.len());
            lines.push(line.into_owned());
        }
    }
    lines
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

/// Two versions of one line that amavis-tune edits, differing only in the number it sets.
fn only_the_edited_number_differs(a: &str, b: &str) -> bool {
    let a_words: Vec<&str> = a.split_whitespace().collect();
    let b_words: Vec<&str> = b.split_whitespace().collect();
    if a_words.len() != b_words.len() || a_words.is_empty() {
        return false;
    }
    let numeric = |word: &str| word == "-" || (!word.is_empty() && word.bytes().all(|b| b.is_ascii_digit()));
    let differing: Vec<usize> = (0..a_words.len()).filter(|&i| a_words[i] != b_words[i]).collect();
    let first = a_words[0];
    // `$max_servers = 10;`, `$max_servers=10;`, `$max_servers = 10; # note`.
    if first.starts_with("$max_servers") {
        return first_number_blanked(a) == first_number_blanked(b);
    }
    // `smtp-amavis_destination_concurrency_limit = 4` (main.cf).
    if first.ends_with("_destination_concurrency_limit") {
        return differing == [2] && numeric(a_words[2]) && numeric(b_words[2]);
    }
    // A master.cf service line: `name type private unpriv chroot wakeup maxproc command...`,
    // starting in the first column.
    let service_line = !a.starts_with(char::is_whitespace) && !first.starts_with('#') && a_words.len() >= 8;
    service_line && differing == [6] && numeric(a_words[6]) && numeric(b_words[6])
}

/// The line with its first run of digits replaced by `#`.
fn first_number_blanked(line: &str) -> String {
    let Some(start) = line.find(|c: char| c.is_ascii_digit()) else { return line.to_owned() };
    let end = line[start..].find(|c: char| !c.is_ascii_digit()).map_or(line.len(), |n| start + n);
    format!("{}#{}", &line[..start], &line[end..])
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
        check("$max_servers=10;\n", "$max_servers=4;\n", true);
        check("$max_servers = 10; # was 2\n", "$max_servers = 4; # was 2\n", true);
    }

    /// What a planted backup would change besides the numbers: refused.
    #[test]
    fn only_the_edited_fields() {
        check("127.0.0.1:10025 inet n - n - - smtpd\n", "0.0.0.0:10025 inet n - n - - smtpd\n", false);
        check("mynetworks = 127.0.0.0/8\n", "mynetworks = 0.0.0.0/0\n", false);
        check("a unix - - n - 7 smtp\n", "a unix - - n 60 7 smtp\n", false);
        check("a unix - - n\n  - 7 lmtp\n", "a unix - - n\n  - 2 lmtp\n", true);
        check("a unix - - n\n# note\n  - 7 lmtp\n", "a unix - - n\n# note\n  - 2 lmtp\n", true);
        check("a unix - - n\n  - 7 lmtp\n  -o x=1\n", "a unix - - n\n  - 7 lmtp\n  -o x=2\n", false);
        check("  -o smtp_data_done_timeout=1200\n", "  -o smtp_data_done_timeout=1\n", false);
        check("$max_servers = 10; # a\n", "$max_servers = 10; # b\n", false);
        check(
            "smtp-amavis_destination_concurrency_limit = 4\n",
            "smtp-amavis_destination_concurrency_limit = 9\n",
            true,
        );
        check("smtp-amavis_destination_rate_delay = 4\n", "smtp-amavis_destination_rate_delay = 9\n", false);
    }
}
