//! One function component per file.

pub(crate) mod app;
pub(crate) mod budget_chart;
pub(crate) mod check_module;
pub(crate) mod check_view;
pub(crate) mod config_area;
pub(crate) mod copy_button;
pub(crate) mod footer;
pub(crate) mod form_panel;
pub(crate) mod logs_view;
pub(crate) mod patched_file;
pub(crate) mod snippet_card;
pub(crate) mod steps_list;
pub(crate) mod summary;
pub(crate) mod text_field;

#[cfg(test)]
mod ssr_tests;

/// A callback that sets one field of a state of pasted texts (`edit` writes the new text into a
/// copy, which becomes the state).
pub(crate) fn text_setter<T: Clone + 'static>(
    state: &yew::UseStateHandle<T>,
    edit: fn(&mut T, String),
) -> yew::Callback<String> {
    let state = state.clone();
    yew::Callback::from(move |value: String| {
        let mut next = (*state).clone();
        edit(&mut next, value);
        state.set(next);
    })
}
