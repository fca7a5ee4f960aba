//! The reader on lines written in each format, and the analysis on small logs whose figures are
//! worked out by hand in the comments.

use crate::logs::analysis::{LogOptions, analyze, analyze_texts};
use crate::logs::line::parse_line;
use crate::logs::report::LogReport;
use crate::logs::time::{ClassicStamps, Clock, Date, UtcOffset, format_time, parse_bound, parse_time};
use crate::logs::verdict::Verdict;

const DEC_2: Date = Date { year: 2026, month: 12, day: 2 };

/// Classic stamps of a log last written on `reference`, from a server whose offset is not known.
const fn local(reference: Date) -> ClassicStamps {
    ClassicStamps { reference, utc_offset: None }
}

/// The line's format, its time as the report prints it (`Z` only in UTC), host, program, pid and
/// message.
#[track_caller]
fn check_line(stamps: ClassicStamps, line: &str, expect: &str) {
    let actual = match parse_line(line.as_bytes(), stamps) {
        Some((l, format)) => format!(
            "{format:?} {} {} {} {:?} {}",
            format.clock(stamps.utc_offset).format(l.time),
            String::from_utf8_lossy(&l.host),
            String::from_utf8_lossy(&l.program),
            l.pid,
            String::from_utf8_lossy(&l.message)
        ),
        None => "none".to_owned(),
    };
    assert_eq!(actual, expect);
}

#[test]
fn every_format() {
    let c = |line, expect| check_line(local(DEC_2), line, expect);
    // syslog and amavisd's $LOGFILE space-pad the day; Postfix's maillog_file zero-pads it. Their
    // stamps are the server's local time: printed as written, without a `Z`.
    c(
        "Dec  2 07:22:40 mx postfix/qmgr[12]: 4A1: removed",
        "Classic 2026-12-02T07:22:40 mx postfix/qmgr Some(12) 4A1: removed",
    );
    c("Dec 02 07:22:40 mx postfix/smtp[13]: x", "Classic 2026-12-02T07:22:40 mx postfix/smtp Some(13) x");
    c("Nov 30 23:59:59.250 mx amavis[7]: (00007-01) y", "Classic 2026-11-30T23:59:59 mx amavis Some(7) (00007-01) y");
    c(
        "Dec  2 07:43:05 mx.example /usr/sbin/amavisd[4242]: (04242-01) Passed CLEAN",
        "Classic 2026-12-02T07:43:05 mx.example amavisd Some(4242) (04242-01) Passed CLEAN",
    );
    // rsyslog's RFC 3339 (microseconds and offset) and journalctl's short-iso (+hhmm).
    c(
        "2023-03-14T00:08:35.940347+01:00 gw postfix/amavis/smtp[302609]: q",
        "Iso 2023-03-13T23:08:35Z gw postfix/amavis/smtp Some(302609) q",
    );
    c(
        "2026-07-14T10:00:00+0200 gw postfix/10025/smtpd[9]: connect",
        "Iso 2026-07-14T08:00:00Z gw postfix/10025/smtpd Some(9) connect",
    );
    c("2026-07-14T10:00:00.5Z gw kernel: z", "Iso 2026-07-14T10:00:00Z gw kernel None z");
    // journalctl -o json, with MESSAGE as a string and as bytes (not UTF-8).
    c(
        r#"{"__REALTIME_TIMESTAMP":"1796200000000000","_HOSTNAME":"mx","SYSLOG_IDENTIFIER":"postfix/smtp","_PID":"55","MESSAGE":"4A1: to=<a@b>"}"#,
        "JournalJson 2026-12-02T08:26:40Z mx postfix/smtp Some(55) 4A1: to=<a@b>",
    );
    c(
        r#"{"__REALTIME_TIMESTAMP":"1796200000000000","_HOSTNAME":"mx","SYSLOG_IDENTIFIER":"amavis","SYSLOG_PID":"56","MESSAGE":[104,105,255]}"#,
        "JournalJson 2026-12-02T08:26:40Z mx amavis Some(56) hi\u{fffd}",
    );
    // Garbage is not a line; it is counted and skipped by the analysis.
    for garbage in [
        "",
        "hello",
        "Dec 32 07:22:40 mx p: x",
        "Dec  2 25:00:00 mx p: x",
        "2026-13-01T00:00:00Z h p: x",
        "{\"MESSAGE\":1}",
        "Dec  2 07:22:40 mx",
        "\u{0}\u{1}",
    ] {
        c(garbage, "none");
    }
}

