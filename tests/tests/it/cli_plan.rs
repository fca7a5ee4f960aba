//! `amavis-tune plan` as a process: golden text and JSON per OS and method.

use amavis_tune_core::Os;
use amavis_tune_tests::amavis_tune;

pub(crate) fn text_per_os() {
    for os in Os::ALL {
        let outcome = amavis_tune(&format!("plan --ram 8G --cpus 4 --os {os}"));
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        insta::assert_snapshot!(format!("text_{os}"), outcome.stdout);
    }
}

pub(crate) fn json_per_os() {
    for os in Os::ALL {
        let outcome = amavis_tune(&format!("plan --ram 16G --concurrency 12 --os {os} --format json"));
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
        insta::assert_json_snapshot!(format!("json_{os}"), json);
    }
}

pub(crate) fn text_variants() {
    for (name, args) in [
        ("main_cf", "plan --ram 8G --concurrency 8 --os debian --method main-cf"),
        ("exceeds_safe_max", "plan --ram 6G --concurrency 40 --force --cpus 2 --os debian"),
        ("does_not_fit", "plan --ram 2G --os debian"),
        ("no_clamav_overrides", "plan --ram 4G --os rhel --no-clamav --per-child 150M --reserve 2G --headroom 5"),
        ("no_concurrent_reload", "plan --ram 4G --os ubuntu --no-concurrent-reload --service amavisfeed"),
        ("above_destination_limit", "plan --ram 32G --concurrency 24 --os freebsd --no-clamav"),
    ] {
        let outcome = amavis_tune(args);
        assert_eq!(outcome.code, 0, "{args}: {}", outcome.stderr);
        insta::assert_snapshot!(format!("variant_{name}"), outcome.stdout, args);
    }
}

/// The JSON contract's keys (README, "JSON output"): present, typed, and both sides equal.
pub(crate) fn json_contract() {
    let outcome = amavis_tune("plan --ram 8G --concurrency 7 --os debian --format json");
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
    assert_eq!(json["max_servers"], 7);
    assert_eq!(json["maxproc"], 7);
    assert!(json["safe_max"].is_u64());
    assert!(json["memory"]["total_mib"].is_u64());
    assert!(json["memory"]["consumers"].as_array().is_some_and(|c| c.iter().all(|c| c["mib"].is_u64())));
    assert!(json["warnings"].as_array().is_some());
    let snippets = json["snippets"].as_array().expect("snippets");
    assert!(snippets.iter().all(|s| s["path"].is_string() && s["content"].is_string()));
    assert_eq!(snippets[0]["content"], "$max_servers = 7;\n");
    assert!(json["steps"].as_array().is_some_and(|s| s.iter().all(|s| s["command"].is_string())));
}

/// `plan` with no flags reads this machine: the quick start's first command.
pub(crate) fn no_flags_reads_this_machine() {
    let outcome = amavis_tune("plan");
    if cfg!(target_os = "linux") {
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        assert!(outcome.stdout.contains("(read from /proc/meminfo)"), "{}", outcome.stdout);
        assert!(outcome.stdout.contains("$max_servers = "), "{}", outcome.stdout);
    }
}

pub(crate) fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        let outcome = amavis_tune(&format!("completions {shell}"));
        assert_eq!(outcome.code, 0);
        assert!(outcome.stdout.contains("concurrency") && outcome.stdout.contains("no-clamav"), "{shell}");
    }
    // The version names the commit and the memory model.
    let version = amavis_tune("--version");
    assert_eq!(version.code, 0);
    let line = version.stdout.trim_end();
    let commit = line
        .strip_prefix("amavis-tune 0.1.0 (commit ")
        .and_then(|rest| rest.strip_suffix(", memory model 2)"))
        .unwrap_or_else(|| panic!("{line}"));
    assert!(commit == "unknown" || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())), "{line}");
    let man = amavis_tune("man");
    assert_eq!(man.code, 0);
    assert!(man.stdout.starts_with(".ie"), "{}", &man.stdout[..80.min(man.stdout.len())]);
    assert!(man.stdout.contains(".TH amavis-tune 1") && man.stdout.contains("\\-\\-concurrency"), "{}", man.stdout);
}

