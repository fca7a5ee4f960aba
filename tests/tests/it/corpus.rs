//! The third-party corpus: server trees written by others (installers, panels, distribution
//! packages), each with a `SOURCE` file. `check` is compared with what the real programs read in
//! each tree (`postconf -c` and amavisd's own loader), and `apply` is run on a copy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use amavis_tune_tests::needs::Need;
use amavis_tune_tests::{Run, amavisd_reads_tree, copy_tree, fixture_trees, snapshot_tree, workspace_root, write_aged};

/// What `apply --concurrency N` does on a copy of a corpus tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applied {
    /// Both sides end at N; with the main.cf limit (`true`) or master.cf's maxproc (`false`).
    AtN { main_cf: bool },
    /// Refused, nothing written; the error contains this text.
    Refused(&'static str),
}

/// The corpus trees, the status `check` gives, and what `apply` does.
const CORPUS: &[(&str, &str, Applied)] = &[
    ("ansible-sakaal-centos7-amavisfeed", "match", Applied::AtN { main_cf: false }),
    ("clearos7-content-filter-chain", "mismatch", Applied::AtN { main_cf: false }),
    ("docker-mailserver-amavis", "match", Applied::AtN { main_cf: false }),
    ("fedora-amavisd-new-readme-fedora", "mismatch", Applied::Refused("the content filter uses `smtp`")),
    ("iredmail-debian12-installer", "match", Applied::AtN { main_cf: false }),
    ("iredmail-dockerized-ubuntu", "match", Applied::AtN { main_cf: false }),
    ("iredmail-freebsd-installer", "match", Applied::AtN { main_cf: false }),
    ("iredmail-rocky9-installer", "match", Applied::AtN { main_cf: false }),
    ("ispconfig-debian-amavis", "match", Applied::AtN { main_cf: false }),
    ("kolab-debian-two-filters", "mismatch", Applied::AtN { main_cf: false }),
    ("modoboa-debian-proxy-filter", "mismatch", Applied::Refused("smtpd_proxy_filter on smtpd/pass, submission/inet")),
    // openSUSE ships the two numbers apart: the `amavis` transport's maxproc 4, amavisd's 2.
    ("opensuse-tumbleweed", "mismatch", Applied::AtN { main_cf: false }),
    // Platforms that generate both numbers: apply never edits their files, and names their
    // command instead.
    ("platform-carbonio", "match", Applied::Refused("Zextras Carbonio generates both numbers")),
    ("platform-ucs-5", "match", Applied::Refused("Univention Corporate Server generates both numbers")),
    ("platform-zimbra-10", "match", Applied::Refused("Zimbra Collaboration generates both numbers")),
    ("readme-postfix-amavisfeed-debian", "match", Applied::AtN { main_cf: false }),
    ("readme-postfix-main-cf-limit-debian", "match", Applied::AtN { main_cf: true }),
    ("zentyal-ubuntu-mailfilter", "match", Applied::AtN { main_cf: false }),
];

const N: u32 = 6;

fn tree_path(name: &str) -> PathBuf {
    workspace_root().join("tests/fixtures/trees").join(name)
}

fn postfix_dir(root: &Path) -> PathBuf {
    ["etc/postfix", "usr/local/etc/postfix", "opt/zimbra/common/conf", "opt/zextras/common/conf"]
        .iter()
        .map(|d| root.join(d))
        .find(|d| d.is_dir())
        .expect("postfix dir")
}

