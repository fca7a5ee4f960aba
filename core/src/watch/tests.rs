use super::*;

fn context() -> WatchContext {
    WatchContext {
        started: None,
        duration_s: 10.0,
        interval_ms: 200,
        master_pid: Some(100),
        master_changes: 0,
        ports: vec!["127.0.0.1:10024".to_owned()],
        unix_sockets: Vec::new(),
        queue_note: None,
        snmp: SnmpFigures::unread("not read in this test"),
        expect: None,
        interrupted: false,
        own_cpu_ms: 20,
        helper_cpu_ms: 0,
    }
}

/// `(working, session, free, queue)` of a sample, and how many times it is taken.
type Samples<'a> = &'a [((u32, u32, u32, Option<u32>), u64)];

fn watch(samples: Samples<'_>) -> Watch {
    let mut watch = Watch::new();
    for &((working, session, free, accept_queue), times) in samples {
        for _ in 0..times {
            watch.add(&Sample { working, session, free, other: 0, accept_queue });
        }
    }
    watch
}

#[track_caller]
fn check(samples: Samples<'_>, verdict: Verdict, needed: u32, at_least: bool) {
    let report = watch(samples).report(context());
    assert_eq!(
        (report.verdict, report.needed, report.needed_at_least),
        (verdict, needed, at_least),
        "{}",
        report.reason
    );
}

#[test]
fn verdicts() {
    use Verdict::*;
    // 3 children, all working, 2 connections waiting: the lab's 3 children for 5 clients.
    check(&[((3, 0, 0, Some(2)), 40), ((3, 0, 0, Some(1)), 10)], PostfixExceedsAmavis, 5, false);
    // One sample of a queue is the moment before an accept: not a verdict.
    check(&[((1, 0, 3, Some(1)), 1), ((1, 0, 3, Some(0)), 49)], Idle, 2, false);
    // Every child working most of the time, nothing queued: full.
    check(&[((4, 0, 0, Some(0)), 30), ((3, 1, 0, Some(0)), 20)], Saturated, 5, true);
    // Used, with children to spare.
    check(&[((3, 1, 4, Some(0)), 30), ((5, 0, 3, Some(0)), 5), ((1, 0, 7, Some(0)), 15)], RightSized, 5, false);
    check(&[((0, 0, 8, Some(0)), 45), ((2, 0, 6, Some(0)), 5)], Idle, 2, false);
    // No children at all, or no sample.
    check(&[((0, 0, 0, Some(0)), 10)], NoData, 2, false);
    check(&[], NoData, 2, false);
    // Queues unread (not root): judged on the titles alone, and said so.
    let report = watch(&[((2, 0, 2, None), 10)])
        .report(WatchContext { queue_note: Some("amavisd's open files cannot be read".to_owned()), ..context() });
    assert_eq!(report.verdict, RightSized);
    assert!(report.accept_queue.is_none());
    assert!(report.reason.contains("the accept queue was not read"), "{}", report.reason);
}

#[test]
fn figures_and_distribution() {
    let report = watch(&[((3, 0, 0, Some(2)), 6), ((2, 1, 0, Some(1)), 2), ((1, 0, 2, Some(0)), 2)]).report(context());
    assert_eq!(report.samples, 10);
    assert_eq!(report.working.peak, 3);
    assert_eq!(report.working.mean, 2.4);
    let shares: Vec<(u32, u64, f64)> =
        report.working.distribution.iter().map(|s| (s.working, s.samples, s.share)).collect();
    assert_eq!(shares, [(0, 0, 0.0), (1, 2, 0.2), (2, 2, 0.2), (3, 6, 0.6)]);
    assert_eq!(report.occupied, PeakMean { peak: 3, mean: 2.6 });
    assert_eq!(report.all_occupied_share, 0.8);
    assert_eq!(report.all_working_share, 0.6);
    assert_eq!(report.accept_queue, Some(QueueFigures { peak: 2, mean: 1.4, samples_queued: 8 }));
    assert_eq!(report.children, Some(ChildrenSeen { min: 3, max: 3, last: 3 }));
    assert_eq!(report.own_cpu.percent, 0.2);
    let json = serde_json::to_value(&report).unwrap();
    for key in ["working", "occupied", "accept_queue", "samples", "verdict", "needed", "snmp", "reason"] {
        assert!(json.get(key).is_some(), "{key}: {json}");
    }
    assert_eq!(json["verdict"], "postfix-exceeds-amavis");
}

#[test]
fn expectation_and_restarts_are_said() {
    let report = watch(&[((0, 0, 3, Some(0)), 5)]).report(WatchContext {
        expect: Some(Expectation { children: 5, reached: false, running: 3, waited_s: 30.0 }),
        master_changes: 1,
        ..context()
    });
    assert!(
        report.reason.starts_with("amavisd did not run the 5 children expected within 30 s: it ran 3."),
        "{}",
        report.reason
    );
    assert!(report.reason.contains("changed 1 time(s)"), "{}", report.reason);
    // After a reload to 5, the previous 3 children finish their sessions beside the new ones.
    let report = watch(&[((4, 2, 2, Some(0)), 5)]).report(WatchContext {
        expect: Some(Expectation { children: 5, reached: true, running: 8, waited_s: 2.0 }),
        ..context()
    });
    assert!(
        report.reason.contains("amavisd ran up to 8 children where 5 are expected: after a reload"),
        "{}",
        report.reason
    );
}

#[test]
fn samples_of_titles_and_the_one_sample_note() {
    let titles = [
        "/usr/sbin/amavisd (ch4-41234-03)",
        "/usr/sbin/amavisd (ch2-idle)",
        "/usr/sbin/amavisd (virgin child)",
        "/usr/sbin/amavisd (ch9-finish)",
    ];
    let sample = Sample::of_titles(titles, Some(2));
    assert_eq!(sample, Sample { working: 1, session: 1, free: 1, other: 1, accept_queue: Some(2) });
    assert_eq!((sample.children(), sample.occupied()), (4, 2));
    let note = sample.accept_queue_note(&["127.0.0.1:10024".to_owned()]).unwrap();
    assert!(
        note.starts_with("At this moment 2 connection(s) wait in the accept queue of amavisd's 127.0.0.1:10024"),
        "{note}"
    );
    assert_eq!(Sample { accept_queue: Some(0), ..sample }.accept_queue_note(&[]), None);
    assert_eq!(Sample { accept_queue: None, ..sample }.accept_queue_note(&[]), None);
}

#[test]
fn memory_stays_bounded() {
    let mut watch = Watch::new();
    watch.add(&Sample { working: u32::MAX, session: 0, free: 0, other: 0, accept_queue: Some(u32::MAX) });
    assert!(watch.working.len() <= MAX_TRACKED_CHILDREN as usize + 1);
    for _ in 0..100_000 {
        watch.add(&Sample { working: 1, session: 0, free: 1, other: 0, accept_queue: Some(0) });
    }
    assert_eq!(watch.working.len(), MAX_TRACKED_CHILDREN as usize + 1);
    assert_eq!(watch.samples(), 100_001);
}