pub(crate) fn broken_pipe_is_not_an_error() {
    use std::io::Read;
    let mut child = std::process::Command::new(amavis_tune_tests::binary())
        .args(["man"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    drop(child.stdout.take());
    let status = child.wait().expect("waits");
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("reads");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Inside a container or a slice with a memory limit, the plan uses the limit, and says so.
pub(crate) fn cgroup_limits_are_honoured() {
    let sysroot = amavis_tune_tests::workspace_root().join("tests/fixtures/sysroot");
    for (name, ram, from, host) in [
        ("cgroup-v2", 6144, "/sys/fs/cgroup/docker/mailserver/memory.max", Some(15954)),
        ("cgroup-v1", 4096, "/sys/fs/cgroup/memory/docker/mailcow/memory.limit_in_bytes", Some(15954)),
        ("no-limit", 15954, "/proc/meminfo", None),
    ] {
        let outcome = amavis_tune_tests::Run::new(["plan", "--os", "debian", "--format", "json", "--sysroot"])
            .run_with_arg(sysroot.join(name));
        assert_eq!(outcome.code, 0, "{name}: {}", outcome.stderr);
        let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
        assert_eq!(json["inputs"]["ram_mib"], ram, "{name}");
        assert_eq!(json["sources"]["ram_from"], from, "{name}");
        assert_eq!(json["sources"]["host_ram_mib"], serde_json::json!(host), "{name}");
        let text =
            amavis_tune_tests::Run::new(["plan", "--os", "debian", "--sysroot"]).run_with_arg(sysroot.join(name));
        let first = text.stdout.lines().next().unwrap_or_default().to_owned();
        if host.is_some() {
            assert!(
                first.contains(&format!("(the memory limit of this cgroup, read from {from}; the host has 15954 MiB)")),
                "{first}"
            );
        } else {
            assert!(first.contains("(read from /proc/meminfo)"), "{first}");
        }
    }
}

/// On the server, with no ClamAV flag, the plan reads clamd's own config (the release's path)
/// for ConcurrentDatabaseReload and MaxThreads, and plans without ClamAV where clamd is not
/// installed; it says what it read and from where.
pub(crate) fn clamd_settings_come_from_the_server() {
    let base = amavis_tune_tests::workspace_root().join("tests/fixtures/sysroot/no-limit");
    let plan = |sysroot: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["plan", "--os", "debian:12", "--concurrency", "14"];
        args.extend_from_slice(extra);
        let json =
            amavis_tune_tests::Run::new(args.iter().chain(&["--format", "json", "--sysroot"])).run_with_arg(sysroot);
        assert_eq!(json.code, 0, "{}", json.stderr);
        let text = amavis_tune_tests::Run::new(args.iter().chain(&["--sysroot"])).run_with_arg(sysroot);
        (serde_json::from_str::<serde_json::Value>(&json.stdout).expect("valid JSON"), text.stdout)
    };
    let warning = |json: &serde_json::Value| {
        json["warnings"].as_array().expect("warnings").iter().find(|w| w["code"] == "clamd-max-threads").cloned()
    };

    // clamd.conf with the settings off their defaults (the first MaxThreads counts, as in clamd).
    let scratch = tempfile::tempdir().expect("tempdir");
    amavis_tune_tests::copy_tree(&base, scratch.path());
    std::fs::create_dir_all(scratch.path().join("etc/clamav")).expect("mkdir");
    std::fs::write(
        scratch.path().join("etc/clamav/clamd.conf"),
        "# clamd.conf\nLocalSocket /var/run/clamav/clamd.ctl\nMaxThreads 12\nMaxThreads 40\nConcurrentDatabaseReload no\n",
    )
    .expect("writes");
    let (json, text) = plan(scratch.path(), &[]);
    assert_eq!(json["inputs"]["clamav"], serde_json::json!({"enabled": true, "concurrent_reload": false}));
    assert_eq!(json["inputs"]["clamd_max_threads"], 12);
    assert_eq!(json["sources"]["clamd"]["conf"]["max_threads"]["line"], 3);
    let warned = warning(&json).expect("14 children are more than MaxThreads 12");
    assert!(
        warned["message"].as_str().unwrap_or_default().contains("(12, what this server's clamd runs with)"),
        "{warned}"
    );
    assert!(text.contains("clamd.conf: ConcurrentDatabaseReload no (line 5), MaxThreads 12 (line 3)."), "{text}");
    assert!(
        json["permalink"].as_str().unwrap_or_default().contains("reload=off&max-threads=12"),
        "{}",
        json["permalink"]
    );
    // A flag still decides over the file.
    let (json, _) = plan(scratch.path(), &["--clamav"]);
    assert_eq!(json["inputs"]["clamav"]["concurrent_reload"], true);
    assert!(json["sources"]["clamd"].is_null());

    // clamd installed with no config file: its defaults.
    let scratch = tempfile::tempdir().expect("tempdir");
    amavis_tune_tests::copy_tree(&base, scratch.path());
    std::fs::create_dir_all(scratch.path().join("usr/sbin")).expect("mkdir");
    std::fs::write(scratch.path().join("usr/sbin/clamd"), "").expect("writes");
    let (json, text) = plan(scratch.path(), &[]);
    assert_eq!(json["inputs"]["clamav"], serde_json::json!({"enabled": true, "concurrent_reload": true}));
    // clamd's compiled default (10), not the 12 Debian's package would have written into the
    // missing file.
    assert_eq!(json["inputs"]["clamd_max_threads"], 10);
    assert!(warning(&json).is_some_and(|w| {
        w["message"].as_str().unwrap_or_default().contains("(10, what this server's clamd runs with)")
    }));
    assert!(text.contains("clamd is installed but none of /etc/clamav/clamd.conf exists"), "{text}");

    // No clamd at all: no ClamAV in the budget, and the plan says so.
    let (json, text) = plan(&base, &[]);
    assert_eq!(json["inputs"]["clamav"]["enabled"], false);
    assert!(warning(&json).is_none());
    assert!(text.contains("clamd is not installed here"), "{text}");
}

/// Issue 27, item 10: `plan --brief` is one screen: the numbers and why, the warnings, one line
/// per side, then the commands (a Debian 12 plan, and FreeBSD 13's, whose commands are written
/// for csh).
pub(crate) fn brief() {
    for (name, args) in [
        ("debian12", "plan --brief --ram 8G --cpus 4 --os debian:12"),
        ("freebsd13_main_cf", "plan --brief --ram 4G --os freebsd:13 --method main-cf --concurrency 6"),
    ] {
        let outcome = amavis_tune(args);
        assert_eq!(outcome.code, 0, "{args}: {}", outcome.stderr);
        assert!(outcome.stdout.lines().count() <= 30, "{args}: more than a screen:\n{}", outcome.stdout);
        insta::assert_snapshot!(format!("brief_{name}"), outcome.stdout, args);
    }
}

/// The text after `flag`'s line in a help screen, up to the next flag.
fn help_of_flag<'a>(help: &'a str, flag: &str) -> &'a str {
    let at = help.find(&format!("      {flag} ")).unwrap_or_else(|| panic!("{flag} is not in the help"));
    let rest = &help[at + 6 + flag.len()..];
    rest.find("\n      --").map_or(rest, |end| &rest[..end])
}

