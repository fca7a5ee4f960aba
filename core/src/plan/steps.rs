//! The steps a careful administrator follows to make a plan live: back up, change, validate,
//! restart in the order that never lets Postfix open more connections than amavisd has children,
//! verify, and how to roll back.

use serde::Serialize;

use crate::inputs::concurrency::Concurrency;
use crate::inputs::method::PostfixMethod;
use crate::inputs::os::Os;
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

/// The suffix of the copies the backup step makes.
pub const BACKUP_SUFFIX: &str = ".before-amavis-tune";

fn step(description: &str, command: impl Into<String>, kind: StepKind) -> Step {
    Step { description: description.to_owned(), command: command.into(), kind }
}

/// The steps for a plan, in the order for raising N (amavisd first, then Postfix: DOMAIN.md,
/// "which side may be larger"). The plan does not know the current value; `LOWERING_NOTE` says
/// what changes when lowering.
pub(crate) fn steps(
    os: Os,
    method: PostfixMethod,
    service: &ServiceName,
    n: Concurrency,
    snippets: &[Snippet],
) -> Vec<Step> {
    let files: Vec<&str> = snippets.iter().map(|s| s.path.as_str()).collect();
    let backup = files.iter().map(|f| format!("cp -p {f} {f}{BACKUP_SUFFIX}")).collect::<Vec<_>>().join(" && ");
    let restore = files.iter().map(|f| format!("cp -p {f}{BACKUP_SUFFIX} {f}")).collect::<Vec<_>>().join(" && ");
    let amavis_conf = os.amavis_conf_path();
    let postfix_commands: Vec<&str> =
        snippets.iter().filter(|s| s.file != FileKind::AmavisConf).filter_map(|s| s.command.as_deref()).collect();
    let postfix_files: Vec<&str> =
        snippets.iter().filter(|s| s.file != FileKind::AmavisConf).map(|s| s.path.as_str()).collect();
    let mut all = vec![
        step(&format!("Back up the files that change ({})", files.join(", ")), backup, StepKind::Backup),
        step(
            &format!(
                "Put the amavisd snippet, with its header, in {amavis_conf} (above the final `1;`, replacing any `$max_servers` line)"
            ),
            format!("${{EDITOR:-vi}} {amavis_conf}"),
            StepKind::Change,
        ),
    ];
    all.extend(validate_and_restart(os, method, service, n));
    all.insert(
        4,
        step(
            &format!(
                "Set the Postfix side with postconf, which edits {} in place (or paste the snippets)",
                postfix_files.join(" and ")
            ),
            postfix_commands.join(" && "),
            StepKind::Change,
        ),
    );
    all.push(step(
        "If anything went wrong: put the backups back, reload Postfix, restart amavisd",
        format!("{restore} && postfix reload && {}", os.amavis_restart()),
        StepKind::Rollback,
    ));
    all
}

/// Validate, restart and verify, for raising: amavisd's four steps then Postfix's.
fn validate_and_restart(os: Os, method: PostfixMethod, service: &ServiceName, n: Concurrency) -> Vec<Step> {
    let verify_postfix = match method {
        PostfixMethod::MasterCf => format!("postconf -h -F '{service}/unix/process_limit'"),
        PostfixMethod::MainCf => format!("postconf -h {service}_destination_concurrency_limit"),
    };
    vec![
        step("Check amavisd's configuration without starting it", os.amavis_test_config(), StepKind::Validate),
        step(
            "Restart amavisd, so it runs the new number of children before Postfix uses them",
            os.amavis_restart(),
            StepKind::Restart,
        ),
        step("Check Postfix's configuration", "postfix check", StepKind::Validate),
        step(
            "Reload Postfix (master(5): a reload is enough for master.cf and main.cf; a restart also works)",
            "postfix reload",
            StepKind::Restart,
        ),
        step(&format!("Verify that Postfix reads {n}"), verify_postfix, StepKind::Verify),
        step(&format!("Verify that amavisd runs {n} children"), os.count_children(), StepKind::Verify),
        step("Watch the queue drain (no mail should stay deferred)", "postqueue -p", StepKind::Verify),
    ]
}

/// The steps after `apply` (which backed up and changed the files itself): for a raise, amavisd
/// first; for a cut, Postfix first, so that Postfix never opens more connections than amavisd has
/// children.
pub fn apply_steps(os: Os, method: PostfixMethod, service: &ServiceName, n: Concurrency, raising: bool) -> Vec<Step> {
    let mut all = validate_and_restart(os, method, service, n);
    if !raising {
        all[..4].rotate_left(2);
        all[2].description =
            "Restart amavisd, now that Postfix opens no more connections than its new number of children".to_owned();
    }
    all
}

/// What to do differently when the new number is lower than the current one.
pub(crate) const LOWERING_NOTE: &str =
    "When lowering the number, do Postfix's steps 5-7 before amavisd's steps 2-4, and roll back in the opposite order.";

#[cfg(test)]
mod tests {
    use super::*;

    /// The steps after `apply`, raising and lowering, on every OS with each method.
    #[test]
    fn apply_steps_per_os_method_and_direction() {
        let service = ServiceName::default();
        let n = Concurrency::new(12).unwrap_or_else(|_| unreachable!());
        let mut text = String::new();
        for os in Os::ALL {
            for method in [PostfixMethod::MasterCf, PostfixMethod::MainCf] {
                for raising in [true, false] {
                    text.push_str(&format!("--- {} {} raising={raising}\n", os.name(), method.name()));
                    for (index, step) in apply_steps(os, method, &service, n, raising).iter().enumerate() {
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
