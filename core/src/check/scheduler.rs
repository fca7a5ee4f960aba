//! The amavisd transport's scheduling settings as Postfix reads them, for the replay: the
//! transport's own main.cf parameters (`<transport>_initial_destination_concurrency`, ...),
//! falling back to the global ones and then to Postfix's built-in defaults; the greeting timeout
//! from the entry's `-o` options first (the lab and many setups set it there), then main.cf.

use crate::check::numeric_parameter;
use crate::check::{ConfigSet, Location};
use crate::config::postfix_defaults::DEFAULT_HELO_TIMEOUT_S;
use crate::logs::replay::scheduler::{Feedback, SchedulerSettings};

/// The settings the replay models for `transport` (its master.cf service name).
pub fn scheduler_settings(config: &ConfigSet, transport: &str) -> SchedulerSettings {
    let defaults = SchedulerSettings::default();
    let main = &config.main_cf;
    let number = |own: &str, global: &str| {
        numeric_parameter(main, &format!("{transport}_{own}"), 0)
            .or_else(|| numeric_parameter(main, global, 0))
            .map(|(value, _)| value)
    };
    let helo = greeting_timeout(config, transport);
    let feedback = main
        .doc
        .get(&format!("{transport}_destination_concurrency_positive_feedback"))
        .or_else(|| main.doc.get("default_destination_concurrency_positive_feedback"))
        .and_then(|p| Feedback::parse(&p.value));
    SchedulerSettings {
        initial_concurrency: number("initial_destination_concurrency", "initial_destination_concurrency")
            .filter(|&n| n > 0)
            .unwrap_or(defaults.initial_concurrency),
        destination_limit: number("destination_concurrency_limit", "default_destination_concurrency_limit")
            .unwrap_or(defaults.destination_limit),
        positive_feedback: feedback.unwrap_or(defaults.positive_feedback),
        recipient_limit: number("destination_recipient_limit", "default_destination_recipient_limit")
            .unwrap_or(defaults.recipient_limit),
        helo_timeout_s: helo.seconds,
    }
}

/// How long the transport's client waits for amavisd's greeting before it gives up and defers
/// the mail, and where that comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GreetingTimeout {
    /// `smtp_helo_timeout`, or `lmtp_lhlo_timeout` for an lmtp transport.
    pub(crate) parameter: &'static str,
    pub(crate) seconds: f64,
    /// The `-o` on the transport's master.cf entry or the main.cf line; `None`: Postfix's default.
    pub(crate) source: Option<Location>,
}

/// The greeting timeout of `transport`: a `-o` on its master.cf entry first, then main.cf, then
/// Postfix's default (300 s for both parameters, postconf(5)). A value that is not a plain time
/// (a `$name` reference) counts as the default.
pub(crate) fn greeting_timeout(config: &ConfigSet, transport: &str) -> GreetingTimeout {
    let entry = config.master_cf.doc.find(transport, "unix").next();
    let lmtp = entry.is_some_and(|e| e.command() == "lmtp");
    let parameter = if lmtp { "lmtp_lhlo_timeout" } else { "smtp_helo_timeout" };
    let from_master = entry
        .and_then(|e| e.option(parameter))
        .map(|option| (option.value, Location { path: config.master_cf.path.clone(), line: option.line }));
    let from_main = || {
        config
            .main_cf
            .doc
            .get(parameter)
            .map(|p| (p.value.clone(), Location { path: config.main_cf.path.clone(), line: p.line }))
    };
    match from_master.or_else(from_main).and_then(|(text, at)| seconds(&text).map(|s| (s, at))) {
        Some((seconds, at)) => GreetingTimeout { parameter, seconds, source: Some(at) },
        None => GreetingTimeout { parameter, seconds: DEFAULT_HELO_TIMEOUT_S, source: None },
    }
}

/// A Postfix time value (`300s`, `5m`, `1h`, `300`: seconds by default) in seconds.
fn seconds(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, "s"),
    };
    let value: f64 = number.parse().ok()?;
    let factor = match unit {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        _ => return None,
    };
    Some(value * factor)
}

#[cfg(test)]
mod tests {
    use super::seconds;

    #[test]
    fn postfix_times() {
        assert_eq!(seconds("300s"), Some(300.0));
        assert_eq!(seconds("10s"), Some(10.0));
        assert_eq!(seconds("5m"), Some(300.0));
        assert_eq!(seconds("300"), Some(300.0));
        assert_eq!(seconds("$x"), None);
    }
}
