use amavis_tune_core::Snippet;
use yew::prelude::*;

use super::copy_button::CopyButton;

#[derive(Properties, PartialEq)]
pub(crate) struct Props {
    pub(crate) snippet: Snippet,
    /// Offered for pasting (a copy button, the one-line command); not where a platform writes
    /// the file.
    #[prop_or(true)]
    pub(crate) paste: bool,
}

/// One file: its path, where the text goes, the exact text and a copy button. The header (how it
/// was made, how to reproduce it) is shown muted; the lines to paste stand out. Where a platform
/// generates the file, the text only shows what it will write: no copy button, no command.
#[component]
pub(crate) fn SnippetCard(props: &Props) -> Html {
    let snippet = &props.snippet;
    let kind = snippet.file.as_str();
    html! {
        <article class="card snippet" data-file={kind}>
            <header>
                <h2><code class="path">{ snippet.path.clone() }</code></h2>
                if props.paste {
                    <CopyButton text={AttrValue::from(snippet.text())} label={AttrValue::from(snippet.path.clone())} />
                }
            </header>
            <p class="placement">{ snippet.placement.clone() }</p>
            <pre class="content" tabindex="0"><code><span class="snippet-header">{ snippet.header.clone() }</span><span class="paste">{ snippet.content.clone() }</span></code></pre>
            if let Some(command) = snippet.command.as_ref().filter(|_| props.paste) {
                <p class="command">{ "Or run: " }<code>{ command.clone() }</code></p>
            }
        </article>
    }
}
