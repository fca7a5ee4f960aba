//! Differential tests: our reading of master.cf and main.cf against real Postfix (`postconf`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use amavis_tune_core::{MainCf, MasterCf};
use amavis_tune_tests::needs::Need;
use amavis_tune_tests::{fixture_trees, write_aged};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// `postconf -c DIR -F`: every master.cf field Postfix reads, keyed by `service/type`.
fn postconf_fields(postconf: &Path, dir: &Path) -> Result<BTreeMap<String, Vec<String>>, String> {
    let output = Command::new(postconf).arg("-c").arg(dir).arg("-F").output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!("postconf -F failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    let mut entries: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let (key, value) = line.split_once(" = ").unwrap_or((line.trim_end_matches(" ="), ""));
        let mut parts = key.rsplitn(2, '/');
        let field = parts.next().unwrap_or_default();
        let entry = parts.next().unwrap_or_default();
        if field == "service" {
            entries.entry(entry.to_owned()).or_default();
        }
        entries.entry(entry.to_owned()).or_default().push(value.to_owned());
    }
    Ok(entries)
}

/// Our fields in postconf's form: the seven columns, then the command with its arguments.
fn our_fields(doc: &MasterCf) -> BTreeMap<String, Vec<String>> {
    doc.entries
        .iter()
        .map(|entry| {
            let mut fields: Vec<String> = entry.fields[..7].iter().map(|f| f.text.clone()).collect();
            let command: Vec<String> = entry.fields[7..].iter().map(|f| normalise_brace(&f.text)).collect();
            fields.push(command.join(" "));
            (format!("{}/{}", entry.service(), entry.kind()), fields)
        })
        .collect()
}

/// postconf prints `{ name = value }` as `{name=value}`, and drops braces that protect nothing.
fn normalise_brace(text: &str) -> String {
    let Some(inner) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) else { return text.to_owned() };
    let inner = match inner.split_once('=') {
        Some((name, value)) => format!("{}={}", name.trim(), value.trim()),
        None => inner.trim().to_owned(),
    };
    if inner.contains([' ', '\t']) { format!("{{{inner}}}") } else { inner }
}

/// `postconf -c DIR name...`: the values Postfix reads, whitespace runs folded as postconf prints.
fn postconf_values(postconf: &Path, dir: &Path, names: &[&str]) -> Result<BTreeMap<String, String>, String> {
    let output = Command::new(postconf).arg("-c").arg(dir).args(names).output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!("postconf failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(" =")?;
            Some((name.to_owned(), fold(value)))
        })
        .collect())
}

fn fold(value: &str) -> String {
    value.split([' ', '\t', '\r', '\n']).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The main.cf parameters the generated files set (Postfix prints only parameters it knows).
const NAMES: &[&str] = &[
    "default_process_limit",
    "default_destination_concurrency_limit",
    "default_destination_recipient_limit",
    "content_filter",
    "myhostname",
    "relayhost",
    "smtp-amavis_destination_concurrency_limit",
    "smtp-amavis_destination_recipient_limit",
];

fn compare_main_cf(postconf: &Path, dir: &Path, text: &[u8]) -> Result<(), String> {
    let doc = MainCf::parse(text);
    let theirs = postconf_values(postconf, dir, NAMES)?;
    for name in NAMES {
        if let Some(ours) = doc.get(name) {
            let theirs = theirs.get(*name).ok_or_else(|| format!("postconf printed no {name}"))?;
            if &fold(&ours.value) != theirs {
                return Err(format!("{name}: ours {:?}, postconf {theirs:?}", ours.value));
            }
        }
    }
    Ok(())
}

pub(crate) fn fixtures_agree_with_postconf() {
    let postconf = Need::Postconf.path();
    let mut compared = 0;
    for tree in fixture_trees() {
        let dir = ["etc/postfix", "usr/local/etc/postfix", "opt/zimbra/common/conf", "opt/zextras/common/conf"]
            .iter()
            .map(|d| tree.join(d))
            .find(|d| d.is_dir())
            .expect("postfix dir");
        let master = std::fs::read(dir.join("master.cf")).expect("reads");
        let theirs = postconf_fields(&postconf, &dir).expect("postconf reads the fixture");
        assert_eq!(our_fields(&MasterCf::parse(&master)), theirs, "{}", tree.display());
        let main = std::fs::read(dir.join("main.cf")).expect("reads");
        compare_main_cf(&postconf, &dir, &main).unwrap_or_else(|e| panic!("{}: {e}", tree.display()));
        compared += 1;
    }
    assert_eq!(compared, fixture_trees().len());
}

fn whitespace() -> impl Strategy<Value = String> {
    prop_oneof![Just(" ".to_owned()), Just("\t".to_owned()), Just("   ".to_owned()), Just(" \t ".to_owned())]
}

/// Between two fields: spaces, or a line break into a continuation line, perhaps with comment and
/// blank lines in between.
fn separator() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => whitespace(),
        1 => (whitespace(), any::<bool>(), any::<bool>(), whitespace()).prop_map(|(before, comment, blank, indent)| {
            let mut s = before;
            s.push('\n');
            if comment {
                s.push_str("# a comment between continuation lines\n");
            }
            if blank {
                s.push_str("\n   \n");
            }
            s.push_str(&indent);
            s
        }),
    ]
}

