//! The CPU count, which bounds the recommendation.

use std::num::NonZeroU32;

use serde::Serialize;

use crate::inputs::error::InputError;

/// The largest CPU count accepted (Linux's own limit is 8192 in common builds; no mail server
/// comes near either).
pub const MAX_CPUS: u32 = 4096;

/// A number of CPUs, from 1 to [`MAX_CPUS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Cpus(NonZeroU32);

impl Cpus {
    pub fn new(value: u32) -> Result<Cpus, InputError> {
        match NonZeroU32::new(value) {
            Some(n) if value <= MAX_CPUS => Ok(Cpus(n)),
            _ => Err(InputError::Cpus { value: value.to_string(), max: MAX_CPUS }),
        }
    }

    pub fn get(self) -> u32 {
        self.0.get()
    }
}

impl std::str::FromStr for Cpus {
    type Err = InputError;

    fn from_str(text: &str) -> Result<Cpus, InputError> {
        let error = || InputError::Cpus { value: text.to_owned(), max: MAX_CPUS };
        let value = text.trim().parse::<u32>().map_err(|_| error())?;
        Cpus::new(value).map_err(|_| error())
    }
}
