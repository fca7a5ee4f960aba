use amavis_tune_core::{
    AMAVISD_DEFAULT_MAX_SERVERS, ApplyOptions, Concurrency, ConfigSet, DEFAULT_SERVICE, Report, apply, check,
    method_in_force,
};
use yew::prelude::*;

use super::config_area::ConfigArea;
use super::patched_file::PatchedFile;

/// The pasted files, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Pasted {
    master_cf: String,
    main_cf: String,
    amavis: String,
    amavis_name: String,
    concurrency: String,
}

/// "Check my config": paste master.cf, main.cf and the amavisd file that sets `$max_servers`;
/// see the same report as `amavis-tune check`, and the files patched to a chosen N.
#[component]
pub(crate) fn CheckView() -> Html {
    let pasted = use_state(|| Pasted { amavis_name: "50-user".to_owned(), ..Pasted::default() });
    let setter = |edit: fn(&mut Pasted, String)| super::text_setter(&pasted, edit);
    let on_name = {
        let pasted = pasted.clone();
        Callback::from(move |event: InputEvent| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            let mut next = (*pasted).clone();
            next.amavis_name = input.value();
            pasted.set(next);
        })
    };
    let on_n = {
        let pasted = pasted.clone();
        Callback::from(move |event: InputEvent| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            let mut next = (*pasted).clone();
            next.concurrency = input.value();
            pasted.set(next);
        })
    };
    let amavis_name = if pasted.amavis_name.trim().is_empty() {
        "amavisd.conf".to_owned()
    } else {
        pasted.amavis_name.trim().to_owned()
    };
    let config = ConfigSet::from_texts(
        ("master.cf", pasted.master_cf.as_bytes()),
        ("main.cf", pasted.main_cf.as_bytes()),
        [(amavis_name.as_str(), pasted.amavis.as_bytes())],
    );
    let empty = pasted.master_cf.is_empty() && pasted.main_cf.is_empty() && pasted.amavis.is_empty();
    // A verdict needs all three files: until then, say which are missing, not "mismatch".
    let missing: Vec<&str> = [
        (pasted.master_cf.trim().is_empty(), "master.cf"),
        (pasted.main_cf.trim().is_empty(), "main.cf"),
        (pasted.amavis.trim().is_empty(), "the amavisd config"),
    ]
    .into_iter()
    .filter_map(|(missing, name)| missing.then_some(name))
    .collect();
    let report = check(&config);
    let n_text = if pasted.concurrency.trim().is_empty() {
        report.suggested.map(|n| n.to_string()).unwrap_or_default()
    } else {
        pasted.concurrency.trim().to_owned()
    };
    let patched = match n_text.parse::<Concurrency>() {
        Ok(n) => Some(
            apply(
                &config,
                // The method in force in the pasted files, as `amavis-tune apply` chooses it.
                &ApplyOptions { concurrency: n, method: method_in_force(&config), amavis_local_override: None },
            )
            .map_err(|r| r.to_string()),
        ),
        Err(e) => Some(Err(e.to_string())),
    };
    html! {
        <div class="check-view">
            <div class="columns">
                <form class="inputs" aria-label="Configuration files" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                    <ConfigArea id="paste-master-cf" label="master.cf" value={AttrValue::from(pasted.master_cf.clone())} placeholder={format!("{DEFAULT_SERVICE} unix - - n - {AMAVISD_DEFAULT_MAX_SERVERS} smtp")} onchange={setter(|p, v| p.master_cf = v)} />
                    <ConfigArea id="paste-main-cf" label="main.cf" value={AttrValue::from(pasted.main_cf.clone())} placeholder="content_filter = smtp-amavis:[127.0.0.1]:10024" onchange={setter(|p, v| p.main_cf = v)} />
                    <div class="field">
                        <label for="paste-amavis-name">{ "Name of the amavisd file that sets $max_servers" }</label>
                        <input id="paste-amavis-name" type="text" value={pasted.amavis_name.clone()} oninput={on_name} />
                    </div>
                    <ConfigArea id="paste-amavis" label="amavisd config" value={AttrValue::from(pasted.amavis.clone())} placeholder={format!("$max_servers = {AMAVISD_DEFAULT_MAX_SERVERS};")} onchange={setter(|p, v| p.amavis = v)} />
                    <p class="hint">{ "Nothing leaves this page: the files are read and checked in your browser." }</p>
                </form>
                <section class="output" id="check-result" aria-label="Check result" aria-live="polite">
                    if empty {
                        <p class="note">{ "Paste your master.cf, main.cf and the amavisd file that sets $max_servers (on Debian and Ubuntu, /etc/amavis/conf.d/50-user or a file read after it)." }</p>
                    } else if !missing.is_empty() {
                        <p class="status incomplete" id="check-status" data-status="incomplete">{ "Status: incomplete" }</p>
                        <p class="note" id="check-missing">{ format!("Paste {} too: the check compares both sides, so it needs all three files.", missing.join(" and ")) }</p>
                    } else {
                        { report_view(&report) }
                        <div class="field">
                            <label for="patch-n">{ "Make both sides run at" }</label>
                            <input id="patch-n" type="text" inputmode="numeric" value={pasted.concurrency.clone()} placeholder={n_text.clone()} oninput={on_n} />
                        </div>
                        { match patched {
                            Some(Ok(changes)) if changes.files.is_empty() => html! { <p class="note" id="patch-none">{ format!("Both sides already run at {n_text}: nothing to change.") }</p> },
                            Some(Ok(changes)) => html! { <>{ for changes.files.iter().map(|f| html! { <PatchedFile change={f.clone()} /> }) }</> },
                            Some(Err(message)) => html! { <p class="error" id="patch-refused" role="alert">{ message }</p> },
                            None => html! {},
                        } }
                    }
                </section>
            </div>
        </div>
    }
}

