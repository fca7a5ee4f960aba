use super::*;

use crate::check::test_config as config;

/// Each changed file as `path: new text`, or the refusal.
#[track_caller]
fn check_apply(config: &ConfigSet, n: u32, method: PostfixMethod, local: Option<usize>, expect: &str) {
    let options = ApplyOptions { concurrency: Concurrency::new(n).unwrap(), method, amavis_local_override: local };
    let actual = match apply(config, &options) {
        Ok(changes) => changes
            .files
            .iter()
            .map(|f| format!("{}: {}", f.path, String::from_utf8_lossy(&f.new)))
            .collect::<Vec<_>>()
            .join(""),
        Err(refusal) => format!("refused: {refusal}"),
    };
    assert_eq!(actual, expect);
}

const MAIN: &str = "content_filter = smtp-amavis:[127.0.0.1]:10024\n";

#[test]
fn both_sides_and_what_rises_with_them() {
    let c = config("smtp-amavis unix - - n - 2 smtp\n", MAIN, &[("50-user", "use strict;\n1;\n")]);
    check_apply(
        &c,
        6,
        PostfixMethod::MasterCf,
        Some(0),
        "50-user: use strict;\n$max_servers = 6;\n1;\nmaster.cf: smtp-amavis unix - - n - 6 smtp\n",
    );
    check_apply(
        &c,
        25,
        PostfixMethod::MasterCf,
        Some(0),
        "50-user: use strict;\n$max_servers = 25;\n1;\nmaster.cf: smtp-amavis unix - - n - 25 smtp\nmain.cf: content_filter = smtp-amavis:[127.0.0.1]:10024\nsmtp-amavis_destination_concurrency_limit = 25\n",
    );
    let c = config(
        "smtp-amavis unix - - n - 4 smtp\n127.0.0.1:10025 inet n - n - 4 smtpd\n  -o content_filter=\n",
        MAIN,
        &[("a.conf", "$max_servers = 4;\n")],
    );
    check_apply(
        &c,
        8,
        PostfixMethod::MasterCf,
        None,
        "a.conf: $max_servers = 8;\nmaster.cf: smtp-amavis unix - - n - 8 smtp\n127.0.0.1:10025 inet n - n - 8 smtpd\n  -o content_filter=\n",
    );
    // Lowering leaves the listener alone: it may take more.
    check_apply(
        &c,
        2,
        PostfixMethod::MasterCf,
        None,
        "a.conf: $max_servers = 2;\nmaster.cf: smtp-amavis unix - - n - 2 smtp\n127.0.0.1:10025 inet n - n - 4 smtpd\n  -o content_filter=\n",
    );
    // Already in place: nothing changes.
    check_apply(&c, 4, PostfixMethod::MasterCf, None, "");
}

#[test]
fn main_cf_method() {
    let c = config("smtp-amavis unix - - n - - smtp\n", MAIN, &[("a.conf", "$max_servers = 2;\n")]);
    check_apply(
        &c,
        7,
        PostfixMethod::MainCf,
        None,
        "a.conf: $max_servers = 7;\nmain.cf: content_filter = smtp-amavis:[127.0.0.1]:10024\nsmtp-amavis_destination_concurrency_limit = 7\n",
    );
    let c = config(
        "smtp-amavis unix - - n - - smtp\n",
        &format!("{MAIN}smtp-amavis_destination_recipient_limit = 1\n"),
        &[("a.conf", "$max_servers = 2;\n")],
    );
    check_apply(
        &c,
        7,
        PostfixMethod::MainCf,
        None,
        "refused: `smtp-amavis_destination_recipient_limit` is 1, so `smtp-amavis_destination_concurrency_limit` counts per recipient and cannot cap the connections to amavisd; use --method master-cf",
    );
}

#[test]
fn which_amavis_file() {
    let master = "smtp-amavis unix - - n - 2 smtp\n";
    // The package sets it; the local override file, read later, gets the new line.
    let c = config(master, MAIN, &[("20-debian_defaults", "$max_servers = 2;\n1;\n"), ("50-user", "1;\n")]);
    check_apply(
        &c,
        3,
        PostfixMethod::MasterCf,
        Some(1),
        "50-user: $max_servers = 3;\n1;\nmaster.cf: smtp-amavis unix - - n - 3 smtp\n",
    );
    // A file read after 50-user is in force: it is the one edited.
    let c = config(master, MAIN, &[("50-user", "$max_servers = 2;\n1;\n"), ("61-dms", "$max_servers = 2;\n1;\n")]);
    check_apply(
        &c,
        3,
        PostfixMethod::MasterCf,
        Some(0),
        "61-dms: $max_servers = 3;\n1;\nmaster.cf: smtp-amavis unix - - n - 3 smtp\n",
    );
    let c = config(master, MAIN, &[("50-user", "$max_servers = $n * 2;\n1;\n")]);
    check_apply(
        &c,
        3,
        PostfixMethod::MasterCf,
        Some(0),
        "refused: 50-user: line 1: $max_servers is set by `= $n * 2;`, which a static edit cannot change safely; replace it by hand with `$max_servers = 3;`",
    );
}

#[test]
fn ambiguous_files_are_refused() {
    let amavis = [("a.conf", "$max_servers = 2;\n")];
    check_apply(
        &config("smtp-amavis unix - - n - 2 smtp\n", "", &amavis),
        3,
        PostfixMethod::MasterCf,
        None,
        "refused: no content_filter names an amavis transport, so there is no Postfix side to set; configure the content filter first",
    );
    check_apply(
        &config("smtp-amavis unix - - n - 2 smtp\nsmtp-amavis unix - - n - 2 smtp\n", MAIN, &amavis),
        3,
        PostfixMethod::MasterCf,
        None,
        "refused: master.cf defines `smtp-amavis/unix` 2 times; remove the extra entries first",
    );
    check_apply(
        &config("amavis unix - - n - 2 smtp\n", MAIN, &amavis),
        3,
        PostfixMethod::MasterCf,
        None,
        "refused: content_filter names the transport `smtp-amavis`, which master.cf does not define: Postfix defers every message with \"unknown mail transport\"; resolve it by hand first",
    );
    check_apply(
        &config("smtp-amavis unix - - n - 2 smtp\nbad unix\n", MAIN, &amavis),
        3,
        PostfixMethod::MasterCf,
        None,
        "refused: master.cf:2: an entry needs 8 fields (service, type, private, unpriv, chroot, wakeup, maxproc, command), this one has 2: Postfix refuses the file (\"bad field count\"); fix it first",
    );
}
