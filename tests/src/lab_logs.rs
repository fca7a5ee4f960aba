//! The live lab's kept logs (`tests/fixtures/lab-logs`): a folder per scenario with the logs real
//! Postfix and amavisd wrote in the lab (`postfix.log`, `amavisd.log`) and the lab's
//! `settings.json`: what it ran with and what it counted itself.

use std::path::PathBuf;

use serde_json::Value;

use crate::workspace_root;

/// The syslog name of the lab transport's deliveries (master.cf's `-o syslog_name=postfix/smtp-amavis`
/// on the `smtp` client). Its amavisd listens on a port of its own, not 10024, so the log reader
/// finds the deliveries by this name.
pub const SYSLOG_NAME: &str = "postfix/smtp-amavis/smtp";

/// One scenario's kept logs and settings.
#[derive(Debug)]
pub struct KeptLogs {
    /// The scenario (`settings.json`'s `scenario`), which is also the verdict it was made for.
    pub scenario: String,
    pub dir: PathBuf,
    pub settings: Value,
}

impl KeptLogs {
    /// Every scenario, in the order of their folders' names.
    pub fn all() -> Vec<KeptLogs> {
        let root = workspace_root().join("tests/fixtures/lab-logs");
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
            .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.is_dir())
            .collect();
        dirs.sort();
        dirs.into_iter().map(KeptLogs::at).collect()
    }

    /// The scenario of this name.
    pub fn named(scenario: &str) -> KeptLogs {
        KeptLogs::at(workspace_root().join("tests/fixtures/lab-logs").join(scenario))
    }

    fn at(dir: PathBuf) -> KeptLogs {
        let path = dir.join("settings.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let settings: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        let scenario = settings["scenario"].as_str().unwrap_or_else(|| panic!("no scenario in {}", path.display()));
        KeptLogs { scenario: scenario.to_owned(), dir, settings }
    }

    /// Postfix's log and amavisd's, in that order.
    pub fn files(&self) -> [PathBuf; 2] {
        [self.dir.join("postfix.log"), self.dir.join("amavisd.log")]
    }

    /// The lab's `$max_servers`.
    pub fn max_servers(&self) -> String {
        self.settings["settings"]["max_servers"].to_string()
    }

    /// The lab's Postfix limit (maxproc or the main.cf limit, whichever it set), if it set one.
    pub fn postfix_limit(&self) -> Option<String> {
        self.settings["settings"]["postfix_limit"]
            .as_object()
            .and_then(|limit| limit.values().next())
            .map(Value::to_string)
    }

    /// `amavis-tune logs --format json` on both files, with the lab's syslog name and two
    /// numbers, classic syslog stamps read in `log_date`'s year, and `extra` flags.
    pub fn logs_json_args(&self, log_date: &str, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = ["logs", "--format", "json", "--syslog-name", SYSLOG_NAME, "--log-date", log_date]
            .iter()
            .map(|arg| (*arg).to_owned())
            .collect();
        args.extend(["--max-servers".to_owned(), self.max_servers()]);
        if let Some(limit) = self.postfix_limit() {
            args.extend(["--postfix-limit".to_owned(), limit]);
        }
        args.extend(extra.iter().map(|arg| (*arg).to_owned()));
        args.extend(self.files().iter().map(|file| file.display().to_string()));
        args
    }
}
