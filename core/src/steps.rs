//! The commands that make a plan live, in the order that never lets Postfix open more
//! connections than amavisd has children.

use serde::Serialize;

use crate::concurrency::Concurrency;
use crate::method::PostfixMethod;
use crate::os::Os;
use crate::service_name::ServiceName;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub description: String,
    pub command: String,
    pub kind: StepKind,
}

/// What a step does: only `validate` and `restart` steps change or test the running system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    Validate,
    Restart,
    Verify,
}

fn step(description: &str, command: impl Into<String>, kind: StepKind) -> Step {
    Step { description: description.to_owned(), command: command.into(), kind }
}

/// Raising N: amavisd first, then Postfix (DOMAIN.md, "which side may be larger": Postfix's
/// concurrency must never exceed `$max_servers`). The plan does not know the current value, so
/// the order is the one for raising; `lowering_note` says what changes when lowering.
pub(crate) fn steps(os: Os, method: PostfixMethod, service: &ServiceName, n: Concurrency) -> Vec<Step> {
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

/// The steps after `apply`: for a raise, amavisd first; for a cut, Postfix first, so that
/// Postfix never opens more connections than amavisd has children.
pub fn apply_steps(os: Os, method: PostfixMethod, service: &ServiceName, n: Concurrency, raising: bool) -> Vec<Step> {
    let mut all = steps(os, method, service, n);
    if !raising {
        all[..4].rotate_left(2);
        all[2].description =
            "Restart amavisd, now that Postfix opens no more connections than its new number of children".to_owned();
    }
    all
}

/// What to do differently when the new number is lower than the current one.
pub(crate) const LOWERING_NOTE: &str =
    "When lowering the number, reload Postfix (steps 3-4) before restarting amavisd (steps 1-2).";