#[test]
fn a_classic_year_rolls_over_new_year() {
    let jan_1 = local(Date { year: 2027, month: 1, day: 1 });
    check_line(jan_1, "Dec 31 23:59:59 mx p: a", "Classic 2026-12-31T23:59:59 mx p None a");
    check_line(jan_1, "Jan  1 00:00:01 mx p: b", "Classic 2027-01-01T00:00:01 mx p None b");
    // A day after the reference is still this year (a clock or time zone a little ahead).
    check_line(jan_1, "Jan  2 00:00:01 mx p: c", "Classic 2027-01-02T00:00:01 mx p None c");
}

/// The day of a classic stamp: syslog's padding (`Dec  2`), Postfix's zero (`Dec 02`), or neither
/// (`May 3`, as tools that collapse spaces write it).
#[test]
fn a_classic_day_with_one_space() {
    let c = |line, expect| check_line(local(DEC_2), line, expect);
    c("May 3 10:31:22 host postfix/smtp[123]: x", "Classic 2026-05-03T10:31:22 host postfix/smtp Some(123) x");
    c("Dec 2 07:22:40 mx p: x", "Classic 2026-12-02T07:22:40 mx p None x");
    c("Dec 2 07:22:40.5 mx p: x", "Classic 2026-12-02T07:22:40 mx p None x");
    c("Nov 30 23:59:59 mx p: x", "Classic 2026-11-30T23:59:59 mx p None x");
    c("Dec  2 07:22:40 mx p: x", "Classic 2026-12-02T07:22:40 mx p None x");
    for garbage in [
        "Dec  12 07:22:40 mx p: x",
        "Dec 123 07:22:40 mx p: x",
        "Dec   2 07:22:40 mx p: x",
        "Dec 2  07:22:40 mx p: x",
        "Dec 0 07:22:40 mx p: x",
        "Dec  0 07:22:40 mx p: x",
        "Dec 2 7:22:40 mx p: x",
        "Dec 2",
        "Dec ",
    ] {
        c(garbage, "none");
    }
}

/// With the server's offset (`--utc-offset`), classic stamps are converted to UTC and printed with
/// a `Z`; stamps that carry their own offset keep it.
#[test]
fn classic_stamps_with_the_servers_offset() {
    let at = |offset: &str| ClassicStamps { reference: DEC_2, utc_offset: UtcOffset::parse(offset) };
    let c = |offset, line, expect| check_line(at(offset), line, expect);
    c("+01:00", "Dec  2 07:43:05 mx p: x", "Classic 2026-12-02T06:43:05Z mx p None x");
    c("-05:00", "Dec 02 07:43:15 mx p: x", "Classic 2026-12-02T12:43:15Z mx p None x");
    c("+05:30", "May 3 10:31:22 mx p: x", "Classic 2026-05-03T05:01:22Z mx p None x");
    c("+00:00", "Dec  2 07:43:05 mx p: x", "Classic 2026-12-02T07:43:05Z mx p None x");
    // Past midnight on the server is the day before in UTC, east of Greenwich.
    c("+01:00", "Dec  2 00:30:00 mx p: x", "Classic 2026-12-01T23:30:00Z mx p None x");
    // The year is the server's: New Year's half past midnight at +02:00 is the year before in UTC.
    let jan_1 =
        ClassicStamps { reference: Date { year: 2027, month: 1, day: 1 }, utc_offset: UtcOffset::parse("+02:00") };
    check_line(jan_1, "Jan  1 00:30:00 mx p: x", "Classic 2026-12-31T22:30:00Z mx p None x");
    c("-05:00", "2023-03-14T00:08:35.940347+01:00 gw p: q", "Iso 2023-03-13T23:08:35Z gw p None q");
    c(
        "-05:00",
        r#"{"__REALTIME_TIMESTAMP":"1796200000000000","_HOSTNAME":"mx","SYSLOG_IDENTIFIER":"p","MESSAGE":"m"}"#,
        "JournalJson 2026-12-02T08:26:40Z mx p None m",
    );
}

#[track_caller]
fn check_offset(text: &str, expect: Option<&str>) {
    assert_eq!(UtcOffset::parse(text).map(|o| o.to_string()).as_deref(), expect, "{text}");
}

