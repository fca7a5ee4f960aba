//! The amavisd transport's scheduling settings as Postfix reads them, for the replay: the
//! transport's own main.cf parameters (`<transport>_initial_destination_concurrency`, ...),
//! falling back to the global ones and then to Postfix's built-in defaults; the greeting timeout
//! from the entry's `-o` options first (the lab and many setups set it there), then main.cf.

use crate::check::ConfigSet;
use crate::check::numeric_parameter;
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
    let entry = config.master_cf.doc.find(transport, "unix").next();
    let lmtp = entry.is_some_and(|e| e.command() == "lmtp");
    let helo_name = if lmtp { "lmtp_lhlo_timeout" } else { "smtp_helo_timeout" };
    let helo = entry
        .and_then(|e| e.option(helo_name))
        .map(|o| o.value)
        .or_else(|| main.doc.get(helo_name).map(|p| p.value.clone()))
        .and_then(|text| seconds(&text));
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
        helo_timeout_s: helo.unwrap_or(defaults.helo_timeout_s),
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
