//! The verdict: what the log says about the two sides' concurrency, in one word and in words.
//! The symptoms are those observed with real Postfix and amavisd under load (DOMAIN.md, "What the
//! running daemons do"): too few children for Postfix's connections shows in `c` and in greeting
//! timeouts; both sides too small shows in `b` only.

use serde::Serialize;

use crate::logs::report::{BusyFigures, Deferrals, Waits};
use crate::logs::sizing::{Sizing, SizingBound};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Deliveries never wait and the children are mostly idle.
    Idle,
    /// Deliveries do not wait, and the children are used.
    RightSized,
    /// Deliveries wait in Postfix's queue for a free connection: both sides are too small.
    Saturated,
    /// Connections wait for amavisd's greeting or time out: Postfix opens more connections than
    /// amavisd has children.
    PostfixExceedsAmavis,
    /// Deliveries wait in Postfix's queue while amavisd has children to spare: Postfix's limit caps.
    PostfixBelowAmavis,
    /// Postfix's connections are refused: amavisd is not listening.
    AmavisdUnreachable,
    /// Greetings are lost while amavisd logs `(!)DENIED ACCESS`: access control, not capacity.
    AmavisdRefuses,
    /// No delivery to amavisd in the log.
    NoData,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Idle => "idle",
            Verdict::RightSized => "right-sized",
            Verdict::Saturated => "saturated",
            Verdict::PostfixExceedsAmavis => "postfix-exceeds-amavis",
            Verdict::PostfixBelowAmavis => "postfix-below-amavis",
            Verdict::AmavisdUnreachable => "amavisd-unreachable",
            Verdict::AmavisdRefuses => "amavisd-refuses",
            Verdict::NoData => "no-data",
        }
    }
}

/// A delivery that waited longer than this in the queue manager (`b`, 95th percentile) waited
/// for a connection: with a free one it leaves within milliseconds. Judgement.
pub const QUEUE_WAIT_LIMIT_S: f64 = 1.0;

/// A connection set-up (`c`, 95th percentile) longer than this waited for amavisd's greeting:
/// on loopback a connection and greeting take milliseconds. Judgement.
pub const CONNECT_WAIT_LIMIT_S: f64 = 1.0;

/// Busy connections at most this in every second (peak): one child would have done, the others
/// were idle.
pub const IDLE_BUSY_PEAK: f64 = 1.0;

/// Refused or lost connections within this many seconds before one of amavisd's start lines are
/// a restart's: amavisd was down (refused) or reset the connections waiting in its backlog as it
/// stopped (lost greetings). Judgement: a restart of amavisd with SpamAssassin takes 10-60 s.
pub const RESTART_WINDOW_S: i64 = 120;

pub(crate) struct Evidence<'a> {
    pub(crate) sent: u64,
    pub(crate) scanned: u64,
    pub(crate) deferrals: &'a Deferrals,
    pub(crate) denied_access: u64,
    pub(crate) wait_s: &'a Waits,
    pub(crate) busy: &'a BusyFigures,
    pub(crate) busy_amavisd_peak: Option<f64>,
    pub(crate) max_servers: Option<u32>,
    pub(crate) postfix_limit: Option<u32>,
    pub(crate) sizing: &'a Sizing,
    pub(crate) abandoned: u64,
    /// amavisd's start lines (`starting. ...`) in the log.
    pub(crate) restarts: u64,
    /// Next hops off loopback whose replies were amavisd's, with their deliveries (not counted).
    pub(crate) uncounted_hops: &'a std::collections::BTreeMap<String, u64>,
    pub(crate) hosts: usize,
    pub(crate) host_filter: bool,
}

