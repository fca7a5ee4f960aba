//! Reading total RAM out of the text of Linux's `/proc/meminfo` (the CLI reads the file).

use thiserror::Error;

use crate::inputs::size::MiB;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MeminfoError {
    #[error("no `MemTotal:` line")]
    Missing,
    #[error("line {line}: cannot read `{text}` as `MemTotal: <number> kB`")]
    Malformed { line: usize, text: String },
}

/// `MemTotal` (in kB, which the kernel means as KiB), rounded down to MiB.
pub fn mem_total_from_meminfo(text: &str) -> Result<MiB, MeminfoError> {
    for (index, line) in text.lines().enumerate() {
        let Some(rest) = line.strip_prefix("MemTotal:") else {
            continue;
        };
        let malformed = || MeminfoError::Malformed { line: index + 1, text: line.to_owned() };
        let mut words = rest.split_whitespace();
        let kib = words.next().and_then(|w| w.parse::<u64>().ok()).ok_or_else(malformed)?;
        if !matches!(words.next(), Some("kB") | None) || words.next().is_some() {
            return Err(malformed());
        }
        return Ok(MiB(kib / 1024));
    }
    Err(MeminfoError::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expect: &str) {
        let actual = match mem_total_from_meminfo(text) {
            Ok(mib) => mib.0.to_string(),
            Err(e) => e.to_string(),
        };
        assert_eq!(actual, expect);
    }

    #[test]
    fn meminfo() {
        check("MemTotal:       24631952 kB\nMemFree:        23000000 kB\n", "24054");
        check("MemFree: 1 kB\nMemTotal: 8388608 kB\n", "8192");
        check("MemTotal: 2048\n", "2");
        check("MemFree: 1 kB\n", "no `MemTotal:` line");
        check("MemTotal: lots kB\n", "line 1: cannot read `MemTotal: lots kB` as `MemTotal: <number> kB`");
        check("", "no `MemTotal:` line");
    }
}