#[test]
fn utc_offsets() {
    check_offset("+01:00", Some("+01:00"));
    check_offset("-05:30", Some("-05:30"));
    check_offset("+0100", Some("+01:00"));
    check_offset("+01", Some("+01:00"));
    check_offset("+05:45", Some("+05:45"));
    check_offset("Z", Some("+00:00"));
    check_offset("-00:00", Some("+00:00"));
    check_offset(" +14:00 ", Some("+14:00"));
    check_offset("-12:00", Some("-12:00"));
    check_offset("+14:01", None);
    check_offset("-12:30", None);
    check_offset("01:00", None);
    check_offset("+1:00", None);
    check_offset("+01:60", None);
    check_offset("+01:0", None);
    check_offset("+01:00:00", None);
    check_offset("UTC", None);
    check_offset("", None);
}

#[test]
fn times_print_with_a_z_only_in_utc() {
    let dec_2_07_22_40 = parse_time("2026-12-02T07:22:40Z").unwrap();
    assert_eq!(Clock::Utc.format(dec_2_07_22_40), "2026-12-02T07:22:40Z");
    assert_eq!(Clock::ServerLocal.format(dec_2_07_22_40), "2026-12-02T07:22:40");
    assert_eq!(Clock::Mixed.format(dec_2_07_22_40), "2026-12-02T07:22:40");
    assert_eq!(Clock::Utc.and(Clock::Utc), Clock::Utc);
    assert_eq!(Clock::ServerLocal.and(Clock::Utc), Clock::Mixed);
}

#[test]
fn since_and_until() {
    assert_eq!(parse_time("2026-12-02").map(format_time).as_deref(), Some("2026-12-02T00:00:00Z"));
    assert_eq!(parse_time("2026-12-02 07:30").map(format_time).as_deref(), Some("2026-12-02T07:30:00Z"));
    assert_eq!(parse_time("2026-12-02T07:30:00+01:00").map(format_time).as_deref(), Some("2026-12-02T06:30:00Z"));
    assert_eq!(parse_time("yesterday"), None);
}

/// A `--since`/`--until` time on the clock of the lines it is compared with: `clock`, with the
/// server's offset `offset` ("" when not given).
#[track_caller]
fn check_bound(text: &str, clock: Clock, offset: &str, expect: &str) {
    let actual = parse_bound(text)
        .map_or_else(|| "none".to_owned(), |bound| clock.format(bound.on(clock, UtcOffset::parse(offset))));
    assert_eq!(actual, expect, "{text} on {clock:?} at {offset:?}");
}

#[test]
fn bounds_on_each_clock() {
    // Without an offset, a time is the server's local time, as its classic stamps are.
    check_bound("2026-12-02 07:00", Clock::ServerLocal, "", "2026-12-02T07:00:00");
    check_bound("2026-12-02 07:00", Clock::Utc, "+01:00", "2026-12-02T06:00:00Z");
    check_bound("2026-12-02", Clock::Utc, "-05:00", "2026-12-02T05:00:00Z");
    // The server's offset unknown, it can only be taken as UTC against stamps in UTC.
    check_bound("2026-12-02 07:00", Clock::Utc, "", "2026-12-02T07:00:00Z");
    // With its own offset, a time is an instant in UTC ...
    check_bound("2026-12-02T07:00:00+02:00", Clock::Utc, "+01:00", "2026-12-02T05:00:00Z");
    check_bound("2026-12-02T07:00:00Z", Clock::Utc, "", "2026-12-02T07:00:00Z");
    // ... and, against the server's clock when its offset is unknown, the time as written.
    check_bound("2026-12-02T07:00:00+02:00", Clock::ServerLocal, "", "2026-12-02T07:00:00");
    check_bound("2026-12-02T07:00:15Z", Clock::ServerLocal, "", "2026-12-02T07:00:15");
    check_bound("yesterday", Clock::Utc, "", "none");
    check_bound("2026-12-02 7:00", Clock::Utc, "", "none");
}

/// One line as each format writes it: (seconds after 07:00:00 on 2 Dec 2026 UTC, program, pid,
/// message).
type Line = (u32, &'static str, u32, &'static str);

fn classic(lines: &[Line], zero_pad: bool) -> String {
    let day = if zero_pad { "02" } else { " 2" };
    lines
        .iter()
        .map(|(s, p, pid, m)| format!("Dec {day} 07:{:02}:{:02} mx {p}[{pid}]: {m}\n", s / 60, s % 60))
        .collect()
}

