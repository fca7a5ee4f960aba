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

/// A fake amavisd under `root/proc` as `measure --watch` reads it: a master (pid 700) with the
/// children titled `titles` (pids 701...), listed by the kernel's `task/700/children`, its
/// listening socket on 127.0.0.1:10024 (an open file linking to `socket:[4242]`, the LISTEN row
/// of that inode in its `net/tcp` with `queue` connections waiting, a row of an established
/// connection after it), and its snmp.db open where the file is not.
pub(crate) fn fake_amavisd(root: &Path, titles: &[&str], queue: u32) {
    let proc_dir = root.join("proc");
    fake_process(&proc_dir, 1, 0, "/sbin/init", 4000);
    fake_process(&proc_dir, 700, 1, "/usr/sbin/amavisd (master)", 131_072);
    let pids: Vec<String> = (0..titles.len()).map(|i| (701 + i).to_string()).collect();
    for (pid, title) in pids.iter().zip(titles) {
        fake_process(&proc_dir, pid.parse().expect("a pid"), 700, title, 61_440);
    }
    let master = proc_dir.join("700");
    std::fs::create_dir_all(master.join("task/700")).expect("mkdir");
    std::fs::write(master.join("task/700/children"), format!("{} ", pids.join(" "))).expect("writes");
    std::fs::create_dir_all(master.join("fd")).expect("mkdir");
    std::os::unix::fs::symlink("socket:[4242]", master.join("fd/5")).expect("links");
    std::os::unix::fs::symlink("/dev/null", master.join("fd/0")).expect("links");
    std::fs::create_dir_all(master.join("net")).expect("mkdir");
    std::fs::write(
        master.join("net/tcp"),
        format!("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:2728 00000000:0000 0A 00000000:{queue:08X} 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 100 0 0 10 0
   2: 0100007F:2728 0100007F:C350 01 00000000:00000000 00:00000000 00000000   110        0 5001 1 0000000000000000 20 4 30 10 -1
"),
    )
    .expect("writes");
    let child = proc_dir.join("701");
    std::fs::create_dir_all(child.join("fd")).expect("mkdir");
    std::os::unix::fs::symlink(root.join("db/snmp.db"), child.join("fd/7")).expect("links");
}

fn watch_json(root: &Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut run = Run::new(["measure", "--format", "json"]);
    for arg in args {
        run = run.arg(arg);
    }
    let outcome = run.arg("--sysroot").run_with_arg(root);
    let json = serde_json::from_str(&outcome.stdout).unwrap_or_else(|e| panic!("{e}: {outcome:?}"));
    (outcome.code, json, outcome.stderr)
}

/// `measure --watch` on a fake /proc: 3 children working and 2 connections in the accept queue
/// give `postfix-exceeds-amavis` and 5 children needed; with the queue empty and a child free,
/// `right-sized`; `--expect` exits 1 when the number is not there, or connections wait.
pub(crate) fn watch_a_fake_proc_tree() {
    let full = tempfile::tempdir().expect("tempdir");
    let titles =
        ["/usr/sbin/amavisd (ch3-4101-07)", "/usr/sbin/amavisd (ch9-4102-12-2)", "/usr/sbin/amavisd (ch1-4103-01)"];
    fake_amavisd(full.path(), &titles, 2);
    let (code, json, stderr) = watch_json(full.path(), &["--watch", "1s", "--interval", "100ms"]);
    assert_eq!(code, 0, "{stderr}");
    let samples = json["samples"].as_u64().expect("samples");
    assert!((8..=11).contains(&samples), "1 s at 100 ms: {json}");
    assert_eq!(json["master_pid"], 700);
    assert_eq!(json["ports"], serde_json::json!(["127.0.0.1:10024"]), "the master's listening socket, by inode");
    assert_eq!(json["working"]["peak"], 3);
    assert_eq!(json["working"]["mean"], 3.0);
    assert_eq!(json["occupied"], serde_json::json!({"peak": 3, "mean": 3.0}));
    assert_eq!(json["accept_queue"]["peak"], 2);
    assert_eq!(json["accept_queue"]["mean"], 2.0);
    assert_eq!(json["accept_queue"]["samples_queued"], samples);
    assert_eq!(json["all_occupied_share"], 1.0);
    assert_eq!(json["verdict"], "postfix-exceeds-amavis");
    assert_eq!(json["needed"], 5, "3 working and 2 waiting");
    assert_eq!(json["working"]["distribution"].as_array().map(Vec::len), Some(4));
    assert_eq!(json["working"]["distribution"][3]["share"], 1.0);
    let note = json["snmp"]["note"].as_str().expect("why snmp.db was not read");
    assert!(note.contains("snmp.db is not there"), "{note}");
    assert!(json["snmp"]["mean"].is_null());
    assert!(json["started"].as_str().is_some_and(|s| s.ends_with('Z')), "{json}");
    assert!(json["own_cpu"]["ms"].is_u64(), "{json}");

    let text = Run::new(["measure", "--watch", "1s", "--sysroot"]).run_with_arg(full.path());
    assert_eq!(text.code, 0, "{}", text.stderr);
    for expected in [
        "Watched amavisd (master 700, listening on 127.0.0.1:10024) for 1.0 s: 5 samples, one every 200 ms.",
        "Children: 3. On average 3.00 working (at most 3), 0.00 holding a session for Postfix, 0.00 free.",
        "     3  ########################################  100.0%",
        "Accept queue (connections waiting for a child, summed over amavisd's TCP sockets): at most 2, 2.00 on average; not empty in 5 of 5 samples.",
        "Verdict: postfix-exceeds-amavis. Connections waited in amavisd's accept queue in 5 of 5 samples",
        "Children this moment needs: 5.",
        "snmp.db: not read: ",
    ] {
        assert!(text.stdout.contains(expected), "{expected}\n{}", text.stdout);
    }
    // Not on a terminal: no live line.
    assert!(text.stderr.is_empty(), "{}", text.stderr);

    // As a verification after a change: the number is there, connections still wait: exit 1.
    let (code, json, _) = watch_json(full.path(), &["--watch", "1s", "--expect", "3"]);
    assert_eq!((code, json["expect"]["reached"].as_bool()), (1, Some(true)), "{json}");

    let calm = tempfile::tempdir().expect("tempdir");
    let titles = [
        "/usr/sbin/amavisd (ch3-4101-07)",
        "/usr/sbin/amavisd (ch2-idle)",
        "/usr/sbin/amavisd (ch5-avail)",
        "/usr/sbin/amavisd (virgin child)",
    ];
    fake_amavisd(calm.path(), &titles, 0);
    let (code, json, stderr) = watch_json(calm.path(), &["--watch", "2s", "--expect", "4"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json["expect"]["reached"], true);
    assert_eq!(json["verdict"], "idle", "{json}");
    assert_eq!(json["occupied"]["peak"], 2);
    assert_eq!(json["accept_queue"]["peak"], 0);
    // The number never comes: after the duration, exit 1 and no sample.
    let (code, json, _) = watch_json(calm.path(), &["--watch", "1s", "--expect", "6"]);
    assert_eq!(
        (code, &json["expect"]["reached"], &json["samples"]),
        (1, &serde_json::json!(false), &serde_json::json!(0))
    );
    assert!(
        json["reason"].as_str().is_some_and(|r| r.starts_with("amavisd did not run the 6 children expected")),
        "{json}"
    );
}

/// Bad durations, an interval longer than the watch, and no amavisd: exit 2 with a clear error.
pub(crate) fn watch_bad_input() {
    let calm = tempfile::tempdir().expect("tempdir");
    fake_amavisd(calm.path(), &["/usr/sbin/amavisd (ch5-avail)", "/usr/sbin/amavisd (ch2-avail)"], 0);
    for (args, error) in [
        (&["--watch", "0s"][..], "out of range: from 1s to 24h"),
        (&["--watch", "30"][..], "invalid duration `30`"),
        (&["--watch", "2d"][..], "out of range"),
        (&["--watch", "1s", "--interval", "1ms"][..], "out of range: from 20ms to 10s"),
        (&["--watch", "1s", "--interval", "2s"][..], "the interval (2s) is longer than the watch (1s)"),
        (&["--interval", "1s"][..], "--watch"),
        (&["--watch", "1s", "--expect", "0"][..], "--expect"),
    ] {
        let mut run = Run::new(["measure"]);
        for arg in args {
            run = run.arg(arg);
        }
        let outcome = run.arg("--sysroot").run_with_arg(calm.path());
        assert_eq!(outcome.code, 2, "{args:?}: {}", outcome.stderr);
        assert!(outcome.stderr.contains(error), "{args:?}: {}", outcome.stderr);
        assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
    }
    let empty = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(empty.path().join("proc/1")).expect("mkdir");
    let outcome = Run::new(["measure", "--watch", "1s", "--sysroot"]).run_with_arg(empty.path());
    assert_eq!(outcome.code, 2);
    assert!(outcome.stderr.starts_with("error: no amavisd is running here"), "{}", outcome.stderr);
}

/// Ctrl-C (SIGINT) ends a watch early, and it still reports what it saw, with exit 0.
pub(crate) fn watch_ends_on_ctrl_c() {
    let calm = tempfile::tempdir().expect("tempdir");
    fake_amavisd(calm.path(), &["/usr/sbin/amavisd (ch5-avail)", "/usr/sbin/amavisd (ch2-4101-03)"], 0);
    let child = Command::new(amavis_tune_tests::binary())
        .args(["measure", "--watch", "60s", "--format", "json", "--sysroot"])
        .arg(calm.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("amavis-tune starts");
    std::thread::sleep(Duration::from_millis(1500));
    let started = std::time::Instant::now();
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs");
    assert!(status.success());
    let output = child.wait_with_output().expect("waits");
    assert!(started.elapsed() < Duration::from_secs(5), "it ended at once: {:?}", started.elapsed());
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["interrupted"], true);
    assert!(json["samples"].as_u64().is_some_and(|n| n >= 3), "{json}");
    assert!(json["duration_s"].as_f64().is_some_and(|s| s < 10.0), "{json}");
    assert_eq!(json["verdict"], "idle");
}
