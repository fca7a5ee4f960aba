//! What an amavisd child is doing, read from its process title (`/proc/PID/cmdline`; `comm` is
//! cut at 15 bytes and would lose the state).
//!
//! amavisd 2.11 to 2.13 set `$0` to `PROGRAM (STATE)` at each step of a child's life (checked in
//! Debian 12's 2.13.0, `/usr/share/perl5/Amavis.pm` and `Amavis/In/SMTP.pm`, `Amavis/In/AMPDP.pm`,
//! `Amavis/Util.pm`):
//!
//! - `(virgin child)`: forked, no connection yet (`child_init_hook`);
//! - `(chN-accept)`: a connection just accepted (`post_accept_hook`), then briefly the bare
//!   program name and `(TASKID)` while `am_id` is set (`Util.pm`, `am_id`);
//! - `(chN-idle)`: the SMTP greeting sent, waiting for the client's first command;
//! - `(chN-TASKID)`: a command being handled, the message received and scanned included;
//! - `(chN-TASKID-idle)`: a command answered, waiting for the next one (Postfix holds the
//!   session, for instance in its connection cache);
//! - `(chN)`: the session over, closing it; `(chN-avail)`: back in the pool
//!   (`post_process_request_hook`); `(chN-finish)`: the child exits (`child_finish_hook`);
//! - `(chN-P)` and `(chN-P-idle)`: the same for the AM.PDP protocol (amavisd-milter, releases).
//!
//! N counts the connections the child has served (`$child_invocation_count`); it is not a slot
//! number. The prefix is the program as started (`/usr/sbin/amavisd`, `amavisd-new` on 2.11, or
//! `$myprogram_name`), so only the last parenthesised suffix is read.

use serde::Serialize;

/// What a child is doing, as its title says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChildState {
    /// In the pool, ready to accept a connection: `(virgin child)`, `(chN-avail)`.
    Free,
    /// Holding a session open for its client, waiting for a command: `(chN-idle)`,
    /// `(chN-TASKID-idle)`, `(chN-P-idle)`.
    Session,
    /// Handling a connection: `(chN-TASKID)`, `(chN)`, `(chN-accept)`, `(chN-P)`, `(TASKID)`, or
    /// the bare program name between an accept and its task id.
    Working,
    /// Neither: exiting (`(chN-finish)`), or a title amavisd does not write.
    Other,
}

/// The state a child's title (its command line, NULs read as spaces) says.
pub fn child_state(title: &str) -> ChildState {
    let title = title.trim();
    // `PROGRAM (STATE)`: the last ` (` opens the state (no state amavisd writes holds a `(`).
    let Some(inner) = title.strip_suffix(')').and_then(|t| t.rfind(" (").map(|at| &t[at + 2..])) else {
        // The bare program name: `am_id(undef)` right after an accept.
        return if title.is_empty() || title.contains(' ') { ChildState::Other } else { ChildState::Working };
    };
    if inner == "virgin child" {
        return ChildState::Free;
    }
    if let Some(after) = inner.strip_prefix("ch") {
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            return match &after[digits..] {
                "" | "-accept" => ChildState::Working,
                "-avail" => ChildState::Free,
                "-finish" => ChildState::Other,
                rest if rest.ends_with("-idle") => ChildState::Session,
                rest if rest.starts_with('-') => ChildState::Working,
                _ => ChildState::Other,
            };
        }
    }
    // A task id set while working: `(12345-01)`, `(12345-01-3)`, `(rel-XYZ)` for a release.
    let task_id = inner.starts_with(|c: char| c.is_ascii_digit()) || inner.starts_with("rel-");
    if task_id && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '+') {
        ChildState::Working
    } else {
        ChildState::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(title: &str, expect: ChildState) {
        assert_eq!(child_state(title), expect, "{title}");
    }

    #[test]
    fn titles_amavisd_writes() {
        use ChildState::*;
        check("/usr/sbin/amavisd (virgin child)", Free);
        check("/usr/sbin/amavisd (ch3-avail)", Free);
        check("amavisd-new (ch12-avail)", Free);
        check("/usr/sbin/amavisd (ch3-accept)", Working);
        check("/usr/sbin/amavisd", Working);
        check("/usr/sbin/amavisd (41234-03)", Working);
        check("/usr/sbin/amavisd (41234-03-2)", Working);
        check("/usr/sbin/amavisd (ch3-idle)", Session);
        check("/usr/sbin/amavisd (ch3-41234-03)", Working);
        check("/usr/sbin/amavisd (ch3-41234-03-2)", Working);
        check("/usr/sbin/amavisd (ch3-41234-03-idle)", Session);
        check("/usr/sbin/amavisd (ch3-41234-03-2-idle)", Session);
        check("/usr/sbin/amavisd (ch3)", Working);
        check("/usr/sbin/amavisd (ch3-P)", Working);
        check("/usr/sbin/amavisd (ch3-P-idle)", Session);
        check("/usr/sbin/amavisd (ch3-finish)", Other);
        check("/usr/sbin/amavisd (rel-Fo3ytaRcbKcE)", Working);
        // `$myprogram_name` with a space and parentheses of its own: the last suffix counts.
        check("my amavis (eu) (ch2-avail)", Free);
        check("my amavis (eu) (ch2-9876-01)", Working);
    }

    #[test]
    fn titles_amavisd_does_not_write() {
        use ChildState::*;
        check("/usr/sbin/amavisd (master)", Other);
        check("/usr/sbin/amavisd (chx-avail)", Other);
        check("/usr/sbin/amavisd (ch)", Other);
        check("/usr/sbin/amavisd (ch3avail)", Other);
        check("/usr/sbin/amavisd (something else)", Other);
        check("", Other);
        check("perl -T /usr/sbin/amavisd", Other);
        check("/usr/sbin/amavisd ()", Other);
    }
}
