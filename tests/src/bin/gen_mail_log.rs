//! Writes a synthetic mail log for the benchmark (`tests/bench/run.sh`): rsyslog's RFC 3339
//! format, the lines a Postfix + amavisd server writes per message (connect, cleanup, qmgr,
//! amavisd's result, the delivery to amavisd, re-injection, local delivery, removal), with
//! occasional greeting timeouts and other programs' lines. Deterministic (a fixed seed).
//!
//! `gen-mail-log OUTPUT MIB`

use std::io::{BufWriter, Write};

/// amavisd children of the generated server (`$max_servers`).
const CHILDREN: usize = 16;

/// xorshift64*: small, fast and deterministic.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn stamp(micros: u64) -> String {
    // 2026-12-01T00:00:00+01:00 is 1796079600 s after the epoch.
    let total = micros / 1_000_000 + 1_796_079_600 + 3600;
    let seconds_of_day = total % 86_400;
    let day = 1 + (total - 1_796_083_200) / 86_400;
    format!(
        "2026-12-{:02}T{:02}:{:02}:{:02}.{:06}+01:00",
        day,
        seconds_of_day / 3600,
        seconds_of_day / 60 % 60,
        seconds_of_day % 60,
        micros % 1_000_000
    )
}

fn queue_id(random: &mut Random) -> String {
    const ALPHABET: &[u8] = b"0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
    (0..12).map(|_| ALPHABET[random.below(ALPHABET.len() as u64) as usize] as char).collect()
}

fn write_line(out: &mut impl Write, time: u64, host: &str, text: &str) -> std::io::Result<u64> {
    let line = format!("{} {host} {text}\n", stamp(time));
    out.write_all(line.as_bytes())?;
    Ok(line.len() as u64)
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(mib)) = (args.get(1), args.get(2).and_then(|m| m.parse::<u64>().ok())) else {
        eprintln!("usage: gen-mail-log OUTPUT MIB");
        std::process::exit(2);
    };
    let target = mib * 1024 * 1024;
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let mut written = 0u64;
    let mut now = 0u64;
    let mut message = 0u64;
    let host = "mx1";
    let mut pending = std::collections::BinaryHeap::new();
    let mut sessions = [0u64; CHILDREN];
    let mut free = [0u64; CHILDREN];
    while written < target {
        message += 1;
        // About 5 messages a second on average, in bursts.
        let gap = if random.below(10) == 0 { 40_000 } else { 350_000 };
        now += random.below(gap);
        let id = queue_id(&mut random);
        let reinjected = queue_id(&mut random);
        let smtpd = 20_000 + random.below(500);
        let scan_ms = 300 + random.below(2500);
        // The child free first takes the message (one at a time, as amavisd's children do);
        // the message waits in the queue manager (delays b) until then.
        let slot = (0..CHILDREN).min_by_key(|&i| free[i]).unwrap_or(0);
        let child = 3000 + slot as u64;
        let start = 90_000u64.max(free[slot].saturating_sub(now));
        let queued_s = (start - 90_000) as f64 / 1e6;
        free[slot] = now + start + scan_ms * 1000;
        // Each child counts its own sessions, and retires after 20 ($max_requests).
        sessions[slot] += 1;
        if sessions[slot] > 20 {
            sessions[slot] = 1;
        }
        let session = sessions[slot];
        let ip = format!("198.51.100.{}", random.below(250) + 1);
        let mut lines = vec![
            (0, format!("postfix/smtpd[{smtpd}]: connect from mail{message}.example.net[{ip}]")),
            (50_000, format!("postfix/smtpd[{smtpd}]: {id}: client=mail{message}.example.net[{ip}]")),
            (60_000, format!("postfix/cleanup[{}]: {id}: message-id=<{message}.{id}@example.net>", smtpd + 7)),
            (
                70_000,
                format!(
                    "postfix/qmgr[900]: {id}: from=<sender{message}@example.net>, size={}, nrcpt=1 (queue active)",
                    2000 + random.below(90_000)
                ),
            ),
            (
                80_000,
                format!(
                    "postfix/smtpd[{smtpd}]: disconnect from mail{message}.example.net[{ip}] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5"
                ),
            ),
        ];
        if random.below(500) == 0 {
            lines.push((start + 10_000_000, format!("postfix/smtp-amavis/smtp[{}]: {id}: to=<user{}@example.org>, relay=127.0.0.1[127.0.0.1]:10024, delay=10, delays=0.08/0/10/0, dsn=4.4.2, status=deferred (conversation with 127.0.0.1[127.0.0.1] timed out while receiving the initial server greeting)", smtpd + 11, message % 300)));
        } else {
            let done = start + scan_ms * 1000;
            lines.push((
                done - 20_000,
                format!("postfix/10025/smtpd[{}]: connect from localhost[127.0.0.1]", smtpd + 13),
            ));
            lines.push((
                done - 15_000,
                format!("postfix/10025/smtpd[{}]: {reinjected}: client=localhost[127.0.0.1]", smtpd + 13),
            ));
            lines.push((done - 1000, format!("amavis[{child}]: ({child:05}-{session:02}) Passed CLEAN {{RelayedInbound}}, [{ip}]:{} [{ip}] <sender{message}@example.net> -> <user{}@example.org>, Queue-ID: {id}, Message-ID: <{message}.{id}@example.net>, mail_id: m{message}, Hits: -1.{}, size: 4521, queued_as: {reinjected}, {scan_ms} ms", 40_000 + random.below(20_000), message % 300, random.below(999))));
            lines.push((done, format!("postfix/smtp-amavis/smtp[{}]: {id}: to=<user{}@example.org>, relay=127.0.0.1[127.0.0.1]:10024, delay={:.2}, delays=0.08/{:.2}/0/{:.2}, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as {reinjected})", smtpd + 11, message % 300, (scan_ms as f64) / 1000.0 + 0.08 + queued_s, queued_s + 0.01, scan_ms as f64 / 1000.0)));
            lines.push((done + 1000, format!("postfix/qmgr[900]: {id}: removed")));
            lines.push((done + 30_000, format!("postfix/lmtp[{}]: {reinjected}: to=<user{}@example.org>, relay=mail.example.org[private/dovecot-lmtp], delay=0.03, delays=0.01/0/0.01/0.01, dsn=2.0.0, status=sent (250 2.0.0 <user@example.org> Saved)", smtpd + 17, message % 300)));
            lines.push((done + 31_000, format!("postfix/qmgr[900]: {reinjected}: removed")));
        }
        if random.below(4) == 0 {
            lines.push((5000, format!("dovecot: imap-login: Login: user=<user{}@example.org>, method=PLAIN, rip={ip}, lip=192.0.2.1, mpid={}, TLS", message % 300, random.below(90_000))));
        }
        // Lines of one message interleave with the next ones': written in time order, as
        // syslog writes them, once no later message can come before them.
        for (offset, text) in lines {
            pending.push(std::cmp::Reverse((now + offset, text)));
        }
        while let Some(std::cmp::Reverse((time, _))) = pending.peek() {
            if *time > now {
                break;
            }
            let Some(std::cmp::Reverse((time, text))) = pending.pop() else { break };
            written += write_line(&mut out, time, host, &text)?;
        }
    }
    while let Some(std::cmp::Reverse((time, text))) = pending.pop() {
        written += write_line(&mut out, time, host, &text)?;
    }
    out.flush()?;
    eprintln!("{path}: {written} bytes, {message} messages");
    Ok(())
}
