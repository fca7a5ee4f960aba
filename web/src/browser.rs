//! The few browser APIs the page uses: the URL query, localStorage, the clipboard. Each degrades
//! to doing nothing where the API is missing (server-side rendering, a locked-down browser).

use wasm_bindgen::JsCast;

const STORAGE_KEY: &str = "amavis-tune.query";

/// The browser window; none when rendering natively (server-side rendering, tests), where
/// wasm-bindgen's imports cannot be called.
fn window() -> Option<web_sys::Window> {
    if cfg!(target_arch = "wasm32") { web_sys::window() } else { None }
}

/// The current query string, without `?`.
pub(crate) fn query() -> String {
    window().and_then(|w| w.location().search().ok()).unwrap_or_default().trim_start_matches('?').to_owned()
}

/// Replaces the query string without reloading or adding a history entry, and remembers it.
pub(crate) fn set_query(query: &str) {
    let Some(window) = window() else { return };
    let path = window.location().pathname().unwrap_or_default();
    let hash = window.location().hash().unwrap_or_default();
    if let Ok(history) = window.history() {
        let _ =
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("{path}?{query}{hash}")));
    }
    if let Ok(Some(storage)) = window.local_storage() {
        let _ = storage.set_item(STORAGE_KEY, query);
    }
}

/// The query string saved by an earlier visit (used only when the URL has none).
pub(crate) fn saved_query() -> Option<String> {
    window()?.local_storage().ok()??.get_item(STORAGE_KEY).ok()?
}

/// A User Timing mark (`performance.mark`), which the benchmark reads: `amavis-tune:output`
/// when the generated config is first on the page.
pub(crate) fn mark(name: &str) {
    if let Some(performance) = window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

/// Today's date, `YYYY-MM-DD` in UTC, for the snippet headers.
pub(crate) fn today() -> Option<String> {
    window()?;
    let iso = String::from(js_sys::Date::new_0().to_iso_string());
    iso.get(..10).map(str::to_owned)
}

/// The page's address without its query (for the "copy link" button).
pub(crate) fn page_address() -> String {
    let Some(location) = window().map(|w| w.location()) else { return String::new() };
    format!("{}{}", location.origin().unwrap_or_default(), location.pathname().unwrap_or_default())
}

/// Copies `text`: the Clipboard API where there is one, else a selected hidden textarea and
/// `execCommand("copy")`. Calls `done(true)` when the text was copied.
pub(crate) fn copy(text: String, done: impl FnOnce(bool) + 'static) {
    let Some(window) = window() else { return done(false) };
    // `navigator.clipboard` is missing outside secure contexts: look before using it.
    let clipboard = js_sys::Reflect::get(&window.navigator(), &"clipboard".into()).ok().filter(|c| !c.is_undefined());
    if clipboard.is_some() {
        let promise = window.navigator().clipboard().write_text(&text);
        wasm_bindgen_futures::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(promise).await {
                Ok(_) => done(true),
                Err(_) => done(copy_with_textarea(&text)),
            }
        });
    } else {
        done(copy_with_textarea(&text));
    }
}

fn copy_with_textarea(text: &str) -> bool {
    let Some(document) = window().and_then(|w| w.document()) else { return false };
    let Ok(element) = document.create_element("textarea") else { return false };
    let Ok(area) = element.dyn_into::<web_sys::HtmlTextAreaElement>() else { return false };
    area.set_value(text);
    // A class, not a style attribute: the page's Content-Security-Policy forbids inline styles.
    area.set_class_name("amavis-tune-offscreen");
    let Some(body) = document.body() else { return false };
    if body.append_child(&area).is_err() {
        return false;
    }
    area.select();
    let copied = document.dyn_ref::<web_sys::HtmlDocument>().and_then(|d| d.exec_command("copy").ok()).unwrap_or(false);
    area.remove();
    copied
}

pub(crate) fn element_by_id(id: &str) -> Option<web_sys::Element> {
    window()?.document()?.get_element_by_id(id)
}

/// Reads a file the user picked, locally (nothing is uploaded), and hands its text to `done`
/// (nothing when it cannot be read as UTF-8 text).
pub(crate) fn read_file(file: web_sys::File, done: impl FnOnce(String) + 'static) {
    wasm_bindgen_futures::spawn_local(async move {
        if let Ok(text) = gloo_file::futures::read_as_text(&gloo_file::File::from(file)).await {
            done(text);
        }
    });
}

