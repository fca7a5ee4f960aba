use yew::prelude::*;

/// The version, and the CLI for doing this on the server itself.
#[component]
pub(crate) fn Footer() -> Html {
    html! {
        <footer class="footer">
            <p>
                <span id="build-info">{ format!("amavis-tune {}. ", amavis_tune_core::build_info()) }</span>
                { "On the server itself, " }<code>{ "amavis-tune check" }</code>{ " reads your files and " }
                <code>{ "amavis-tune apply" }</code>{ " changes both sides safely: " }
                <a href="https://example.invalid/amavis-tune#quick-start">{ "install the command-line tool" }</a>{ "." }
            </p>
        </footer>
    }
}
