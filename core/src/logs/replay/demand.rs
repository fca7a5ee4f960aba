//! The demand, rebuilt per delivery from the log: when each delivery to amavisd became ready
//! for the transport (its logged time minus `b + c + d` of Postfix's `delays=a/b/c/d`), how long
//! it held a child (amavisd's elapsed ms for that message, joined by Postfix's Queue-ID or by
//! the queue id of the message amavisd passed back; else `d`), and how long it waited (`b + c`).
//!
//! Postfix logs a delivery when it ends, so deliveries come out of the log in order of their
//! ends, not of their readiness: a reorder window of [`REORDER_MICROS`] puts them back in order
//! before the replay. One transaction to several recipients logs one line per recipient with
//! the same queue id, time and delays: it is one delivery.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{Hash, Hasher};

use crate::logs::distribution::Distribution;
use crate::logs::replay::pool::Job;
use crate::logs::time::{MICROS_PER_SECOND, Micros};

/// How far back in time a delivery may become ready before the latest line and still be replayed
/// in order: 15 minutes (a delivery that waited longer than that is replayed at the window's
/// edge and counted as late).
pub(crate) const REORDER_MICROS: Micros = 15 * 60 * MICROS_PER_SECOND;

/// How many recent delivery lines are remembered to fold a transaction's per-recipient lines.
const RECENT_LINES: usize = 64;

/// A delivery as its line says it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Delivered<'a> {
    pub(crate) time: Micros,
    pub(crate) queue_id: &'a [u8],
    /// The queue id amavisd's re-injection got (`queued as X` in Postfix's reply).
    pub(crate) queued_as: Option<&'a [u8]>,
    pub(crate) recipient: &'a [u8],
    pub(crate) next_hop: &'a [u8],
    /// `delays=a/b/c/d`.
    pub(crate) delays: [f64; 4],
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    ready: Micros,
    /// How long Postfix held the connection, and so the child behind it: `c + d` (connecting,
    /// the greeting, the transfer, the scan and the re-injection's answer), or `d` alone when
    /// `c` may be a wait in amavisd's backlog (above [`HELD_CONNECT_S`] where Postfix may open
    /// more connections than amavisd has children), which holds no child.
    held: Micros,
    keys: [Option<u64>; 2],
    destination: u64,
    /// It waited for a child or a connection (`b + c` above [`WAITED_S`]): every child it could
    /// have had was busy when it became ready.
    waited: bool,
}

/// A connection set-up (`c`) up to this long is the child's time (a child being forked after
/// `$max_requests`, a busy host); longer, it is a wait in amavisd's listen backlog (the
/// verdict's [`crate::logs::verdict::CONNECT_WAIT_LIMIT_S`]).
const HELD_CONNECT_S: f64 = crate::logs::verdict::CONNECT_WAIT_LIMIT_S;

/// A delivery that waited longer than this (`b + c`) found every child busy.
const WAITED_S: f64 = 1.0;

/// The deliveries in order of readiness, with their service times.
#[derive(Debug, Clone)]
pub(crate) struct Demand {
    pending: BTreeMap<(Micros, u64), Pending>,
    sequence: u64,
    /// amavisd's elapsed ms by queue id (Postfix's, or the re-injected message's), with the
    /// time the result was logged.
    scans: HashMap<u64, (u64, Micros)>,
    recent: VecDeque<(u64, Micros, [u64; 4])>,
    latest: Micros,
    released: Micros,
    pub(crate) deliveries: u64,
    pub(crate) recipients: u64,
    pub(crate) late: u64,
    pub(crate) joined: u64,
    pushes: u64,
    /// amavisd's scan times (ms) of deliveries that waited (every child busy), and of those
    /// that did not.
    pub(crate) scan_ms_all_busy: Distribution,
    pub(crate) scan_ms_some_free: Distribution,
    /// Postfix may open more connections than amavisd has children (unless both numbers are
    /// known and Postfix's is not the larger): a long `c` may then be a wait in the backlog.
    pub(crate) backlog_possible: bool,
}

