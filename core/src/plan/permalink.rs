//! Permalinks: the inputs of a plan as a URL query (`?v=1&ram=8G&os=debian...`), with the same
//! value syntax as the CLI flags, and back. The query names the memory model version, so that a
//! link opened after the model changes can say what changed (see [`crate::model::versions`]).

use thiserror::Error;

use crate::inputs::concurrency::Concurrency;
use crate::inputs::cpus::Cpus;
use crate::inputs::method::PostfixMethod;
use crate::inputs::os::Os;
use crate::inputs::release::OsVersion;
use crate::inputs::service_name::{DEFAULT_SERVICE, ServiceName};
use crate::inputs::size::{MiB, parse_size};
use crate::inputs::{ClamAv, HeadroomPercent, Inputs};
use crate::model::memory::MODEL_VERSION;

/// Where the web calculator lives unless the user names another copy of it (`--base-url`; the
/// page uses its own address).
pub const DEFAULT_BASE_URL: &str = "https://amavis-tune.github.io/amavis-tune/";

/// Every key a permalink may carry, in the order [`to_query`] writes them.
pub const KEYS: [&str; 16] = [
    "v",
    "ram",
    "concurrency",
    "os",
    "release",
    "clamav",
    "reload",
    "max-threads",
    "method",
    "service",
    "cpus",
    "per-child",
    "clamd",
    "amavisd-parent",
    "reserve",
    "headroom",
];

/// The inputs a link names, and the model version it was made with (`None`: a link from before
/// links carried one, or typed by hand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub model_version: Option<u32>,
    pub inputs: Inputs,
    /// `platform=zimbra`, as written: the caller reads it (`Platform`'s `FromStr`), so that
    /// `plan` does not import the platforms, which import `plan`.
    pub platform: Option<String>,
}

/// Why a link could not be read: what, where, and what would be valid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LinkError {
    #[error(
        "the link has no query (nothing after `?`); a permalink looks like {DEFAULT_BASE_URL}?v={MODEL_VERSION}&ram=8G&os=debian"
    )]
    NoQuery,
    #[error("the link does not name the RAM (`ram=`, e.g. ram=8G)")]
    NoRam,
    #[error("in the link, `{key}={value}`: {reason}")]
    Value { key: String, value: String, reason: String },
    #[error("the link has an unknown key `{key}`; the keys are {}, platform", KEYS.join(", "))]
    UnknownKey { key: String },
}

/// A size the way a person writes it: whole GiB as `8G`, anything else in MiB (`4608M`).
pub fn size_text(size: MiB) -> String {
    if size.0.is_multiple_of(1024) { format!("{}G", size.0 / 1024) } else { format!("{}M", size.0) }
}

/// The query (without `?`) that reproduces `inputs`: the model version, the inputs a reader wants
/// to see (RAM, OS, ClamAV, method) always, the rest only when they are not the default.
pub fn to_query(inputs: &Inputs) -> String {
    write_query(&values(inputs))
}