fn iso(lines: &[Line]) -> String {
    // 08:00 at +01:00 is 07:00 UTC.
    lines
        .iter()
        .map(|(s, p, pid, m)| format!("2026-12-02T08:{:02}:{:02}.000000+01:00 mx {p}[{pid}]: {m}\n", s / 60, s % 60))
        .collect()
}

fn short_iso(lines: &[Line]) -> String {
    lines
        .iter()
        .map(|(s, p, pid, m)| format!("2026-12-02T07:{:02}:{:02}+0000 mx {p}[{pid}]: {m}\n", s / 60, s % 60))
        .collect()
}

fn journal(lines: &[Line]) -> String {
    // 2026-12-02T07:00:00Z is 1796194800 s after the epoch.
    lines
        .iter()
        .map(|(s, p, pid, m)| {
            let entry = serde_json::json!({
                "__REALTIME_TIMESTAMP": format!("{}", (1_796_194_800 + u64::from(*s)) * 1_000_000),
                "_HOSTNAME": "mx", "SYSLOG_IDENTIFIER": p, "_PID": pid.to_string(), "MESSAGE": m,
            });
            format!("{entry}\n")
        })
        .collect()
}

fn report(text: &str) -> LogReport {
    analyze(text.as_bytes(), LogOptions::new(DEC_2))
}

const AMAVIS: &str = "postfix/smtp-amavis/smtp";

/// Two deliveries, a greeting timeout and the same message's suspension on `postfix/error`, a
/// remote delivery, amavisd's results (one split in two, one with its per-recipient line), a
/// session gap, another program's line.
const MIXED: &[Line] = &[
    (
        10,
        AMAVIS,
        100,
        "AAA1: to=<a@x.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=2.1, delays=0.1/0.2/0.3/1.5, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as CCC1)",
    ),
    (
        10,
        "amavis",
        5001,
        "(05001-01) Passed CLEAN {RelayedInbound}, [192.0.2.1]:4000 <s@y.example> -> <a@x.example>, Queue-ID: AAA1, mail_id: m1, Hits: -, size: 900, queued_as: CCC1, 1400 ms",
    ),
    (
        10,
        "amavis",
        5001,
        "(05001-01) Passed CLEAN, <s@y.example> -> <a@x.example>, Hits: -, tag=0, tag2=5, kill=6.9, L/0/0/0",
    ),
    (
        20,
        AMAVIS,
        101,
        "AAA2: to=<b@x.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=3, delays=0.1/0.4/0/2.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
    ),
    (
        20,
        "amavis",
        5002,
        "(05002-03) Passed CLEAN {RelayedInbound}, [192.0.2.1]:4001 <s@y.example> -> <b@x.example>, Queue-ID: AAA2, Subject: \"long\"",
    ),
    (20, "amavis", 5002, "(05002-03) ...autolearn=no, 2400 ms"),
    (
        30,
        AMAVIS,
        100,
        "AAA3: to=<c@x.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=10.6, delays=0.1/0.5/10/0, dsn=4.4.2, status=deferred (conversation with 127.0.0.1[127.0.0.1] timed out while receiving the initial server greeting)",
    ),
    (
        31,
        "postfix/error",
        300,
        "AAA3: to=<c@x.example>, relay=none, delay=31, delays=31/0/0/0, dsn=4.4.2, status=deferred (delivery temporarily suspended: lost connection with 127.0.0.1[127.0.0.1] while receiving the initial server greeting)",
    ),
    (
        32,
        "postfix/smtp",
        102,
        "BBB1: to=<z@remote.example>, relay=mx.remote.example[192.0.2.5]:25, delay=1, delays=0.1/0/0.4/0.5, dsn=2.0.0, status=sent (250 ok)",
    ),
    (40, "amavis", 5001, "(05001-04) ESMTP :10024 /var/lib/amavis/tmp/amavis-x: <s@y.example> -> <d@x.example>"),
    (41, "dovecot", 400, "imap-login: Login: user=<a@x.example>"),
];