/// The number after `(default ` in a flag's help.
fn help_default(help: &str, flag: &str) -> u64 {
    let text = help_of_flag(help, flag).split_whitespace().collect::<Vec<_>>().join(" ");
    let after = text.split_once("(default ").map(|(_, after)| after).unwrap_or_else(|| panic!("{flag}: {text}"));
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or_else(|_| panic!("{flag}: {text}"))
}

/// Issue 27 item 7: the defaults `--help` quotes are the ones a plan uses. Two public outputs
/// must agree: the help of `plan` (and `apply`, which shares the flags) and the assumptions and
/// budget that `plan --format json` reports when nothing is overridden.
pub(crate) fn help_quotes_the_model_s_defaults() {
    let json = amavis_tune("plan --ram 8G --os debian:12 --concurrency 4 --format json");
    assert_eq!(json.code, 0, "{}", json.stderr);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("valid JSON");
    let consumer = |id: &str| {
        json["memory"]["consumers"].as_array().expect("consumers").iter().find(|c| c["id"] == id).expect(id)["mib"]
            .as_u64()
            .expect("mib")
    };
    for command in ["plan", "apply"] {
        let help = amavis_tune(&format!("{command} --help"));
        assert_eq!(help.code, 0, "{}", help.stderr);
        let help = help.stdout;
        let per_child = help_default(&help, "--per-child");
        assert_eq!(per_child, json["assumptions"]["per_child_mib"], "{command}: --per-child");
        assert_eq!(consumer("amavisd-children"), 4 * per_child, "{command}: 4 children");
        let parent = help_default(&help, "--amavisd-parent");
        assert_eq!(parent, json["assumptions"]["amavisd_parent_mib"], "{command}: --amavisd-parent");
        assert_eq!(consumer("amavisd-parent"), parent, "{command}: --amavisd-parent");
        let clamd = help_default(&help, "--clamd");
        assert_eq!(clamd, json["assumptions"]["clamd_mib"], "{command}: --clamd");
        assert_eq!(consumer("clamd"), clamd, "{command}: --clamd");
        let reserve = help_default(&help, "--reserve");
        assert_eq!(reserve, json["assumptions"]["reserve_mib"], "{command}: --reserve");
        assert_eq!(consumer("reserve"), reserve, "{command}: --reserve");
        assert_eq!(help_default(&help, "--headroom"), json["assumptions"]["headroom_percent"], "{command}: --headroom");
    }
}