/// `postconf -c DIR ARGS...`, one value per line, warnings (on stderr) ignored.
fn postconf(dir: &Path, args: &[&str]) -> Vec<String> {
    let output = Command::new(Need::Postconf.path()).arg("-c").arg(dir).args(args).output().expect("postconf runs");
    assert!(output.status.success(), "postconf {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect()
}

/// Every `-o` override postconf reads, as `service/type/name` -> value (`postconf -P`).
fn overrides(dir: &Path) -> BTreeMap<String, String> {
    postconf(dir, &["-P"])
        .into_iter()
        .filter_map(|line| {
            let (key, value) = line.split_once(" =")?;
            Some((key.to_owned(), value.trim().to_owned()))
        })
        .collect()
}

/// The process limit postconf reads for `service/type`, `-` being `default_process_limit`.
fn process_limit(dir: &Path, service: &str) -> (String, u32) {
    let written = postconf(dir, &["-h", "-F", &format!("{service}/process_limit")]).concat();
    let value =
        if written == "-" { postconf(dir, &["-x", "-h", "default_process_limit"]).concat() } else { written.clone() };
    (written, value.parse().expect("a number"))
}

fn port_of(nexthop: &str) -> Option<u16> {
    nexthop.rsplit_once(':').and_then(|(_, port)| port.parse().ok())
}

pub(crate) fn every_corpus_tree_has_a_source() {
    let mut with_source: Vec<String> = fixture_trees()
        .iter()
        .filter(|tree| tree.join("SOURCE").is_file())
        .map(|tree| tree.file_name().unwrap_or_default().to_string_lossy().into_owned())
        .collect();
    with_source.sort();
    let listed: Vec<&str> = CORPUS.iter().map(|c| c.0).collect();
    assert_eq!(with_source, listed, "every tree with a SOURCE is in CORPUS, and only those");
    for (name, ..) in CORPUS {
        let source = std::fs::read_to_string(tree_path(name).join("SOURCE")).expect("reads SOURCE");
        assert!(source.contains("commit") || source.contains("package"), "{name}: SOURCE names where it is from");
        assert!(source.contains("Placeholders"), "{name}: SOURCE says what placeholders were filled with");
    }
}

/// `check`'s numbers are the ones the real programs read: amavisd's loader (includes followed),
/// and postconf's reading of the service whose filter leads to amavisd's port.
pub(crate) fn check_agrees_with_the_real_programs() {
    let amavisd = Need::Amavisd.path();
    for &(name, status, _) in CORPUS {
        let tree = tree_path(name);
        let outcome = Run::new(["check", "--format", "json", "--root"]).run_with_arg(&tree);
        let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
        assert_eq!(json["status"], status, "{name}: {}", outcome.stdout);

        let scratch = tempfile::tempdir().expect("tempdir");
        let amavis = amavisd_reads_tree(&amavisd, &tree, scratch.path()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(json["amavis"]["max_servers"], amavis.max_servers, "{name}: amavisd's loader reads this");

        let dir = postfix_dir(&tree);
        let overrides = overrides(&dir);
        let feed = json["postfix"]["feed"].as_str().expect("feed");
        let effective = if feed == "proxy-filter" {
            // Each smtpd service whose smtpd_proxy_filter postconf reads leads to amavisd's port.
            let services = json["postfix"]["proxy_services"].as_array().expect("proxy services");
            let mut total = 0;
            for service in services {
                let key = service["service"].as_str().expect("service");
                let filter = &overrides[&format!("{key}/smtpd_proxy_filter")];
                let port = port_of(filter).expect("a port");
                assert!(amavis.ports.contains(&port), "{name}: {key}'s proxy filter {filter} goes to amavisd");
                let (written, limit) = process_limit(&dir, key);
                assert_eq!(service["maxproc"], written, "{name}: {key}");
                total += limit;
            }
            // No other smtpd service passes mail to amavisd's ports.
            let others = overrides
                .iter()
                .filter(|(key, value)| {
                    key.ends_with("/smtpd_proxy_filter") && port_of(value).is_some_and(|p| amavis.ports.contains(&p))
                })
                .count();
            assert_eq!(others, services.len(), "{name}");
            total
        } else {
            let service = json["postfix"]["service"].as_str().expect("service");
            // The content filters Postfix reads (main.cf's and every -o), those to amavisd's port.
            let main = postconf(&dir, &["-h", "content_filter"]).concat();
            let filters: Vec<&str> = std::iter::once(main.as_str())
                .chain(overrides.iter().filter(|(k, _)| k.ends_with("/content_filter")).map(|(_, v)| v.as_str()))
                .filter(|value| {
                    value.split_once(':').and_then(|(_, hop)| port_of(hop)).is_some_and(|p| amavis.ports.contains(&p))
                })
                .collect();
            assert!(!filters.is_empty(), "{name}: a content filter postconf reads leads to amavisd's port");
            assert!(filters.iter().all(|f| f.starts_with(&format!("{service}:"))), "{name}: {filters:?}");
            let mut destinations: Vec<&str> =
                filters.iter().filter_map(|f| f.split_once(':').map(|(_, hop)| hop)).collect();
            destinations.sort_unstable();
            destinations.dedup();
            let (written, limit) = process_limit(&dir, &format!("{service}/unix"));
            assert_eq!(json["postfix"]["maxproc"], written, "{name}");
            let concurrency: u32 = postconf(&dir, &["-x", "-h", &format!("{service}_destination_concurrency_limit")])
                .concat()
                .parse()
                .expect("a number");
            let recipients: u32 = postconf(&dir, &["-x", "-h", &format!("{service}_destination_recipient_limit")])
                .concat()
                .parse()
                .expect("a number");
            // Postfix's scheduler: per destination unless one recipient per delivery
            // (postconf(5), default_destination_concurrency_limit).
            let capped =
                if recipients != 1 && concurrency > 0 { concurrency * destinations.len() as u32 } else { u32::MAX };
            if limit == 0 { capped } else { limit.min(capped) }
        };
        assert_eq!(json["postfix"]["effective"], effective, "{name}: what Postfix reads");
    }
}

/// `apply` on a copy: both real programs read N, nothing but the numbers changes, a second run
/// writes nothing; a refusal writes nothing and says what to do instead.
pub(crate) fn apply_makes_the_real_programs_read_n() {
    let amavisd = Need::Amavisd.path();
    for &(name, _, applied) in CORPUS {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join(name);
        copy_tree(&tree_path(name), &root);
        let before = snapshot_tree(&root);
        let run = |extra: &[&str]| {
            let mut args = vec!["apply", "--ram", "64G", "--concurrency", "6"];
            args.extend_from_slice(extra);
            args.push("--root");
            Run::new(args).run_with_arg(&root)
        };
        let outcome = run(&["--format", "json"]);
        match applied {
            Applied::Refused(text) => {
                assert_eq!(outcome.code, 2, "{name}: {}", outcome.stdout);
                assert!(outcome.stderr.contains(text), "{name}: {}", outcome.stderr);
                assert!(outcome.stderr.contains("nothing was written"), "{name}");
                let error: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("a JSON error object");
                assert!(error["error"]["message"].as_str().is_some_and(|m| m.contains(text)), "{name}");
                assert_eq!(snapshot_tree(&root), before, "{name}: a refusal writes nothing");
                continue;
            }
            Applied::AtN { main_cf } => {
                assert_eq!(outcome.code, 0, "{name}: {}{}", outcome.stdout, outcome.stderr);
                let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
                let after = snapshot_tree(&root);
                let again = run(&[]);
                assert_eq!(again.code, 0, "{name}: {}", again.stderr);
                assert!(again.stdout.starts_with("Already in place"), "{name}: {}", again.stdout);
                assert_eq!(snapshot_tree(&root), after, "{name}: the second apply wrote nothing");

                let postfix = postfix_dir(&root);
                for file in ["master.cf", "main.cf"] {
                    let bytes = std::fs::read(postfix.join(file)).expect("reads");
                    write_aged(&postfix.join(file), bytes);
                }
                let service = json["check"]["postfix"]["service"].as_str().expect("service");
                let (_, limit) = process_limit(&postfix, &format!("{service}/unix"));
                let concurrency: u32 =
                    postconf(&postfix, &["-x", "-h", &format!("{service}_destination_concurrency_limit")])
                        .concat()
                        .parse()
                        .expect("a number");
                if main_cf {
                    assert_eq!(concurrency, N, "{name}: postconf reads the main.cf limit");
                    assert!(limit >= N, "{name}");
                } else {
                    assert_eq!(limit, N, "{name}: postconf reads the new maxproc");
                    assert!(concurrency >= N, "{name}");
                }
                // No other service's process limit changed.
                let services = |tree: &Path| -> BTreeMap<String, String> {
                    postconf(&postfix_dir(tree), &["-F"])
                        .into_iter()
                        .filter(|l| l.contains("/process_limit = "))
                        .filter_map(|l| l.split_once(" = ").map(|(k, v)| (k.to_owned(), v.to_owned())))
                        .collect()
                };
                let old = services(&tree_path(name));
                let new = services(&root);
                for (key, value) in &old {
                    if key != &format!("{service}/unix/process_limit") && !key.contains(":100") {
                        assert_eq!(&new[key], value, "{name}: {key} is not amavis-tune's to change");
                    }
                }
                let scratch = tempfile::tempdir().expect("tempdir");
                let amavis =
                    amavisd_reads_tree(&amavisd, &root, scratch.path()).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(amavis.max_servers, N, "{name}: amavisd's own loader reads N");
            }
        }
    }
}

/// A content filter through Postfix's own `lmtp`, which also delivers the mailboxes
/// (`virtual_transport`): derived from the ISPConfig tree by pointing its content_filter at the
/// stock service with real `postconf -e`. `check` says why its limit is not to be changed, and
/// `apply` refuses, writing nothing.
pub(crate) fn shared_transport_is_never_edited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("ispconfig-shared-lmtp");
    copy_tree(&tree_path("ispconfig-debian-amavis"), &root);
    let status = Command::new(Need::Postconf.path())
        .arg("-c")
        .arg(root.join("etc/postfix"))
        .args(["-e", "content_filter=lmtp:[127.0.0.1]:10024"])
        .status()
        .expect("postconf runs");
    assert!(status.success());
    let check = Run::new(["check", "--format", "json", "--root"]).run_with_arg(&root);
    let json: serde_json::Value = serde_json::from_str(&check.stdout).expect("valid JSON");
    assert_eq!(json["postfix"]["service"], "lmtp");
    let findings = json["findings"].as_array().expect("findings");
    let shared = findings.iter().find(|f| f["code"] == "shared-transport").expect("a shared-transport finding");
    let message = shared["message"].as_str().expect("message");
    assert!(message.contains("virtual_transport = lmtp:unix:private/dovecot-lmtp"), "{message}");
    assert!(message.contains("amavisfeed unix - - n - N lmtp"), "{message}");
    let text = Run::new(["check", "--root"]).run_with_arg(&root);
    assert!(!text.stdout.contains("amavis-tune apply"), "no apply is suggested: {}", text.stdout);

    let before = snapshot_tree(&root);
    let outcome = Run::new(["apply", "--ram", "64G", "--concurrency", "6", "--root"]).run_with_arg(&root);
    assert_eq!(outcome.code, 2, "{}", outcome.stdout);
    assert!(
        outcome.stderr.contains("nothing was written") && outcome.stderr.contains("dedicated transport"),
        "{}",
        outcome.stderr
    );
    assert_eq!(snapshot_tree(&root), before, "a refusal writes nothing");
}

/// The diff names each file once per side, with no "(new)" for a file that exists.
pub(crate) fn diff_headers_name_existing_files_plainly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("clearos");
    copy_tree(&tree_path("clearos7-content-filter-chain"), &root);
    let outcome = Run::new(["apply", "--ram", "64G", "--concurrency", "6", "--dry-run", "--root"]).run_with_arg(&root);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let api = root.join("etc/amavisd/api.conf");
    assert!(outcome.stdout.contains(&format!("--- {}\n+++ {}\n", api.display(), api.display())), "{}", outcome.stdout);
    assert!(!outcome.stdout.contains("(new)"), "{}", outcome.stdout);
    // The change to webconfig's file carries the panel's warning.
    assert!(outcome.stdout.contains("note: ClearOS webconfig manages this file"), "{}", outcome.stdout);
}

