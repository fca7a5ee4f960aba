use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub(crate) struct Props {
    pub(crate) id: AttrValue,
    pub(crate) label: AttrValue,
    pub(crate) value: AttrValue,
    pub(crate) placeholder: AttrValue,
    pub(crate) onchange: Callback<String>,
}

/// A labelled text area for one configuration file, with a picker that loads a local file into it
/// (read in the browser, never uploaded). The text is only ever shown as text.
#[component]
pub(crate) fn ConfigArea(props: &Props) -> Html {
    let oninput = {
        let onchange = props.onchange.clone();
        Callback::from(move |event: InputEvent| {
            let area: web_sys::HtmlTextAreaElement = event.target_unchecked_into();
            onchange.emit(area.value());
        })
    };
    let onpick = {
        let onchange = props.onchange.clone();
        Callback::from(move |event: Event| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                let onchange = onchange.clone();
                crate::browser::read_file(file, move |text| onchange.emit(text));
            }
        })
    };
    html! {
        <div class="field area">
            <label for={props.id.clone()}>{ props.label.clone() }</label>
            <textarea id={props.id.clone()} rows="8" spellcheck="false" wrap="off" value={props.value.clone()}
                placeholder={props.placeholder.clone()} {oninput} />
            <input type="file" aria-label={format!("Load {} from a file", props.label)} onchange={onpick} />
        </div>
    }
}
