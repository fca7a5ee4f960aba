//! Tidy checks: the README's usage examples and JSON tables stay in step with the binary.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use amavis_tune_tests::{Run, copy_tree, workspace_root};
use serde_json::Value;

/// The README's lines, numbered from 1 as an editor shows them.
fn readme() -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(workspace_root().join("README.md")).expect("reads README.md");
    text.lines().enumerate().map(|(index, line)| (index + 1, line.to_owned())).collect()
}

/// The lines of the section under `heading` (up to the next heading of the same or a higher level).
fn section(readme: &[(usize, String)], heading: &str) -> Vec<(usize, String)> {
    let level = heading.len() - heading.trim_start_matches('#').len();
    let start =
        readme.iter().position(|(_, line)| line == heading).unwrap_or_else(|| panic!("README.md has no `{heading}`"));
    readme[start + 1..]
        .iter()
        .take_while(|(_, line)| {
            let hashes = line.len() - line.trim_start_matches('#').len();
            !(hashes > 0 && hashes <= level && line[hashes..].starts_with(' '))
        })
        .cloned()
        .collect()
}

/// Shell words of one example line: single quotes kept together, a `#` comment and a `>`
/// redirection (and what follows) dropped.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_quotes = false;
    let mut started = false;
    for c in line.chars() {
        match c {
            '\'' => {
                in_quotes = !in_quotes;
                started = true;
            }
            c if in_quotes => word.push(c),
            ' ' | '\t' => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            '#' | '>' if !started => break,
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// Whether `help` names `flag` (as itself, not as the start of a longer flag).
fn help_names(help: &str, flag: &str) -> bool {
    help.match_indices(flag).any(|(at, _)| {
        let next = help[at + flag.len()..].chars().next();
        !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

/// `amavis-tune [SUBCOMMAND] --help`, once per subcommand.
fn help_of(cache: &mut BTreeMap<String, String>, subcommand: &str) -> String {
    cache
        .entry(subcommand.to_owned())
        .or_insert_with(|| {
            let mut args: Vec<&str> = subcommand.split_whitespace().collect();
            args.push("--help");
            let outcome = Run::new(args).run();
            assert_eq!(outcome.code, 0, "amavis-tune {subcommand} --help: {}", outcome.stderr);
            outcome.stdout
        })
        .clone()
}

/// Every `amavis-tune ...` line of the Usage block parses: each subcommand and flag is in the
/// binary's help, and clap accepts the line as written (run with nothing written: `apply` and
/// `restore --backup` get `--dry-run`, redirections are dropped). The flag table's flags are in
/// `plan --help`.
pub(crate) fn readme_usage_examples_parse() {
    let readme = readme();
    let usage = section(&readme, "## Usage");
    let mut help = BTreeMap::new();
    let top_help = help_of(&mut help, "");
    let mut examples = 0;
    for (number, line) in usage.iter().take_while(|(_, line)| !line.starts_with("| ")) {
        if !line.starts_with("amavis-tune ") {
            continue;
        }
        examples += 1;
        let words = shell_words(line);
        let subcommand = words.get(1).filter(|word| !word.starts_with('-')).cloned().unwrap_or_default();
        if !subcommand.is_empty() {
            assert!(
                top_help.lines().any(|l| l.trim_start().starts_with(&format!("{subcommand} "))),
                "README.md:{number}: `{line}`: there is no subcommand `{subcommand}` in `amavis-tune --help`"
            );
        }
        let sub_help = help_of(&mut help, &subcommand);
        for flag in words.iter().filter(|word| word.starts_with("--")) {
            let flag = flag.split('=').next().unwrap_or_default();
            assert!(
                help_names(&sub_help, flag),
                "README.md:{number}: `{line}`: {flag} is not in `amavis-tune {subcommand} --help`"
            );
        }
        let mut args = words[1..].to_vec();
        let writes = subcommand == "apply" || (subcommand == "restore" && args.iter().any(|a| a == "--backup"));
        if writes && !args.iter().any(|a| a == "--dry-run") {
            args.push("--dry-run".to_owned());
        }
        let outcome = Run::new(&args).run();
        assert!(
            !outcome.stderr.contains("For more information, try"),
            "README.md:{number}: `{line}`: clap rejects it:\n{}",
            outcome.stderr
        );
    }
    assert!(examples >= 10, "README.md: the Usage block lost its examples ({examples} found)");

    // The flag table below the examples: every flag it names is one of `plan`'s.
    let plan_help = help_of(&mut help, "plan");
    for (number, line) in usage.iter().filter(|(_, line)| line.starts_with("| `--")) {
        for flag in backticked(line).iter().flat_map(|item| item.split_whitespace()).filter(|w| w.starts_with("--")) {
            let flag = flag.split(['=', '\\']).next().unwrap_or_default();
            assert!(
                help_names(&plan_help, flag),
                "README.md:{number}: the flag table's {flag} is not in `amavis-tune plan --help`"
            );
        }
    }
}

/// The text between each pair of backticks.
fn backticked(text: &str) -> Vec<String> {
    text.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

/// A table row's cells (`\|` is a pipe inside a cell).
fn cells(row: &str) -> Vec<String> {
    let row = row.trim().trim_start_matches('|').trim_end_matches('|').replace("\\|", "\u{0}");
    row.split('|').map(|cell| cell.trim().replace('\u{0}', "|")).collect()
}

/// The keys of `{a, b: [{c, d}], e}` at its top level, each with the keys of an object list.
fn braced_keys(spec: &str) -> BTreeMap<String, BTreeSet<String>> {
    let inner = spec
        .trim()
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or_else(|| panic!("not `{{...}}`: {spec}"));
    let mut keys = BTreeMap::new();
    let (mut depth, mut start) = (0, 0);
    let mut parts = Vec::new();
    for (at, c) in inner.char_indices() {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    for part in parts {
        let (key, nested) = part.split_once(':').unwrap_or((part, ""));
        let nested = nested.trim().trim_start_matches('[').trim_end_matches(']');
        let nested = if nested.starts_with('{') { braced_keys(nested).into_keys().collect() } else { BTreeSet::new() };
        keys.insert(key.trim().to_owned(), nested);
    }
    keys
}

/// A key the README documents for a JSON output, with its line, and for a list of objects the
/// fields of each (`{code, message}`).
#[derive(Debug)]
struct Documented {
    line: usize,
    key: String,
    fields: BTreeSet<String>,
}

/// The value at a dotted path (`postfix.cap`).
fn at<'a>(json: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(json, |value, key| value.get(key))
}

/// `amavis-tune ARGS` (then `path`) as JSON.
fn json_of(args: &[&str], path: Option<&Path>) -> Value {
    let run = Run::new(args);
    let outcome = match path {
        Some(path) => run.run_with_arg(path),
        None => run.run(),
    };
    serde_json::from_str(&outcome.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}{}", outcome.stdout, outcome.stderr))
}

/// Compares one documented object (`keys`, with the README line of each) with the real output:
/// every documented key is there, every top-level key of the output is documented, and lists of
/// objects have the documented fields.
fn compare(what: &str, json: &Value, keys: &[Documented], table_line: usize) {
    for Documented { line: number, key, fields } in keys {
        let value = at(json, key)
            .unwrap_or_else(|| panic!("README.md:{number}: `{key}` is documented for {what}, which has no such key"));
        if fields.is_empty() {
            continue;
        }
        let element = value
            .as_array()
            .and_then(|list| list.first())
            .unwrap_or_else(|| panic!("README.md:{number}: `{key}` of {what} is not a non-empty list to compare with"));
        let real: BTreeSet<String> = element.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
        assert_eq!(
            &real, fields,
            "README.md:{number}: the fields of `{key}` in {what} (left: the output, right: the README)"
        );
    }
    let documented: BTreeSet<&str> =
        keys.iter().map(|documented| documented.key.split('.').next().unwrap_or_default()).collect();
    for key in json.as_object().expect("an object").keys() {
        assert!(
            documented.contains(key.as_str()),
            "README.md:{table_line}: {what} prints `{key}`, which the README's table for it (from that line) does not document"
        );
    }
}

/// The "JSON output" tables (plan and check) and apply's `{...}` summary match what the binary
/// prints with `--format json` on fixtures.
pub(crate) fn readme_json_tables_match_the_output() {
    let readme = readme();
    let trees = workspace_root().join("tests/fixtures/trees");
    let scratch = tempfile::tempdir().expect("tempdir");
    let log = scratch.path().join("mail.log");
    std::fs::write(&log, "Dec  2 07:00:01 mx postfix/smtp[1]: Q1: to=<a@x.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n")
        .expect("writes a log");
    let outputs: BTreeMap<&str, Value> = BTreeMap::from([
        // One delivery, to have an hour in the timeline.
        ("logs", json_of(&["logs", "--ram", "8G", "--log-date", "2026-12-02", "--format", "json"], Some(&log))),
        // Warnings, and a list of steps, to compare the fields of; the log, for the observed load.
        (
            "plan",
            json_of(
                &["plan", "--ram", "2G", "--concurrency", "12", "--os", "debian", "--format", "json", "--logs"],
                Some(&log),
            ),
        ),
        // A watch of a fake amavisd: 3 children working, 2 connections waiting.
        ("measure --watch", {
            let titles =
                ["/usr/sbin/amavisd (ch3-4101-07)", "/usr/sbin/amavisd (ch1-idle)", "/usr/sbin/amavisd (ch2-avail)"];
            crate::measure::fake_amavisd(scratch.path(), &titles, 2);
            json_of(&["measure", "--watch", "1s", "--format", "json", "--sysroot"], Some(scratch.path()))
        }),
        // A mismatch, to have findings, fed by a proxy filter, to have proxy services; the log.
        (
            "check",
            json_of(
                &["check", "--format", "json", "--logs", &log.display().to_string(), "--root"],
                Some(&trees.join("modoboa-debian-proxy-filter")),
            ),
        ),
    ]);

    // Each table follows the sentence naming its command: "`amavis-tune plan --format json` prints".
    let json_section = section(&readme, "## JSON output");
    let mut tables: Vec<(&str, usize, Vec<Documented>)> = Vec::new();
    for (number, line) in &json_section {
        if let Some(command) = outputs.keys().find(|c| line.contains(&format!("`amavis-tune {c} --format json`"))) {
            tables.push((command, *number, Vec::new()));
            continue;
        }
        let Some((_, _, keys)) = tables.last_mut() else { continue };
        if !line.starts_with("| `") {
            continue;
        }
        let row = cells(line);
        // `..._source` after `postfix.destination_concurrency_limit` abbreviates that key.
        let mut base = String::new();
        for key in backticked(&row[0]) {
            let key = match key.strip_prefix("...") {
                Some(suffix) => format!("{base}{suffix}"),
                None => {
                    base.clone_from(&key);
                    key
                }
            };
            let fields = if row.get(1).is_some_and(|t| t == "list") {
                backticked(row.get(2).map_or("", String::as_str))
                    .first()
                    .filter(|spec| spec.starts_with('{'))
                    .map(|spec| braced_keys(spec).into_keys().collect())
                    .unwrap_or_default()
            } else {
                BTreeSet::new()
            };
            keys.push(Documented { line: *number, key, fields });
        }
    }
    let commands: BTreeSet<&str> = tables.iter().map(|(command, _, _)| *command).collect();
    assert_eq!(commands, outputs.keys().copied().collect(), "README.md: a table of \"JSON output\" went missing");
    for (command, line, keys) in &tables {
        compare(&format!("`amavis-tune {command} --format json`"), &outputs[command], keys, *line);
    }

    // apply's JSON, summarised in its section: "`--format json` prints `{applied, ...}`".
    let apply_section = section(&readme, "## Changing both sides: `apply`");
    let (number, summary) = apply_section
        .windows(2)
        .find_map(|pair| {
            let joined = format!("{} {}", pair[0].1, pair[1].1);
            let after = joined.split("`--format json`").nth(1)?;
            let spec = backticked(after).into_iter().find(|item| item.starts_with('{'))?;
            Some((pair[0].0, spec))
        })
        .expect("README.md: the apply section summarises its `--format json` output as `{...}`");
    let scratch = tempfile::tempdir().expect("tempdir");
    copy_tree(&trees.join("debian-default-mismatch"), scratch.path());
    let apply =
        json_of(&["apply", "--concurrency", "6", "--dry-run", "--format", "json", "--root"], Some(scratch.path()));
    let documented = braced_keys(&summary);
    let real: BTreeSet<&String> = apply.as_object().expect("an object").keys().collect();
    assert_eq!(
        real,
        documented.keys().collect(),
        "README.md:{number}: `amavis-tune apply --format json` prints other keys (left) than the README says (right)"
    );
    let keys: Vec<Documented> =
        documented.into_iter().map(|(key, fields)| Documented { line: number, key, fields }).collect();
    compare("`amavis-tune apply --format json`", &apply, &keys, number);
}

/// The README's release table is the release table's data, as `plan --format json` prints it
/// for each release, row for row.
pub(crate) fn readme_release_table_matches_the_data() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("reads README.md");
    let table: Vec<&str> = readme
        .lines()
        .skip_while(|line| !line.starts_with("<!-- release table:"))
        .skip(3)
        .take_while(|line| line.starts_with('|'))
        .collect();
    let expected: Vec<String> = amavis_tune_core::RELEASES
        .iter()
        .map(|release| {
            let outcome = Run::new(["plan", "--ram", "8G", "--os", release.id, "--format", "json"]).run();
            let plan: Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
            let facts = &plan["release"]["facts"];
            let text = |key: &str| facts[key].as_str().unwrap_or_default().to_owned();
            let validation = plan["steps"]
                .as_array()
                .and_then(|steps| steps.iter().find(|step| step["kind"] == "validate"))
                .and_then(|step| step["command"].as_str())
                .unwrap_or_default()
                .to_owned();
            let log = &facts["mail_log"];
            let log = if log["kind"] == "file" {
                format!("`{}`", log["path"].as_str().unwrap_or_default())
            } else {
                format!("journal: `{}`", log["command"].as_str().unwrap_or_default())
            };
            let master = &facts["master"];
            let master = match (master["pid-file"].as_str(), master["unit"].as_str(), master["title"].as_str()) {
                (Some(path), ..) => format!("`{path}`"),
                (None, Some(unit), _) => format!("no pid file: `{unit}.service`'s main process"),
                (None, None, title) => {
                    format!("no pid file known: the oldest `{} (master)`", title.unwrap_or_default())
                }
            };
            let unconfirmed: Vec<&str> = facts["unconfirmed"]
                .as_array()
                .map(|facts| facts.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let unconfirmed = if unconfirmed.is_empty() { "-".to_owned() } else { unconfirmed.join("; ") };
            format!(
                "| `{}` | {} | `{}` ({}) | `{}` | `{validation}` | {master} | `{}` | `{}` | {log} | {unconfirmed} |",
                text("id"),
                text("name"),
                text("amavis_package"),
                text("amavis_version"),
                text("amavisd_program"),
                text("amavis_conf"),
                text("amavis_reload"),
            )
        })
        .collect();
    assert_eq!(table, expected, "README.md's release table differs from the data (`plan --os ID --format json`)");
}