pub(crate) fn judge(e: &Evidence<'_>) -> (Verdict, String) {
    let d = e.deferrals;
    // Deliveries deferred while Postfix had suspended the destination made no connection: they
    // are not attempts, and are said apart.
    let attempts = e.sent + d.attempted();
    let suspended = if d.suspended.total() > 0 {
        format!(
            "; {} more deliveries were deferred without a connection (\"delivery temporarily suspended\"): Postfix had suspended amavisd's destination after failures, so they waited for a later queue run",
            d.suspended.total()
        )
    } else {
        String::new()
    };
    // A log that starts while the destination is suspended holds only the suspensions, which
    // repeat the failure behind them.
    let only_suspended = attempts == 0;
    let queue = e.wait_s.queue_p95.unwrap_or(0.0);
    let connect = e.wait_s.connect_p95.unwrap_or(0.0);
    let n = e.sizing.needed;
    let mut words: Vec<String> = Vec::new();
    if d.restart > 0 {
        words.push(format!(
            "{} deliveries were refused or lost their connection within {} s before amavisd's {} start(s) in the log: amavisd was stopped or restarting (a restart resets the connections waiting for a child), which is a restart's effect, not a capacity problem; they are left out of the verdict.",
            d.restart,
            RESTART_WINDOW_S,
            e.restarts
        ));
    }
    let verdict = if attempts == 0 && d.suspended.total() == 0 && e.scanned == 0 {
        words.push("No delivery to amavisd and no amavisd result in the log.".to_owned());
        Verdict::NoData
    } else if e.denied_access > 0 && d.greeting_lost > 0 {
        words.push(format!(
            "{} deliveries lost the connection before amavisd's greeting while amavisd logged {} `(!)DENIED ACCESS`: amavisd refuses Postfix's address (@inet_acl, or the access list of a policy bank that replaces it; a $inet_socket_bind that does not match gives \"Connection refused\" instead), which looks like a capacity problem from Postfix's side but is not; fix the access list, not the number.",
            d.greeting_lost, e.denied_access
        ));
        Verdict::AmavisdRefuses
    } else if only_suspended && d.suspended.refused > 0 {
        words.push(format!(
            "No delivery attempt to amavisd is in the log, but {} deliveries were deferred without a connection (\"delivery temporarily suspended\") after `Connection refused`: nothing listened on amavisd's port, so amavisd was not running or listens elsewhere. Start amavisd (and check $inet_socket_port) before sizing.",
            d.suspended.refused
        ));
        Verdict::AmavisdUnreachable
    } else if d.refused > 0 && d.refused.saturating_mul(10) >= attempts {
        words.push(format!(
            "{} of {attempts} delivery attempts were refused (`Connection refused`): nothing listened on amavisd's port, so amavisd was not running or listens elsewhere{suspended}. Start amavisd (and check $inet_socket_port) before sizing.",
            d.refused
        ));
        Verdict::AmavisdUnreachable
    } else if only_suspended && d.suspended.greeting > 0 {
        words.push(format!(
            "No delivery attempt to amavisd is in the log, but {} deliveries were deferred without a connection (\"delivery temporarily suspended\") after greetings that timed out or were lost: Postfix opened more connections than amavisd had children. Make Postfix's limit equal to $max_servers (amavis README.postfix).",
            d.suspended.greeting
        ));
        Verdict::PostfixExceedsAmavis
    } else if d.greeting_timeout > 0 || d.greeting_lost > 0 || connect > CONNECT_WAIT_LIMIT_S {
        words.push(format!(
            "Postfix opens more connections than amavisd has children: {} deliveries timed out and {} lost the connection waiting for the greeting, and connection set-up (delays c) took {connect:.2} s at the 95th percentile (a free child greets within milliseconds){suspended}. The extra connections wait in amavisd's listen backlog; make Postfix's limit equal to $max_servers (amavis README.postfix).",
            d.greeting_timeout, d.greeting_lost
        ));
        Verdict::PostfixExceedsAmavis
    } else if queue > QUEUE_WAIT_LIMIT_S {
        match (e.postfix_limit, e.max_servers) {
            (Some(limit), Some(max)) if limit < max => {
                let to = n.filter(|&n| n > max).map_or_else(
                    || format!("raise Postfix's limit to {max}"),
                    |n| format!("raise both sides to {n}, the number the replay gives"),
                );
                words.push(format!(
                    "Deliveries waited {queue:.2} s (delays b, 95th percentile) in Postfix's queue for a connection while Postfix's limit ({limit}) is below $max_servers ({max}): Postfix, not amavisd, caps; {to}."
                ));
                Verdict::PostfixBelowAmavis
            }
            _ => {
                words.push(format!(
                    "Deliveries waited {queue:.2} s (delays b, 95th percentile) in Postfix's queue for a free connection, with no sign of Postfix exceeding amavisd: both sides are too small for this traffic."
                ));
                if e.postfix_limit.is_none() || e.max_servers.is_none() {
                    words.push("If Postfix's limit is below $max_servers, it is Postfix that caps (give both numbers to tell).".to_owned());
                }
                Verdict::Saturated
            }
        }
    } else {
        let peak = e.busy.peak.or(e.busy_amavisd_peak).unwrap_or(0.0);
        let idle_line = e.max_servers.map_or(IDLE_BUSY_PEAK, |max| (f64::from(max) * 0.25).max(IDLE_BUSY_PEAK));
        if peak <= idle_line {
            words.push(format!(
                "Deliveries did not wait (delays b {queue:.2} s, c {connect:.2} s at the 95th percentile) and at most {peak:.1} connections were busy in any second: the children are mostly idle."
            ));
            Verdict::Idle
        } else {
            words.push(format!(
                "Deliveries did not wait (delays b {queue:.2} s, c {connect:.2} s at the 95th percentile); at most {peak:.1} connections were busy in any second."
            ));
            Verdict::RightSized
        }
    };
    if verdict != Verdict::NoData {
        words.push(e.sizing.reason.clone());
        match (e.max_servers, e.sizing.bound, n) {
            (Some(max), _, Some(n)) if max < n && verdict != Verdict::PostfixBelowAmavis => {
                words.push(format!("$max_servers is {max}: raise both sides to {n}."))
            }
            (Some(max), SizingBound::Load | SizingBound::Unbounded, Some(n)) if max > n && verdict == Verdict::Idle => {
                words.push(format!("$max_servers is {max}: {n} would do, and frees memory."))
            }
            _ => {}
        }
        if e.abandoned > 0 {
            let waiting = verdict == Verdict::PostfixExceedsAmavis && connect > CONNECT_WAIT_LIMIT_S;
            words.push(format!(
                "amavisd's session counters skipped {} sessions: connections that carried no mail, such as health checks (check_smtp, monit, Zabbix on amavisd's port) or clients that gave up while waiting; {}",
                e.abandoned,
                if waiting {
                    "with connection set-up (delays c) waiting too, some of them are likely connections that gave up waiting for a child."
                } else {
                    "with no wait in connection set-up (delays c), they are not a sign of waiting."
                }
            ));
        }
    }
    for (hop, count) in e.uncounted_hops {
        words.push(format!(
            "{count} deliveries to {hop} got amavisd's reply (`250 2.0.0 from MTA(...)`) but are not counted, as {hop} is not on loopback (it may be another server's amavisd); if it is this server's amavisd, give --next-hop {hop}."
        ));
    }
    if e.hosts > 1 && !e.host_filter {
        words.push(format!("The log holds lines of {} hosts, read together; choose one with --host.", e.hosts));
    }
    (verdict, words.join(" "))
}
