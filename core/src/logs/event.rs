//! What a line says, for the lines the analysis uses: a Postfix delivery attempt, or an amavisd
//! result, continuation, task id or access refusal. Stateless: one line in, at most one event out.

use memchr::memmem;

/// A Postfix delivery line: `QUEUEID: to=<...>, relay=..., delays=a/b/c/d, ..., status=...`.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery<'a> {
    pub queue_id: &'a [u8],
    /// The address in `to=<...>`.
    pub recipient: &'a [u8],
    /// `127.0.0.1[127.0.0.1]:10024`, or `none` (the `postfix/error` lines).
    pub relay: &'a [u8],
    /// `a/b/c/d` in seconds: before the queue manager, in it, connection set-up, transmission.
    pub delays: Option<[f64; 4]>,
    pub status: Status,
    /// The text in parentheses after the status.
    pub reason: &'a [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Sent,
    Deferred,
    Bounced,
    Other,
}

/// Why a delivery to amavisd was deferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeferralReason {
    /// `timed out while receiving the initial server greeting`: the connection waited in
    /// amavisd's listen backlog with no child free to greet it.
    GreetingTimeout,
    /// `lost connection with ... while receiving the initial server greeting`.
    GreetingLost,
    /// `Connection refused`: nothing listens (amavisd is not running).
    Refused,
    Other,
}

impl DeferralReason {
    pub fn of(reason: &[u8]) -> DeferralReason {
        let has = |needle: &str| memmem::find(reason, needle.as_bytes()).is_some();
        if has("timed out while receiving the initial server greeting") {
            DeferralReason::GreetingTimeout
        } else if has("lost connection") && has("initial server greeting") {
            DeferralReason::GreetingLost
        } else if has("Connection refused") || has("connection refused") {
            DeferralReason::Refused
        } else {
            DeferralReason::Other
        }
    }
}

/// `delivery temporarily suspended: ...`, `relay=none` (Postfix's qmgr_defer.c,
/// `qmgr_defer_recipient`, logged through `postfix/error`): no connection was made, because Postfix
/// had suspended the destination after a cohort of failed attempts; the text after the colon
/// repeats the failure that suspended it.
pub(crate) fn is_suspended(reason: &[u8]) -> bool {
    reason.starts_with(b"delivery temporarily suspended:")
}

/// A delivery line from a Postfix delivery agent (`.../smtp`, `.../lmtp`, `.../error`), or
/// `None`.
pub(crate) fn delivery(message: &[u8]) -> Option<Delivery<'_>> {
    let colon = memchr::memchr(b':', message)?;
    let queue_id = &message[..colon];
    if queue_id.is_empty() || !queue_id.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    let rest = &message[colon + 1..];
    if !rest.starts_with(b" to=") {
        return None;
    }
    let recipient = rest[4..].strip_prefix(b"<").map_or(&[][..], |r| &r[..memchr::memchr(b'>', r).unwrap_or(0)]);
    let relay = field(rest, b", relay=")?;
    let delays = field(rest, b", delays=").and_then(parse_delays);
    let status_at = memmem::find(rest, b", status=")? + b", status=".len();
    let status_text = &rest[status_at..];
    let word_end = status_text.iter().position(|&b| b == b' ' || b == b',').unwrap_or(status_text.len());
    let status = match &status_text[..word_end] {
        b"sent" => Status::Sent,
        b"deferred" => Status::Deferred,
        b"bounced" => Status::Bounced,
        _ => Status::Other,
    };
    let after = &status_text[word_end..];
    let reason = match (memchr::memchr(b'(', after), memchr::memrchr(b')', after)) {
        (Some(open), Some(close)) if close > open => &after[open + 1..close],
        _ => &[],
    };
    Some(Delivery { queue_id, recipient, relay, delays, status, reason })
}

/// The value of `name` (`, relay=`) up to the next comma.
fn field<'a>(text: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let start = memmem::find(text, name)? + name.len();
    let value = &text[start..];
    let end = memchr::memchr(b',', value).unwrap_or(value.len());
    Some(&value[..end])
}

fn parse_delays(text: &[u8]) -> Option<[f64; 4]> {
    let text = std::str::from_utf8(text).ok()?;
    let mut parts = text.split('/');
    let mut delays = [0.0; 4];
    for slot in &mut delays {
        let value: f64 = parts.next()?.parse().ok()?;
        if !value.is_finite() || value < 0.0 {
            return None;
        }
        *slot = value;
    }
    parts.next().is_none().then_some(delays)
}

