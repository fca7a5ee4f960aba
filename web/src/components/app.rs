use std::rc::Rc;

use amavis_tune_core::{DEFAULT_BASE_URL, Provenance, plan_with, platform_plan, version_notice};
use yew::prelude::*;

use super::budget_chart::BudgetChart;
use super::copy_button::CopyButton;
use super::footer::Footer;
use super::form_panel::FormPanel;
use super::snippet_card::SnippetCard;
use super::steps_list::StepsList;
use super::summary::Summary;
use crate::browser;
use crate::query::{from_query, to_query};
use crate::state::Form;
use crate::view::View;

/// The second module's state, once a view of it has been opened.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CheckModule {
    NotLoaded,
    Loading,
    Loaded,
    Failed(String),
}

/// The page: the views' links, the calculator (the form on one side, the plan core computes on
/// the other), and the element the check module renders the other views into.
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
    let view = use_state(|| View::from_hash(&browser::hash()));
    {
        let view = view.clone();
        use_effect_with((), move |()| {
            let listener = browser::on_hash_change(move |hash| view.set(View::from_hash(&hash)));
            move || drop(listener)
        });
    }
    let module = use_state(|| CheckModule::NotLoaded);
    {
        let module = module.clone();
        use_effect_with(*view, move |view| {
            if view.in_check_module() && *module == CheckModule::NotLoaded {
                module.set(CheckModule::Loading);
                browser::load_check_module(move |outcome| {
                    module.set(outcome.map_or_else(CheckModule::Failed, |()| CheckModule::Loaded));
                });
            }
        });
    }
    let (inputs, errors) = crate::inputs::inputs(&form);
    let address = browser::page_address();
    let provenance = Provenance {
        base_url: if address.is_empty() { DEFAULT_BASE_URL.to_owned() } else { address.clone() },
        date: browser::today(),
    };
    let mut plan = plan_with(&inputs, &provenance);
    // A platform that generates both numbers: its steps, and what that means for the snippets
    // (shown, not offered for pasting) and the reserve, as `plan --platform` says it.
    let platform_notice = form.platform.map(|platform| platform_plan(&mut plan, platform));
    let plan = Rc::new(plan);
    // A link made with another model version says so, until the form is changed.
    let notice = initial.model_version.filter(|_| *form == initial.form).and_then(|v| version_notice(v, &inputs));
    let link = format!("{address}?{}", to_query(&form));
    let calculator = *view == View::Calculator;
    let link_to = |target: View| {
        let current = *view == target;
        let id = match target {
            View::Calculator => "tab-calculator",
            View::Check => "tab-check",
            View::Logs => "tab-logs",
        };
        html! {
            <a href={target.href()} id={id} class={classes!("tab", current.then_some("selected"))}
                aria-current={current.then_some("page")}>{ target.title() }</a>
        }
    };
    // While a field is invalid, the result is the plan with that field's default: say so.
    let stale = (!errors.is_empty()).then(|| {
        let fields: Vec<&str> = errors.iter().map(|(field, _)| field.label()).collect();
        format!(
            "Not up to date: {} {} not valid, so this result uses the default instead. Correct the field marked in red.",
            fields.join(", "),
            if fields.len() == 1 { "is" } else { "are" }
        )
    });
    html! {
        <div class="amavis-tune">
            if calculator {
                <a class="skip-link" href="#result">{ "Skip to the result" }</a>
            }
            <header class="banner">
                <h1>{ "amavis-tune" }</h1>
                <p class="lead">{ "Match amavisd's $max_servers and Postfix's maxproc to your server's RAM." }</p>
                <CopyButton text={AttrValue::from(link)} label={AttrValue::from("to this result")} caption={AttrValue::from("Copy link")} />
            </header>
            <nav class="tabs" aria-label="Views">
                { for View::ALL.iter().map(|v| link_to(*v)) }
            </nav>
            <main class="view">
                <div class="columns" hidden={!calculator}>
                    <FormPanel form={(*form).clone()} dispatch={form.dispatcher()} errors={Rc::new(errors)} url_errors={Rc::new(initial.errors.clone())} />
                    <section class={classes!("output", stale.is_some().then_some("stale"))} id="result" tabindex="-1" aria-label="Result" aria-live="polite">
                        if let Some(stale) = stale {
                            <p class="notice" id="stale-notice" role="status">{ stale }</p>
                        }
                        if let Some(notice) = notice {
                            <p class="notice" id="version-notice" role="status">{ notice }</p>
                        }
                        if let Some(notice) = &platform_notice {
                            <p class="notice" id="platform-notice" role="status">{ notice.clone() }</p>
                        }
                        <Summary plan={plan.clone()} />
                        <BudgetChart plan={plan.clone()} />
                        { for plan.snippets.iter().map(|snippet| html! { <SnippetCard snippet={snippet.clone()} paste={platform_notice.is_none()} /> }) }
                        <StepsList steps={plan.steps.clone()} note={AttrValue::from(plan.lowering_note.clone())} unconfirmed={plan.release.facts.unconfirmed} />
                    </section>
                </div>
                <div id={crate::CHECK_MOUNT_ID} class="check-module" hidden={calculator}></div>
                if !calculator {
                    { match &*module {
                        CheckModule::Loading | CheckModule::NotLoaded => html! { <p class="note" id="check-loading">{ "Loading the view…" }</p> },
                        CheckModule::Failed(message) => html! { <p class="error" id="check-failed" role="alert">{ format!("The view could not be loaded: {message}. Reload the page to try again.") }</p> },
                        CheckModule::Loaded => html! {},
                    } }
                }
            </main>
            <Footer />
        </div>
    }
}
