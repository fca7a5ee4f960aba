use super::*;

#[track_caller]
fn check_master(text: &str, value: u32, expect: &str) {
    let doc = MasterCf::parse(text.as_bytes());
    let out = set_maxproc(&doc, 0, value);
    assert_eq!(String::from_utf8_lossy(&out), expect);
    let again = set_maxproc(&MasterCf::parse(&out), 0, value);
    assert_eq!(again, out, "idempotent");
}

#[test]
fn maxproc_keeps_columns() {
    check_master(
        "smtp-amavis unix -       -       n       -       2       smtp\n",
        10,
        "smtp-amavis unix -       -       n       -       10      smtp\n",
    );
    check_master(
        "smtp-amavis unix -       -       n       -       10      smtp\n",
        2,
        "smtp-amavis unix -       -       n       -       2       smtp\n",
    );
    check_master("smtp-amavis unix - - n - 2 smtp\n", 100, "smtp-amavis unix - - n - 100 smtp\n");
    check_master("a\tunix\t-\t-\tn\t-\t2\tsmtp\n", 12, "a\tunix\t-\t-\tn\t-\t12\tsmtp\n");
    check_master("a unix - - n\n# c\n   -   -   lmtp\n  -o x=1\n", 7, "a unix - - n\n# c\n   -   7   lmtp\n  -o x=1\n");
    check_master("a unix - - n - 2 smtp\r\n", 30, "a unix - - n - 30 smtp\r\n");
    check_master("a unix - - n - 4 smtp", 4, "a unix - - n - 4 smtp");
}

#[track_caller]
fn check_main(text: &str, name: &str, value: &str, expect: &str) {
    let out = set_parameter(&MainCf::parse(text.as_bytes()), name, value);
    assert_eq!(String::from_utf8_lossy(&out), expect);
    assert_eq!(set_parameter(&MainCf::parse(&out), name, value), out, "idempotent");
}

#[test]
fn main_cf_parameters() {
    check_main("a = 1\nx_limit = 2\n", "x_limit", "8", "a = 1\nx_limit = 8\n");
    // `#` after a value is part of it in main.cf, not a comment.
    check_main("x_limit=2 # two\n", "x_limit", "8", "x_limit=8\n");
    check_main("x_limit = 2\nx_limit = 3\n", "x_limit", "8", "x_limit = 2\nx_limit = 8\n");
    check_main("a = 1", "x_limit", "8", "a = 1\nx_limit = 8\n");
    check_main("a = 1\r\n", "x_limit", "8", "a = 1\r\nx_limit = 8\r\n");
    check_main("", "x_limit", "8", "x_limit = 8\n");
    check_main("x_limit =\n", "x_limit", "8", "x_limit = 8\n");
    check_main("x_limit = 2\n  3\nb = 1\n", "x_limit", "8", "x_limit = 8\nb = 1\n");
}

#[track_caller]
fn check_amavis(text: &str, value: u32, expect: Result<&str, &str>) {
    let doc = AmavisConf::parse(text.as_bytes());
    let out = set_max_servers(&doc, value);
    match (&out, expect) {
        (Ok(out), Ok(expect)) => {
            assert_eq!(String::from_utf8_lossy(out), expect);
            assert_eq!(set_max_servers(&AmavisConf::parse(out), value).as_ref(), Ok(out), "idempotent");
        }
        (Err(refused), Err(expect)) => assert!(refused.to_string().contains(expect), "{refused}"),
        _ => panic!("{out:?} vs {expect:?}"),
    }
}

#[test]
fn amavis_assignments() {
    check_amavis(
        "use strict;\n$max_servers = 2;   # two\n1;\n",
        12,
        Ok("use strict;\n$max_servers = 12;   # two\n1;\n"),
    );
    check_amavis("$max_servers = 2; $max_servers = 3;\n", 5, Ok("$max_servers = 2; $max_servers = 5;\n"));
    check_amavis(
        "use strict;\n\n#---- Do not modify anything below this line ----\n1;  # ensure a defined return\n",
        6,
        // Above Debian's marker: nothing is meant to go below it.
        Ok(
            "use strict;\n\n$max_servers = 6;\n#---- Do not modify anything below this line ----\n1;  # ensure a defined return\n",
        ),
    );
    // A marker with code after it is not the end of the file's settings: the line goes above `1;`.
    check_amavis(
        "# Do not modify anything below this line\n$x = 1;\n1;\n",
        6,
        Ok("# Do not modify anything below this line\n$x = 1;\n$max_servers = 6;\n1;\n"),
    );
    check_amavis("use strict;\r\n1;\r\n", 6, Ok("use strict;\r\n$max_servers = 6;\r\n1;\r\n"));
    check_amavis("use strict;", 6, Ok("use strict;\n$max_servers = 6;\n"));
    check_amavis("$max_servers = $x * 2;\n", 6, Err("which a static edit cannot change safely"));
    check_amavis("if ($x) { $max_servers = 2; }\n", 6, Err("inside a block"));
}

/// Found by fuzzing: a maxproc field that begins its physical line (a vertical tab continues the
/// logical line without separating fields) keeps the line a continuation after the edit.
#[test]
fn maxproc_at_line_start_stays_on_a_continuation() {
    check_master("a unix - - n -\n\u{b} smtp\n", 7, "a unix - - n -\n 7 smtp\n");
}
