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

/// Reads a file the user picked, locally (nothing is uploaded), and hands its text to `done`.
pub(crate) fn read_file(file: web_sys::File, done: impl FnOnce(String) + 'static) {
    let promise = file.text();
    wasm_bindgen_futures::spawn_local(async move {
        if let Ok(text) = wasm_bindgen_futures::JsFuture::from(promise).await {
            done(text.as_string().unwrap_or_default());
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

/// The URL fragment (`#check` selects the check view).
pub(crate) fn hash() -> String {
    window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

pub(crate) fn set_hash(hash: &str) {
    let Some(window) = window() else { return };
    let location = window.location();
    let url = format!("{}{}{}", location.pathname().unwrap_or_default(), location.search().unwrap_or_default(), hash);
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}
