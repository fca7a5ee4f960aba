//! Reading amavisd's `snmp.db` once with `amavisd-agent -c 1`, the reader amavisd-new ships (a
//! Berkeley DB environment, readable as the amavis user or root). `amavisd-nanny` is never run:
//! it kills children it judges stuck.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use amavis_tune_core::{SnmpReading, parse_amavisd_agent};

/// How long `amavisd-agent` may take (it starts Perl and Berkeley DB: well under a second).
const AGENT_DEADLINE: Duration = Duration::from_secs(15);

/// One reading: the counters, and when they were read (the middle of the agent's run).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reading {
    pub(crate) counters: SnmpReading,
    pub(crate) at: Instant,
}

/// `amavisd-agent` where amavisd-new installs it, or on the PATH.
fn agent() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join("amavisd-agent"))
        .find(|candidate| candidate.is_file())
}

/// Reads the `snmp.db` in `db_dir` once; the error says why it could not.
pub(crate) fn read(db_dir: &Path) -> Result<Reading, String> {
    if !db_dir.join("snmp.db").is_file() {
        return Err(format!("{} is not there", db_dir.join("snmp.db").display()));
    }
    let Some(agent) = agent() else {
        return Err("amavisd-agent, which amavisd-new ships to read snmp.db, is not installed".to_owned());
    };
    let started = Instant::now();
    let mut command = Command::new(&agent);
    command.args(["-c", "1"]).env("AMAVISD_DB_HOME", db_dir);
    // The agent waits forever for a database that is not there yet: the deadline ends it.
    let finished = crate::host::deadline::run(command, AGENT_DEADLINE)?;
    let at = started + (Instant::now() - started) / 2;
    let (status, text, errors) = (finished.status, finished.stdout, finished.stderr);
    let first_error = errors.lines().find(|line| !line.trim().is_empty()).unwrap_or("").trim().to_owned();
    match parse_amavisd_agent(&text) {
        Some(counters) if status.success() => Ok(Reading { counters, at }),
        _ if !first_error.is_empty() => Err(format!("{} failed ({status}): {first_error}", agent.display())),
        _ => Err(format!("{} printed no counters ({status})", agent.display())),
    }
}
