use std::rc::Rc;

use amavis_tune_core::{
    CHILDREN_PER_CPU, DEFAULT_AMAVISD_PARENT, DEFAULT_CLAMD, DEFAULT_HEADROOM_PERCENT, DEFAULT_PER_CHILD,
    DEFAULT_RESERVE, DEFAULT_SERVICE, MIN_CONCURRENCY, MiB, Os, Platform, PostfixMethod, Preset, RELEASES,
};
use yew::prelude::*;

use super::text_field::TextInput;
use crate::state::{Action, Form, TextField};

/// The concurrency slider's top: the page's choice, well past the everyday range.
const SLIDER_MAX: u32 = 50;

#[derive(Properties, PartialEq)]
pub(crate) struct Props {
    pub(crate) form: Form,
    pub(crate) dispatch: UseReducerDispatcher<Form>,
    pub(crate) errors: Rc<Vec<(TextField, String)>>,
    pub(crate) url_errors: Rc<Vec<(String, String)>>,
}

/// The inputs: RAM, concurrency, OS, ClamAV, method, CPUs, and the memory assumptions.
#[component]
pub(crate) fn FormPanel(props: &Props) -> Html {
    let form = &props.form;
    let error =
        |field: TextField| props.errors.iter().find(|(f, _)| *f == field).map(|(_, m)| AttrValue::from(m.clone()));
    let url_error = |key: &str| props.url_errors.iter().find(|(k, _)| k == key).map(|(_, m)| m.clone());
    let text = |field: TextField, placeholder: String, hint: String| {
        html! {
            <TextInput field={field} label={field.label()} value={AttrValue::from(field.get(form).to_owned())}
                placeholder={placeholder} hint={hint} error={error(field)} dispatch={props.dispatch.clone()} />
        }
    };
    // A size placeholder in MiB, the way the defaults are documented.
    let mib = |size: MiB| format!("{}M", size.0);
    let on_os = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            if let Ok(os) = select.value().parse::<Os>() {
                dispatch.dispatch(Action::Os(os));
            }
        })
    };
    let on_release = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            dispatch.dispatch(Action::Release(select.value().parse().ok()));
        })
    };
    let on_platform = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            dispatch.dispatch(Action::Platform(select.value().parse().ok()));
        })
    };
    let on_method = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            let method = if select.value() == "main-cf" { PostfixMethod::MainCf } else { PostfixMethod::MasterCf };
            dispatch.dispatch(Action::Method(method));
        })
    };
    let on_preset = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            if let Ok(preset) = select.value().parse::<Preset>() {
                dispatch.dispatch(Action::Preset(preset));
            }
            // The fields now show the preset's values; the menu goes back to its prompt.
            select.set_value("");
        })
    };
    let checkbox = |action: fn(bool) -> Action| {
        let dispatch = props.dispatch.clone();
        Callback::from(move |event: Event| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            dispatch.dispatch(action(input.checked()));
        })
    };
    let slider = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |event: InputEvent| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            dispatch.dispatch(Action::Text(TextField::Concurrency, input.value()));
        })
    };
    let slider_value =
        form.concurrency.trim().parse::<u32>().unwrap_or(0).clamp(MIN_CONCURRENCY, SLIDER_MAX).to_string();
    html! {
        <form class="inputs" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())} aria-label="Server">
            <div class="field">
                <label for="field-preset">{ "Start from a preset" }</label>
                <select id="field-preset" onchange={on_preset}>
                    <option value="" selected=true>{ "Choose a deployment…" }</option>
                    { for Preset::ALL.iter().map(|p| html! { <option value={p.name()}>{ p.title() }</option> }) }
                </select>
            </div>
            { text(TextField::Ram, Form::default().ram, "8G, 8192M, 4.5G (binary units)".to_owned()) }
            { text(TextField::Concurrency, "recommend".to_owned(), "Leave empty for a recommendation".to_owned()) }
            <input type="range" min={MIN_CONCURRENCY.to_string()} max={SLIDER_MAX.to_string()} value={slider_value} oninput={slider} aria-label="Concurrency slider" />
            <div class={classes!("field", url_error("os").is_some().then_some("invalid"))}>
                <label for="field-os">{ "Operating system" }</label>
                <select id="field-os" onchange={on_os}>
                    { for Os::ALL.iter().map(|os| html! { <option value={os.name()} selected={*os == form.os}>{ os.name() }</option> }) }
                </select>
                if let Some(message) = url_error("os") { <p class="error" role="alert">{ format!("Ignored from the link: {message}") }</p> }
            </div>
            <div class={classes!("field", url_error("release").is_some().then_some("invalid"))}>
                <label for="field-release">{ "Release" }</label>
                // Keyed by the family, so that another family's list is a fresh element whose
                // selection is its `selected` attributes, not what was chosen in the last list.
                <select id="field-release" key={form.os.name()} onchange={on_release}>
                    <option value="" selected={form.release.is_none()}>{ "The newest listed" }</option>
                    { for RELEASES.iter().filter(|r| r.os == form.os).map(|r| html! {
                        <option value={r.version} selected={form.release.as_ref().is_some_and(|v| v.to_string() == r.version)}>{ r.name }</option>
                    }) }
                </select>
                if let Some(message) = url_error("release") { <p class="error" role="alert">{ format!("Ignored from the link: {message}") }</p> }
            </div>
            <div class={classes!("field", url_error("platform").is_some().then_some("invalid"))}>
                <label for="field-platform">{ "Platform" }</label>
                <select id="field-platform" onchange={on_platform}>
                    <option value="" selected={form.platform.is_none()}>{ "None" }</option>
                    { for Platform::ALL.iter().map(|p| html! { <option value={p.name()} selected={form.platform == Some(*p)}>{ p.facts().title }</option> }) }
                </select>
                if let Some(message) = url_error("platform") { <p class="error" role="alert">{ format!("Ignored from the link: {message}") }</p> }
            </div>
            <div class="field checkbox">
                <input id="field-clamav" type="checkbox" checked={form.clamav} onchange={checkbox(Action::ClamAv)} />
                <label for="field-clamav">{ "ClamAV (clamd) runs on this server" }</label>
            </div>
            <div class="field checkbox">
                <input id="field-reload" type="checkbox" checked={form.concurrent_reload} disabled={!form.clamav} onchange={checkbox(Action::ConcurrentReload)} />
                <label for="field-reload">{ "clamd reloads its database concurrently (ConcurrentDatabaseReload yes)" }</label>
            </div>
            if let Some(message) = url_error("clamav").or_else(|| url_error("reload")) { <p class="error" role="alert">{ format!("Ignored from the link: {message}") }</p> }
            <div class={classes!("field", url_error("method").is_some().then_some("invalid"))}>
                <label for="field-method">{ "Postfix method" }</label>
                <select id="field-method" onchange={on_method}>
                    <option value="master-cf" selected={form.method == PostfixMethod::MasterCf}>{ "master.cf maxproc" }</option>
                    <option value="main-cf" selected={form.method == PostfixMethod::MainCf}>{ "main.cf destination concurrency limit" }</option>
                </select>
                if let Some(message) = url_error("method") { <p class="error" role="alert">{ format!("Ignored from the link: {message}") }</p> }
            </div>
            { text(TextField::Cpus, "unknown".to_owned(), format!("Bounds the recommendation at {CHILDREN_PER_CPU} per CPU")) }
            { text(TextField::Service, DEFAULT_SERVICE.to_owned(), "The master.cf service main.cf's content_filter names".to_owned()) }
            <details>
                <summary>{ "Memory assumptions" }</summary>
                { text(TextField::PerChild, mib(DEFAULT_PER_CHILD), String::new()) }
                { text(TextField::Clamd, mib(DEFAULT_CLAMD), "Doubled during a concurrent reload".to_owned()) }
                { text(TextField::AmavisdParent, mib(DEFAULT_AMAVISD_PARENT), String::new()) }
                { text(TextField::Reserve, mib(DEFAULT_RESERVE), String::new()) }
                { text(TextField::Headroom, DEFAULT_HEADROOM_PERCENT.to_string(), String::new()) }
            </details>
        </form>
    }
}
