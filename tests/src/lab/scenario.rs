//! The lab's scenarios: one per verdict the log analysis gives, each with its known settings and
//! load, short enough that its logs stay small.

use std::time::Duration;

use serde::Serialize;

use super::{AmavisAcl, Lab, Load, PostfixLimit, Results, Settings};

/// One scenario: how the lab is set up, what load it gets, and how long it may take.
#[derive(Clone, Debug, Serialize)]
pub struct Scenario {
    /// The verdict the log analysis should reach on its logs, and its directory's name.
    pub name: &'static str,
    /// What the scenario shows.
    pub description: &'static str,
    pub settings: Settings,
    pub load: Load,
    /// amavisd is stopped before the load arrives.
    pub amavisd_stopped: bool,
    /// How long the run waits for the queue to empty (scenarios where nothing is delivered end
    /// here).
    #[serde(rename = "drain_deadline_s", serialize_with = "super::seconds")]
    pub drain_deadline: Duration,
}

impl Scenario {
    /// Starts a lab for the scenario, offers its load and returns the lab (whose log files hold
    /// the scenario's lines) with the results.
    pub fn run(&self) -> (Lab, Results) {
        let mut lab = Lab::start(self.settings.clone());
        if self.amavisd_stopped {
            lab.stop_amavisd();
        }
        let results = lab.run(self.load, self.drain_deadline);
        (lab, results)
    }
}

/// Every scenario, one per verdict: `idle`, `right-sized`, `saturated`, `postfix-exceeds-amavis`,
/// `postfix-below-amavis`, `amavisd-unreachable`, `amavisd-refuses`.
pub fn scenarios() -> Vec<Scenario> {
    let matched = |n| Settings { max_servers: n, postfix_limit: PostfixLimit::Maxproc(n), ..Settings::default() };
    let drain = Duration::from_secs(120);
    vec![
        Scenario {
            name: "idle",
            description: "4 children matched, about 1 message a second of 0.5 s: under one child busy on average",
            settings: Settings { scan_time: Duration::from_millis(500), ..matched(4) },
            load: Load { messages: 12, sessions: 1, wait_s: Some(1) },
            amavisd_stopped: false,
            drain_deadline: drain,
        },
        Scenario {
            name: "right-sized",
            description: "4 children matched, about 2 messages a second of 1 s: half the children busy",
            settings: matched(4),
            load: Load { messages: 16, sessions: 4, wait_s: Some(2) },
            amavisd_stopped: false,
            drain_deadline: drain,
        },
        Scenario {
            name: "saturated",
            description: "2 children matched, 20 messages of 1 s at once: mail waits in Postfix's queue (delays b), no error",
            settings: matched(2),
            load: Load { messages: 20, sessions: 10, wait_s: None },
            amavisd_stopped: false,
            drain_deadline: drain,
        },
        Scenario {
            name: "postfix-exceeds-amavis",
            description: "2 children, maxproc 10, 40 messages of 1 s at once: connections wait for the greeting (delays c) and time out after 10 s",
            settings: Settings { postfix_limit: PostfixLimit::Maxproc(10), ..matched(2) },
            load: Load { messages: 40, sessions: 10, wait_s: None },
            amavisd_stopped: false,
            drain_deadline: drain,
        },
        Scenario {
            name: "postfix-below-amavis",
            description: "6 children, maxproc 2, 20 messages of 1 s at once: Postfix's limit caps, only 2 children ever busy",
            settings: Settings { postfix_limit: PostfixLimit::Maxproc(2), ..matched(6) },
            load: Load { messages: 20, sessions: 10, wait_s: None },
            amavisd_stopped: false,
            drain_deadline: drain,
        },
        Scenario {
            name: "amavisd-unreachable",
            description: "amavisd stopped: every delivery to it is refused (Connection refused), nothing delivered in 20 s",
            settings: matched(2),
            load: Load { messages: 10, sessions: 2, wait_s: None },
            amavisd_stopped: true,
            drain_deadline: Duration::from_secs(20),
        },
        Scenario {
            name: "amavisd-refuses",
            description: "amavisd's @inet_acl denies 127.0.0.1: greetings lost, (!)DENIED ACCESS in amavisd's log, nothing delivered in 20 s",
            settings: Settings { acl: AmavisAcl::DenyLoopback, ..matched(2) },
            load: Load { messages: 10, sessions: 2, wait_s: None },
            amavisd_stopped: false,
            drain_deadline: Duration::from_secs(20),
        },
    ]
}
