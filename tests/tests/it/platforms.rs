//! Platforms that generate both numbers from one setting (Zimbra, Carbonio, UCS): `check` names
//! the platform and its command, `apply` writes nothing and prints the platform's steps, `plan
//! --platform` gives those steps (trees rendered from the platforms' own templates: each tree's
//! SOURCE; the numbers the real programs read are checked in `corpus`).

use amavis_tune_tests::{Run, copy_tree, snapshot_tree, workspace_root};

/// Each tree, the platform's name in JSON, the command that changes the number to 6, and the
/// command that applies it.
const PLATFORMS: &[(&str, &str, &str, &str)] = &[
    (
        "platform-zimbra-10",
        "zimbra",
        "su - zimbra -c 'zmprov ms \"$(zmhostname)\" zimbraAmavisMaxServers 6'",
        "su - zimbra -c 'zmamavisdctl restart && zmmtactl reload'",
    ),
    (
        "platform-carbonio",
        "carbonio",
        "su - zextras -c 'carbonio prov ms \"$(zmhostname)\" zimbraAmavisMaxServers 6'",
        "systemctl restart carbonio-mailthreat.service && systemctl reload carbonio-postfix.service",
    ),
    ("platform-ucs-5", "univention", "ucr set mail/antivir/max_servers=6", "systemctl reload amavis && postfix reload"),
];

pub(crate) fn each_platform_gets_its_own_command() {
    for &(tree, platform, change, apply_it) in PLATFORMS {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join(tree);
        copy_tree(&workspace_root().join("tests/fixtures/trees").join(tree), &root);

        // check: the platform, and its finding with the command for the number the files hold.
        let check = Run::new(["check", "--format", "json", "--root"]).run_with_arg(&root);
        assert_eq!(check.code, 0, "{tree}: {}{}", check.stdout, check.stderr);
        let json: serde_json::Value = serde_json::from_str(&check.stdout).expect("JSON");
        assert_eq!(json["platform"]["platform"], platform, "{tree}");
        let finding = json["findings"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["code"] == "platform-generated"))
            .unwrap_or_else(|| panic!("{tree}: a platform-generated finding: {json:#}"));
        let n = json["amavis"]["max_servers"].as_u64().expect("a number");
        assert!(
            finding["message"]
                .as_str()
                .is_some_and(|m| m.contains(&change.replace(" 6", &format!(" {n}")).replace("=6", &format!("={n}")))),
            "{tree}: {finding:#}"
        );

        // apply: exit 2, nothing written, the platform's steps in the hint.
        let before = snapshot_tree(&root);
        let apply = Run::new(["apply", "--ram", "64G", "--concurrency", "6", "--root"]).run_with_arg(&root);
        assert_eq!(apply.code, 2, "{tree}: {}", apply.stdout);
        assert!(apply.stderr.contains("nothing was written"), "{tree}: {}", apply.stderr);
        assert!(apply.stderr.contains(change) && apply.stderr.contains(apply_it), "{tree}: {}", apply.stderr);
        assert_eq!(snapshot_tree(&root), before, "{tree}: apply writes nothing on a platform's files");

        // plan --platform: the platform's steps, the snippets said not to be pasted.
        let plan =
            Run::new(["plan", "--ram", "16G", "--concurrency", "6", "--format", "json", "--platform", platform]).run();
        assert_eq!(plan.code, 0, "{tree}: {}", plan.stderr);
        let json: serde_json::Value = serde_json::from_str(&plan.stdout).expect("JSON");
        let commands: Vec<&str> =
            json["steps"].as_array().expect("steps").iter().filter_map(|s| s["command"].as_str()).collect();
        assert!(commands.contains(&change) && commands.iter().any(|c| c.contains(apply_it)), "{tree}: {commands:?}");
        assert!(!commands.iter().any(|c| c.contains("postconf -e") || c.contains("EDITOR")), "{tree}: {commands:?}");
        assert_eq!(json["sources"]["platform"]["platform"], platform, "{tree}");
        let text = Run::new(["plan", "--ram", "16G", "--concurrency", "6", "--platform", platform]).run();
        assert!(
            text.stdout.starts_with("platform: ") && text.stdout.contains("Do not paste the snippets"),
            "{tree}: {}",
            text.stdout
        );
        // A link naming the platform gives the same steps.
        let link = format!("?v=2&ram=16G&concurrency=6&os=debian&clamav=on&method=master-cf&platform={platform}");
        let linked = Run::new(["plan", "--format", "json", "--from-url", &link]).run();
        assert_eq!(linked.code, 0, "{tree}: {}", linked.stderr);
        let linked: serde_json::Value = serde_json::from_str(&linked.stdout).expect("JSON");
        assert_eq!(linked["steps"], json["steps"], "{tree}: --from-url with platform=");
    }
    // A link naming no known platform: exit 2, saying which would be valid.
    let bad = Run::new(["plan", "--from-url", "?v=2&ram=8G&platform=sharepoint"]).run();
    assert_eq!(bad.code, 2, "{}", bad.stdout);
    assert!(
        bad.stderr.contains("`platform=sharepoint`") && bad.stderr.contains("zimbra, carbonio, univention"),
        "{}",
        bad.stderr
    );
}

