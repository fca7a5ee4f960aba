use std::rc::Rc;

use amavis_tune_core::Plan;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub(crate) struct Props {
    pub(crate) plan: Rc<Plan>,
}

/// The chosen number, the safe maximum, why, and the warnings.
#[component]
pub(crate) fn Summary(props: &Props) -> Html {
    let plan = &props.plan;
    let n = plan.concurrency.get();
    let postfix = plan.inputs.method.setting(&plan.inputs.service);
    html! {
        <section class="summary" aria-label="Summary">
            <p class="numbers">
                <span class="n" id="result-n">{ n }</span>
                <span>{ format!(" for $max_servers and {postfix}") }</span>
            </p>
            <p class="safe-max">{ format!("Safe maximum for this RAM: {}", plan.safe_max) }</p>
            <p class="reason" id="result-reason">{ plan.reason.clone() }</p>
            if !plan.warnings.is_empty() {
                <ul class="warnings" id="warnings">
                    { for plan.warnings.iter().map(|w| html! {
                        <li class="warning" data-code={w.code.as_str()}><strong>{ w.code.as_str() }</strong>{ ": " }{ w.message.clone() }</li>
                    }) }
                </ul>
            }
        </section>
    }
}
