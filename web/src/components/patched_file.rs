use amavis_tune_core::FileChange;
use yew::prelude::*;

use super::copy_button::CopyButton;
use crate::line_diff::Line;

#[derive(Properties, PartialEq)]
pub(crate) struct Props {
    pub(crate) change: FileChange,
}

/// One patched file: the reasons, a line diff, the whole new text, copy and download.
#[component]
pub(crate) fn PatchedFile(props: &Props) -> Html {
    let change = &props.change;
    let new_text = String::from_utf8_lossy(&change.new).into_owned();
    let old_text = String::from_utf8_lossy(&change.original);
    let lines: Vec<Html> = crate::line_diff::diff(&old_text, &new_text)
        .into_iter()
        .map(|line| {
            let (class, text) = match line {
                Line::Same(l) => ("eq", format!(" {l}")),
                Line::Removed(l) => ("del", format!("-{l}")),
                Line::Added(l) => ("ins", format!("+{l}")),
                Line::Skipped(n) => ("hunk", format!("... {n} unchanged line(s)\n")),
            };
            let text = if text.ends_with('\n') { text } else { format!("{text}\n") };
            html! { <span class={class}>{ text }</span> }
        })
        .collect();
    let name = change.path.clone();
    let ondownload = {
        let text = new_text.clone();
        Callback::from(move |_| crate::browser::download(&name, &text))
    };
    html! {
        <article class="card patched" data-path={change.path.clone()}>
            <header>
                <h2><code>{ change.path.clone() }</code></h2>
                <div>
                    <CopyButton text={AttrValue::from(new_text.clone())} label={AttrValue::from(change.path.clone())} caption={AttrValue::from("Copy file")} />
                    <button type="button" class="copy" onclick={ondownload}>{ "Download" }</button>
                </div>
            </header>
            <ul class="reasons">{ for change.reasons.iter().map(|r| html! { <li>{ r.clone() }</li> }) }</ul>
            <pre class="diff" tabindex="0"><code>{ for lines }</code></pre>
            <details><summary>{ "The whole new file" }</summary><pre class="new-text" tabindex="0"><code>{ new_text }</code></pre></details>
        </article>
    }
}
