//! `plan(&Inputs) -> Plan`: the one number for both sides, the budget, snippets, steps, warnings.
//!
//! The planning stage reads the model ([`crate::model`]) and the inputs; nothing below it
//! imports it.

use serde::{Serialize, Serializer};

pub(crate) mod choose;
pub(crate) mod header;
pub(crate) mod permalink;
pub(crate) mod replay;
pub(crate) mod snippet;
pub(crate) mod steps;
pub(crate) mod warnings;

use crate::config::postfix_defaults::{DEFAULT_DESTINATION_CONCURRENCY_LIMIT, DEFAULT_PROCESS_LIMIT};
use crate::inputs::Inputs;
use crate::inputs::concurrency::Concurrency;
use crate::inputs::method::PostfixMethod;
use crate::inputs::release::{OsRelease, ResolvedRelease, resolve_release};
use crate::model::memory::{Assumptions, Budget};
use crate::model::versions::{Model, current_model};
use crate::plan::choose::{Decision, ObservedLoad};
use crate::plan::permalink::DEFAULT_BASE_URL;
use crate::plan::snippet::Snippet;
use crate::plan::steps::Step;
use crate::plan::warnings::{Warning, WarningCode};

/// What the header of each snippet says about its origin: where the web calculator lives, and
/// the date (the core has no clock: the caller passes it, or none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    pub base_url: String,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
}

impl Default for Provenance {
    fn default() -> Provenance {
        Provenance { base_url: DEFAULT_BASE_URL.to_owned(), date: None }
    }
}
/// The result of [`plan`]. Both sides' numbers are one field, `concurrency`: no plan can make
/// them differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub inputs: Inputs,
    pub concurrency: Concurrency,
    pub decided_by: Decision,
    /// One or two sentences saying what decided the number, and the source.
    pub reason: String,
    /// The most children that fit in this RAM with these assumptions (may be below 2).
    pub safe_max: u64,
    pub assumptions: Assumptions,
    pub budget: Budget,
    pub snippets: Vec<Snippet>,
    pub steps: Vec<Step>,
    /// What to do differently when the new number is lower than the current one.
    pub lowering_note: String,
    pub warnings: Vec<Warning>,
    /// The release whose paths and commands the snippets and steps use.
    pub release: ResolvedRelease,
    pub model_version: u32,
    /// The web calculator's link for exactly these inputs.
    pub permalink: String,
    /// The load the mail logs showed, when the plan was sized with it.
    pub observed_load: Option<ObservedLoad>,
}

/// The plan for `inputs` with the current model, headers pointing at [`DEFAULT_BASE_URL`].
pub fn plan(inputs: &Inputs) -> Plan {
    plan_with(inputs, &Provenance::default())
}

/// The plan for `inputs` with the current model and the given provenance in its headers.
pub fn plan_with(inputs: &Inputs, provenance: &Provenance) -> Plan {
    build(inputs, current_model(), provenance, None)
}

/// The plan for `inputs` sized with the load the server's mail logs show (when no concurrency is
/// asked for): the logs' number within the memory and CPU bounds, in place of the
/// diminishing-returns judgement.
pub fn plan_observed(inputs: &Inputs, provenance: &Provenance, load: &ObservedLoad) -> Plan {
    build(inputs, current_model(), provenance, Some(load))
}

/// The plan a given model version gives (for replaying old permalinks).
pub(crate) fn plan_with_model(inputs: &Inputs, model: &Model) -> Plan {
    build(inputs, model, &Provenance::default(), None)
}

