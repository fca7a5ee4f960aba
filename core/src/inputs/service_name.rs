//! The name of the Postfix transport that delivers to amavisd.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::inputs::error::InputError;

/// The service name iRedMail and many guides use; the amavis README calls it `amavisfeed`.
pub const DEFAULT_SERVICE: &str = "smtp-amavis";

/// A Postfix master.cf service name, safe to place in master.cf and in a main.cf parameter name
/// (`<service>_destination_concurrency_limit`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ServiceName(String);

impl ServiceName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ServiceName {
    fn default() -> ServiceName {
        ServiceName(DEFAULT_SERVICE.to_owned())
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ServiceName {
    type Err = InputError;

    fn from_str(text: &str) -> Result<ServiceName, InputError> {
        let error = |reason: &str| InputError::ServiceName { value: text.to_owned(), reason: reason.to_owned() };
        if text.is_empty() {
            return Err(error("it is empty"));
        }
        if text.len() > 100 {
            return Err(error("it is longer than 100 characters"));
        }
        if let Some(bad) = text.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
            return Err(error(&format!("it contains {bad:?}")));
        }
        Ok(ServiceName(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in ["smtp-amavis", "amavisfeed", "lmtp-amavis", "amavis", "a.b_c"] {
            assert_eq!(good.parse::<ServiceName>().map(|s| s.to_string()), Ok(good.to_owned()));
        }
        for (bad, reason) in [("", "it is empty"), ("smtp amavis", "it contains ' '"), ("a/b", "it contains '/'")] {
            let message = bad.parse::<ServiceName>().unwrap_err().to_string();
            assert!(message.contains(reason), "{message}");
        }
    }
}
