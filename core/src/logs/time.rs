//! Timestamps as logs write them, turned into microseconds since the Unix epoch (UTC).
//!
//! Classic syslog stamps (`Dec  2 07:22:40`) carry neither a year nor an offset: the year comes
//! from a reference date the caller passes in (the day the log was last written), and the time is
//! taken as UTC, so classic and offset-carrying stamps only line up when the server runs in UTC.

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

pub(crate) const MICROS_PER_SECOND: i64 = 1_000_000;

/// A calendar date, the reference a classic stamp's year is taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    /// 1..=12.
    pub month: u32,
    /// 1..=31.
    pub day: u32,
}

impl Date {
    /// The UTC date of a time.
    pub fn of(micros: Micros) -> Date {
        let days = micros.div_euclid(MICROS_PER_SECOND * 86_400);
        civil_from_days(days)
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    Date { year: i32::try_from(year).unwrap_or(i32::MAX), month: month as u32, day: day as u32 }
}

fn micros_of(year: i32, month: u32, day: u32, hms: (u32, u32, u32), fraction: i64) -> Micros {
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + i64::from(hms.0) * 3600 + i64::from(hms.1) * 60 + i64::from(hms.2);
    seconds * MICROS_PER_SECOND + fraction
}

/// `2023-03-14T00:08:35.940347+01:00`, `2026-07-14T10:00:00+0200` (journalctl's short-iso),
/// `...Z`, with or without a fraction. Returns the time and the bytes it took.
pub(crate) fn parse_iso(bytes: &[u8]) -> Option<(Micros, usize)> {
    let year = digits(bytes, 0, 4)?;
    let month = digits_after(bytes, 4, b'-', 2)?;
    let day = digits_after(bytes, 7, b'-', 2)?;
    if !matches!(bytes.get(10), Some(b'T' | b' ')) {
        return None;
    }
    let hour = digits(bytes, 11, 2)?;
    let minute = digits_after(bytes, 13, b':', 2)?;
    let second = digits_after(bytes, 16, b':', 2)?;
    let (fraction, mut at) = fraction(bytes, 19);
    let offset_seconds = match bytes.get(at) {
        Some(b'Z' | b'z') => {
            at += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            let sign = if *sign == b'-' { -1 } else { 1 };
            let hours = digits(bytes, at + 1, 2)?;
            let (minutes, width) = match bytes.get(at + 3) {
                Some(b':') => (digits(bytes, at + 4, 2)?, 6),
                _ => (digits(bytes, at + 3, 2)?, 5),
            };
            at += width;
            sign * i64::from(hours * 3600 + minutes * 60)
        }
        _ => return None,
    };
    if !valid(month, day, hour, minute, second) {
        return None;
    }
    let year = i32::try_from(year).ok()?;
    let local = micros_of(year, month, day, (hour, minute, second), fraction);
    Some((local - offset_seconds * MICROS_PER_SECOND, at))
}

const MONTHS: [&[u8; 3]; 12] =
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];

/// `Dec  2 07:22:40`, `Dec 02 07:22:40` (Postfix's `maillog_file`), with an optional fraction
/// (`07:22:40.123`). The year: the reference date's, or the year before when the stamp would
/// fall more than a day after the reference (a log that runs across New Year).
pub(crate) fn parse_classic(bytes: &[u8], reference: Date) -> Option<(Micros, usize)> {
    let name = bytes.get(..3)?;
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(name))? as u32 + 1;
    if bytes.get(3) != Some(&b' ') {
        return None;
    }
    let day = match (bytes.get(4), bytes.get(5)) {
        (Some(b' '), Some(d @ b'1'..=b'9')) => u32::from(d - b'0'),
        (Some(t @ b'0'..=b'3'), Some(d @ b'0'..=b'9')) => u32::from(t - b'0') * 10 + u32::from(d - b'0'),
        _ => return None,
    };
    if bytes.get(6) != Some(&b' ') {
        return None;
    }
    let hour = digits(bytes, 7, 2)?;
    let minute = digits_after(bytes, 9, b':', 2)?;
    let second = digits_after(bytes, 12, b':', 2)?;
    let (fraction, at) = fraction(bytes, 15);
    if !valid(month, day, hour, minute, second) {
        return None;
    }
    let mut year = reference.year;
    let stamp_day = days_from_civil(year, month, day);
    if stamp_day > days_from_civil(reference.year, reference.month, reference.day) + 1 {
        year -= 1;
    }
    Some((micros_of(year, month, day, (hour, minute, second), fraction), at))
}

fn valid(month: u32, day: u32, hour: u32, minute: u32, second: u32) -> bool {
    (1..=12).contains(&month) && (1..=31).contains(&day) && hour < 24 && minute < 60 && second <= 60
}

/// `.940347` at `at`: microseconds (more digits are cut, fewer padded) and where it ends.
fn fraction(bytes: &[u8], at: usize) -> (i64, usize) {
    if bytes.get(at) != Some(&b'.') && bytes.get(at) != Some(&b',') {
        return (0, at);
    }
    let mut end = at + 1;
    let mut value = 0i64;
    let mut places = 0;
    while let Some(d @ b'0'..=b'9') = bytes.get(end) {
        if places < 6 {
            value = value * 10 + i64::from(d - b'0');
            places += 1;
        }
        end += 1;
    }
    if end == at + 1 {
        return (0, at);
    }
    for _ in places..6 {
        value *= 10;
    }
    (value, end)
}

fn digits(bytes: &[u8], at: usize, count: usize) -> Option<u32> {
    let slice = bytes.get(at..at + count)?;
    slice.iter().try_fold(0u32, |acc, b| b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0')))
}

fn digits_after(bytes: &[u8], at: usize, separator: u8, count: usize) -> Option<u32> {
    (bytes.get(at) == Some(&separator)).then_some(())?;
    digits(bytes, at + 1, count)
}

/// `2026-12-02T07:22:40Z` (to the second).
pub fn format_time(micros: Micros) -> String {
    let seconds = micros.div_euclid(MICROS_PER_SECOND);
    let date = Date::of(micros);
    let of_day = seconds.rem_euclid(86_400);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        date.year,
        date.month,
        date.day,
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// Parses `--since`/`--until` values: RFC 3339 (`2026-12-02T07:00:00Z`, an offset), or a date
/// and time taken as UTC (`2026-12-02 07:00`, `2026-12-02T07:00:00`, `2026-12-02`).
pub fn parse_time(text: &str) -> Option<Micros> {
    let bytes = text.trim().as_bytes();
    if let Some((time, end)) = parse_iso(bytes) {
        return (end == bytes.len()).then_some(time);
    }
    let padded: Vec<u8> = match bytes.len() {
        10 => [bytes, b"T00:00:00Z"].concat(),
        16 => [bytes, b":00Z"].concat(),
        19 => [bytes, b"Z"].concat(),
        _ => return None,
    };
    parse_iso(&padded).and_then(|(time, end)| (end == padded.len()).then_some(time))
}
