//! The steps a careful administrator follows to make a plan live: back up, change, validate,
//! restart in the order that never lets Postfix open more connections than amavisd has children,
//! verify, and how to roll back.

use serde::Serialize;

use crate::edit::backup::backup_name;

use crate::inputs::concurrency::Concurrency;
use crate::inputs::method::PostfixMethod;
use crate::inputs::os::Os;
use crate::inputs::release::{ReleaseFacts, RootShell};
use crate::inputs::service_name::ServiceName;
use crate::plan::snippet::{FileKind, Snippet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub description: String,
    pub command: String,
    pub kind: StepKind,
}

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// Copies the files about to change.
    Backup,
    /// Changes a configuration file (nothing running notices yet).
    Change,
    /// Tests a configuration without changing what runs.
    Validate,
    /// Makes a running program read its configuration again.
    Restart,
    /// Reads back what the running programs use.
    Verify,
    /// Undoes the change, from the backups.
    Rollback,
}

impl StepKind {
    /// The name used in JSON and on the page.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Backup => "backup",
            StepKind::Change => "change",
            StepKind::Validate => "validate",
            StepKind::Restart => "restart",
            StepKind::Verify => "verify",
            StepKind::Rollback => "rollback",
        }
    }
}

/// The backup step: a copy of each file named as `apply` names its backups (core's
/// `backup_name`, with the time the step runs as the stamp, kept in the shell variable `stamp`),
/// so that the rollback step puts back exactly these copies. In csh (`RootShell::Csh`) the
/// variable is set with `set`, which keeps it in the login shell as `stamp=$(...)` does in sh.
fn backup_command(files: &[&str], shell: RootShell) -> String {
    let copies = files.iter().map(|f| format!("cp -p {f} {}", backup_name(f, "$stamp")));
    let set = match shell {
        RootShell::Sh => "stamp=$(date -u +%Y%m%dT%H%M%S)",
        RootShell::Csh => "set stamp=`date -u +%Y%m%dT%H%M%S`",
    };
    std::iter::once(set.to_owned()).chain(copies).collect::<Vec<_>>().join(" && ")
}

/// `command` as root's login shell on the release runs it: as it is in a POSIX shell; in csh,
/// a command that uses what only sh has (`$(...)`, `${VAR:-x}`, `$((...))`, `VAR=value`) runs
/// through `sh -c`.
pub(crate) fn for_root_shell(command: String, shell: RootShell) -> String {
    if shell == RootShell::Sh {
        return command;
    }
    // Compared byte by byte (as in `shell_quote`): the web calculator carries this code, and
    // substring searches weigh on its first load.
    let bytes = command.as_bytes();
    let sh_only =
        bytes.starts_with(b"i=") || bytes.windows(2).any(|pair| pair[0] == b'$' && matches!(pair[1], b'(' | b'{'));
    if sh_only { format!("sh -c {}", shell_quote(&command)) } else { command }
}

/// The rollback of a change whose backups are known: each `(file, backup, is_postfix)` (words
/// ready for the shell: quoted by the caller where they come from the server) copied back, in the order safe for undoing it (undoing a raise lowers N: Postfix's files and its
/// reload first, then amavisd's; undoing a cut, amavisd's first), each side reloaded.
pub fn rollback_step(release: &ReleaseFacts, backups: &[(&str, &str, bool)], raised: bool) -> Step {
    let copy = |postfix: bool| -> Vec<String> {
        backups
            .iter()
            .filter(|(_, _, is_postfix)| *is_postfix == postfix)
            .map(|(file, backup, _)| format!("cp -p {backup} {file}"))
            .collect()
    };
    let postfix_side = {
        let copies = copy(true);
        if copies.is_empty() { copies } else { copies.into_iter().chain(["postfix reload".to_owned()]).collect() }
    };
    let amavisd_side = {
        let copies = copy(false);
        if copies.is_empty() { copies } else { copies.into_iter().chain([release.amavis_reload.to_owned()]).collect() }
    };
    let (first, second, order) = if raised {
        (postfix_side, amavisd_side, "Postfix first")
    } else {
        (amavisd_side, postfix_side, "amavisd first")
    };
    let command = first.into_iter().chain(second).collect::<Vec<_>>().join(" && ");
    step(&format!("If anything went wrong: put back this run's backups, {order}"), command, StepKind::Rollback)
}

