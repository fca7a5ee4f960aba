//! The number both sides must agree on: amavisd's `$max_servers` and Postfix's `maxproc`.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::inputs::error::InputError;

/// Never fewer than 2: with `$max_servers = 1` amavisd under systemd's foreground mode does not
/// fork, exits after `$max_requests` messages and the service stops (Modoboa issues #2374 and
/// #2475, after which Modoboa changed its default to 2). amavisd's own default is 2 (Amavis/Conf.pm).
pub const MIN_CONCURRENCY: u32 = 2;

/// An upper bound far past any useful value (amavis README.postfix calls 10-30 everyday use),
/// which keeps every product of N with a memory figure far from overflow.
pub const MAX_CONCURRENCY: u32 = 10_000;

/// A number of amavisd children (and Postfix connections), from [`MIN_CONCURRENCY`] to
/// [`MAX_CONCURRENCY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Concurrency(u32);

impl Concurrency {
    pub fn new(value: u32) -> Result<Concurrency, InputError> {
        let error = |reason: &str| InputError::Concurrency {
            value: value.to_string(),
            reason: reason.to_owned(),
            min: MIN_CONCURRENCY,
            max: MAX_CONCURRENCY,
        };
        if value < MIN_CONCURRENCY {
            return Err(error(if value == 1 {
                "with $max_servers = 1 amavisd does not fork, exits after $max_requests messages and the service stops"
            } else {
                "it is too small"
            }));
        }
        if value > MAX_CONCURRENCY {
            return Err(error("it is too large"));
        }
        Ok(Concurrency(value))
    }

    /// A value the model computed itself, clamped into the valid range.
    pub(crate) fn clamped(value: u64) -> Concurrency {
        Concurrency(value.clamp(u64::from(MIN_CONCURRENCY), u64::from(MAX_CONCURRENCY)) as u32)
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Concurrency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for Concurrency {
    type Err = InputError;

    fn from_str(text: &str) -> Result<Concurrency, InputError> {
        let trimmed = text.trim();
        let error = |reason: &str| InputError::Concurrency {
            value: text.to_owned(),
            reason: reason.to_owned(),
            min: MIN_CONCURRENCY,
            max: MAX_CONCURRENCY,
        };
        if trimmed.starts_with('-') {
            return Err(error("it cannot be negative"));
        }
        if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error("it is not a whole number"));
        }
        match trimmed.parse::<u32>() {
            Ok(value) => Concurrency::new(value).map_err(|e| match e {
                InputError::Concurrency { reason, .. } => error(&reason),
                other => other,
            }),
            Err(_) => Err(error("it is too large")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expect: &str) {
        let actual = match input.parse::<Concurrency>() {
            Ok(n) => n.to_string(),
            Err(e) => e.to_string(),
        };
        assert_eq!(actual, expect);
    }

    #[test]
    fn parsing() {
        check("2", "2");
        check(" 10 ", "10");
        check("10000", "10000");
        check("0", "invalid concurrency `0`: it is too small; use a whole number from 2 to 10000");
        check(
            "1",
            "invalid concurrency `1`: with $max_servers = 1 amavisd does not fork, exits after $max_requests messages and the service stops; use a whole number from 2 to 10000",
        );
        check("-1", "invalid concurrency `-1`: it cannot be negative; use a whole number from 2 to 10000");
        check("10001", "invalid concurrency `10001`: it is too large; use a whole number from 2 to 10000");
        check(
            "99999999999999999999",
            "invalid concurrency `99999999999999999999`: it is too large; use a whole number from 2 to 10000",
        );
        check("2.5", "invalid concurrency `2.5`: it is not a whole number; use a whole number from 2 to 10000");
        check("ten", "invalid concurrency `ten`: it is not a whole number; use a whole number from 2 to 10000");
    }
}