/// Offers `text` as a download named `name`.
pub(crate) fn download(name: &str, text: &str) {
    let Some(document) = window().and_then(|w| w.document()) else { return };
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Ok(anchor) =
        document.create_element("a").and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().map_err(Into::into))
    {
        anchor.set_href(&url);
        anchor.set_download(name);
        anchor.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// The URL fragment: `#check` and `#logs` select those views.
pub(crate) fn hash() -> String {
    window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// Calls `changed` with the new fragment each time it changes (a view link, back, forward),
/// until the returned listener is dropped.
pub(crate) fn on_hash_change(changed: impl Fn(String) + 'static) -> Option<gloo_events::EventListener> {
    let window = window()?;
    Some(gloo_events::EventListener::new(&window, "hashchange", move |_| changed(hash())))
}

/// Loads the second module (the check and log views) through the hook the page's loader script
/// defines, `globalThis.amavisTuneLoadCheck()`, and calls `done` with what happened: `Err` with a
/// message when the page has no loader or the module did not load.
pub(crate) fn load_check_module(done: impl FnOnce(Result<(), String>) + 'static) {
    if window().is_none() {
        return done(Err("no browser window".to_owned()));
    }
    let hook = js_sys::Reflect::get(&js_sys::global(), &"amavisTuneLoadCheck".into())
        .ok()
        .and_then(|hook| hook.dyn_into::<js_sys::Function>().ok());
    let Some(hook) = hook else {
        return done(Err("this page's loader script does not offer the check module".to_owned()));
    };
    let promise = match hook.call0(&wasm_bindgen::JsValue::UNDEFINED).map(js_sys::Promise::from) {
        Ok(promise) => promise,
        Err(error) => return done(Err(describe(&error))),
    };
    wasm_bindgen_futures::spawn_local(async move {
        done(wasm_bindgen_futures::JsFuture::from(promise).await.map(|_| ()).map_err(|e| describe(&e)));
    });
}

fn describe(error: &wasm_bindgen::JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}

/// Now, in microseconds since 1970 (the log view's reference date); none natively.
pub(crate) fn now_micros() -> Option<i64> {
    window()?;
    // Whole milliseconds, well inside i64 and f64's exact range.
    Some((js_sys::Date::now() as i64).saturating_mul(1000))
}

/// What was typed into the prerendered form before the module ran, as query pairs
/// (`ram=16G`, `clamav=off`): each field of `root` whose value differs from the one it was
/// rendered with. Fields are named by their id, `field-KEY`; the preset menu is not an input.
pub(crate) fn typed_before_start(root: &web_sys::Element) -> Vec<String> {
    let Ok(fields) = root.query_selector_all("[id^=\"field-\"]") else { return Vec::new() };
    let mut pairs = Vec::new();
    for index in 0..fields.length() {
        let Some(node) = fields.item(index) else { continue };
        let Some(element) = node.dyn_ref::<web_sys::Element>() else { continue };
        let key = element.id().trim_start_matches("field-").to_owned();
        if let Some(input) = element.dyn_ref::<web_sys::HtmlInputElement>() {
            if input.type_() == "checkbox" {
                if input.checked() != input.default_checked() {
                    pairs.push(format!("{key}={}", if input.checked() { "on" } else { "off" }));
                }
            } else if input.value() != input.default_value() {
                pairs.push(format!("{key}={}", input.value()));
            }
        } else if let Some(select) = element.dyn_ref::<web_sys::HtmlSelectElement>() {
            let options = select.options();
            let rendered = (0..options.length())
                .filter_map(|i| options.item(i)?.dyn_into::<web_sys::HtmlOptionElement>().ok())
                .find(web_sys::HtmlOptionElement::default_selected)
                .map(|option| option.value());
            if key != "preset" && rendered.is_some_and(|value| value != select.value()) {
                pairs.push(format!("{key}={}", select.value()));
            }
        }
    }
    pairs
}

/// The id of the focused element, if any.
pub(crate) fn focused_id() -> Option<String> {
    let id = window()?.document()?.active_element()?.id();
    (!id.is_empty()).then_some(id)
}

/// Focuses the element with this id, if there is one, with a text field's caret at its end.
pub(crate) fn focus(id: &str) {
    if let Some(element) = element_by_id(id).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = element.focus();
        if let Some(input) = element.dyn_ref::<web_sys::HtmlInputElement>().filter(|i| i.type_() == "text") {
            let end = input.value().encode_utf16().count() as u32;
            let _ = input.set_selection_range(end, end);
        }
    }
}