/// `word` as one word for a POSIX shell: as it is when it holds only characters no shell treats
/// specially, else in single quotes (a `'` inside written `'\''`). Paths that come from the
/// server (a tree's amavisd.conf named with `--amavis-conf`) go through it before they are put
/// into a printed or run command.
pub fn shell_quote(word: &str) -> std::borrow::Cow<'_, str> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"_./:=+,@%-".contains(&b);
    if !word.is_empty() && word.bytes().all(plain) {
        return std::borrow::Cow::Borrowed(word);
    }
    let mut quoted = String::with_capacity(word.len() + 2);
    quoted.push('\'');
    for c in word.chars() {
        if c == '\'' {
            quoted.push_str("'\\''");
        } else {
            quoted.push(c);
        }
    }
    quoted.push('\'');
    std::borrow::Cow::Owned(quoted)
}

fn in_root_shell(step: Step, release: &ReleaseFacts) -> Step {
    Step { command: for_root_shell(step.command, release.root_shell), ..step }
}

fn step(description: &str, command: impl Into<String>, kind: StepKind) -> Step {
    Step { description: description.to_owned(), command: command.into(), kind }
}

/// What the steps are built from: each group is one thing the administrator does, and the order
/// of the groups is the order of the steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    /// Copy the files about to change.
    Backup,
    /// Put amavisd's change in place.
    ChangeAmavisd,
    /// Check amavisd's configuration without starting it.
    ValidateAmavisd,
    RestartAmavisd,
    /// Change Postfix's files (with postconf, or by pasting).
    ChangePostfix,
    CheckPostfix,
    ReloadPostfix,
    /// Read back what both programs run, and watch the queue.
    Verify,
    /// Put the backups back.
    Rollback,
}

/// amavisd's side of the change, in the order it is done.
const AMAVISD_SIDE: [Group; 3] = [Group::ChangeAmavisd, Group::ValidateAmavisd, Group::RestartAmavisd];

/// Postfix's side of the change, in the order it is done.
const POSTFIX_SIDE: [Group; 3] = [Group::ChangePostfix, Group::CheckPostfix, Group::ReloadPostfix];

/// The groups in order. Raising N, amavisd's side comes first, so that it runs the new children
/// before Postfix uses them; lowering, Postfix's side does, so that Postfix never opens more
/// connections than amavisd has children (DOMAIN.md, "which side may be larger").
fn order(raising: bool) -> impl Iterator<Item = Group> {
    let (first, second) = if raising { (AMAVISD_SIDE, POSTFIX_SIDE) } else { (POSTFIX_SIDE, AMAVISD_SIDE) };
    std::iter::once(Group::Backup).chain(first).chain(second).chain([Group::Verify, Group::Rollback])
}

/// What the steps of a group depend on.
struct Context<'a> {
    release: &'a ReleaseFacts,
    method: PostfixMethod,
    service: &'a ServiceName,
    n: Concurrency,
    /// The files that change (none after `apply`, which changed them itself).
    snippets: &'a [Snippet],
    raising: bool,
}

impl Group {
    /// Whether `apply` does this group itself (it backs up and changes the files).
    fn done_by_apply(self) -> bool {
        matches!(self, Group::Backup | Group::ChangeAmavisd | Group::ChangePostfix | Group::Rollback)
    }

