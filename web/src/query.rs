//! The form in the URL query string (`?ram=8G&concurrency=10&os=debian`), with the same value
//! syntax as the CLI flags, so that a link reproduces the exact result.

use amavis_tune_core::{Os, PostfixMethod};

use crate::state::{Form, TextField};

/// The query string for a form (without `?`): the values that matter, defaults included for the
/// ones a reader of the link wants to see (RAM, OS, ClamAV, method).
pub fn to_query(form: &Form) -> String {
    let mut pairs: Vec<(&str, String)> = vec![("ram", form.ram.trim().to_owned())];
    if !form.concurrency.trim().is_empty() {
        pairs.push(("concurrency", form.concurrency.trim().to_owned()));
    }
    pairs.push(("os", form.os.name().to_owned()));
    pairs.push(("clamav", on_off(form.clamav).to_owned()));
    if form.clamav && !form.concurrent_reload {
        pairs.push(("reload", "off".to_owned()));
    }
    pairs.push(("method", form.method.name().to_owned()));
    for field in TextField::ALL.into_iter().skip(2) {
        let value = field.get(form).trim();
        if !value.is_empty() {
            pairs.push((field.key(), value.to_owned()));
        }
    }
    pairs.iter().map(|(key, value)| format!("{key}={}", encode(value))).collect::<Vec<_>>().join("&")
}

/// The form a query string describes, and a message for each value that could not be used
/// (`(key, message)`). Unknown keys are ignored; free-text fields keep what was given, so their
/// own errors show at the field.
pub fn from_query(query: &str) -> (Form, Vec<(String, String)>) {
    let mut form = Form::default();
    let mut errors = Vec::new();
    for pair in query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = decode(value);
        match key {
            "os" => match value.parse::<Os>() {
                Ok(os) => form.os = os,
                Err(e) => errors.push((key.to_owned(), e.to_string())),
            },
            "clamav" | "reload" => match parse_on_off(&value) {
                Some(on) if key == "clamav" => form.clamav = on,
                Some(on) => form.concurrent_reload = on,
                None => errors.push((key.to_owned(), format!("invalid {key} `{value}`: use on or off"))),
            },
            "method" => match value.as_str() {
                "master-cf" => form.method = PostfixMethod::MasterCf,
                "main-cf" => form.method = PostfixMethod::MainCf,
                _ => errors.push((key.to_owned(), format!("invalid method `{value}`: use master-cf or main-cf"))),
            },
            _ => {
                if let Some(field) = TextField::ALL.into_iter().find(|f| f.key() == key) {
                    field.set(&mut form, value);
                }
            }
        }
    }
    (form, errors)
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

fn parse_on_off(value: &str) -> Option<bool> {
    match value {
        "on" | "yes" | "true" | "1" => Some(true),
        "off" | "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(query: &str, expect_query: &str, expect_errors: &[&str]) {
        let (form, errors) = from_query(query);
        assert_eq!(to_query(&form), expect_query);
        let messages: Vec<&str> = errors.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(messages, expect_errors);
    }

    #[test]
    fn round_trips() {
        check("", "ram=8G&os=debian&clamav=on&method=master-cf", &[]);
        check("?ram=8G&concurrency=10&os=debian", "ram=8G&concurrency=10&os=debian&clamav=on&method=master-cf", &[]);
        check(
            "ram=4.5G&os=rhel&clamav=on&reload=off&method=main-cf&cpus=4&per-child=150M",
            "ram=4.5G&os=rhel&clamav=on&reload=off&method=main-cf&cpus=4&per-child=150M",
            &[],
        );
        check("ram=8%20G&os=freebsd&clamav=off", "ram=8%20G&os=freebsd&clamav=off&method=master-cf", &[]);
        check(
            "os=windows&clamav=maybe&method=x&ram=%",
            "ram=%25&os=debian&clamav=on&method=master-cf",
            &[
                "invalid operating system `windows`: use one of debian, ubuntu, rhel, freebsd, openbsd",
                "invalid clamav `maybe`: use on or off",
                "invalid method `x`: use master-cf or main-cf",
            ],
        );
        check("ram=%zz&unknown=1", "ram=%25zz&os=debian&clamav=on&method=master-cf", &[]);
    }
}
