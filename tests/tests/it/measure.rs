//! `amavis-tune measure` and `plan --measured`: against a /proc tree of real shape, and against
//! real processes that allocate and share memory in a known way.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use amavis_tune_tests::Run;

pub(crate) fn fake_process(proc_dir: &Path, pid: u32, ppid: u32, command: &str, pss_kib: u64) {
    let dir = proc_dir.join(pid.to_string());
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("cmdline"), format!("{command}\0")).expect("writes");
    std::fs::write(
        dir.join("stat"),
        format!("{pid} ({}) S {ppid} {pid} {pid} 0 -1 4194560", command.split(' ').next().unwrap_or_default()),
    )
    .expect("writes");
    std::fs::write(
        dir.join("smaps_rollup"),
        format!("55d0c0a00000-7ffd8a5ff000 ---p 00000000 00:00 0                          [rollup]\nRss:            {} kB\nPss:            {pss_kib} kB\nShared_Clean:     81920 kB\nShared_Dirty:         0 kB\nPrivate_Clean:     1024 kB\nPrivate_Dirty:    {} kB\n", pss_kib * 2, pss_kib / 2),
    )
    .expect("writes");
}

pub(crate) fn fake_proc_tree() {
    let root = tempfile::tempdir().expect("tempdir");
    let proc_dir = root.path().join("proc");
    fake_process(&proc_dir, 1, 0, "/sbin/init", 4000);
    // amavisd started under timeout(1): its command line names amavisd, but it is not amavisd.
    fake_process(&proc_dir, 699, 1, "timeout 300 /usr/sbin/amavisd -c /etc/amavisd.conf foreground", 1_024);
    fake_process(&proc_dir, 700, 699, "amavisd (master)", 131_072);
    for (pid, pss) in [(701, 61_440), (702, 71_680), (703, 81_920)] {
        fake_process(&proc_dir, pid, 700, &format!("amavisd (ch{}-avail)", pid - 700), pss);
    }
    // A child that has not scanned mail yet: left out of the per-child figure.
    fake_process(&proc_dir, 704, 700, "amavisd (virgin child)", 4_096);
    fake_process(&proc_dir, 800, 1, "/usr/sbin/clamd --foreground=true", 1_572_864);
    std::fs::create_dir_all(proc_dir.join("self")).expect("mkdir");
    std::fs::write(proc_dir.join("meminfo"), "MemTotal:        8388608 kB\n").expect("writes");

    let outcome = Run::new(["measure", "--format", "json", "--sysroot"]).run_with_arg(root.path());
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
    assert_eq!(json["amavisd_parent"]["pid"], 700);
    assert_eq!(json["amavisd_children"].as_array().map(Vec::len), Some(4));
    assert_eq!((json["working_children"].as_u64(), json["virgin_children"].as_u64()), (Some(3), Some(1)));
    // The fakes' private memory is 1 MiB clean plus half the PSS dirty: 31, 36 and 41 MiB for the
    // three that scanned mail; the parent's RSS is twice its PSS.
    assert_eq!(json["per_child"], 36, "the mean private memory of the children that scanned mail, in MiB");
    assert_eq!(json["amavisd_parent_rss"], 256);
    assert_eq!(json["clamd_pss"], 1536);
    let text = Run::new(["measure", "--sysroot"]).run_with_arg(root.path());
    assert!(text.stdout.contains("Per child, for planning: 36 MiB, the mean private memory"), "{}", text.stdout);
    assert!(text.stdout.contains("4 amavisd children: 3 have scanned mail, 1 have not yet"), "{}", text.stdout);
    assert!(text.stdout.contains("warning: 1 of 4 amavisd children have not scanned mail yet"), "{}", text.stdout);
    assert!(
        text.stdout.contains("PSS against 8192 MiB of RAM:\n  [")
            && text.stdout.contains("p amavisd-parent 128, k amavisd-children 214, c clamd 1536, . free (MiB)"),
        "{}",
        text.stdout
    );

    let plan =
        Run::new(["plan", "--measured", "--os", "debian", "--format", "json", "--sysroot"]).run_with_arg(root.path());
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).expect("valid JSON");
    assert_eq!(json["assumptions"]["per_child_mib"], 36);
    assert_eq!(json["assumptions"]["amavisd_parent_mib"], 256);
    assert_eq!(json["sources"]["measured"]["per_child_mib"], 36);
    assert_eq!(json["inputs"]["ram_mib"], 8192);
    // An explicit override beats the measurement.
    let plan =
        Run::new(["plan", "--measured", "--per-child", "90M", "--os", "debian", "--format", "json", "--sysroot"])
            .run_with_arg(root.path());
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).expect("valid JSON");
    assert_eq!(json["assumptions"]["per_child_mib"], 90);

    let empty = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(empty.path().join("proc/1")).expect("mkdir");
    let nothing = Run::new(["measure", "--sysroot"]).run_with_arg(empty.path());
    assert_eq!(nothing.code, 2);
    assert!(nothing.stderr.starts_with("error: no amavisd or clamd process is running"), "{}", nothing.stderr);
}

