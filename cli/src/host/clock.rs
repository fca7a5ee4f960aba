//! The clock: the date in snippet headers and the stamp in backup names.

/// Today's date for the snippet headers, `YYYY-MM-DD` in UTC; `SOURCE_DATE_EPOCH` (seconds since
/// 1970, the reproducible-builds convention) fixes it, so that output can be reproduced exactly.
pub(crate) fn today() -> anyhow::Result<String> {
    let now = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(text) => {
            let seconds = text.trim().parse::<u64>().map_err(|_| {
                anyhow::anyhow!(
                    "invalid SOURCE_DATE_EPOCH `{text}`: use whole seconds since 1970-01-01 UTC, e.g. 1796083200"
                )
            })?;
            std::time::UNIX_EPOCH
                .checked_add(std::time::Duration::from_secs(seconds))
                .filter(|t| humantime::format_rfc3339_seconds(*t).to_string().len() == 20)
                .ok_or_else(|| anyhow::anyhow!("invalid SOURCE_DATE_EPOCH `{text}`: it is beyond the year 9999"))?
        }
        Err(_) => std::time::SystemTime::now(),
    };
    Ok(humantime::format_rfc3339_seconds(now).to_string()[..10].to_owned())
}

/// The backup stamp: UTC, to the second, e.g. `20261128T101500`.
pub(crate) fn stamp() -> String {
    let text = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    text.chars().filter(|c| c.is_ascii_digit() || *c == 'T').collect()
}

/// Now, in microseconds since the epoch (UTC).
pub(crate) fn now_micros() -> amavis_tune_core::Micros {
    let elapsed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX)
}