    fn steps(self, context: &Context<'_>) -> Vec<Step> {
        let Context { release, method, service, n, snippets, raising } = *context;
        let files: Vec<&str> = snippets.iter().map(|s| s.path.as_str()).collect();
        let postfix_snippets = || snippets.iter().filter(|s| s.file != FileKind::AmavisConf);
        let amavis_conf = release.amavis_conf;
        let reload_amavisd = release.amavis_reload;
        match self {
            Group::Backup => vec![step(
                &format!("Back up the files that change ({})", files.join(", ")),
                backup_command(&files, release.root_shell),
                StepKind::Backup,
            )],
            Group::ChangeAmavisd => vec![step(
                &format!(
                    "Put the amavisd snippet, with its header, in {amavis_conf} (above any `Do not modify anything below this line` comment and the final `1;`, replacing any `$max_servers` line)"
                ),
                format!("${{EDITOR:-vi}} {amavis_conf}"),
                StepKind::Change,
            )],
            Group::ValidateAmavisd => {
                vec![step(release.validation_description(), release.validation_command(), StepKind::Validate)]
            }
            Group::RestartAmavisd if raising => vec![step(
                "Reload amavisd, so it runs the new number of children before Postfix uses them (a reload keeps its socket open; a restart drops the connections waiting for a child)",
                reload_amavisd,
                StepKind::Restart,
            )],
            Group::RestartAmavisd => vec![step(
                "Reload amavisd, now that Postfix opens no more connections than its new number of children",
                reload_amavisd,
                StepKind::Restart,
            )],
            Group::ChangePostfix => {
                let postfix_files: Vec<&str> = postfix_snippets().map(|s| s.path.as_str()).collect();
                let commands: Vec<&str> = postfix_snippets().filter_map(|s| s.command.as_deref()).collect();
                vec![step(
                    &format!(
                        "Set the Postfix side with postconf, which edits {} in place (or paste the snippets)",
                        postfix_files.join(" and ")
                    ),
                    commands.join(" && "),
                    StepKind::Change,
                )]
            }
            Group::CheckPostfix => vec![step(
                "Let Postfix check its installation: postfix check creates missing queue directories, warns about wrong file ownership and permissions, and runs postconf and postsuper (which warn about main.cf and queue problems); it does not test every setting",
                "postfix check",
                StepKind::Validate,
            )],
            Group::ReloadPostfix => vec![step(
                "Reload Postfix (master(5): a reload is enough for master.cf and main.cf; a restart also works)",
                "postfix reload",
                StepKind::Restart,
            )],
            Group::Verify => {
                let verify_postfix = match method {
                    PostfixMethod::MasterCf => format!("postconf -h -F '{service}/unix/process_limit'"),
                    PostfixMethod::MainCf => format!("postconf -h {service}_destination_concurrency_limit"),
                };
                let mut steps = vec![
                    step(&format!("Verify that Postfix reads {n}"), verify_postfix, StepKind::Verify),
                    step(
                        &crate::inputs::release::count_children_description(release.master, n.get(), raising),
                        release.count_children_command(n.get(), raising),
                        StepKind::Verify,
                    ),
                ];
                // Where amavis-tune is installed (Linux: the watch reads /proc), the same check
                // from the running amavisd: its children at work and its accept queue.
                if !matches!(release.os, Os::Freebsd | Os::Openbsd) {
                    steps.push(step(
                        &format!("Or, with amavis-tune: wait for at least {n} children, then watch them 30 s and whether connections still wait for one (exit 1 if so)"),
                        format!("amavis-tune measure --watch 30s --expect {n}"),
                        StepKind::Verify,
                    ));
                }
                steps.extend([
                    step(
                        "Deliver any mail deferred during the change now, not at the next queue run",
                        "postqueue -f",
                        StepKind::Verify,
                    ),
                    step("Watch the queue drain", "postqueue -p", StepKind::Verify),
                ]);
                steps
            }
            Group::Rollback => {
                // The plan's steps raise N, so the rollback lowers it: Postfix's side first.
                let backups: Vec<(&str, String, bool)> = snippets
                    .iter()
                    .map(|s| (s.path.as_str(), backup_name(&s.path, "$stamp"), s.file != FileKind::AmavisConf))
                    .collect();
                let backups: Vec<(&str, &str, bool)> = backups.iter().map(|(f, b, p)| (*f, b.as_str(), *p)).collect();
                let mut rollback = rollback_step(release, &backups, true);
                rollback.description = "If anything went wrong: put back step 1's copies (in the same shell: it set $stamp), Postfix first".to_owned();
                vec![rollback]
            }
        }
    }
}