/// On a RHEL-family tree whose amavisd config is `/etc/amavisd.conf` (ClearOS, CentOS 7-era
/// installers), the steps after `apply` validate that file, not the release's usual
/// `/etc/amavisd/amavisd.conf`.
pub(crate) fn steps_name_the_tree_s_own_amavisd_config() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let tree = scratch.path().join("tree");
    copy_tree(&tree_path("clearos7-content-filter-chain"), &tree);
    let outcome =
        Run::new(["apply", "--concurrency", "6", "--ram", "64G", "--format", "json", "--root"]).run_with_arg(&tree);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
    let commands: Vec<&str> =
        json["steps"].as_array().expect("steps").iter().filter_map(|step| step["command"].as_str()).collect();
    assert!(commands.contains(&"amavisd -c /etc/amavisd.conf test-config"), "{commands:?}");
    assert!(!commands.iter().any(|c| c.contains("/etc/amavisd/amavisd.conf")), "{commands:?}");
}

/// Findings that would hurt if followed are not given: on a shared transport (Fedora's
/// README.fedora puts the filter on `smtp`) no finding says to lower its maxproc; where a panel
/// rewrites the files (Zentyal), each one says so and where the change lasts.
pub(crate) fn findings_give_no_harmful_advice() {
    let findings = |name: &str| -> Vec<(String, String, String)> {
        let outcome = Run::new(["check", "--format", "json", "--root"]).run_with_arg(tree_path(name));
        let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
        json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                let text = |key: &str| f[key].as_str().unwrap_or_default().to_owned();
                (text("code"), text("path"), text("message"))
            })
            .collect()
    };
    let fedora = findings("fedora-amavisd-new-readme-fedora");
    assert!(fedora.iter().any(|(code, ..)| code == "shared-transport"), "{fedora:?}");
    let exceeds = fedora.iter().find(|(code, ..)| code == "postfix-exceeds-amavis").expect("the mismatch's symptom");
    assert!(!exceeds.2.contains("lower smtp's maxproc to"), "{}", exceeds.2);
    assert!(exceeds.2.contains("do not lower smtp's maxproc, which other mail uses too"), "{}", exceeds.2);

    let zentyal = findings("zentyal-ubuntu-mailfilter");
    for file in ["etc/postfix/master.cf", "etc/postfix/main.cf", "etc/amavis/conf.d/01-zentyal"] {
        let said = zentyal.iter().find(|(code, path, _)| code == "generated-file" && path.ends_with(file));
        let (.., message) = said.unwrap_or_else(|| panic!("no generated-file finding on {file}: {zentyal:?}"));
        assert!(message.starts_with("Zentyal's mail"), "{message}");
        assert!(message.contains("/etc/zentyal/stubs/mail/") || message.contains("50-user"), "{message}");
    }

    // A quoted number is the number amavisd reads ('12' is 12): no unreadable-value finding.
    let ansible = findings("ansible-sakaal-centos7-amavisfeed");
    assert!(!ansible.iter().any(|(code, ..)| code == "amavis-unreadable"), "{ansible:?}");
}
