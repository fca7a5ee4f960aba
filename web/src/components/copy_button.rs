use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub(crate) struct Props {
    pub(crate) text: AttrValue,
    pub(crate) label: AttrValue,
    #[prop_or(AttrValue::Static("Copy"))]
    pub(crate) caption: AttrValue,
}

/// Copies `text`; its accessible name is the visible caption followed by `label` (what is
/// copied). Shows "Copied" (or "Copy failed") until the text changes or it is clicked again.
#[component]
pub(crate) fn CopyButton(props: &Props) -> Html {
    let state = use_state(|| None::<bool>);
    {
        let state = state.clone();
        use_effect_with(props.text.clone(), move |_| state.set(None));
    }
    let onclick = {
        let state = state.clone();
        let text = props.text.to_string();
        Callback::from(move |_| {
            let state = state.clone();
            crate::browser::copy(text.clone(), move |copied| state.set(Some(copied)));
        })
    };
    let caption = match *state {
        Some(true) => "Copied",
        Some(false) => "Copy failed: select the text",
        None => props.caption.as_str(),
    };
    html! {
        <button type="button" class={classes!("copy", state.is_some_and(|c| c).then_some("copied"))} {onclick}
            aria-label={format!("{caption} {}", props.label)}>{ caption }</button>
    }
}