/// UCS's setting read from UCR's layer files as univention-config-registry reads them (its
/// backend: forced, schedule, ldap, normal, defaults, the first that sets it wins; a file of
/// fewer than two lines is not loaded): `check` names the value and its file, says when the
/// generated files disagree with it, and the rollback of `apply`'s steps goes back to it.
pub(crate) fn ucr_setting_is_read_from_its_layers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("ucs");
    copy_tree(&workspace_root().join("tests/fixtures/trees/platform-ucs-5"), &root);
    let ucr = root.join("etc/univention");
    std::fs::create_dir_all(&ucr).expect("mkdir");
    let check = |root: &std::path::Path| {
        let check = Run::new(["check", "--format", "json", "--root"]).run_with_arg(root);
        assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
        let json: serde_json::Value = serde_json::from_str(&check.stdout).expect("JSON");
        let finding = json["findings"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["code"] == "platform-generated"))
            .and_then(|f| f["message"].as_str())
            .unwrap_or_default()
            .to_owned();
        (json["platform_setting"].clone(), finding)
    };
    // No UCR files in the tree: nothing to read the setting from.
    let (setting, finding) = check(&root);
    assert!(setting.is_null(), "{setting}");
    assert!(!finding.contains("mail/antivir/max_servers is"), "{finding}");

    // base.conf as `ucr set` writes it: its header, a blank line, `KEY: VALUE` lines.
    let write = |file: &str, text: &str| std::fs::write(ucr.join(file), text).expect("writes");
    write("base.conf", "# univention_ base.conf\n\nhostname: mail\nmail/antivir/max_servers: 6\n");
    let (setting, finding) = check(&root);
    assert_eq!(setting, serde_json::json!({"value": "6", "from": "UCR, /etc/univention/base.conf"}));
    assert!(
        finding
            .contains("mail/antivir/max_servers is 6 (UCR, /etc/univention/base.conf); the files say 2 and 2, not 6"),
        "{finding}"
    );
    // The forced layer wins over base.conf; a one-line file is not loaded.
    write("base-forced.conf", "# univention_ base.conf\n\nmail/antivir/max_servers: 4\n");
    write("base-ldap.conf", "mail/antivir/max_servers: 9");
    let (setting, _) = check(&root);
    assert_eq!(setting, serde_json::json!({"value": "4", "from": "UCR, /etc/univention/base-forced.conf"}));
    // apply refuses, and its rollback sets the value read.
    let apply = Run::new(["apply", "--ram", "64G", "--concurrency", "6", "--root"]).run_with_arg(&root);
    assert_eq!(apply.code, 2, "{}", apply.stdout);
    assert!(apply.stderr.contains("ucr set mail/antivir/max_servers=4"), "{}", apply.stderr);
    // Set nowhere: the template's default, which the files hold.
    for file in ["base.conf", "base-forced.conf", "base-ldap.conf"] {
        write(file, "# univention_ base.conf\n\nhostname: mail\n");
    }
    let (setting, finding) = check(&root);
    assert_eq!(setting, serde_json::json!({"value": "2", "from": "not set in UCR: the template's default"}));
    assert!(!finding.contains("the files say"), "{finding}");
}