/// Every string a plan prints or serializes, but the release table's facts (package and path
/// names, which are data, not advice).
fn prose(json: &serde_json::Value, key: &str, out: &mut Vec<(String, String)>) {
    match json {
        serde_json::Value::String(text) => out.push((key.to_owned(), text.clone())),
        serde_json::Value::Array(items) => items.iter().for_each(|item| prose(item, key, out)),
        serde_json::Value::Object(map) => {
            for (name, value) in map.iter().filter(|(name, _)| name.as_str() != "release") {
                prose(value, name, out);
            }
        }
        _ => {}
    }
}

/// Issue 27 item 6: a plan without ClamAV says nothing about clamd or ClamAV but that there is
/// none ("no ClamAV" in the inputs), in text and in JSON; the same plans with ClamAV do.
pub(crate) fn plans_without_clamav_do_not_talk_about_clamd() {
    let mentions = |text: &str| {
        let text = text.replace("no ClamAV", "");
        text.contains("clamd") || text.contains("ClamAV")
    };
    for args in [
        "plan --ram 1G --os debian:12 --cpus 2",
        "plan --ram 1G --os debian:12 --concurrency 4",
        "plan --ram 2G --os rhel:9 --concurrency 14",
        "plan --ram 8G --os ubuntu:24.04 --concurrency 40 --force",
        "plan --ram 3G --os freebsd:14",
    ] {
        for (clamav, flag) in [(false, " --no-clamav"), (true, "")] {
            let text = amavis_tune(&format!("{args}{flag}"));
            assert_eq!(text.code, 0, "{args}{flag}: {}", text.stderr);
            let json = amavis_tune(&format!("{args}{flag} --format json"));
            let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("valid JSON");
            let mut strings = Vec::new();
            prose(&json, "", &mut strings);
            let said: Vec<&(String, String)> = strings.iter().filter(|(_, text)| mentions(text)).collect();
            if clamav {
                assert!(mentions(&text.stdout), "{args}: {}", text.stdout);
                assert!(!said.is_empty(), "{args}: {strings:#?}");
            } else {
                assert!(!mentions(&text.stdout), "{args}{flag}: {}", text.stdout);
                assert!(said.is_empty(), "{args}{flag}: {said:#?}");
            }
        }
    }
}