fn report_view(report: &Report) -> Html {
    let status = report.status.as_str();
    let amavis = report.amavis.max_servers.map_or("?".to_owned(), |n| n.to_string());
    let amavis_source =
        report.amavis.source.as_ref().map_or("amavisd's built-in default".to_owned(), |l| l.to_string());
    let postfix = report.postfix.effective.map_or("unlimited or unknown".to_owned(), |n| n.to_string());
    let postfix_source = report.postfix.maxproc_source.as_ref().map_or(String::new(), |l| l.to_string());
    html! {
        <section class="summary check-report" aria-label="Check">
            <p class={classes!("status", status)} id="check-status" data-status={status}>{ format!("Status: {status}") }</p>
            <table>
                <tbody>
                    <tr><th scope="row">{ "amavisd $max_servers" }</th><td id="check-amavis">{ amavis }</td><td>{ amavis_source }</td></tr>
                    <tr><th scope="row">{ postfix_label(report) }</th><td id="check-postfix">{ postfix }</td><td>{ postfix_source }</td></tr>
                </tbody>
            </table>
            <ul class="findings" id="findings">
                { for report.findings.iter().map(|f| {
                    let severity = f.severity.as_str();
                    let location = match (&f.path, f.line) { (Some(p), Some(l)) => format!("{p}:{l}"), (Some(p), None) => p.clone(), _ => String::new() };
                    html! {
                        <li class={classes!("finding", severity)} data-code={f.code.as_str()} data-severity={severity}>
                            <strong>{ format!("{severity}[{}]", f.code.as_str()) }</strong>{ " " }<span class="location">{ location }</span>{ " " }
                            <span class="message">{ f.message.clone() }</span>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}

/// "Postfix smtp-amavis (maxproc 2)", leaving out what the files do not say.
fn postfix_label(report: &Report) -> String {
    let mut label = "Postfix".to_owned();
    if let Some(service) = report.postfix.service.as_deref().filter(|s| !s.is_empty()) {
        label.push(' ');
        label.push_str(service);
    }
    if let Some(maxproc) = report.postfix.maxproc.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        label.push_str(&format!(" (maxproc {maxproc})"));
    }
    label
}
