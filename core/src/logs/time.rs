//! Timestamps as logs write them, turned into microseconds since the Unix epoch.
//!
//! Stamps with an offset (RFC 3339, short-iso) and journal entries are converted to UTC. Classic
//! syslog stamps (`Dec  2 07:22:40`) carry neither a year nor an offset: they are the server's
//! local time. The year comes from a reference date the caller passes in (the day the log was
//! last written); the offset only when the user gives it (`--utc-offset`), and then they are
//! converted to UTC too. Without it they stay on the server's clock: counted as if that clock
//! were UTC, and printed without a `Z` ([`Clock::ServerLocal`]), never passed off as UTC.

use serde::Serialize;

/// Microseconds since 1970-01-01T00:00:00 on the clock the times are in ([`Clock`]): UTC, or the
/// server's local time counted as if it were UTC.
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

/// The most an offset is from UTC: the tz database's zones run from -12:00 to +14:00.
const MAX_OFFSET_WEST: i32 = 12 * 3600;
const MAX_OFFSET_EAST: i32 = 14 * 3600;

/// The server's offset from UTC (`+01:00`, `-05:30`), what classic stamps leave out. One offset
/// for the whole log: a log that runs across a change to or from summer time is an hour off on
/// one side of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcOffset {
    seconds: i32,
}

impl UtcOffset {
    /// `+01:00`, `-05:30`, `+0100`, `+01`, `Z`; `None` for anything else, or beyond -12:00 and
    /// +14:00.
    pub fn parse(text: &str) -> Option<UtcOffset> {
        let bytes = text.trim().as_bytes();
        if matches!(bytes, b"Z" | b"z") {
            return Some(UtcOffset { seconds: 0 });
        }
        let sign = match bytes.first()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let minutes = match bytes.len() {
            3 => 0,
            5 => digits(bytes, 3, 2)?,
            6 => digits_after(bytes, 3, b':', 2)?,
            _ => return None,
        };
        let hours = digits(bytes, 1, 2)?;
        if minutes >= 60 {
            return None;
        }
        let seconds = sign * i32::try_from(hours * 3600 + minutes * 60).ok()?;
        (-MAX_OFFSET_WEST..=MAX_OFFSET_EAST).contains(&seconds).then_some(UtcOffset { seconds })
    }

    pub fn seconds(self) -> i64 {
        i64::from(self.seconds)
    }

    fn micros(self) -> Micros {
        self.seconds() * MICROS_PER_SECOND
    }
}

impl std::fmt::Display for UtcOffset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.seconds < 0 { '-' } else { '+' };
        let minutes = self.seconds.unsigned_abs() / 60;
        write!(f, "{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    }
}

/// Which clock a report's times are in (`period.clock` in the JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Clock {
    /// UTC: stamps with an offset, journal entries, classic stamps with `--utc-offset`. Printed
    /// with a `Z`.
    Utc,
    /// The server's local time, as classic stamps without `--utc-offset` write it. Printed
    /// without a `Z`.
    ServerLocal,
    /// Both, read together without `--utc-offset`: classic stamps on the server's clock, the
    /// others in UTC, so times from the two kinds of line are apart by the server's offset.
    Mixed,
}

impl Clock {
    /// The clock of times from both `self` and `other`.
    pub fn and(self, other: Clock) -> Clock {
        if self == other { self } else { Clock::Mixed }
    }

    /// `2026-12-02T07:22:40Z` in UTC, `2026-12-02T07:22:40` on any other clock (to the second).
    pub fn format(self, micros: Micros) -> String {
        let time = format_time(micros);
        match self {
            Clock::Utc => time,
            Clock::ServerLocal | Clock::Mixed => time.trim_end_matches('Z').to_owned(),
        }
    }
}

/// What a classic stamp leaves out, supplied by the reader: the year (from `reference`, the day
/// the log was last written) and the server's offset from UTC (unknown: the time stays on the
/// server's clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassicStamps {
    pub reference: Date,
    pub utc_offset: Option<UtcOffset>,
}

/// `2023-03-14T00:08:35.940347+01:00`, `2026-07-14T10:00:00+0200` (journalctl's short-iso),
/// `...Z`, with or without a fraction. Returns the time (in UTC) and the bytes it took.
pub(crate) fn parse_iso(bytes: &[u8]) -> Option<(Micros, usize)> {
    let (wall, offset_seconds, at) = parse_iso_parts(bytes)?;
    Some((wall - offset_seconds * MICROS_PER_SECOND, at))
}

/// An RFC 3339 time as written: the wall-clock time, its offset in seconds, the bytes it took.
fn parse_iso_parts(bytes: &[u8]) -> Option<(Micros, i64, usize)> {
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
    let wall = micros_of(year, month, day, (hour, minute, second), fraction);
    Some((wall, offset_seconds, at))
}

