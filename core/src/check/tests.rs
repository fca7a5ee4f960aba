use super::*;

use crate::check::test_config as config;

/// `status amavis=N@where postfix=E(cap) [codes]`
#[track_caller]
fn check_config(config: &ConfigSet, expect: &str) {
    let report = check(config);
    let codes: Vec<String> = report
        .findings
        .iter()
        .map(|f| format!("{}@{}", f.code.as_str(), f.line.map_or("-".to_owned(), |l| l.to_string())))
        .collect();
    let actual = format!(
        "{} amavis={}@{} postfix={}({}) [{}]",
        serde_json::to_value(report.status).unwrap().as_str().unwrap(),
        report.amavis.max_servers.map_or("?".to_owned(), |n| n.to_string()),
        report.amavis.source.as_ref().map_or("default".to_owned(), |l| l.to_string()),
        report.postfix.effective.map_or("none".to_owned(), |n| n.to_string()),
        serde_json::to_value(report.postfix.cap).unwrap().as_str().unwrap(),
        codes.join(" ")
    );
    assert_eq!(actual, expect);
}

const MAIN: &str = "content_filter = smtp-amavis:[127.0.0.1]:10024\n";
const AMAVIS_4: &str = "use strict;\n$max_servers = 4;\n1;\n";

#[test]
fn matching_and_mismatching() {
    let master = |maxproc: &str| format!("smtp inet n - y - - smtpd\nsmtp-amavis unix - - n - {maxproc} smtp\n");
    check_config(
        &config(&master("4"), MAIN, &[("50-user", AMAVIS_4)]),
        "match amavis=4@50-user:2 postfix=4(maxproc) []",
    );
    check_config(
        &config(&master("3"), MAIN, &[("50-user", AMAVIS_4)]),
        "match amavis=4@50-user:2 postfix=3(maxproc) [one-spare@2]",
    );
    check_config(
        &config(&master("6"), MAIN, &[("50-user", AMAVIS_4)]),
        "mismatch amavis=4@50-user:2 postfix=6(maxproc) [mismatch@2 postfix-exceeds-amavis@2]",
    );
    check_config(
        &config(&master("2"), MAIN, &[("50-user", AMAVIS_4)]),
        "mismatch amavis=4@50-user:2 postfix=2(maxproc) [mismatch@2 amavis-exceeds-postfix@2]",
    );
    // `-` is default_process_limit (100), capped by the destination limit (20).
    check_config(
        &config(&master("-"), MAIN, &[("50-user", AMAVIS_4)]),
        "mismatch amavis=4@50-user:2 postfix=20(destination-concurrency-limit) [destination-limit-caps@- mismatch@2 postfix-exceeds-amavis@2]",
    );
    check_config(
        &config(
            &master("0"),
            &format!("{MAIN}smtp-amavis_destination_recipient_limit = 1\n"),
            &[("50-user", AMAVIS_4)],
        ),
        "mismatch amavis=4@50-user:2 postfix=none(unlimited) [postfix-unlimited@2]",
    );
}

#[test]
fn main_cf_limits() {
    let master = "smtp-amavis unix - - n - - smtp\n";
    check_config(
        &config(master, &format!("{MAIN}smtp-amavis_destination_concurrency_limit = 4\n"), &[("a", AMAVIS_4)]),
        "match amavis=4@a:2 postfix=4(destination-concurrency-limit) [destination-limit-caps@2]",
    );
    check_config(
        &config(master, &format!("{MAIN}default_destination_concurrency_limit = 4\n"), &[("a", AMAVIS_4)]),
        "match amavis=4@a:2 postfix=4(destination-concurrency-limit) [destination-limit-caps@2]",
    );
    check_config(
        &config(
            master,
            &format!(
                "{MAIN}default_process_limit = 4\nsmtp-amavis_destination_concurrency_limit = $default_process_limit\nsmtp-amavis_destination_recipient_limit = 1\n"
            ),
            &[("a", AMAVIS_4)],
        ),
        "match amavis=4@a:2 postfix=4(maxproc) [limit-per-recipient@3]",
    );
    check_config(
        &config(
            "smtp-amavis unix - - n - 4 smtp\n",
            &format!("{MAIN}smtp-amavis_destination_concurrency_limit = 10\n"),
            &[("a", AMAVIS_4)],
        ),
        "match amavis=4@a:2 postfix=4(maxproc) [maxproc-caps-limit@2]",
    );
}