/// The steps for a plan, in the order for raising N (the plan does not know the current value),
/// and the note saying what changes when lowering it: the numbers of each side's steps.
pub(crate) fn steps(
    release: &ReleaseFacts,
    method: PostfixMethod,
    service: &ServiceName,
    n: Concurrency,
    snippets: &[Snippet],
) -> (Vec<Step>, String) {
    let context = Context { release, method, service, n, snippets, raising: true };
    let mut all = Vec::new();
    // The 1-based numbers of each side's first and last step.
    let mut amavisd_side = None;
    let mut postfix_side = None;
    for group in order(true) {
        let first = all.len() + 1;
        all.extend(group.steps(&context).into_iter().map(|s| in_root_shell(s, release)));
        let side = if AMAVISD_SIDE.contains(&group) {
            &mut amavisd_side
        } else if POSTFIX_SIDE.contains(&group) {
            &mut postfix_side
        } else {
            continue;
        };
        let start = side.map_or(first, |(start, _)| start);
        *side = Some((start, all.len()));
    }
    let numbers = |side: Option<(usize, usize)>| match side {
        Some((first, last)) if first < last => format!("{first}-{last}"),
        Some((first, _)) => first.to_string(),
        None => String::new(),
    };
    let note = format!(
        "When lowering the number, do Postfix's steps {} before amavisd's steps {}, and roll back in the opposite order.",
        numbers(postfix_side),
        numbers(amavisd_side)
    );
    (all, note)
}

/// The steps after `apply` (which backed up and changed the files itself): for a raise, amavisd
/// first; for a cut, Postfix first, so that Postfix never opens more connections than amavisd has
/// children.
pub fn apply_steps(
    release: &ReleaseFacts,
    method: PostfixMethod,
    service: &ServiceName,
    n: Concurrency,
    raising: bool,
) -> Vec<Step> {
    let context = Context { release, method, service, n, snippets: &[], raising };
    order(raising)
        .filter(|group| !group.done_by_apply())
        .flat_map(|group| group.steps(&context))
        .map(|s| in_root_shell(s, release))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoting() {
        assert_eq!(super::shell_quote("/etc/amavisd/amavisd.conf"), "/etc/amavisd/amavisd.conf");
        assert_eq!(super::shell_quote("/etc/my amavis/a.conf"), "'/etc/my amavis/a.conf'");
        assert_eq!(super::shell_quote("it's"), "'it'\\''s'");
        assert_eq!(super::shell_quote("$(x)"), "'$(x)'");
        assert_eq!(super::shell_quote(""), "''");
    }

    use super::*;

    /// The steps after `apply`, raising and lowering, on every OS with each method.
    #[test]
    fn apply_steps_per_os_method_and_direction() {
        let service = ServiceName::default();
        let n = Concurrency::new(12).unwrap_or_else(|_| unreachable!());
        let mut text = String::new();
        for release in crate::inputs::release::RELEASES {
            for method in [PostfixMethod::MasterCf, PostfixMethod::MainCf] {
                for raising in [true, false] {
                    text.push_str(&format!("--- {} {} raising={raising}\n", release.id, method.name()));
                    for (index, step) in apply_steps(release, method, &service, n, raising).iter().enumerate() {
                        let kind = step.kind.as_str();
                        text.push_str(&format!("{}. [{kind}] {}\n   {}\n", index + 1, step.description, step.command));
                    }
                }
            }
        }
        insta::assert_snapshot!(text);
    }

    /// The names are the ones the JSON carries.
    #[test]
    fn kinds_are_named_as_serialized() {
        for kind in [
            StepKind::Backup,
            StepKind::Change,
            StepKind::Validate,
            StepKind::Restart,
            StepKind::Verify,
            StepKind::Rollback,
        ] {
            assert_eq!(serde_json::to_value(kind).ok(), Some(serde_json::Value::from(kind.as_str())));
        }
    }
}