/// `X` of `queued as X` in a delivery's reply: the queue id the next hop gave the message (for
/// amavisd, the message it passed back to Postfix).
pub(crate) fn queued_as(reason: &[u8]) -> Option<&[u8]> {
    let at = memmem::rfind(reason, b"queued as ")? + b"queued as ".len();
    queue_id_at(&reason[at..])
}

/// The queue ids an amavisd result names: Postfix's (`Queue-ID: X`, when Postfix sends it with
/// XFORWARD) and the message it passed back (`queued_as: X`).
pub(crate) fn result_queue_ids(message: &[u8]) -> [Option<&[u8]>; 2] {
    let after = |needle: &[u8]| memmem::find(message, needle).and_then(|at| queue_id_at(&message[at + needle.len()..]));
    [after(b"Queue-ID: "), after(b"queued_as: ")]
}

fn queue_id_at(text: &[u8]) -> Option<&[u8]> {
    let length = text.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
    (length > 0).then(|| &text[..length])
}

/// amavisd's task id: `(PID-SESSION)`, or `(PID-SESSION-MESSAGE)` on a reused session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TaskId {
    pub(crate) pid: u32,
    pub(crate) session: u32,
    pub(crate) message: Option<u32>,
}

/// What an amavisd line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AmavisKind {
    /// `Passed CLEAN ...`, `Blocked SPAM ...`: the per-message result, with the elapsed ms when
    /// the line carries it (the per-recipient second line, and the first part of a line amavisd
    /// split, carry none).
    Result { elapsed_ms: Option<u64> },
    /// `...` : the rest of a line amavisd split, with the elapsed ms when it is the last part.
    Continuation { elapsed_ms: Option<u64> },
    /// `(!)DENIED ACCESS from IP ...`: a client refused by `@inet_acl` (or a policy bank's own
    /// access list); a `$inet_socket_bind` mismatch is "Connection refused" on Postfix's side.
    DeniedAccess,
    /// Any other line (it may still carry a task id).
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AmavisLine {
    pub(crate) task: Option<TaskId>,
    pub(crate) kind: AmavisKind,
}

/// Whether a program name is amavisd's: `amavis` (syslog ident), `amavisd`, `amavisd-new`.
pub(crate) fn is_amavis(program: &[u8]) -> bool {
    matches!(program, b"amavis" | b"amavisd" | b"amavisd-new")
}

pub(crate) fn amavis(message: &[u8]) -> AmavisLine {
    let (task, rest) = task_id(message).map_or((None, message), |(task, rest)| (Some(task), rest));
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    let kind = if rest.starts_with(b"Passed ") || rest.starts_with(b"Blocked ") {
        AmavisKind::Result { elapsed_ms: elapsed_ms(rest) }
    } else if rest.starts_with(b"...") {
        AmavisKind::Continuation { elapsed_ms: elapsed_ms(rest) }
    } else if memmem::find(rest, b"DENIED ACCESS").is_some() {
        AmavisKind::DeniedAccess
    } else {
        AmavisKind::Other
    };
    AmavisLine { task, kind }
}

/// `(05028-04)` or `(05028-04-2)` at the start, and the rest of the message.
fn task_id(message: &[u8]) -> Option<(TaskId, &[u8])> {
    let inner = message.strip_prefix(b"(")?;
    let close = memchr::memchr(b')', inner)?;
    let mut parts = inner[..close].split(|&b| b == b'-');
    let number = |part: Option<&[u8]>| -> Option<u32> {
        let part = part?;
        if part.is_empty() || part.len() > 9 || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let pid = number(parts.next())?;
    let session = number(parts.next())?;
    let message_number = match parts.next() {
        Some(part) => Some(number(Some(part))?),
        None => None,
    };
    if parts.next().is_some() {
        return None;
    }
    Some((TaskId { pid, session, message: message_number }, &inner[close + 1..]))
}

/// `..., 1105 ms` at the end.
fn elapsed_ms(text: &[u8]) -> Option<u64> {
    let text = text.strip_suffix(b" ms")?;
    let start = memchr::memrchr(b' ', text)? + 1;
    let digits = &text[start..];
    if !text[..start - 1].ends_with(b",") || digits.is_empty() || digits.len() > 12 {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}
