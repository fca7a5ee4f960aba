//! The form in the URL query string (`?v=1&ram=8G&concurrency=10&os=debian`): core's permalink
//! writer and reader, so that a link the page makes and one the CLI prints are the same syntax,
//! keys and order. The form keeps its free-text fields as typed, valid or not.

use amavis_tune_core::{Os, OsVersion, Platform, PostfixMethod, parse_on_off, query_pairs, to_query_as_typed};

use crate::state::{Form, TextField};

/// What a query string gives: the form, a message for each value that could not be used
/// (`(key, message)`), and the model version the link was made with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FromQuery {
    pub form: Form,
    pub errors: Vec<(String, String)>,
    pub model_version: Option<u32>,
}

/// The query string for a form (without `?`): core's query for the inputs the form gives, with
/// the free-text fields as typed, and the platform last (`platform=zimbra`, which
/// `plan --from-url` reads).
pub fn to_query(form: &Form) -> String {
    let (inputs, _) = crate::inputs::inputs(form);
    let typed: Vec<(&str, &str)> = TextField::ALL.iter().map(|field| (field.key(), field.get(form))).collect();
    let query = to_query_as_typed(&inputs, &typed);
    match form.platform {
        Some(platform) => query + "&platform=" + platform.name(),
        None => query,
    }
}

/// The form a query string describes. Unknown keys are ignored; free-text fields keep what was
/// given, so their own errors show at the field.
pub fn from_query(query: &str) -> FromQuery {
    let mut out = FromQuery::default();
    let form = &mut out.form;
    for (key, value) in query_pairs(query.trim_start_matches('?')) {
        match key {
            "v" => match value.parse::<u32>() {
                Ok(version) => out.model_version = Some(version),
                Err(_) => out.errors.push((key.to_owned(), format!("invalid model version `{value}`"))),
            },
            "os" => match value.parse::<Os>() {
                Ok(os) => form.os = os,
                Err(e) => out.errors.push((key.to_owned(), e.to_string())),
            },
            "release" => match value.parse::<OsVersion>() {
                Ok(release) => form.release = Some(release),
                Err(e) => out.errors.push((key.to_owned(), e.to_string())),
            },
            "clamav" | "reload" => match parse_on_off(&value) {
                Some(on) if key == "clamav" => form.clamav = on,
                Some(on) => form.concurrent_reload = on,
                None => out.errors.push((key.to_owned(), format!("invalid {key} `{value}`: use on or off"))),
            },
            "platform" => match value.parse::<Platform>() {
                Ok(platform) => form.platform = Some(platform),
                Err(e) => out.errors.push((key.to_owned(), e)),
            },
            "method" => match PostfixMethod::from_name(&value) {
                Some(method) => form.method = method,
                None => {
                    out.errors.push((key.to_owned(), format!("invalid method `{value}`: use {}", PostfixMethod::NAMES)))
                }
            },
            _ => {
                if let Some(field) = TextField::ALL.into_iter().find(|f| f.key() == key) {
                    field.set(form, value);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(query: &str, expect_query: &str, expect_errors: &[&str]) {
        let read = from_query(query);
        assert_eq!(to_query(&read.form), expect_query);
        let messages: Vec<&str> = read.errors.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(messages, expect_errors);
    }

    #[test]
    fn round_trips() {
        check("", "v=2&ram=8G&os=debian&clamav=on&method=master-cf", &[]);
        check(
            "?ram=8G&concurrency=10&os=debian",
            "v=2&ram=8G&concurrency=10&os=debian&clamav=on&method=master-cf",
            &[],
        );
        check(
            "v=2&ram=4.5G&os=rhel&clamav=on&reload=off&method=main-cf&cpus=4&per-child=150M",
            "v=2&ram=4.5G&os=rhel&clamav=on&reload=off&method=main-cf&cpus=4&per-child=150M",
            &[],
        );
        check("v=2&ram=8%20G&os=freebsd&clamav=off", "v=2&ram=8%20G&os=freebsd&clamav=off&method=master-cf", &[]);
        check(
            "os=windows&clamav=maybe&method=x&ram=%",
            "v=2&ram=%25&os=debian&clamav=on&method=master-cf",
            &[
                "invalid operating system `windows`: use one of debian, ubuntu, rhel, freebsd, openbsd, opensuse, gentoo, alpine",
                "invalid clamav `maybe`: use on or off",
                "invalid method `x`: use master-cf or main-cf",
            ],
        );
        check("v=2&ram=%zz&unknown=1", "v=2&ram=%25zz&os=debian&clamav=on&method=master-cf", &[]);
        check(
            "v=2&ram=8G&service=amavisfeed&headroom=5",
            "v=2&ram=8G&os=debian&clamav=on&method=master-cf&service=amavisfeed&headroom=5",
            &[],
        );
        check("v=x&ram=8G", "v=2&ram=8G&os=debian&clamav=on&method=master-cf", &["invalid model version `x`"]);
        check("ram=8G&platform=zimbra", "v=2&ram=8G&os=debian&clamav=on&method=master-cf&platform=zimbra", &[]);
        check(
            "ram=8G&platform=plesk",
            "v=2&ram=8G&os=debian&clamav=on&method=master-cf",
            &["unknown platform `plesk`; use zimbra, carbonio, univention"],
        );
    }

    #[test]
    fn the_model_version_is_kept() {
        assert_eq!(from_query("v=0&ram=8G").model_version, Some(0));
        assert_eq!(from_query("ram=8G").model_version, None);
    }

    /// A link the CLI prints (`plan --permalink`) opens on the page with the same inputs.
    #[test]
    fn cli_permalinks_open_on_the_page() {
        use amavis_tune_core::{ClamAv, Concurrency, Cpus, Inputs, MiB, to_query as core_query};
        let mut inputs = Inputs::new(MiB(4608), Os::Rhel);
        inputs.concurrency = Concurrency::new(7).ok();
        inputs.clamav = ClamAv::On { concurrent_reload: false };
        inputs.method = PostfixMethod::MainCf;
        inputs.cpus = Cpus::new(4).ok();
        inputs.service = "amavisfeed".parse().unwrap_or_default();
        inputs.overrides.per_child = Some(MiB(150));
        let read = from_query(&core_query(&inputs));
        assert!(read.errors.is_empty());
        assert_eq!(crate::inputs::inputs(&read.form), (inputs, Vec::new()));
    }
}