#[test]
fn transports() {
    check_config(
        &config("smtp-amavis unix - - n - 4 smtp\n", "", &[("a", AMAVIS_4)]),
        "mismatch amavis=4@a:2 postfix=none(unknown) [syntax@- no-transport@-]",
    );
    check_config(
        &config("amavis unix - - n - 4 smtp\n", MAIN, &[("a", AMAVIS_4)]),
        "mismatch amavis=4@a:2 postfix=none(unknown) [transport-missing@1]",
    );
    // iRedMail: incoming via main.cf, submission via -o content_filter on port 10026.
    let master = "submission inet n - n - - smtpd\n  -o content_filter=smtp-amavis:[127.0.0.1]:10026\nsmtp-amavis unix - - n - - smtp\n";
    check_config(
        &config(master, MAIN, &[("a", "$max_servers = 40;\n$inet_socket_port = [10024, 10026, 9998];\n")]),
        "match amavis=40@a:1 postfix=40(destination-concurrency-limit) [several-destinations@1 destination-limit-caps@-]",
    );
    // amavisd 2.11+'s @listen_sockets (Zimbra's form: a unix socket under a variable and
    // quoted ports) replaces $inet_socket_port: the filter to 10026 is amavisd's.
    check_config(
        &config(
            master,
            MAIN,
            &[(
                "a",
                "$max_servers = 40;\n$inet_socket_port = 10024;\n@listen_sockets=(\"$MYHOME/amavisd.sock\", '10024','10026','10032');\n",
            )],
        ),
        "match amavis=40@a:1 postfix=40(destination-concurrency-limit) [several-destinations@1 destination-limit-caps@-]",
    );
    check_config(
        &config(master, MAIN, &[("a", "$max_servers = 40;\n@listen_sockets = qw(127.0.0.1:10024 [::1]:10026);\n")]),
        "match amavis=40@a:1 postfix=40(destination-concurrency-limit) [several-destinations@1 destination-limit-caps@-]",
    );
    // amavisd listening on 10024 only: the filter to 10026 leads elsewhere and is not counted.
    check_config(
        &config(master, MAIN, &[("a", "$max_servers = 20;")]),
        "match amavis=20@a:1 postfix=20(destination-concurrency-limit) [other-filter@2 destination-limit-caps@-]",
    );
    // A policy bank for 10026 ($interface_policy) with amavisd listening on 10024 only: the
    // filter to 10026 is still not counted, and the finding says amavisd was meant to listen.
    let policy = "$max_servers = 20;\n$interface_policy{'10026'} = 'ORIGINATING';\n";
    let report = check(&config(master, MAIN, &[("a", policy)]));
    let finding = report.findings.iter().find(|f| f.code == FindingCode::OtherFilter).expect("other-filter");
    assert_eq!(finding.severity, Severity::Warning);
    assert!(finding.message.contains("policy bank ($interface_policy at a:2)"), "{}", finding.message);
    assert!(finding.message.contains("add 10026 to $inet_socket_port"), "{}", finding.message);
    // ClearOS: main.cf's content_filter is a pipe; the transport to amavisd is named on the
    // listener it re-injects into.
    check_config(
        &config(
            "mailprefilter unix - n n - - pipe user=filter argv=/usr/sbin/mailprefilter\nsmtp-amavis unix - - n - 5 smtp\n127.0.0.1:10025 inet n - n - - smtpd\n  -o content_filter=smtp-amavis:[127.0.0.1]:10024\n",
            "content_filter = mailprefilter\n",
            &[("a", "$max_servers = 5;")],
        ),
        "match amavis=5@a:1 postfix=5(maxproc) [other-filter@1]",
    );
    // amavisd hands mail back where $forward_method says (ClearOS: 10026): that listener's limit
    // counts, not the 10025 one that feeds amavisd.
    check_config(
        &config(
            "mailprefilter unix - n n - - pipe user=filter argv=/usr/sbin/mailprefilter\nsmtp-amavis unix - - n - 5 smtp\n127.0.0.1:10025 inet n - n - 1 smtpd\n  -o content_filter=smtp-amavis:[127.0.0.1]:10024\n127.0.0.1:10026 inet n - n - 2 smtpd\n  -o content_filter=\n",
            "content_filter = mailprefilter\n",
            &[("a", "$max_servers = 5;\n$forward_method = 'smtp:[127.0.0.1]:10026';\n")],
        ),
        "match amavis=5@a:1 postfix=5(maxproc) [other-filter@1 reinjection-limited@5]",
    );
    // Modoboa: a before-queue filter on two smtpd services; their process limits add up.
    check_config(
        &config(
            "smtpd pass - - - - 3 smtpd\n  -o smtpd_proxy_filter=inet:[127.0.0.1]:10024\nsubmission inet n - - - 2 smtpd\n  -o smtpd_proxy_filter=inet:[127.0.0.1]:10026\n",
            "myhostname = mx.example.com\n",
            &[("a", "$max_servers = 5;\n$inet_socket_port = [10024, 10026];\n")],
        ),
        "match amavis=5@a:1 postfix=5(maxproc) [proxy-filter@1]",
    );
    // The stock lmtp, also used for mailbox delivery: reported, never edited.
    check_config(
        &config(
            "lmtp unix - - n - 4 lmtp\n",
            "content_filter = lmtp:[127.0.0.1]:10024\nvirtual_transport = lmtp:unix:private/dovecot-lmtp\n",
            &[("a", "$max_servers = 4;")],
        ),
        "match amavis=4@a:1 postfix=4(maxproc) [shared-transport@1]",
    );
    check_config(
        &config(
            "amavisfeed unix - - n - 2 lmtp\nx unix - - n - 2 smtp\nsmtp inet n - n - - smtpd -o content_filter=x:y\n",
            "content_filter = amavisfeed:[127.0.0.1]:10024\n",
            &[("a", "$max_servers = 2;")],
        ),
        "match amavis=2@a:1 postfix=2(maxproc) [several-transports@1]",
    );
    check_config(
        &config(
            "smtp-amavis unix - - n - 2 smtp\n",
            "content_filter = $cf\ncf = smtp-amavis:[::1]:10024\n",
            &[("a", "$max_servers = 2;")],
        ),
        "match amavis=2@a:1 postfix=2(maxproc) []",
    );
}