/// Issue 27 item 8 (a, c): on a 4 GiB server the concurrent reload's second signature database
/// leaves no room for 2 children, while with `ConcurrentDatabaseReload no` the same server fits
/// the safe maximum that `plan --no-concurrent-reload` gives (13). The plan says both numbers and
/// the price, clamd.conf(5)'s: the setting exists "in case users are willing to block scans during
/// reload in exchange for lower RAM requirements".
pub(crate) fn reload_trade_says_both_numbers_and_the_price() {
    let run = |args: &str| {
        let outcome = amavis_tune(args);
        assert_eq!(outcome.code, 0, "{args}: {}", outcome.stderr);
        outcome.stdout
    };
    let single: serde_json::Value =
        serde_json::from_str(&run("plan --ram 4G --os debian:12 --no-concurrent-reload --format json")).expect("JSON");
    let fits = single["safe_max"].as_u64().expect("safe_max");
    assert!(fits >= 2, "{single}");
    assert!(single["memory"]["safe_max_without_concurrent_reload"].is_null());
    assert!(
        single["memory"]["consumers"].as_array().is_some_and(|c| c.iter().all(|c| c["id"] != "clamd-reload")),
        "{single}"
    );

    let concurrent: serde_json::Value =
        serde_json::from_str(&run("plan --ram 4G --os debian:12 --format json")).expect("JSON");
    assert_eq!(concurrent["safe_max"], 0);
    assert_eq!(concurrent["memory"]["safe_max_without_concurrent_reload"], fits);
    let sentence =
        format!("With ConcurrentDatabaseReload no, {fits} fit (scanning pauses during each signature reload).");
    let warning = concurrent["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .find(|w| w["code"] == "does-not-fit")
        .and_then(|w| w["message"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(
        warning.starts_with("Not even 2 amavisd children fit in 4096 MiB") && warning.contains(&sentence),
        "{warning}"
    );
    let text = run("plan --ram 4G --os debian:12");
    assert!(text.contains(&sentence), "{text}");
    // Wherever turning the setting off is offered, its price is said.
    for line in text.lines().filter(|l| l.contains("ConcurrentDatabaseReload no")) {
        assert!(line.contains("scanning") || line.contains("scans"), "{line}");
    }
    let text = run("plan --ram 4G --os debian:12 --no-concurrent-reload");
    assert!(!text.contains("With ConcurrentDatabaseReload no"), "{text}");
    assert!(text.contains("so it blocks scanning while it reloads its signatures"), "{text}");
}

/// Issue 27 item 8 (b): without the server's clamd.conf, the MaxThreads a plan assumes is what
/// the release's package writes there: Debian's clamav-daemon writes `MaxThreads 12` (Debian's
/// clamav packaging: debian/clamav-daemon.templates, `Template: clamav-daemon/MaxThreads`,
/// `Default: 12`, written by debian/clamav-daemon.postinst.in), Ubuntu ships the same package;
/// elsewhere clamd's own default, 10 (clamd.conf(5), `MaxThreads NUMBER`, `Default: 10`).
pub(crate) fn max_threads_default_is_the_release_s() {
    let warning = |os: &str, children: u32| {
        let outcome = amavis_tune(&format!("plan --ram 16G --os {os} --concurrency {children} --format json"));
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
        let message = json["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .find(|w| w["code"] == "clamd-max-threads")
            .and_then(|w| w["message"].as_str().map(str::to_owned));
        (json["release"]["facts"]["clamd_max_threads"].clone(), message)
    };
    for os in ["debian:11", "debian:12", "debian:13", "ubuntu:22.04", "ubuntu:24.04"] {
        let (packaged, none) = warning(os, 12);
        assert_eq!(packaged, 12, "{os}");
        assert_eq!(none, None, "{os}: 12 children are within the package's MaxThreads 12");
        let (_, message) = warning(os, 13);
        let message = message.unwrap_or_else(|| panic!("{os}: 13 children are more than 12"));
        assert!(
            message.contains("(12, what ")
                && message
                    .contains("'s clamav-daemon package writes into /etc/clamav/clamd.conf; clamd.conf was not read)"),
            "{os}: {message}"
        );
    }
    for os in ["rhel:9", "freebsd:14", "openbsd:7"] {
        let (packaged, none) = warning(os, 10);
        assert!(packaged.is_null(), "{os}");
        assert_eq!(none, None, "{os}");
        let (_, message) = warning(os, 11);
        let message = message.unwrap_or_else(|| panic!("{os}: 11 children are more than 10"));
        assert!(message.contains("(10, clamd's own default; clamd.conf was not read)"), "{os}: {message}");
    }
}