impl Demand {
    /// An empty demand; `backlog_possible` as the field says.
    pub(crate) fn new(backlog_possible: bool) -> Demand {
        Demand {
            pending: BTreeMap::new(),
            sequence: 0,
            scans: HashMap::new(),
            recent: VecDeque::new(),
            latest: 0,
            released: 0,
            deliveries: 0,
            recipients: 0,
            late: 0,
            joined: 0,
            pushes: 0,
            scan_ms_all_busy: Distribution::default(),
            scan_ms_some_free: Distribution::default(),
            backlog_possible,
        }
    }
}

pub(crate) fn key(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

impl Demand {
    /// A `status=sent` line on the amavisd hop. `per_recipient`: each recipient is a
    /// destination (`_destination_recipient_limit = 1`). Returns whether it began a delivery
    /// (false: another recipient of a delivery already counted).
    pub(crate) fn delivered(&mut self, line: Delivered<'_>, per_recipient: bool, out: &mut impl FnMut(Job)) -> bool {
        self.recipients += 1;
        let id = key(line.queue_id);
        let delays = line.delays.map(f64::to_bits);
        if self.recent.iter().any(|&(q, t, d)| q == id && t == line.time && d == delays) {
            return false;
        }
        if self.recent.len() == RECENT_LINES {
            self.recent.pop_front();
        }
        self.recent.push_back((id, line.time, delays));
        self.deliveries += 1;
        let [_, b, c, d] = line.delays;
        let micros = |seconds: f64| (seconds * MICROS_PER_SECOND as f64).round() as Micros;
        let ready = line.time - micros(b + c + d);
        let destination = if per_recipient { key(line.recipient) } else { key(line.next_hop) };
        let pending = Pending {
            ready,
            held: micros(if c <= HELD_CONNECT_S || !self.backlog_possible { c + d } else { d }),
            keys: [Some(id), line.queued_as.map(key)],
            destination,
            waited: b + c > WAITED_S,
        };
        self.sequence += 1;
        self.pending.insert((ready, self.sequence), pending);
        self.advance(line.time, out);
        true
    }

    /// amavisd's result for a message: its elapsed ms, under the queue ids it names.
    pub(crate) fn scanned(
        &mut self,
        time: Micros,
        queue_ids: [Option<&[u8]>; 2],
        elapsed_ms: u64,
        out: &mut impl FnMut(Job),
    ) {
        for id in queue_ids.into_iter().flatten() {
            self.scans.insert(key(id), (elapsed_ms, time));
        }
        self.advance(time, out);
    }

    fn advance(&mut self, time: Micros, out: &mut impl FnMut(Job)) {
        self.latest = self.latest.max(time);
        self.release(self.latest - REORDER_MICROS, out);
        self.pushes += 1;
        if self.pushes.is_multiple_of(4096) {
            let horizon = self.latest - 2 * REORDER_MICROS;
            self.scans.retain(|_, (_, at)| *at >= horizon);
        }
    }

    /// Every delivery still held, in order.
    pub(crate) fn finish(&mut self, out: &mut impl FnMut(Job)) {
        self.release(Micros::MAX, out);
    }

    fn release(&mut self, before: Micros, out: &mut impl FnMut(Job)) {
        while let Some(entry) = self.pending.first_entry() {
            if entry.key().0 >= before {
                break;
            }
            let pending = entry.remove();
            let mut ready = pending.ready;
            if ready < self.released {
                self.late += 1;
                ready = self.released;
            }
            self.released = ready;
            let scan = pending.keys.iter().flatten().find_map(|k| self.scans.get(k)).map(|(ms, _)| *ms);
            if let Some(ms) = scan {
                self.joined += 1;
                if pending.waited { &mut self.scan_ms_all_busy } else { &mut self.scan_ms_some_free }.add(ms);
            }
            // The child was held for amavisd's own elapsed time at least, and for as long as
            // Postfix held its connection: the longer of the two.
            let scan_micros = scan.map(|ms| i64::try_from(ms).unwrap_or(i64::MAX / 2) * 1000);
            let service = scan_micros.map_or(pending.held, |scan| scan.max(pending.held));
            out(Job { ready, service, destination: pending.destination });
        }
    }
}