#[test]
fn amavis_side() {
    let master = "smtp-amavis unix - - n - 2 smtp\n";
    check_config(
        &config(master, MAIN, &[("01-debian", "1;\n"), ("50-user", "1;\n")]),
        "match amavis=2@default postfix=2(maxproc) [amavis-default@-]",
    );
    check_config(
        &config(master, MAIN, &[("50-user", "$max_servers = 4;\n"), ("61-dms", "$max_servers = 2;\n")]),
        "match amavis=2@61-dms:1 postfix=2(maxproc) [amavis-overridden@1]",
    );
    check_config(
        &config(master, MAIN, &[("50-user", "$max_servers = $x * 2;\n")]),
        "mismatch amavis=?@50-user:1 postfix=2(maxproc) [amavis-unreadable@1]",
    );
    check_config(
        &config(master, MAIN, &[("50-user", "if ($x) { $max_servers = 2; }\n")]),
        "mismatch amavis=?@50-user:1 postfix=2(maxproc) [amavis-unreadable@1]",
    );
}

#[test]
fn reinjection_listener() {
    let master = "smtp-amavis unix - - n - 4 smtp\n127.0.0.1:10025 inet n - n - 2 smtpd\n  -o content_filter=\n";
    check_config(
        &config(master, MAIN, &[("a", AMAVIS_4)]),
        "match amavis=4@a:2 postfix=4(maxproc) [reinjection-limited@2]",
    );
    let master = "smtp-amavis unix - - n - 4 smtp\n127.0.0.1:10025 inet n - n - - smtpd\n  -o content_filter=\n";
    check_config(&config(master, MAIN, &[("a", AMAVIS_4)]), "match amavis=4@a:2 postfix=4(maxproc) []");
}

#[test]
fn syntax_problems_are_findings() {
    check_config(
        &config("smtp-amavis unix - - n - 2 smtp\nbroken unix\n", MAIN, &[("a", "$max_servers = 2;")]),
        "match amavis=2@a:1 postfix=2(maxproc) [syntax@2]",
    );
}

#[test]
fn statuses_are_named_as_serialized() {
    for status in [Status::Match, Status::Mismatch] {
        assert_eq!(serde_json::to_value(status).ok(), Some(serde_json::Value::from(status.as_str())));
    }
}