/// Postfix's lines and amavisd's in two texts (two files on most servers), each in another
/// format, merged by time: the same report as the one text they were cut from.
#[test]
fn separate_logs_merge_by_time() {
    let (postfix_lines, amavisd_lines): (Vec<Line>, Vec<Line>) = MIXED.iter().copied().partition(|l| l.1 != "amavis");
    let postfix = classic(&postfix_lines, true) + "not a log line\n";
    let amavisd = iso(&amavisd_lines);
    // The classic stamps line up with the RFC 3339 ones when the server runs in UTC, and is said to.
    let in_utc = || LogOptions { utc_offset: UtcOffset::parse("+00:00"), ..LogOptions::new(DEC_2) };
    let merged = analyze_texts(&[postfix.as_bytes(), amavisd.as_bytes()], in_utc());
    let whole = analyze((classic(MIXED, false) + "not a log line\n").as_bytes(), in_utc());
    assert_eq!(LogReport { formats: whole.formats.clone(), ..merged.clone() }, whole);
    assert_eq!(merged.sent, 2);
    assert_eq!(merged.scanned, 2);
    // Not merged (amavisd's lines all after Postfix's), the scans no longer meet their deliveries.
    let appended = analyze((classic(&postfix_lines, true) + &classic(&amavisd_lines, true)).as_bytes(), in_utc());
    assert_ne!(LogReport { formats: whole.formats.clone(), ..appended }, whole);
}

#[test]
fn the_same_figures_from_every_format() {
    // The first line used says 07:00:10: on the server's clock in a classic stamp, 08:00:10+01:00
    // (07:00:10 in UTC) in rsyslog's, in UTC in short-iso's and the journal's.
    let texts = [
        (classic(MIXED, false), "2026-12-02T07:00:10", Clock::ServerLocal),
        (classic(MIXED, true), "2026-12-02T07:00:10", Clock::ServerLocal),
        (iso(MIXED), "2026-12-02T07:00:10Z", Clock::Utc),
        (short_iso(MIXED), "2026-12-02T07:00:10Z", Clock::Utc),
        (journal(MIXED), "2026-12-02T07:00:10Z", Clock::Utc),
    ];
    for (text, first, clock) in &texts {
        let text = &(text.clone() + "this is not a log line\n");
        let r = report(text);
        // AAA1 and AAA2; the remote delivery BBB1 is not to amavisd.
        assert_eq!(r.sent, 2, "{text}");
        // AAA3, deferred twice: by the transport (a greeting that timed out), then by
        // postfix/error with no connection, the destination being suspended.
        assert_eq!(r.deferred_messages, 1);
        assert_eq!(
            (r.deferrals.greeting_timeout, r.deferrals.greeting_lost, r.deferrals.refused, r.deferrals.other),
            (1, 0, 0, 0)
        );
        assert_eq!((r.deferrals.suspended.greeting, r.deferrals.total()), (1, 2));
        // 1400 and 2400 ms (the per-recipient line and the split line's first part carry no
        // time): nearest rank, p50 is the 1st of 2, p90 and p99 the 2nd.
        assert_eq!((r.scan_ms.p50, r.scan_ms.p90, r.scan_ms.p99), (Some(1400), Some(2400), Some(2400)));
        // b: 0.2, 0.4, 0.5 (postfix/error's relay=none line has no connection) -> p95 0.5;
        // c: 0.3, 0, 10 -> 10.
        assert_eq!((r.wait_s.queue_p95, r.wait_s.connect_p95), (Some(0.5), Some(10.0)));
        // Busy: [08.2, 10.0] and [17.5, 20.0] -> seconds 8..=19: 0.8 1 0 ... 0.5 1 1; peak 1,
        // and the 99th percentile of 12 seconds is the 12th, 1.
        assert_eq!((r.busy.peak, r.busy.p99), (Some(1.0), Some(1.0)));
        // Both started in the minute 07:00: 2/60 per second; the used lines span 30 s, counted
        // as a minute.
        assert_eq!((r.arrivals_per_s.mean, r.arrivals_per_s.peak_minute), (Some(0.033), Some(0.033)));
        // Session 1 then 4 of child 5001: 2 abandoned.
        assert_eq!(r.abandoned_connections, 2);
        assert_eq!(r.verdict, Verdict::PostfixExceedsAmavis);
        // Two deliveries are too few for the replay to give a number.
        assert_eq!(r.needed, None);
        assert_eq!(
            (r.lines.total, r.lines.used, r.lines.other, r.lines.unparsed, r.lines.other_hosts),
            (12, 9, 2, 1, 0)
        );
        assert_eq!((r.period.first.as_deref(), r.period.clock), (Some(*first), *clock));
        assert_eq!(r.hours[0].start, first.replace("07:00:10", "07:00:00"));
    }
}

