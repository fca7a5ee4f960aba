use yew::prelude::*;

use super::check_view::CheckView;
use super::logs_view::LogsView;
use crate::browser;
use crate::view::View;

/// The second module's views: "Check my config" and "From my logs", shown as the URL fragment
/// selects them. Both stay mounted (hidden when not selected), so what was pasted survives a
/// visit to the calculator.
#[component]
pub fn CheckModule() -> Html {
    let view = use_state(|| View::from_hash(&browser::hash()));
    {
        let view = view.clone();
        use_effect_with((), move |()| {
            let listener = browser::on_hash_change(move |hash| view.set(View::from_hash(&hash)));
            move || drop(listener)
        });
    }
    html! {
        <>
            <div class="view-check" hidden={*view != View::Check}><CheckView /></div>
            <div class="view-logs" hidden={*view != View::Logs}><LogsView /></div>
        </>
    }
}