/// A fake amavisd in Perl: the parent fills 48 MiB before forking (shared with its children
/// copy-on-write), each of 3 children then fills 24 MiB of its own and, once it has, creates the
/// file `ready-N` in the directory given as its argument.
const FAKE_AMAVISD: &str = r#"
my $dir = shift @ARGV;
$0 = "amavisd (master)";
my $shared = "s" x (48 * 1024 * 1024);
my @children;
for my $n (1 .. 3) {
    my $pid = fork();
    if ($pid == 0) {
        $0 = "amavisd (ch$n-avail)";
        my $own = "c" x (24 * 1024 * 1024);
        open(my $fh, ">", "$dir/ready-$n") or die;
        close($fh);
        sleep 60;
        exit 0;
    }
    push @children, $pid;
}
$SIG{TERM} = sub { kill 'TERM', @children; exit 0 };
sleep 60;
kill 'TERM', @children;
"#;

pub(crate) fn real_processes() {
    // The fake must be the amavisd with the most children while it is measured.
    let _one_amavisd = amavis_tune_tests::lab::one_amavisd_at_a_time();
    let ready = tempfile::tempdir().expect("tempdir");
    let mut parent = Command::new("perl")
        .arg("-e")
        .arg(FAKE_AMAVISD)
        .arg(ready.path())
        .stdout(Stdio::null())
        .spawn()
        .expect("perl starts");
    let mut measured = None;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(100));
        // Measure only once every child has filled its own memory: a child caught mid-fill
        // has less private memory than the test asserts.
        if (1..=3).any(|n| !ready.path().join(format!("ready-{n}")).exists()) {
            continue;
        }
        let outcome = Run::new(["measure", "--format", "json"]).run();
        if outcome.code != 0 {
            continue;
        }
        let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
        if json["amavisd_parent"]["pid"] == parent.id()
            && json["amavisd_children"].as_array().is_some_and(|c| c.len() == 3)
            && json["per_child"].as_u64().is_some_and(|p| p >= 24)
            && json["working_children"] == 3
        {
            measured = Some(json);
            break;
        }
    }
    let _ = Command::new("kill").arg(parent.id().to_string()).status();
    let _ = parent.wait();
    let json = measured.expect("measure found the fake amavisd and its 3 children");
    let per_child = json["per_child"].as_u64().expect("per child");
    let child = &json["amavisd_children"][0]["memory"];
    let private = child["private_kib"].as_u64().expect("private") / 1024;
    let rss = child["rss_kib"].as_u64().expect("rss") / 1024;
    // Each child's own 24 MiB is private to it.
    assert!((24..=32).contains(&private), "private {private} MiB: {json}");
    // The figure for planning is the children's mean private memory (the 48 MiB they share with
    // the parent are the parent's RSS, counted once); RSS counts the shared pages in every child.
    assert!((24..=32).contains(&per_child), "per-child private {per_child} MiB: {json}");
    assert!(rss >= private + 48, "RSS counts the parent's 48 MiB again: {rss} MiB");
    let parent_rss = json["amavisd_parent_rss"].as_u64().expect("parent RSS");
    assert!(parent_rss >= 48, "the parent's RSS holds its 48 MiB: {parent_rss} MiB");
}

/// With amavisd running, a plain `plan` (no --ram, no override) measures by itself and says so.
pub(crate) fn plan_measures_by_itself_on_a_mail_server() {
    let root = tempfile::tempdir().expect("tempdir");
    let proc_dir = root.path().join("proc");
    fake_process(&proc_dir, 700, 1, "amavisd (master)", 131_072);
    fake_process(&proc_dir, 701, 700, "amavisd (ch1-avail)", 92_160);
    fake_process(&proc_dir, 702, 700, "amavisd (ch2-avail)", 92_160);
    std::fs::write(proc_dir.join("meminfo"), "MemTotal:        8388608 kB\n").expect("writes");
    let outcome = Run::new(["plan", "--os", "debian", "--sysroot"]).run_with_arg(root.path());
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(outcome.stdout.contains("Measured on this server (amavisd runs here and nothing was overridden) from 2 children (MiB: a child's private memory, the parent's RSS): per child 46 (default 70)"), "{}", outcome.stdout);
    let with_ram = Run::new(["plan", "--os", "debian", "--ram", "8G", "--sysroot"]).run_with_arg(root.path());
    assert!(!with_ram.stdout.contains("Measured on this server"), "a plan for another machine measures nothing");
}
