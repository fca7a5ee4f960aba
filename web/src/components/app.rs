use std::rc::Rc;

use amavis_tune_core::{DEFAULT_BASE_URL, Provenance, plan_with, version_notice};
use yew::prelude::*;

use super::budget_chart::BudgetChart;
use super::check_view::CheckView;
use super::copy_button::CopyButton;
use super::footer::Footer;
use super::form_panel::FormPanel;
use super::snippet_card::SnippetCard;
use super::steps_list::StepsList;
use super::summary::Summary;
use crate::browser;
use crate::query::{from_query, to_query};
use crate::state::Form;

/// The calculator: the form on one side, the plan core computes on the other.
#[component]
pub fn App() -> Html {
    // The URL first; localStorage only when the URL names nothing.
    let initial = use_memo((), |()| {
        let query = browser::query();
        let query = if query.is_empty() { browser::saved_query().unwrap_or_default() } else { query };
        from_query(&query)
    });
    let form = {
        let initial = initial.clone();
        use_reducer(move || initial.form.clone())
    };
    use_effect_with((*form).clone(), |form: &Form| browser::set_query(&to_query(form)));
    // After the first render: the generated config is on the page (the benchmark times this).
    use_effect_with((), |()| browser::mark("amavis-tune:output"));
    let (inputs, errors) = crate::inputs::inputs(&form);
    let address = browser::page_address();
    let provenance = Provenance {
        base_url: if address.is_empty() { DEFAULT_BASE_URL.to_owned() } else { address.clone() },
        date: browser::today(),
    };
    let plan = Rc::new(plan_with(&inputs, &provenance));
    // A link made with another model version says so, until the form is changed.
    let notice = initial.model_version.filter(|_| *form == initial.form).and_then(|v| version_notice(v, &inputs));
    let link = format!("{address}?{}", to_query(&form));
    let view = use_state(|| browser::hash() == "#check");
    let tab = |check: bool, label: &'static str, id: &'static str| {
        let view = view.clone();
        let selected = *view == check;
        let onclick = Callback::from(move |_| {
            browser::set_hash(if check { "#check" } else { "" });
            view.set(check);
        });
        html! { <button type="button" role="tab" id={id} class={classes!("tab", selected.then_some("selected"))} aria-selected={selected.to_string()} {onclick}>{ label }</button> }
    };
    html! {
        <div class="amavis-tune">
            <header>
                <h1>{ "amavis-tune" }</h1>
                <p class="lead">{ "Match amavisd's $max_servers and Postfix's maxproc to your server's RAM." }</p>
                <CopyButton text={AttrValue::from(link)} label={AttrValue::from("link to this result")} caption={AttrValue::from("Copy link")} />
            </header>
            <nav class="tabs" role="tablist" aria-label="Views">
                { tab(false, "Calculator", "tab-calculator") }
                { tab(true, "Check my config", "tab-check") }
            </nav>
            if *view {
                <CheckView />
            } else {
            <div class="columns">
                <FormPanel form={(*form).clone()} dispatch={form.dispatcher()} errors={Rc::new(errors)} url_errors={Rc::new(initial.errors.clone())} />
                <main class="output" aria-live="polite">
                    if let Some(notice) = notice {
                        <p class="notice" id="version-notice" role="status">{ notice }</p>
                    }
                    <Summary plan={plan.clone()} />
                    <BudgetChart plan={plan.clone()} />
                    { for plan.snippets.iter().map(|snippet| html! { <SnippetCard snippet={snippet.clone()} /> }) }
                    <StepsList steps={plan.steps.clone()} note={AttrValue::from(plan.lowering_note.clone())} />
                </main>
            </div>
            }
            <Footer />
        </div>
    }
}