/// The period and hours on the clock the stamps give: classic stamps on the server's clock, or in
/// UTC with its offset; both kinds read together without the offset are `mixed`.
#[test]
fn the_period_on_the_stamps_clock() {
    let check = |text: &str, offset: &str, expect: (&str, &str, Clock)| {
        let r = analyze(text.as_bytes(), LogOptions { utc_offset: UtcOffset::parse(offset), ..LogOptions::new(DEC_2) });
        let first_hour = r.hours.first().map(|h| h.start.clone()).unwrap_or_default();
        assert_eq!(
            (r.period.first.unwrap_or_default(), first_hour, r.period.clock),
            (expect.0.to_owned(), expect.1.to_owned(), expect.2)
        );
    };
    // The first line used says Dec 2 07:00:10 (the server's time); at +01:00 that is 06:00:10 UTC.
    check(&classic(MIXED, false), "", ("2026-12-02T07:00:10", "2026-12-02T07:00:00", Clock::ServerLocal));
    check(&classic(MIXED, false), "+01:00", ("2026-12-02T06:00:10Z", "2026-12-02T06:00:00Z", Clock::Utc));
    check(&classic(MIXED, false), "-03:30", ("2026-12-02T10:30:10Z", "2026-12-02T10:00:00Z", Clock::Utc));
    // rsyslog's 08:00:10+01:00 is 07:00:10 UTC whatever the server's offset is said to be.
    check(&iso(MIXED), "-05:00", ("2026-12-02T07:00:10Z", "2026-12-02T07:00:00Z", Clock::Utc));
    let (postfix_lines, amavisd_lines): (Vec<Line>, Vec<Line>) = MIXED.iter().copied().partition(|l| l.1 != "amavis");
    let both = classic(&postfix_lines, false) + &iso(&amavisd_lines);
    check(&both, "", ("2026-12-02T07:00:10", "2026-12-02T07:00:00", Clock::Mixed));
    check(&both, "+00:00", ("2026-12-02T07:00:10Z", "2026-12-02T07:00:00Z", Clock::Utc));
}

/// `--since` and `--until` on the clock of the stamps: a time without an offset is the server's,
/// as classic stamps are.
#[test]
fn the_period_cut_on_the_stamps_clock() {
    // Deliveries the server logged at 07:00:01 and 08:00:02 (its own clock).
    let text = "Dec  2 07:00:01 mx postfix/smtp[1]: Q: to=<a@x>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n\
                Dec  2 08:00:02 mx postfix/smtp[1]: Q: to=<a@x>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n";
    let check = |offset: &str, since: &str, until: &str, expect: (u64, Option<&str>)| {
        let options = LogOptions {
            utc_offset: UtcOffset::parse(offset),
            since: parse_bound(since),
            until: parse_bound(until),
            ..LogOptions::new(DEC_2)
        };
        let r = analyze(text.as_bytes(), options);
        assert_eq!((r.sent, r.period.first.as_deref()), expect, "{offset} {since}..{until}");
    };
    check("", "2026-12-02 08:00", "", (1, Some("2026-12-02T08:00:02")));
    check("", "", "2026-12-02 08:00", (1, Some("2026-12-02T07:00:01")));
    check("+01:00", "2026-12-02 08:00", "", (1, Some("2026-12-02T07:00:02Z")));
    check("+01:00", "2026-12-02T07:00:00Z", "", (1, Some("2026-12-02T07:00:02Z")));
    check("+01:00", "2026-12-02T06:00:00Z", "", (2, Some("2026-12-02T06:00:01Z")));
    check("", "2026-12-02T08:00:00+01:00", "", (1, Some("2026-12-02T08:00:02")));
    check("", "2026-12-03", "", (0, None));
}

#[track_caller]
fn verdict_of(lines: &[Line], options: impl FnOnce(&mut LogOptions)) -> (Verdict, Option<u32>, String) {
    let mut o = LogOptions::new(DEC_2);
    options(&mut o);
    let r = analyze(classic(lines, false).as_bytes(), o);
    (r.verdict, r.needed, r.reason)
}

/// A delivery of 1 s that waited `b` s, with a queue id of its own (lines with the same queue id,
/// time and delays are one delivery's recipients).
fn sent(b: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "Q{id}: to=<a@x>, relay=127.0.0.1[127.0.0.1]:10024, delay=2, delays=0/{b}/0/1, dsn=2.0.0, status=sent (250 ok)"
    )
}

