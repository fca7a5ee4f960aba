//! The two clamd settings a plan depends on, read from clamd.conf the way clamd's own option
//! parser reads it (ClamAV `shared/optparser.c`, `optparse`): a line is `Name value` after
//! leading blanks; lines of two characters or less and lines starting with `#` are skipped; a
//! value in double quotes loses them; for a setting given twice the FIRST one counts (a second
//! is ignored); booleans are `yes`/`true`/`1` or `no`/`false`/`0`, in any case; numbers are
//! digits only. A line starting with `Example` makes clamd refuse the whole file.

use serde::Serialize;

use crate::config::postfix_defaults::CLAMD_DEFAULT_MAX_THREADS;

/// A value read from clamd.conf, with its 1-based line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClamdValue<T> {
    pub value: T,
    pub line: usize,
}

/// What clamd.conf says about memory and parallel scans.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ClamdConf {
    /// `ConcurrentDatabaseReload`: while a new database loads, the old one stays in memory
    /// (twice the signatures' RAM). `None`: not set, clamd's default (yes).
    pub concurrent_reload: Option<ClamdValue<bool>>,
    /// `MaxThreads`: how many scans clamd runs at once. `None`: not set, clamd's default (10).
    pub max_threads: Option<ClamdValue<u32>>,
    /// Problems clamd itself would refuse to start over, with their line (an `Example` line, a
    /// value that is not a boolean or a number).
    pub problems: Vec<(usize, String)>,
}

impl ClamdConf {
    /// Whether clamd keeps the old database while loading a new one (clamd's default: yes).
    pub fn concurrent_reload(&self) -> bool {
        self.concurrent_reload.is_none_or(|v| v.value)
    }

    pub fn max_threads(&self) -> u32 {
        self.max_threads.map_or(CLAMD_DEFAULT_MAX_THREADS, |v| v.value)
    }
}

/// Reads `text` (a clamd.conf).
pub fn read_clamd_conf(text: &[u8]) -> ClamdConf {
    let text = String::from_utf8_lossy(text);
    let mut conf = ClamdConf::default();
    for (index, raw) in text.split('\n').enumerate() {
        let line = index + 1;
        let trimmed = raw.trim_start_matches([' ', '\t']);
        // clamd measures the line with its newline: two characters or less is blank.
        if trimmed.len() < 2 || trimmed.starts_with('#') {
            continue;
        }
        if trimmed.starts_with("Example") {
            conf.problems.push((line, "an `Example` line: clamd refuses this file until it is removed".to_owned()));
            continue;
        }
        let Some((name, rest)) = trimmed.split_once([' ', '\t']) else { continue };
        let mut value = rest.trim_matches([' ', '\t', '\r']);
        if let Some(quoted) = value.strip_prefix('"') {
            value = quoted.rsplit_once('"').map_or(quoted, |(inside, _)| inside);
        }
        match name {
            "ConcurrentDatabaseReload" if conf.concurrent_reload.is_none() => match parse_bool(value) {
                Some(on) => conf.concurrent_reload = Some(ClamdValue { value: on, line }),
                None => conf.problems.push((line, format!("ConcurrentDatabaseReload `{value}` is not yes or no"))),
            },
            "MaxThreads" if conf.max_threads.is_none() => {
                match value.parse::<u32>().ok().filter(|_| value.bytes().all(|b| b.is_ascii_digit())) {
                    Some(threads) => conf.max_threads = Some(ClamdValue { value: threads, line }),
                    None => conf.problems.push((line, format!("MaxThreads `{value}` is not a whole number"))),
                }
            }
            _ => {}
        }
    }
    conf
}

fn parse_bool(value: &str) -> Option<bool> {
    let lower = value.to_ascii_lowercase();
    match lower.as_str() {
        "yes" | "true" | "1" => Some(true),
        "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_as_clamd_does() {
        let conf = read_clamd_conf(
            b"# ConcurrentDatabaseReload no\n  MaxThreads 12\nMaxThreads 30\nConcurrentDatabaseReload \"No\"\nLocalSocket /run/clamav/clamd.ctl\n",
        );
        assert_eq!(conf.max_threads, Some(ClamdValue { value: 12, line: 2 }));
        assert_eq!(conf.concurrent_reload, Some(ClamdValue { value: false, line: 4 }));
        assert!(conf.problems.is_empty());
        assert!(!conf.concurrent_reload());
        assert_eq!(conf.max_threads(), 12);
    }

    #[test]
    fn defaults_and_problems() {
        let conf = read_clamd_conf(b"LogSyslog yes\n");
        assert!(conf.concurrent_reload());
        assert_eq!(conf.max_threads(), CLAMD_DEFAULT_MAX_THREADS);
        let conf = read_clamd_conf(b"Example\nMaxThreads many\nConcurrentDatabaseReload maybe\n");
        assert_eq!(conf.problems.iter().map(|(line, _)| *line).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(conf.max_threads, None);
    }
}
