use amavis_tune_core::Step;
use yew::prelude::*;

use super::copy_button::CopyButton;

#[derive(Properties, PartialEq)]
pub(crate) struct Props {
    pub(crate) steps: Vec<Step>,
    pub(crate) note: AttrValue,
    /// What no source confirmed for the release the steps are for.
    pub(crate) unconfirmed: &'static [&'static str],
}

/// The commands that make the plan live, in order, each copyable.
#[component]
pub(crate) fn StepsList(props: &Props) -> Html {
    html! {
        <section class="card steps" aria-label="Steps">
            <h2>{ "Steps" }</h2>
            <ol>
                { for props.steps.iter().map(|step| html! {
                    <li data-kind={step.kind.as_str()}>
                        <span>{ step.description.clone() }</span>
                        <div class="command-line">
                            <code>{ step.command.clone() }</code>
                            <CopyButton text={AttrValue::from(step.command.clone())} label={AttrValue::from(step.command.clone())} />
                        </div>
                    </li>
                }) }
            </ol>
            <p class="note">{ props.note.clone() }</p>
            { for props.unconfirmed.iter().map(|fact| html! { <p class="note unconfirmed">{ "Not confirmed in a source for this release: " }{ *fact }</p> }) }
        </section>
    }
}
