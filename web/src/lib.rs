//! amavis-tune's calculator: the browser face of the same core as the CLI.
//!
//! Everything it shows comes from `amavis_tune_core`; the page only gathers inputs and presents
//! the result (ARCHITECTURE.md, "the UI never repeats arithmetic"). Two WebAssembly modules are
//! built from this crate: the calculator (`src/main.rs`, the first load) and the check and log
//! views (`src/bin/check.rs`), which the calculator loads when one of them is opened.

mod browser;
mod components;
pub mod inputs;
pub mod line_diff;
pub mod query;
pub mod state;
pub mod view;

pub use components::app::App;
pub use components::check_module::CheckModule;

/// The id of the element the calculator mounts into; without one it takes the body.
pub const MOUNT_ID: &str = "amavis-tune";

/// The attribute `index.html` marks its prerendered calculator with; the module removes it when
/// it replaces that HTML with its own render, so `#amavis-tune:not([data-prerendered])` is live.
pub const PRERENDERED: &str = "data-prerendered";

/// The id of the element (inside the calculator) the check module mounts into.
pub const CHECK_MOUNT_ID: &str = "amavis-tune-check";

/// Starts the calculator in `#amavis-tune` (or the body when the page has none). Where the page
/// holds the build's prerendered calculator (painted before any script ran, marked
/// [`PRERENDERED`]), it is replaced by the first render, which for a no-query visit is the same
/// page. It is not hydrated: Yew's hydration adds about 16 KB gzip to the module (README, "The web
/// calculator"). What was typed into the prerendered form before this ran is carried over through
/// the query, and the focus with it.
pub fn mount() {
    let Some(element) = browser::element_by_id(MOUNT_ID) else {
        yew::Renderer::<App>::new().render();
        return;
    };
    let mut focused = None;
    if element.first_element_child().is_some() {
        let typed = browser::typed_before_start(&element);
        if !typed.is_empty() {
            // The visit's own query, then what was typed (a later key wins).
            let query = format!("{}&{}", browser::query(), typed.join("&"));
            browser::set_query(&query::to_query(&query::from_query(&query).form));
        }
        focused = browser::focused_id();
        element.set_inner_html("");
        // What is in the element from now on is the module's own render.
        let _ = element.remove_attribute(PRERENDERED);
    }
    yew::Renderer::<App>::with_root(element).render();
    if let Some(id) = focused {
        // After the first render, which Yew runs as a task queued before this one.
        wasm_bindgen_futures::spawn_local(async move { browser::focus(&id) });
    }
}

/// Starts the check and log views in `#amavis-tune-check` (the calculator renders that element
/// before it loads this module).
pub fn mount_check() {
    if let Some(element) = browser::element_by_id(CHECK_MOUNT_ID) {
        yew::Renderer::<CheckModule>::with_root(element).render();
    }
}

/// The calculator as a no-query visit first renders it (the default inputs), as HTML for the
/// build to put into `index.html`, painted before any script runs.
#[cfg(feature = "prerender")]
pub async fn prerender() -> String {
    yew::LocalServerRenderer::<App>::new().render().await
}
