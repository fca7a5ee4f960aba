//! amavisd's own counters in `snmp.db`, as `amavisd-agent -c 1` prints them.
//!
//! With `$enable_db = 1` (Debian's `20-debian_defaults`; amavisd's built-in default is off),
//! each child adds, for every message it finishes, the message's elapsed time since its
//! `MAIL FROM` in milliseconds to the cumulative counter `TimeElapsedTotal` (a `C32`: it wraps at
//! 2^32 ms), and one to `InMsgs` (Amavis.pm, `check_mail`). So the change of `TimeElapsedTotal`
//! over an interval, divided by the interval, is the mean number of children busy with a message
//! during it (Little's law, no sampling), up to the messages still in progress at either end.
//! `amavisd-agent` prints the counter in whole seconds (`%6.0f s`): the mean is good to one
//! second over the interval.

use serde::Serialize;

/// The counters read once.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SnmpReading {
    /// `TimeElapsedTotal`, in seconds as the agent prints it (0 before the first message).
    pub time_elapsed_total_s: f64,
    /// `InMsgs`: messages received (0 before the first).
    pub in_msgs: u64,
}

/// What the watch says about `snmp.db`: the mean over its interval, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnmpFigures {
    /// Mean children busy with a message, from `TimeElapsedTotal`; null when not read.
    pub mean: Option<f64>,
    /// Messages amavisd finished over the interval (`InMsgs`); null when not read.
    pub messages: Option<u64>,
    /// The seconds between the two readings; null when not read.
    pub interval_s: Option<f64>,
    /// Why there is no figure, when there is none.
    pub note: Option<String>,
}

impl SnmpFigures {
    pub fn unread(note: impl Into<String>) -> SnmpFigures {
        SnmpFigures { mean: None, messages: None, interval_s: None, note: Some(note.into()) }
    }
}

/// `TimeElapsedTotal` wraps at 2^32 ms.
const WRAP_S: f64 = 4_294_967.296;

/// Reads `amavisd-agent -c 1`'s output; `None` when it shows no database read (its `sysUpTime`
/// line is printed for every database it reads).
pub fn parse_amavisd_agent(text: &str) -> Option<SnmpReading> {
    let mut uptime = false;
    let mut reading = SnmpReading { time_elapsed_total_s: 0.0, in_msgs: 0 };
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("sysUpTime"), _) => uptime = true,
            (Some("TimeElapsedTotal"), Some(value)) => reading.time_elapsed_total_s = value.parse().ok()?,
            (Some("InMsgs"), Some(value)) => reading.in_msgs = value.parse().ok()?,
            _ => {}
        }
    }
    uptime.then_some(reading)
}

/// The mean children busy with a message between two readings `interval_s` apart.
pub fn snmp_figures(before: SnmpReading, after: SnmpReading, interval_s: f64) -> SnmpFigures {
    if interval_s <= 0.0 || !interval_s.is_finite() {
        return SnmpFigures::unread("the two readings of snmp.db were not apart in time");
    }
    let mut elapsed = after.time_elapsed_total_s - before.time_elapsed_total_s;
    if elapsed < 0.0 {
        elapsed += WRAP_S;
    }
    SnmpFigures {
        mean: Some(round3(elapsed / interval_s)),
        messages: Some(after.in_msgs.saturating_sub(before.in_msgs)),
        interval_s: Some(round3(interval_s)),
        note: None,
    }
}

pub(crate) fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGENT: &str = "

sysUpTime       TimeTicks 1234 (0 days, 0:00:12.34)
sysContact      
InMsgs                                  30    900/h   100.0 % (InMsgs)
InMsgsRecips                            30    900/h   100.0 % (InMsgs)
TimeElapsedReceiving                     1 s     0.020 s/msg (InMsgs)
TimeElapsedTotal                        33 s     1.100 s/msg (InMsgs)
";

    #[test]
    fn agent_output() {
        assert_eq!(parse_amavisd_agent(AGENT), Some(SnmpReading { time_elapsed_total_s: 33.0, in_msgs: 30 }));
        // A fresh database: the counters are not there yet.
        assert_eq!(
            parse_amavisd_agent("sysUpTime       TimeTicks 5 (0 days, 0:00:00.05)\n"),
            Some(SnmpReading { time_elapsed_total_s: 0.0, in_msgs: 0 })
        );
        assert_eq!(parse_amavisd_agent("No snmp database /x/snmp.db; waiting...\n"), None);
        assert_eq!(parse_amavisd_agent("sysUpTime x\nTimeElapsedTotal many s\n"), None);
    }

    #[test]
    fn means() {
        let at = |s: f64, m: u64| SnmpReading { time_elapsed_total_s: s, in_msgs: m };
        let figures = snmp_figures(at(100.0, 10), at(160.0, 70), 20.0);
        assert_eq!((figures.mean, figures.messages, figures.note), (Some(3.0), Some(60), None));
        // Across the counter's wrap.
        let wrapped = snmp_figures(at(4_294_960.0, 5), at(2.704, 7), 10.0);
        assert_eq!(wrapped.mean, Some(1.0));
        assert!(snmp_figures(at(1.0, 1), at(2.0, 2), 0.0).note.is_some());
    }
}
