//! Replaying an old permalink: the plan an earlier model version gives, and the notice that says
//! what changed since.

use crate::inputs::Inputs;
use crate::model::versions::{MODELS, Model};
use crate::plan::{Plan, plan_with_model};

/// The notice for a link made with model `link_version`, replayed today; `None` when the link
/// gives today what it gave then.
pub fn version_notice(link_version: u32, inputs: &Inputs) -> Option<String> {
    version_notice_in(MODELS, link_version, inputs)
}

/// [`version_notice`] against any model history (the last entry being the current model).
pub fn version_notice_in(models: &[Model], link_version: u32, inputs: &Inputs) -> Option<String> {
    let current = models.last()?;
    if link_version == current.version {
        return None;
    }
    let Some(old) = models.iter().find(|m| m.version == link_version) else {
        let whose = if link_version > current.version { "a newer amavis-tune" } else { "no amavis-tune release" };
        return Some(format!(
            "This link names memory model {link_version}, which {whose} made and this one (model {}) does not know: \
             the numbers below are model {}'s and may differ from those the link showed.",
            current.version, current.version
        ));
    };
    let then = plan_with_model(inputs, old);
    let now = plan_with_model(inputs, current);
    // The numbers a reader sees: N, the safe maximum and every line of the budget.
    let same = then.concurrency == now.concurrency
        && then.safe_max == now.safe_max
        && then.budget.consumers == now.budget.consumers
        && then.budget.required == now.budget.required;
    if same {
        return None;
    }
    let changes: Vec<String> = models
        .iter()
        .filter(|m| m.version > old.version && m.version <= current.version)
        .map(|m| format!("model {}: {}", m.version, m.changes))
        .collect();
    Some(format!(
        "This link was made with memory model {}, which gave {} children (safe maximum {}); the current model {} gives {} \
         (safe maximum {}). What changed since: {}.",
        old.version,
        then.concurrency,
        then.safe_max,
        current.version,
        now.concurrency,
        now.safe_max,
        changes.join("; ")
    ))
}

/// The plan an old model version gives, when amavis-tune knows that version.
pub fn plan_with_version(inputs: &Inputs, version: u32) -> Option<Plan> {
    MODELS.iter().find(|m| m.version == version).map(|model| plan_with_model(inputs, model))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::os::Os;
    use crate::inputs::size::MiB;
    use crate::model::memory::Assumptions;
    use crate::model::versions::current_model;

    /// A fabricated history: model 1 assumed 200 MiB per child, model 2 (current here) 100 MiB.
    fn history() -> [Model; 2] {
        let current = *current_model();
        let old_defaults = Assumptions { per_child: MiB(200), ..current.defaults };
        let new_defaults = Assumptions { per_child: MiB(100), ..current.defaults };
        [
            Model { version: 1, defaults: old_defaults, changes: "the first model", ..current },
            Model { version: 2, defaults: new_defaults, changes: "100 MiB per child instead of 200", ..current },
        ]
    }

    #[test]
    fn an_old_link_whose_numbers_changed_says_what_changed() {
        let inputs = Inputs::new(MiB::from_gib(5), Os::Debian);
        let notice = version_notice_in(&history(), 1, &inputs);
        assert_eq!(
            notice.as_deref(),
            Some(
                "This link was made with memory model 1, which gave 2 children (safe maximum 1); the current model 2 gives 3 \
                 (safe maximum 3). What changed since: model 2: 100 MiB per child instead of 200."
            )
        );
    }

    #[test]
    fn an_old_link_with_the_same_numbers_needs_no_notice() {
        // A change to clamd's figure changes nothing for a server without ClamAV.
        let current = *current_model();
        let history = [
            Model { version: 1, defaults: Assumptions { clamd: MiB(1024), ..current.defaults }, ..current },
            Model { version: 2, ..current },
        ];
        let inputs = Inputs { clamav: crate::inputs::ClamAv::Off, ..Inputs::new(MiB::from_gib(8), Os::Debian) };
        assert_eq!(version_notice_in(&history, 1, &inputs), None);
        assert_eq!(version_notice_in(&history, 2, &inputs), None, "a current link");
        // With ClamAV, the same change shows.
        let with_clamav = Inputs::new(MiB::from_gib(8), Os::Debian);
        assert!(version_notice_in(&history, 1, &with_clamav).is_some());
    }

    #[test]
    fn unknown_versions_say_so() {
        let inputs = Inputs::new(MiB::from_gib(8), Os::Debian);
        let newer = version_notice_in(&history(), 3, &inputs).unwrap_or_default();
        assert!(newer.starts_with("This link names memory model 3, which a newer amavis-tune made"), "{newer}");
        let older = version_notice_in(&history(), 0, &inputs).unwrap_or_default();
        assert!(older.starts_with("This link names memory model 0, which no amavis-tune release made"), "{older}");
    }
}