/// The query for `inputs` with the values a form holds as typed in place of the ones of the keys
/// it names (valid or not, so that the link keeps what the user wrote; trimmed, and left out when
/// empty, except the RAM, which a link always names).
pub fn to_query_as_typed(inputs: &Inputs, typed: &[(&str, &str)]) -> String {
    let from_inputs = values(inputs);
    let values: Vec<(&'static str, String)> = KEYS[1..]
        .iter()
        .filter_map(|&key| match typed.iter().find(|(typed_key, _)| *typed_key == key) {
            Some((_, text)) => {
                let text = text.trim();
                (!text.is_empty() || key == "ram").then(|| (key, text.to_owned()))
            }
            None => from_inputs.iter().find(|(k, _)| *k == key).cloned(),
        })
        .collect();
    write_query(&values)
}

/// The values that reproduce `inputs`, by key, in [`KEYS`] order (the model version aside).
fn values(inputs: &Inputs) -> Vec<(&'static str, String)> {
    let mut pairs: Vec<(&'static str, String)> = vec![("ram", size_text(inputs.ram))];
    if let Some(n) = inputs.concurrency {
        pairs.push(("concurrency", n.to_string()));
    }
    pairs.push(("os", inputs.os.name().to_owned()));
    if let Some(version) = &inputs.os_version {
        pairs.push(("release", version.to_string()));
    }
    pairs.push(("clamav", on_off(matches!(inputs.clamav, ClamAv::On { .. })).to_owned()));
    if inputs.clamav == (ClamAv::On { concurrent_reload: false }) {
        pairs.push(("reload", "off".to_owned()));
    }
    if let Some(threads) = inputs.clamd_max_threads {
        pairs.push(("max-threads", threads.to_string()));
    }
    pairs.push(("method", inputs.method.name().to_owned()));
    if inputs.service.as_str() != DEFAULT_SERVICE {
        pairs.push(("service", inputs.service.as_str().to_owned()));
    }
    if let Some(cpus) = inputs.cpus {
        pairs.push(("cpus", cpus.get().to_string()));
    }
    let overrides = &inputs.overrides;
    for (key, size) in [
        ("per-child", overrides.per_child),
        ("clamd", overrides.clamd),
        ("amavisd-parent", overrides.amavisd_parent),
        ("reserve", overrides.reserve),
    ] {
        if let Some(size) = size {
            pairs.push((key, size_text(size)));
        }
    }
    if let Some(headroom) = overrides.headroom_percent {
        pairs.push(("headroom", headroom.get().to_string()));
    }
    pairs
}

/// The one writer of the query syntax: the current model version, then each value encoded.
fn write_query(values: &[(&str, String)]) -> String {
    std::iter::once(format!("v={MODEL_VERSION}"))
        .chain(values.iter().map(|(key, value)| format!("{key}={}", encode(value))))
        .collect::<Vec<_>>()
        .join("&")
}

/// The pairs of a query (without its `?`), in order, each value decoded; empty pairs are
/// skipped, and a key without `=` has an empty value.
pub fn query_pairs(query: &str) -> impl Iterator<Item = (&str, String)> {
    query.split('&').filter(|pair| !pair.is_empty()).map(|pair| {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        (key, decode(raw))
    })
}

/// `base_url` with the query for `inputs`; any query or fragment already on `base_url` is dropped.
pub fn permalink(base_url: &str, inputs: &Inputs) -> String {
    let base = base_url.split(['?', '#']).next().unwrap_or_default();
    format!("{base}?{}", to_query(inputs))
}

/// Reads a link back: a full URL, a bare query, or any text holding one (a snippet header pasted
/// whole: the first `http://` or `https://` URL with a query is used).
pub fn parse_link(text: &str) -> Result<Link, LinkError> {
    let query = find_query(text).ok_or(LinkError::NoQuery)?;
    let mut ram = None;
    let mut model_version = None;
    let mut inputs = Inputs::new(MiB(1), Os::Debian);
    let mut clamav = true;
    let mut reload = true;
    let mut platform = None;
    for (key, value) in query_pairs(query) {
        let bad = |reason: String| LinkError::Value { key: key.to_owned(), value: value.clone(), reason };
        let text_error = |e: &dyn std::fmt::Display| bad(e.to_string());
        match key {
            "v" => {
                model_version = Some(value.parse::<u32>().map_err(|_| {
                    bad(format!("the model version is a whole number (this amavis-tune's is {MODEL_VERSION})"))
                })?);
            }
            "ram" => ram = Some(parse_size(&value).map_err(|e| text_error(&e))?),
            "concurrency" => inputs.concurrency = Some(value.parse::<Concurrency>().map_err(|e| text_error(&e))?),
            "os" => inputs.os = value.parse::<Os>().map_err(|e| text_error(&e))?,
            "release" => inputs.os_version = Some(value.parse::<OsVersion>().map_err(|e| text_error(&e))?),
            "clamav" => clamav = parse_on_off(&value).ok_or_else(|| bad("use on or off".to_owned()))?,
            "reload" => reload = parse_on_off(&value).ok_or_else(|| bad("use on or off".to_owned()))?,
            "max-threads" => {
                inputs.clamd_max_threads = Some(
                    value
                        .parse::<u32>()
                        .ok()
                        .filter(|&t| t > 0)
                        .ok_or_else(|| bad("clamd's MaxThreads is a whole number above 0".to_owned()))?,
                )
            }
            "method" => {
                inputs.method =
                    PostfixMethod::from_name(&value).ok_or_else(|| bad(format!("use {}", PostfixMethod::NAMES)))?
            }
            "service" => inputs.service = value.parse::<ServiceName>().map_err(|e| text_error(&e))?,
            "cpus" => inputs.cpus = Some(value.parse::<Cpus>().map_err(|e| text_error(&e))?),
            "per-child" | "clamd" | "amavisd-parent" | "reserve" => {
                let size = Some(parse_size(&value).map_err(|e| text_error(&e))?);
                let overrides = &mut inputs.overrides;
                match key {
                    "per-child" => overrides.per_child = size,
                    "clamd" => overrides.clamd = size,
                    "amavisd-parent" => overrides.amavisd_parent = size,
                    _ => overrides.reserve = size,
                }
            }
            "headroom" => {
                inputs.overrides.headroom_percent = Some(value.parse::<HeadroomPercent>().map_err(|e| text_error(&e))?)
            }
            "platform" => platform = Some(value.clone()),
            _ => return Err(LinkError::UnknownKey { key: key.to_owned() }),
        }
    }
    inputs.ram = ram.ok_or(LinkError::NoRam)?;
    inputs.clamav = if clamav { ClamAv::On { concurrent_reload: reload } } else { ClamAv::Off };
    Ok(Link { model_version, inputs, platform })
}

/// The query part of `text`: after the `?` of the first URL, or `text` itself when it is a bare
/// query; up to a `#`, whitespace or a quote.
fn find_query<'a>(text: &'a str) -> Option<&'a str> {
    let start = ["https://", "http://"].iter().filter_map(|scheme| text.find(scheme)).min();
    let rest = match start {
        Some(at) => {
            let url = &text[at..];
            let end = url.find(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '<' | '>')).unwrap_or(url.len());
            let url = &url[..end];
            &url[url.find('?')? + 1..]
        }
        None => {
            // The query alone, or a header's `--from-url '?v=...'` among other words.
            let unquote = |t: &'a str| t.trim_matches(|c| matches!(c, '\'' | '"'));
            let mut words = text.split_whitespace().map(unquote);
            let token = match words.clone().find(|t| t.starts_with('?')) {
                Some(token) => token,
                None => words.next().filter(|_| words.next().is_none())?,
            };
            let token = token.strip_prefix('?').unwrap_or(token);
            if token.is_empty() || !token.contains('=') {
                return None;
            }
            token
        }
    };
    Some(rest.split('#').next().unwrap_or_default())
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

/// `on`/`off` and their usual spellings.
pub fn parse_on_off(value: &str) -> Option<bool> {
    match value {
        "on" | "yes" | "true" | "1" => Some(true),
        "off" | "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(char::from(byte)),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Decodes `%XX` and `+`; a `%` not followed by two hex digits stays as it is, and bytes that are
/// not UTF-8 become U+FFFD.
pub fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|b| char::from(*b).to_digit(16));
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests;