fn option() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{1,12}=[a-z0-9_,.$]{0,10}".prop_map(|o| format!("-o {o}")),
        ("[a-z_]{1,10}", "[a-z0-9]{1,5}( [a-z0-9]{1,5}){0,2}").prop_map(|(n, v)| format!("-o {{ {n} = {v} }}")),
    ]
}

fn entry(index: usize) -> impl Strategy<Value = String> {
    let service = prop_oneof![
        Just(format!("svc{index}")),
        Just(format!("smtp-amavis{index}")),
        Just(format!("127.0.0.1:{}", 10025 + index)),
    ];
    let flag = || prop::sample::select(vec!["-", "y", "n"]);
    (
        service,
        prop::sample::select(vec!["unix", "inet", "pass", "fifo"]),
        (flag(), flag(), flag()),
        prop::sample::select(vec!["-", "0", "60", "1000?"]),
        prop_oneof![Just("-".to_owned()), "[0-9]{1,6}"],
        prop::sample::select(vec!["smtp", "smtpd", "lmtp", "pipe"]),
        prop::collection::vec(option(), 0..4),
        prop::collection::vec(separator(), 12),
    )
        .prop_map(|(service, kind, (private, unpriv, chroot), wakeup, maxproc, command, options, seps)| {
            let fields: Vec<String> = [
                service,
                kind.to_owned(),
                private.to_owned(),
                unpriv.to_owned(),
                chroot.to_owned(),
                wakeup.to_owned(),
                maxproc,
                command.to_owned(),
            ]
            .into_iter()
            .chain(options)
            .collect();
            let mut line = String::new();
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    line.push_str(&seps[i % seps.len()]);
                }
                line.push_str(field);
            }
            line
        })
}

fn master_cf() -> impl Strategy<Value = String> {
    (1usize..6).prop_flat_map(|count| {
        let entries: Vec<_> = (0..count).map(entry).collect();
        (
            entries,
            prop::collection::vec(
                prop::sample::select(vec!["", "# comment\n", "\n", "  \t\n", "#smtp inet n - y - - smtpd\n"]),
                count,
            ),
            any::<bool>(),
        )
            .prop_map(|(entries, gaps, crlf)| {
                let mut text = String::new();
                for (entry, gap) in entries.iter().zip(gaps) {
                    text.push_str(gap);
                    text.push_str(entry);
                    text.push('\n');
                }
                if crlf { text.replace('\n', "\r\n") } else { text }
            })
    })
}

fn main_cf_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,5}",
        Just("$mail_name".to_owned()),
        Just("smtp-amavis:[127.0.0.1]:10024".to_owned()),
        "[a-z.]{1,10}( [a-z.]{1,10}){0,3}",
        Just(String::new()),
    ]
}

fn main_cf() -> impl Strategy<Value = String> {
    let parameter = (
        prop::sample::select(NAMES.to_vec()),
        whitespace(),
        whitespace(),
        main_cf_value(),
        separator(),
        main_cf_value(),
        any::<bool>(),
        whitespace(),
    )
        .prop_map(|(name, before, after, value, sep, more, continued, trailing)| {
            let mut line = format!("{name}{before}={after}{value}");
            if continued && !more.is_empty() {
                line.push_str(&sep);
                line.push_str(&more);
            }
            line.push_str(&trailing);
            line
        });
    (
        prop::collection::vec(parameter, 1..8),
        prop::collection::vec(prop::sample::select(vec!["", "# comment\n", "\n"]), 8),
    )
        .prop_map(|(lines, gaps)| {
            lines.iter().zip(gaps.iter().cycle()).map(|(line, gap)| format!("{gap}{line}\n")).collect()
        })
}

/// The number of generated cases each differential test runs (README, "Running tests").
const GENERATED_CASES: u32 = 1500;

/// A runner for the generated cases: no failure files, bounded shrinking (each step runs postconf).
fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: GENERATED_CASES,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    })
}

pub(crate) fn generated_master_cf_agrees_with_postconf() {
    let postconf = Need::Postconf.path();
    let dir = tempfile::tempdir().expect("tempdir");
    write_aged(&dir.path().join("main.cf"), "myhostname = test.example.org\n");
    runner()
        .run(&master_cf(), |text| {
            write_aged(&dir.path().join("master.cf"), &text);
            let doc = MasterCf::parse(text.as_bytes());
            prop_assert_eq!(doc.render(), text.as_bytes());
            let theirs = postconf_fields(&postconf, dir.path()).map_err(TestCaseError::fail)?;
            prop_assert_eq!(our_fields(&doc), theirs, "master.cf:\n{}", text);
            Ok(())
        })
        .expect("our master.cf reading agrees with postconf");
}

pub(crate) fn generated_main_cf_agrees_with_postconf() {
    let postconf = Need::Postconf.path();
    let dir = tempfile::tempdir().expect("tempdir");
    // A smtp-amavis transport makes Postfix know `smtp-amavis_*` parameters.
    write_aged(&dir.path().join("master.cf"), "smtp-amavis unix - - n - 2 smtp\n");
    runner()
        .run(&main_cf(), |text| {
            write_aged(&dir.path().join("main.cf"), &text);
            let doc = MainCf::parse(text.as_bytes());
            prop_assert_eq!(doc.render(), text.as_bytes());
            compare_main_cf(&postconf, dir.path(), text.as_bytes())
                .map_err(|e| TestCaseError::fail(format!("{e}\nmain.cf:\n{text}")))?;
            Ok(())
        })
        .expect("our main.cf reading agrees with postconf");
}
