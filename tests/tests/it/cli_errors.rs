//! Bad input to the CLI: exit code 2, one clear `error:` line, never a panic.

use amavis_tune_tests::Run;

#[track_caller]
fn check(args: &[&str], expect: &str) {
    let outcome = Run::new(args).run();
    assert_eq!(outcome.code, 2, "{args:?}: stdout {} stderr {}", outcome.stdout, outcome.stderr);
    assert!(outcome.stdout.is_empty(), "{args:?}: {}", outcome.stdout);
    assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
    let first = outcome.stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: "), "{args:?}: {}", outcome.stderr);
    assert!(outcome.stderr.contains(expect), "{args:?}: expected {expect:?} in:\n{}", outcome.stderr);
}

pub(crate) fn bad_plan_input() {
    check(&["plan", "--ram", "abc"], "invalid size `abc`: it does not start with a number");
    check(&["plan", "--ram", "0"], "invalid size `0`: it has no unit; add one, e.g. 8G or 8192M");
    check(&["plan", "--ram", "0G"], "it is less than 1 MiB");
    check(&["plan", "--ram", "-4G"], "invalid size `-4G`: a size cannot be negative");
    check(&["plan", "--ram", "8Q"], "invalid size `8Q`: unknown unit `Q`");
    check(&["plan", "--ram", "99999999T"], "it is more than the largest supported size, 64T");
    check(&["plan", "--ram", "18446744073709551616G"], "it is more than the largest supported size");
    check(&["plan", "--ram", "999999999999999999999999999G"], "it is far too large");
    check(
        &["plan", "--ram", "8G", "--concurrency", "0"],
        "invalid concurrency `0`: it is too small; use a whole number from 2 to 10000",
    );
    check(&["plan", "--ram", "8G", "--concurrency", "-1"], "invalid concurrency `-1`: it cannot be negative");
    check(&["plan", "--ram", "8G", "--concurrency", "1"], "amavisd does not fork");
    check(&["plan", "--ram", "8G", "--concurrency", "4294967296"], "it is too large");
    check(&["plan", "--ram", "8G", "--concurrency", "ten"], "it is not a whole number");
    check(
        &["plan", "--ram", "8G", "--os", "windows"],
        "invalid operating system `windows`: use debian, ubuntu, rhel, freebsd or openbsd",
    );
    check(
        &["plan", "--ram", "8G", "--os", "debian:x"],
        "invalid release `debian:x`: use FAMILY or FAMILY:VERSION, e.g. debian:12 (listed: debian:11,",
    );
    check(&["plan", "--ram", "8G", "--cpus", "0"], "invalid CPU count `0`: use a whole number from 1 to 4096");
    check(&["plan", "--ram", "8G", "--headroom", "95"], "invalid headroom `95`: use a whole percentage from 0 to 90");
    check(&["plan", "--ram", "8G", "--per-child", "0M"], "it is less than 1 MiB");
    check(&["plan", "--ram", "8G", "--service", "smtp amavis"], "a Postfix service name uses only letters");
    check(&["plan", "--ram", "8G", "--method", "sendmail"], "[possible values: master-cf, main-cf]");
    check(&["plan", "--no-clamav", "--no-concurrent-reload", "--ram", "8G"], "cannot be used with");
    check(&["plan", "--frobnicate"], "unexpected argument '--frobnicate'");
    check(&["nosuchcommand"], "unrecognized subcommand");
}

/// With `--format json`, every failing command also prints one JSON error object on stdout
/// (exit 2), whether the arguments or the work failed; stderr keeps the text.
pub(crate) fn json_errors() {
    let trees = amavis_tune_tests::workspace_root().join("tests/fixtures/trees");
    let proxy = trees.join("modoboa-debian-proxy-filter");
    let proxy = proxy.to_string_lossy();
    let cases: [(&[&str], &str); 6] = [
        (&["plan", "--ram", "abc", "--format", "json"], "invalid size `abc`"),
        (&["plan", "--ram", "8G", "--concurrency", "40", "--format", "json"], "concurrency 40 is above"),
        (&["check", "--root", "/nonexistent-tree", "--format", "json"], "cannot use --root /nonexistent-tree"),
        (&["apply", "--concurrency", "4", "--root", "/nonexistent-tree", "--format", "json"], "cannot use --root"),
        (
            &["apply", "--concurrency", "4", "--ram", "64G", "--dry-run", "--root", &proxy, "--format", "json"],
            "smtpd_proxy_filter",
        ),
        (&["measure", "--sysroot", "/nonexistent-tree", "--format", "json"], ""),
    ];
    for (args, expect) in cases {
        let outcome = Run::new(args).run();
        assert_eq!(outcome.code, 2, "{args:?}: {}", outcome.stderr);
        assert!(outcome.stderr.starts_with("error: "), "{args:?}: {}", outcome.stderr);
        let json: serde_json::Value = serde_json::from_str(&outcome.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: stdout is not one JSON object ({e}): {}", outcome.stdout));
        let message = json["error"]["message"].as_str().unwrap_or_else(|| panic!("{args:?}: {json}"));
        assert!(message.contains(expect), "{args:?}: {message}");
        assert!(json["error"].get("hint").is_some(), "{args:?}: {json}");
    }
}