const MONTHS: [&[u8; 3]; 12] =
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];

/// `Dec  2 07:22:40` (syslog pads the day with a space), `Dec 02 07:22:40` (Postfix's
/// `maillog_file`), `Dec 2 07:22:40` (the padding collapsed, as some tools do), with an optional
/// fraction (`07:22:40.123`). The year: the reference date's, or the year before when the stamp
/// would fall more than a day after the reference (a log that runs across New Year). The time:
/// converted to UTC by the server's offset when it is known, else the server's own.
pub(crate) fn parse_classic(bytes: &[u8], stamps: ClassicStamps) -> Option<(Micros, usize)> {
    let name = bytes.get(..3)?;
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(name))? as u32 + 1;
    if bytes.get(3) != Some(&b' ') {
        return None;
    }
    // A space before the day pads it to two columns: one digit follows. Without it, one or two.
    let padded = bytes.get(4) == Some(&b' ');
    let day_start = if padded { 5 } else { 4 };
    let width = bytes.get(day_start..)?.iter().take(2).take_while(|b| b.is_ascii_digit()).count();
    if width == 0 || (padded && width == 2) {
        return None;
    }
    let day = digits(bytes, day_start, width)?;
    let at = day_start + width;
    if bytes.get(at) != Some(&b' ') {
        return None;
    }
    let hour = digits(bytes, at + 1, 2)?;
    let minute = digits_after(bytes, at + 3, b':', 2)?;
    let second = digits_after(bytes, at + 6, b':', 2)?;
    let (fraction, end) = fraction(bytes, at + 9);
    if !valid(month, day, hour, minute, second) {
        return None;
    }
    let reference = stamps.reference;
    let mut year = reference.year;
    let stamp_day = days_from_civil(year, month, day);
    if stamp_day > days_from_civil(reference.year, reference.month, reference.day) + 1 {
        year -= 1;
    }
    let wall = micros_of(year, month, day, (hour, minute, second), fraction);
    Some((wall - stamps.utc_offset.map_or(0, UtcOffset::micros), end))
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

/// `2026-12-02T07:22:40Z` (to the second): a time in UTC.
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

/// Parses `--log-date`-like values to a time in UTC: RFC 3339 (`2026-12-02T07:00:00Z`, an
/// offset), or a date and time taken as UTC (`2026-12-02 07:00`, `2026-12-02T07:00:00`,
/// `2026-12-02`).
pub fn parse_time(text: &str) -> Option<Micros> {
    parse_bound(text).map(|bound| bound.utc(None))
}

/// A `--since` or `--until` time as written: its wall-clock time and, when it has one, its
/// offset. Where it falls depends on the clock of the line it is compared with
/// ([`TimeBound::on`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeBound {
    wall: Micros,
    offset_seconds: Option<i64>,
}

impl TimeBound {
    /// The bound in UTC: by its own offset, else by the server's (a time without an offset is
    /// the server's local time, as its classic stamps are), else taken as UTC.
    pub fn utc(self, server: Option<UtcOffset>) -> Micros {
        let offset = self.offset_seconds.or(server.map(UtcOffset::seconds)).unwrap_or(0);
        self.wall - offset * MICROS_PER_SECOND
    }

    /// The bound on `clock`: in UTC as [`TimeBound::utc`] places it; on the server's clock
    /// (classic stamps without `--utc-offset`), the time as written, its offset aside, since the
    /// server's is not known.
    pub fn on(self, clock: Clock, server: Option<UtcOffset>) -> Micros {
        match clock {
            Clock::Utc => self.utc(server),
            Clock::ServerLocal | Clock::Mixed => self.wall,
        }
    }
}

/// Parses `--since`/`--until` values: RFC 3339 (`2026-12-02T07:00:00Z`, an offset), or a date
/// and time without an offset (`2026-12-02 07:00`, `2026-12-02T07:00:00`, `2026-12-02`).
pub fn parse_bound(text: &str) -> Option<TimeBound> {
    let bytes = text.trim().as_bytes();
    if let Some((wall, offset, end)) = parse_iso_parts(bytes) {
        return (end == bytes.len()).then_some(TimeBound { wall, offset_seconds: Some(offset) });
    }
    let padded: Vec<u8> = match bytes.len() {
        10 => [bytes, b"T00:00:00Z"].concat(),
        16 => [bytes, b":00Z"].concat(),
        19 => [bytes, b"Z"].concat(),
        _ => return None,
    };
    let (wall, _, end) = parse_iso_parts(&padded)?;
    (end == padded.len()).then_some(TimeBound { wall, offset_seconds: None })
}
