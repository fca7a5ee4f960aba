use super::*;
use crate::plan::plan;

fn link(text: &str) -> String {
    match parse_link(text) {
        Ok(link) => format!("v={:?} {}", link.model_version, to_query(&link.inputs)),
        Err(error) => error.to_string(),
    }
}

#[test]
fn links_read_back() {
    let cases = [
        ("https://x.example/calc/?v=1&ram=8G&os=debian", "v=Some(1) v=2&ram=8G&os=debian&clamav=on&method=master-cf"),
        (
            "ram=4.5G&os=rhel&clamav=on&reload=off&method=main-cf&cpus=4&per-child=150M",
            "v=None v=2&ram=4608M&os=rhel&clamav=on&reload=off&method=main-cf&cpus=4&per-child=150M",
        ),
        ("?ram=8%20G&clamav=off&reload=off", "v=None v=2&ram=8G&os=debian&clamav=off&method=master-cf"),
        (
            "# Reproduce: https://a.example/?v=7&ram=2G&concurrency=5&service=amavisfeed&headroom=20&clamd=1.5G&reserve=2G&amavisd-parent=200M#top\n#   more",
            "v=Some(7) v=2&ram=2G&concurrency=5&os=debian&clamav=on&method=master-cf&service=amavisfeed&clamd=1536M&amavisd-parent=200M&reserve=2G&headroom=20",
        ),
        ("'https://a.example/?ram=1T&os=openbsd'", "v=None v=2&ram=1024G&os=openbsd&clamav=on&method=master-cf"),
        // A header's first line: the command with the query alone.
        (
            "# Reproduce: amavis-tune plan --from-url '?v=2&ram=8G&os=ubuntu&cpus=4'",
            "v=Some(2) v=2&ram=8G&os=ubuntu&clamav=on&method=master-cf&cpus=4",
        ),
        ("'ram=2G'", "v=None v=2&ram=2G&os=debian&clamav=on&method=master-cf"),
        (
            "https://a.example/",
            "the link has no query (nothing after `?`); a permalink looks like https://amavis-tune.github.io/amavis-tune/?v=2&ram=8G&os=debian",
        ),
        (
            "hello world",
            "the link has no query (nothing after `?`); a permalink looks like https://amavis-tune.github.io/amavis-tune/?v=2&ram=8G&os=debian",
        ),
        // The platform is the caller's to read (the CLI refuses an unknown one).
        ("?ram=8G&platform=sharepoint", "v=None v=2&ram=8G&os=debian&clamav=on&method=master-cf"),
        ("?os=debian", "the link does not name the RAM (`ram=`, e.g. ram=8G)"),
        ("?ram=8X", "in the link, `ram=8X`: invalid size `8X`: unknown unit `X`"),
        (
            "?ram=8G&concurrency=1",
            "in the link, `concurrency=1`: invalid concurrency `1`: with $max_servers = 1 amavisd does not fork, exits after $max_requests messages and the service stops; use a whole number from 2 to 10000",
        ),
        ("?ram=8G&v=x", "in the link, `v=x`: the model version is a whole number (this amavis-tune's is 2)"),
        ("?ram=8G&method=both", "in the link, `method=both`: use master-cf or main-cf"),
        ("?ram=8G&clamav=maybe", "in the link, `clamav=maybe`: use on or off"),
        (
            "?ram=8G&colour=red",
            "the link has an unknown key `colour`; the keys are v, ram, concurrency, os, release, clamav, reload, max-threads, method, service, cpus, per-child, clamd, amavisd-parent, reserve, headroom, platform",
        ),
        (
            "?ram=8G&service=a%20b",
            "in the link, `service=a b`: invalid service name `a b`: it contains ' '; a Postfix service name uses only letters, digits, `-`, `_` and `.`",
        ),
        ("?ram=%zz", "in the link, `ram=%zz`: invalid size `%zz`: it does not start with a number"),
        (
            "?ram=8G&cpus=%FF",
            "in the link, `cpus=\u{fffd}`: invalid CPU count `\u{fffd}`: use a whole number from 1 to 4096",
        ),
    ];
    for (text, expect) in cases {
        assert_eq!(link(text), expect, "link: {text}");
    }
}

#[test]
fn encoding_round_trips() {
    for text in ["", "8 G", "a&b=c", "%", "100%", "ü", "+", "~._-"] {
        assert_eq!(decode(&encode(text)), text);
    }
    assert_eq!(decode("%4"), "%4");
    assert_eq!(decode("%"), "%");
    assert_eq!(decode("a+b"), "a b");
}

proptest::proptest! {
    /// Any inputs survive the trip through a permalink, and give the same plan.
    #[test]
    fn permalinks_reproduce_the_plan(inputs in crate::plan::tests::arbitrary_inputs()) {
        let url = permalink("https://calc.example/amavis/?old=1#x", &inputs);
        let start = format!("https://calc.example/amavis/?v={}&ram=", crate::model::memory::MODEL_VERSION);
        proptest::prop_assert!(url.starts_with(&start));
        let link = parse_link(&url).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
        proptest::prop_assert_eq!(link.model_version, Some(crate::model::memory::MODEL_VERSION));
        proptest::prop_assert_eq!(&link.inputs, &inputs);
        let plan = plan(&inputs);
        proptest::prop_assert_eq!(&plan, &crate::plan::plan(&link.inputs));
        // The header of every snippet carries the same link.
        let from_header = parse_link(&plan.snippets[0].header).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
        proptest::prop_assert_eq!(from_header.inputs, inputs);
    }
}

/// A form's values as typed replace those of the inputs, kept as written; the rest come from
/// the inputs, in the same order as any link.
#[test]
fn queries_as_typed() {
    #[track_caller]
    fn check(typed: &[(&str, &str)], expect: &str) {
        let mut inputs = Inputs::new(MiB::from_gib(8), Os::Rhel);
        inputs.clamav = ClamAv::On { concurrent_reload: false };
        inputs.cpus = Cpus::new(4).ok();
        assert_eq!(to_query_as_typed(&inputs, typed), expect);
    }
    check(&[], "v=2&ram=8G&os=rhel&clamav=on&reload=off&method=master-cf&cpus=4");
    check(&[("ram", " 4.5G "), ("cpus", "")], "v=2&ram=4.5G&os=rhel&clamav=on&reload=off&method=master-cf");
    check(
        &[("ram", ""), ("headroom", "x"), ("service", "a b")],
        "v=2&ram=&os=rhel&clamav=on&reload=off&method=master-cf&service=a%20b&cpus=4&headroom=x",
    );
}

#[test]
fn query_pairs_decode_each_value() {
    let pairs: Vec<(&str, String)> = query_pairs("a=1&&b&c=%20x+y&=z").collect();
    let expect = [("a", "1"), ("b", ""), ("c", " x y"), ("", "z")].map(|(k, v)| (k, v.to_owned()));
    assert_eq!(pairs, expect);
}
