use amavis_tune_core::Snippet;
use yew::prelude::*;

use super::copy_button::CopyButton;

#[derive(Properties, PartialEq)]
pub(crate) struct Props {
    pub(crate) snippet: Snippet,
}

/// One file: its path, where the text goes, the exact text and a copy button.
#[component]
pub(crate) fn SnippetCard(props: &Props) -> Html {
    let snippet = &props.snippet;
    let kind = snippet.file.as_str();
    html! {
        <article class="card snippet" data-file={kind}>
            <header>
                <h2><code class="path">{ snippet.path.clone() }</code></h2>
                <CopyButton text={AttrValue::from(snippet.text())} label={AttrValue::from(snippet.path.clone())} />
            </header>
            <p class="placement">{ snippet.placement.clone() }</p>
            <pre class="content"><code><span class="snippet-header">{ snippet.header.clone() }</span>{ snippet.content.clone() }</code></pre>
            if let Some(command) = &snippet.command {
                <p class="command">{ "Or run: " }<code>{ command.clone() }</code></p>
            }
        </article>
    }
}
