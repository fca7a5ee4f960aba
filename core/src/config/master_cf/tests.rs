use super::*;

/// One line per entry: `service/type maxproc=... @line [-o options]`, then the diagnostics.
#[track_caller]
fn check(text: &str, expect: &str) {
    let doc = MasterCf::parse(text.as_bytes());
    assert_eq!(doc.render(), text.as_bytes());
    let mut out: Vec<String> = doc
        .entries
        .iter()
        .map(|e| {
            let options: Vec<String> = e.options().iter().map(|o| format!("{}={}", o.name, o.value)).collect();
            format!(
                "{}/{} maxproc={}@{} cmd={} [{}]",
                e.service(),
                e.kind(),
                e.maxproc().text,
                e.maxproc().line,
                e.command(),
                options.join(",")
            )
        })
        .collect();
    out.extend(doc.diagnostics.iter().map(|d| format!("!{}:{:?}", d.line, d.severity)));
    assert_eq!(out.join("\n"), expect.trim());
}

#[test]
fn entries() {
    check("smtp      inet  n       -       y       -       -       smtpd\n", "smtp/inet maxproc=-@1 cmd=smtpd []");
    check(
        r"
# iRedMail's block
smtp-amavis unix -   -   n   -   4  smtp
    -o syslog_name=postfix/amavis
    -o smtp_data_done_timeout=1200
    -o max_use=20
127.0.0.1:10025 inet n  -   n   -   -  smtpd
    -o content_filter=
    -o { smtpd_client_restrictions = permit_mynetworks, reject }
",
        "smtp-amavis/unix maxproc=4@3 cmd=smtp [syslog_name=postfix/amavis,smtp_data_done_timeout=1200,max_use=20]
127.0.0.1:10025/inet maxproc=-@7 cmd=smtpd [content_filter=,smtpd_client_restrictions=permit_mynetworks, reject]",
    );
}

#[test]
fn fields_split_over_lines_and_comments_inside() {
    check(
        "amavisfeed unix - - n\n# a comment inside the entry\n\n     - 2 lmtp\n  -o lmtp_data_done_timeout=1200\n",
        "amavisfeed/unix maxproc=2@4 cmd=lmtp [lmtp_data_done_timeout=1200]",
    );
    check("a unix - - n - 7 smtp\r\n  -o x=1\r\n", "a/unix maxproc=7@1 cmd=smtp [x=1]\n!1:Warning");
    check("a\tunix\t-\t-\tn\t-\t0\tsmtp -ox=1", "a/unix maxproc=0@1 cmd=smtp [x=1]");
}

#[test]
fn broken_entries_are_diagnostics() {
    check("short unix - -\n", "!1:Error");
    check("bad unix - - n - x smtp\n", "bad/unix maxproc=x@1 cmd=smtp []\n!1:Error");
    check("  orphan unix - - n - 1 smtp\n", "!1:Warning");
    check(
        "a unix - - n - 1 smtp\na unix - - n - 2 smtp\n",
        "a/unix maxproc=1@1 cmd=smtp []\na/unix maxproc=2@2 cmd=smtp []\n!2:Warning",
    );
    check("", "!0:Info");
}

#[test]
fn maxproc_values() {
    assert_eq!(maxproc_value("-"), Ok(Maxproc::Default));
    assert_eq!(maxproc_value("0"), Ok(Maxproc::Unlimited));
    assert_eq!(maxproc_value("12"), Ok(Maxproc::Limit(12)));
    assert_eq!(maxproc_value("99999999999999999999999"), Ok(Maxproc::Limit(u32::MAX)));
    assert!(maxproc_value("1x").is_err());
    assert!(maxproc_value("").is_err());
}

#[test]
fn non_utf8_and_nul_are_kept() {
    let text = b"a unix - - n - 3 smtp\n# caf\xe9\nb unix - - n - \x00 smtp\n";
    let doc = MasterCf::parse(text);
    assert_eq!(doc.render(), text);
    let found: Vec<_> = doc.diagnostics.iter().map(|d| (d.line, d.code.as_str(), d.severity.as_str())).collect();
    assert_eq!(found, vec![(2, "not-utf8", "warning"), (3, "nul", "error"), (3, "invalid-maxproc", "error")]);
}
