use yew::prelude::*;

use crate::state::{Action, TextField};

#[derive(Properties, PartialEq)]
pub(crate) struct Props {
    pub(crate) field: TextField,
    pub(crate) label: AttrValue,
    pub(crate) value: AttrValue,
    #[prop_or_default]
    pub(crate) placeholder: AttrValue,
    #[prop_or_default]
    pub(crate) hint: AttrValue,
    pub(crate) error: Option<AttrValue>,
    pub(crate) dispatch: UseReducerDispatcher<crate::state::Form>,
}

/// A labelled text input that dispatches on every keystroke and shows its own error inline.
#[component]
pub(crate) fn TextInput(props: &Props) -> Html {
    let id = format!("field-{}", props.field.key());
    let error_id = format!("{id}-error");
    let oninput = {
        let dispatch = props.dispatch.clone();
        let field = props.field;
        Callback::from(move |event: InputEvent| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            dispatch.dispatch(Action::Text(field, input.value()));
        })
    };
    html! {
        <div class={classes!("field", props.error.is_some().then_some("invalid"))}>
            <label for={id.clone()}>{ props.label.clone() }</label>
            <input id={id} type="text" inputmode="decimal" autocomplete="off" spellcheck="false"
                value={props.value.clone()} placeholder={props.placeholder.clone()} {oninput}
                aria-invalid={props.error.is_some().to_string()}
                aria-describedby={props.error.as_ref().map(|_| error_id.clone())} />
            if !props.hint.is_empty() { <small class="hint">{ props.hint.clone() }</small> }
            if let Some(error) = &props.error { <p class="error" id={error_id} role="alert">{ error.clone() }</p> }
        </div>
    }
}