#[test]
fn verdicts() {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    // One delivery of 1 s at a time, 10 s apart: never more than one busy.
    let quiet: Vec<Line> = (0..6).map(|i| (i * 10 + 1, AMAVIS, 1, leak(sent("0.01")))).collect();
    assert_eq!(verdict_of(&quiet, |_| {}).0, Verdict::Idle);
    // Four 1 s deliveries ending at once: 4 busy in that second, no wait.
    let busy: Vec<Line> = (0..4).map(|i| (5, AMAVIS, i, leak(sent("0.01")))).collect();
    assert_eq!(verdict_of(&busy, |_| {}).0, Verdict::RightSized);
    // Deliveries that waited 30 s in the queue manager.
    let waiting: Vec<Line> = (0..4).map(|i| (5 + i, AMAVIS, i, leak(sent("30")))).collect();
    assert_eq!(verdict_of(&waiting, |_| {}).0, Verdict::Saturated);
    let (verdict, _, reason) = verdict_of(&waiting, |o| {
        o.max_servers = Some(8);
        o.postfix_limit = Some(2);
    });
    assert_eq!(verdict, Verdict::PostfixBelowAmavis, "{reason}");
    assert_eq!(
        verdict_of(&waiting, |o| {
            o.max_servers = Some(2);
            o.postfix_limit = Some(2);
        })
        .0,
        Verdict::Saturated
    );
    let refused: &[Line] = &[(
        1,
        "postfix/error",
        9,
        "Q1: to=<a@x>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to 127.0.0.1[127.0.0.1]:10024: Connection refused)",
    )];
    assert_eq!(verdict_of(refused, |_| {}).0, Verdict::AmavisdUnreachable);
    let denied: &[Line] = &[
        (1, "amavis", 7, "(!)DENIED ACCESS from IP 192.0.2.6, policy bank ''"),
        (
            1,
            AMAVIS,
            9,
            "Q1: to=<a@x>, relay=127.0.0.1[127.0.0.1]:10024, delay=9, delays=9/0.01/0/0, dsn=4.4.2, status=deferred (lost connection with 127.0.0.1[127.0.0.1] while receiving the initial server greeting)",
        ),
    ];
    assert_eq!(verdict_of(denied, |_| {}).0, Verdict::AmavisdRefuses);
    assert_eq!(verdict_of(&MIXED[8..], |_| {}).0, Verdict::NoData);
    // Another next hop: the default finds nothing, the right one finds the delivery.
    let other_port: &[Line] = &[(
        1,
        "postfix/amavis/smtp",
        9,
        "Q: to=<a@x>, relay=127.0.0.1[127.0.0.1]:10026, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)",
    )];
    assert_eq!(verdict_of(other_port, |_| {}).0, Verdict::NoData);
    assert_eq!(verdict_of(other_port, |o| o.next_hops = vec!["[127.0.0.1]:10026".into()]).0, Verdict::Idle);
    assert_eq!(verdict_of(other_port, |o| o.services = vec!["postfix/amavis/smtp".into()]).0, Verdict::Idle);
}

#[test]
fn needed_by_the_replay_bounded_by_memory_and_cpu() {
    // 120 deliveries of 2 s, two logged every second: two become ready every second and each
    // holds a child 2 s, so 4 children are busy all the time. The replay: 4 serve it with no
    // wait, 3 fall further behind with every second.
    let lines: Vec<Line> = (0..120u32)
        .map(|i| {
            let text = format!("Q{i}: to=<a@x>, relay=127.0.0.1[127.0.0.1]:10024, delay=2, delays=0/0/0/2, dsn=2.0.0, status=sent (250 ok)");
            (i / 2, AMAVIS, i, &*Box::leak(text.into_boxed_str()))
        })
        .collect();
    let (_, needed, reason) = verdict_of(&lines, |_| {});
    assert_eq!(needed, Some(4), "{reason}");
    assert!(reason.contains("No RAM or CPU count was given"), "{reason}");
    // One CPU: at most 3 per CPU.
    let one_cpu = |o: &mut LogOptions| {
        let mut inputs = crate::Inputs::new(crate::MiB(65536), crate::Os::Debian);
        inputs.cpus = Some(crate::Cpus::new(1).expect("one CPU"));
        o.inputs = Some(inputs);
    };
    let (_, needed, reason) = verdict_of(&lines, one_cpu);
    assert_eq!(needed, Some(3), "{reason}");
}

