//! Memory sizes: the `MiB` newtype and the SIZE syntax shared by the CLI flags and the page.

use std::fmt;

use serde::Serialize;

use crate::inputs::error::InputError;

/// A quantity of memory in mebibytes (2^20 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct MiB(pub u64);

/// The largest size any input may name: 64 TiB. The biggest single servers sold carry a few tens
/// of TiB; anything above this is a typo, and keeping every figure below it keeps all budget
/// arithmetic far from `u64` overflow.
pub const MAX_SIZE: MiB = MiB(64 * 1024 * 1024);

impl MiB {
    pub const fn from_gib(gib: u64) -> MiB {
        MiB(gib * 1024)
    }

    /// The size in GiB, for display.
    pub fn as_gib_f64(self) -> f64 {
        self.0 as f64 / 1024.0
    }

    /// The size in GiB to one decimal, rounded half up (`4.5`): integer arithmetic only, so the
    /// WebAssembly build carries no float formatting code.
    pub fn gib_one_decimal(self) -> String {
        one_decimal(self.0, 1024)
    }

    /// The size in TiB to one decimal, rounded half up.
    pub fn tib_one_decimal(self) -> String {
        one_decimal(self.0, 1024 * 1024)
    }

    pub fn saturating_add(self, other: MiB) -> MiB {
        MiB(self.0.saturating_add(other.0))
    }

    pub fn saturating_sub(self, other: MiB) -> MiB {
        MiB(self.0.saturating_sub(other.0))
    }
}

impl fmt::Display for MiB {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} MiB", self.0)
    }
}

/// `value / unit` to one decimal, rounded half up. The sum is taken in `u128` (it can pass
/// `u64::MAX`); the tenths are printed as `u64`, which holds them for every unit of 10 and more,
/// so the WebAssembly build carries no `u128` formatting code (1.3 KB).
fn one_decimal(value: u64, unit: u64) -> String {
    let tenths = (u128::from(value) * 10 + u128::from(unit) / 2) / u128::from(unit);
    let tenths = u64::try_from(tenths).unwrap_or(u64::MAX);
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Parses a SIZE such as `8G`, `8GiB`, `8192M`, `8192MiB`, `4.5G` or `512MiB`.
///
/// Units are binary whatever their spelling (`K`, `M`, `G`, `T`, with or without `iB` or `B`):
/// a server sold with "8 GB" of RAM has 8 GiB. A number needs a unit, because a bare `8` could
/// mean GiB or MiB and a wrong guess would be off by a factor of 1024. The result is rounded down
/// to whole MiB and must lie between 1 MiB and [`MAX_SIZE`].
pub fn parse_size(text: &str) -> Result<MiB, InputError> {
    let invalid = |reason: &str| InputError::Size { value: text.to_owned(), reason: reason.to_owned() };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(invalid("it is empty"));
    }
    if trimmed.starts_with('-') {
        return Err(invalid("a size cannot be negative"));
    }
    let split = trimmed.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    if number.is_empty() {
        return Err(invalid("it does not start with a number"));
    }
    let unit_mib_shift: Option<(u64, u64)> = match unit.trim().to_ascii_lowercase().as_str() {
        // (multiplier to MiB, divisor to MiB)
        "k" | "kb" | "kib" => Some((1, 1024)),
        "m" | "mb" | "mib" => Some((1, 1)),
        "g" | "gb" | "gib" => Some((1024, 1)),
        "t" | "tb" | "tib" => Some((1024 * 1024, 1)),
        "" => return Err(invalid("it has no unit; add one, e.g. 8G or 8192M")),
        _ => None,
    };
    let Some((multiplier, divisor)) = unit_mib_shift else {
        return Err(InputError::Size { value: text.to_owned(), reason: format!("unknown unit `{}`", unit.trim()) });
    };
    let (whole, fraction) = match number.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (number, ""),
    };
    if fraction.contains('.') || (whole.is_empty() && fraction.is_empty()) {
        return Err(invalid("it is not a number"));
    }
    // Exact decimal arithmetic: value = (whole + fraction / 10^digits) * multiplier / divisor.
    // Digits beyond the ninth cannot change a whole MiB, so they are dropped.
    let fraction_digits: String = fraction.chars().take(9).collect();
    let scale = 10u128.pow(fraction_digits.len() as u32);
    let parse_part = |part: &str| -> Result<u128, InputError> {
        if part.is_empty() {
            return Ok(0);
        }
        if part.len() > 20 {
            return Err(invalid("it is far too large"));
        }
        part.parse::<u128>().map_err(|_| invalid("it is not a number"))
    };
    let scaled = parse_part(whole)?
        .checked_mul(scale)
        .and_then(|w| w.checked_add(parse_part(&fraction_digits).ok()?))
        .ok_or_else(|| invalid("it is far too large"))?;
    let mib = scaled
        .checked_mul(u128::from(multiplier))
        .map(|v| v / (u128::from(divisor) * scale))
        .ok_or_else(|| invalid("it is far too large"))?;
    if mib == 0 {
        return Err(invalid("it is less than 1 MiB"));
    }
    if mib > u128::from(MAX_SIZE.0) {
        return Err(invalid("it is more than the largest supported size, 64T"));
    }
    Ok(MiB(mib as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expect: &str) {
        let actual = match parse_size(input) {
            Ok(mib) => mib.0.to_string(),
            Err(error) => error.to_string(),
        };
        assert_eq!(actual, expect, "input: {input:?}");
    }

    #[test]
    fn one_decimal_figures() {
        let cases = [
            (0, "0.0"),
            (1, "0.0"),
            (51, "0.0"),
            (52, "0.1"),
            (1024, "1.0"),
            (4608, "4.5"),
            (5069, "5.0"),
            (5070, "5.0"),
            (5071, "5.0"),
            (5120, "5.0"),
            (MAX_SIZE.0, "65536.0"),
        ];
        for (mib, gib) in cases {
            assert_eq!(MiB(mib).gib_one_decimal(), gib, "{mib} MiB");
            assert_eq!(
                MiB(mib).gib_one_decimal(),
                format!("{:.1}", MiB(mib).as_gib_f64()),
                "{mib} MiB agrees with float formatting"
            );
        }
        assert_eq!(MiB(4048 * 1024).tib_one_decimal(), "4.0");
        assert_eq!(MAX_SIZE.tib_one_decimal(), "64.0");
    }

    #[test]
    fn sizes() {
        check("8G", "8192");
        check("8GiB", "8192");
        check("8gb", "8192");
        check("8192M", "8192");
        check("8192MiB", "8192");
        check("4.5G", "4608");
        check("512MiB", "512");
        check(" 16 G ", "16384");
        check("1T", "1048576");
        check("2048K", "2");
        check("0.5G", "512");
        check(".5G", "512");
        check("1.0000000001G", "1024");
        check("64T", "67108864");
        check("abc", "invalid size `abc`: it does not start with a number");
        check("0", "invalid size `0`: it has no unit; add one, e.g. 8G or 8192M");
        check("0G", "invalid size `0G`: it is less than 1 MiB");
        check("-4G", "invalid size `-4G`: a size cannot be negative");
        check("8Q", "invalid size `8Q`: unknown unit `Q`");
        check("", "invalid size ``: it is empty");
        check("1.2.3G", "invalid size `1.2.3G`: it is not a number");
        check(".G", "invalid size `.G`: it is not a number");
        check("99999999T", "invalid size `99999999T`: it is more than the largest supported size, 64T");
        check("99999999999999999999999999T", "invalid size `99999999999999999999999999T`: it is far too large");
        check("100K", "invalid size `100K`: it is less than 1 MiB");
    }
}
