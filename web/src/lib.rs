//! amavis-tune's calculator: the browser face of the same core as the CLI.
//!
//! Everything it shows comes from `amavis_tune_core::plan`; the page only gathers inputs and
//! presents the result (ARCHITECTURE.md, "the UI never repeats arithmetic").

mod browser;
mod components;
pub mod inputs;
pub mod line_diff;
pub mod query;
pub mod state;

pub use components::app::App;

/// The id of the element the calculator mounts into; without one it takes the body.
pub const MOUNT_ID: &str = "amavis-tune";

/// Renders the calculator into `#amavis-tune`, or into the body when the page has no such element.
pub fn mount() {
    let element = browser::element_by_id(MOUNT_ID);
    match element {
        Some(element) => yew::Renderer::<App>::with_root(element).render(),
        None => yew::Renderer::<App>::new().render(),
    };
}