#[test]
fn host_filter_and_period() {
    let text = "Dec  2 07:00:01 a postfix/smtp[1]: Q: to=<a@x>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n\
                Dec  2 07:00:02 b postfix/smtp[1]: Q: to=<a@x>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n\
                Dec  2 08:00:02 B postfix/smtp[1]: Q: to=<a@x>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n";
    let all = report(text);
    assert_eq!(all.sent, 3);
    assert!(all.reason.contains("--host"), "{}", all.reason);
    let mut o = LogOptions::new(DEC_2);
    o.host = Some("b".into());
    o.until = parse_bound("2026-12-02T08:00:00Z");
    let b = analyze(text.as_bytes(), o);
    assert_eq!((b.sent, b.lines.other_hosts, b.lines.outside_period), (1, 1, 1));
}

#[test]
fn a_long_gap_costs_no_time() {
    // A delivery in 1971 and one in 9999: the idle seconds between are counted at once, not
    // walked one by one (which would take hours).
    let text = "1971-01-01T00:00:01Z mx postfix/smtp[1]: Q: to=<a@x>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n\
                9999-12-31T23:59:59Z mx postfix/smtp[1]: Q: to=<a@x>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n";
    let r = report(text);
    assert_eq!((r.sent, r.busy.peak, r.busy.p99), (2, Some(1.0), Some(0.0)));
    assert_eq!(r.hours.len(), 2);
}

/// A transport named by its `syslog_name` counts its `relay=none` lines (connection refused),
/// and teaches the analysis its next hop, so `postfix/error`'s lines for that hop count too.
#[test]
fn a_named_transport_teaches_its_next_hop() {
    let lines: &[Line] = &[
        (1, "postfix/smtp-amavis/smtp", 9, "connect to 127.0.0.1[127.0.0.1]:36873: Connection refused"),
        (
            1,
            "postfix/smtp-amavis/smtp",
            9,
            "Q1: to=<a@x>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:36873: Connection refused)",
        ),
        (
            2,
            "postfix/error",
            8,
            "Q2: to=<b@x>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to 127.0.0.1[127.0.0.1]:36873: Connection refused)",
        ),
        // Another hop's suspension is not amavisd's.
        (
            3,
            "postfix/error",
            8,
            "Q3: to=<c@x>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to 192.0.2.7[192.0.2.7]:25: Connection refused)",
        ),
    ];
    let mut options = LogOptions::new(DEC_2);
    options.services = vec!["postfix/smtp-amavis/smtp".to_owned()];
    let report = analyze(classic(lines, false).as_bytes(), options);
    assert_eq!(report.verdict, Verdict::AmavisdUnreachable);
    assert_eq!(report.deferred_messages, 2);
    // Q2 made no connection: it is not a refused attempt.
    assert_eq!((report.deferrals.refused, report.deferrals.suspended.refused), (1, 1));
    assert!(
        report.reason.contains("1 of 1 delivery attempts were refused")
            && report.reason.contains("1 more deliveries were deferred without a connection"),
        "{}",
        report.reason
    );
}

/// Forty deliveries deferred by `postfix/error` while the destination was suspended, after one
/// refused connection: one attempt, not forty-one.
#[test]
fn suspended_deliveries_are_not_attempts() {
    let mut lines: Vec<Line> = vec![(
        1,
        AMAVIS,
        9,
        "Q0: to=<a@x>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:10024: Connection refused)",
    )];
    for i in 1..=40u32 {
        let text = format!(
            "Q{i}: to=<a@x>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to 127.0.0.1[127.0.0.1]:10024: Connection refused)"
        );
        lines.push((2, "postfix/error", 8, &*Box::leak(text.into_boxed_str())));
    }
    let r = report(&classic(&lines, false));
    assert_eq!(r.verdict, Verdict::AmavisdUnreachable);
    assert_eq!((r.deferrals.refused, r.deferrals.suspended.refused, r.deferred_messages), (1, 40, 41));
    assert!(r.reason.contains("1 of 1 delivery attempts were refused"), "{}", r.reason);
    assert!(r.reason.contains("40 more deliveries were deferred without a connection"), "{}", r.reason);
    // A log that starts during the suspension: the suspensions say why.
    let r = report(&classic(&lines[1..], false));
    assert_eq!(r.verdict, Verdict::AmavisdUnreachable);
    assert!(r.reason.contains("No delivery attempt to amavisd is in the log, but 40 deliveries"), "{}", r.reason);
}