fn build(inputs: &Inputs, model: &Model, provenance: &Provenance, load: Option<&ObservedLoad>) -> Plan {
    let assumptions = inputs.overrides.assumptions_over(model.defaults);
    let mode = inputs.clamav.mode();
    let safe_max = assumptions.safe_max(inputs.ram, mode);
    let (concurrency, decided_by) = choose::choose(inputs, safe_max, model, load);
    let n = concurrency.get();
    let budget = assumptions.budget(inputs.ram, n, mode, &inputs.overrides.overridden());
    let service = &inputs.service;
    let release = resolve_release(&OsRelease { os: inputs.os, version: inputs.os_version.clone() });
    let facts = release.facts;
    let mut warnings = warnings::general(inputs, facts, model, &assumptions, &budget, decided_by, n, safe_max);

    let mut snippets = vec![snippet::amavis(facts, concurrency)];
    match inputs.method {
        PostfixMethod::MasterCf => {
            snippets.push(snippet::master_cf(facts, service, concurrency));
            if n > DEFAULT_DESTINATION_CONCURRENCY_LIMIT {
                warnings::push(
                    &mut warnings,
                    WarningCode::DestinationConcurrencyLimit,
                    format!(
                        "Postfix sends at most default_destination_concurrency_limit ({DEFAULT_DESTINATION_CONCURRENCY_LIMIT}) deliveries at once to one destination, and the content filter is one; \
                         add `{service}_destination_concurrency_limit = {n}` to main.cf (included below), or at most {DEFAULT_DESTINATION_CONCURRENCY_LIMIT} connections reach amavisd. \
                         (Where `{service}_destination_recipient_limit = 1`, as iRedMail sets it, the limit counts per recipient and caps nothing: there the line does no harm.)"
                    ),
                );
                snippets.push(snippet::main_cf_limit(
                    facts,
                    service,
                    concurrency,
                    &format!(
                        "Without it Postfix opens at most {DEFAULT_DESTINATION_CONCURRENCY_LIMIT} connections to amavisd, whatever maxproc says (unless `{service}_destination_recipient_limit` is 1, which makes the limit per recipient)."
                    ),
                ));
            }
        }
        PostfixMethod::MainCf => {
            snippets.push(snippet::main_cf_limit(
                facts,
                service,
                concurrency,
                &format!("Leave the maxproc column of `{service} unix` in master.cf at `-` or at least {n}."),
            ));
            warnings::push(
                &mut warnings,
                WarningCode::MainCfPerRecipient,
                format!(
                    "This limit caps the connections to amavisd only while `{service}_destination_recipient_limit` is above 1; \
                     iRedMail and others set it to 1, which makes the limit per recipient: there, use the master.cf method (--method master-cf)."
                ),
            );
            if n > DEFAULT_PROCESS_LIMIT {
                warnings::push(
                    &mut warnings,
                    WarningCode::ProcessLimit,
                    format!(
                        "A master.cf maxproc of `-` means default_process_limit ({DEFAULT_PROCESS_LIMIT}), which caps {n}; set the maxproc column to {n} too (included below)."
                    ),
                );
                snippets.push(snippet::master_cf(facts, service, concurrency));
            }
        }
    }

    let reason = choose::reason(inputs, decided_by, n, safe_max, model, load);
    let permalink = permalink::permalink(&provenance.base_url, inputs);
    let header = header::header(inputs, concurrency, &reason, model.version, provenance.date.as_deref(), &permalink);
    for snippet in &mut snippets {
        snippet.header.clone_from(&header);
    }
    let (steps, lowering_note) = steps::steps(facts, inputs.method, service, concurrency, &snippets);
    // Each snippet's one-line command as root's shell on the release runs it (after the steps,
    // which wrap their own commands).
    for snippet in &mut snippets {
        snippet.command = snippet.command.take().map(|command| steps::for_root_shell(command, facts.root_shell));
    }
    Plan {
        inputs: inputs.clone(),
        concurrency,
        decided_by,
        reason,
        safe_max,
        assumptions,
        budget,
        snippets,
        steps,
        lowering_note,
        warnings,
        release,
        model_version: model.version,
        permalink,
        observed_load: load.cloned(),
    }
}

/// The JSON contract of `plan --format json` (README, "JSON output"). Keys are only ever added.
#[derive(Serialize)]
struct Contract<'a> {
    max_servers: u32,
    maxproc: u32,
    safe_max: u64,
    decided_by: Decision,
    reason: &'a str,
    model_version: u32,
    inputs: &'a Inputs,
    release: ReleaseContract<'a>,
    assumptions: &'a Assumptions,
    memory: &'a Budget,
    warnings: &'a [Warning],
    snippets: &'a [Snippet],
    steps: &'a [Step],
    lowering_note: &'a str,
    permalink: &'a str,
    /// Only when the plan was sized with the mail logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    observed_load: Option<&'a ObservedLoad>,
}

/// The release the commands are for: its id and name, why it is that one (when it is not the one
/// asked), and the table's facts.
#[derive(Serialize)]
struct ReleaseContract<'a> {
    id: &'a str,
    name: &'a str,
    note: Option<&'a str>,
    facts: &'a crate::inputs::release::ReleaseFacts,
}

impl Serialize for Plan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Contract {
            max_servers: self.concurrency.get(),
            maxproc: self.concurrency.get(),
            safe_max: self.safe_max,
            decided_by: self.decided_by,
            reason: &self.reason,
            model_version: self.model_version,
            inputs: &self.inputs,
            release: ReleaseContract {
                id: self.release.facts.id,
                name: self.release.facts.name,
                note: self.release.note.as_deref(),
                facts: self.release.facts,
            },
            assumptions: &self.assumptions,
            memory: &self.budget,
            warnings: &self.warnings,
            snippets: &self.snippets,
            steps: &self.steps,
            lowering_note: &self.lowering_note,
            permalink: &self.permalink,
            observed_load: self.observed_load.as_ref(),
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
pub(crate) mod tests;
