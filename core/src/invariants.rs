//! The properties every reader and patcher keeps, as functions over arbitrary bytes: the fuzz
//! targets (`tests/fuzz`), the corpus replay test and the property tests all call these, so a
//! property is written once. Each returns what was violated, for a reproducible failure message.
//!
//! - no reader panics, and rendering an untouched document gives back its input byte for byte;
//! - every byte range a document hands out lies inside the input;
//! - a patch changes only the bytes of the number it owns (give or take the spaces that keep a
//!   column aligned), reads back as the new number, and is idempotent;
//! - `check` and `apply` never panic, and what `apply` returns reads back as N on both sides.

use crate::check::{ConfigSet, Status, check};
use crate::config::amavis_conf::{AmavisConf, AssignedValue};
use crate::config::main_cf::MainCf;
use crate::config::master_cf::{MAXPROC_FIELD, MasterCf};
use crate::edit::apply::{ApplyOptions, apply};
use crate::edit::patch::{set_max_servers, set_maxproc, set_parameter};
use crate::inputs::concurrency::Concurrency;
use crate::inputs::method::PostfixMethod;

/// The result of checking one property: `Err` names what was violated.
pub type Property = Result<(), String>;

fn ensure(holds: bool, what: impl FnOnce() -> String) -> Property {
    if holds { Ok(()) } else { Err(what()) }
}

/// A number to patch in, derived from the input so that a fuzzer explores it too.
pub fn number_from(bytes: &[u8]) -> u32 {
    let seed = bytes.iter().take(4).fold(0u32, |acc, b| acc.wrapping_mul(31).wrapping_add(u32::from(*b)));
    2 + seed % 99_999
}

/// The master.cf reader and `set_maxproc` (on at most `max_entries` entries, starting at one
/// chosen by `n`, so a fuzzer's time goes into many inputs rather than every entry of one).
pub fn master_cf(text: &[u8], n: u32, max_entries: usize) -> Property {
    let doc = MasterCf::parse(text);
    ensure(doc.render() == text, || "master.cf: render(parse(x)) != x".to_owned())?;
    for entry in &doc.entries {
        for field in &entry.fields {
            ensure(field.range.start <= field.range.end && field.range.end <= text.len(), || {
                format!("master.cf: field range {:?} outside {} bytes", field.range, text.len())
            })?;
        }
        let _ = entry.options();
    }
    let count = doc.entries.len();
    let first = if count > max_entries { n as usize % count } else { 0 };
    for index in (first..count).chain(0..first).take(max_entries) {
        let once = set_maxproc(&doc, index, n);
        let reparsed = MasterCf::parse(&once);
        ensure(reparsed.entries.len() == doc.entries.len(), || {
            format!("master.cf: setting entry {index}'s maxproc changed the number of entries")
        })?;
        for (i, (old, new)) in doc.entries.iter().zip(&reparsed.entries).enumerate() {
            let old_fields: Vec<&str> = old.fields.iter().map(|f| f.text.as_str()).collect();
            let mut new_fields: Vec<&str> = new.fields.iter().map(|f| f.text.as_str()).collect();
            if i == index {
                let written = new_fields.get(MAXPROC_FIELD).copied().unwrap_or_default();
                ensure(written == n.to_string(), || {
                    format!("master.cf: entry {index} reads maxproc {written:?}, not {n}")
                })?;
                if let (Some(slot), Some(old)) = (new_fields.get_mut(MAXPROC_FIELD), old_fields.get(MAXPROC_FIELD)) {
                    *slot = old;
                }
            }
            ensure(old_fields == new_fields, || {
                format!("master.cf: setting entry {index}'s maxproc changed entry {i}")
            })?;
        }
        let range = doc.entries[index].maxproc().range.clone();
        // A field that starts its physical line gets a space before the number (see set_maxproc).
        let starts_line = range.start > 0 && text[range.start - 1] == b'\n';
        let new = if starts_line { format!(" {n}") } else { n.to_string() };
        ensure(only_range_changed(text, &once, range, new.as_bytes()), || {
            format!("master.cf: setting entry {index}'s maxproc changed bytes outside the field")
        })?;
        ensure(set_maxproc(&reparsed, index, n) == once, || {
            format!("master.cf: set_maxproc({index}) is not idempotent")
        })?;
    }
    Ok(())
}

/// The main.cf reader and `set_parameter`.
pub fn main_cf(text: &[u8], n: u32) -> Property {
    const NAME: &str = "smtp-amavis_destination_concurrency_limit";
    let doc = MainCf::parse(text);
    ensure(doc.render() == text, || "main.cf: render(parse(x)) != x".to_owned())?;
    for parameter in &doc.parameters {
        let range = &parameter.value_range;
        ensure(range.start <= range.end && range.end <= text.len(), || {
            format!("main.cf: value range {range:?} outside {} bytes", text.len())
        })?;
    }
    let once = set_parameter(&doc, NAME, &n.to_string());
    let reparsed = MainCf::parse(&once);
    let read = reparsed.get(NAME).map(|p| p.value.clone());
    ensure(read.as_deref() == Some(n.to_string().as_str()), || format!("main.cf: {NAME} reads {read:?}, not {n}"))?;
    let others = |d: &MainCf| -> Vec<(String, String)> {
        d.parameters.iter().filter(|p| p.name != NAME).map(|p| (p.name.clone(), p.value.clone())).collect()
    };
    ensure(others(&doc) == others(&reparsed), || "main.cf: set_parameter changed another parameter".to_owned())?;
    if let Some(existing) = doc.get(NAME) {
        // `name =` with nothing after it gets the usual space before the value, and nothing else.
        let range = existing.value_range.clone();
        let spaced = range.is_empty() && range.start > 0 && text[range.start - 1] == b'=';
        let new = if spaced { format!(" {n}") } else { n.to_string() };
        ensure(only_range_changed(text, &once, range, new.as_bytes()), || {
            "main.cf: set_parameter changed bytes outside the value".to_owned()
        })?;
    }
    ensure(set_parameter(&reparsed, NAME, &n.to_string()) == once, || {
        "main.cf: set_parameter is not idempotent".to_owned()
    })
}

/// The amavisd config reader and `set_max_servers`.
pub fn amavis_conf(text: &[u8], n: u32) -> Property {
    let doc = AmavisConf::parse(text);
    ensure(doc.render() == text, || "amavisd.conf: render(parse(x)) != x".to_owned())?;
    for assignment in &doc.assignments {
        ensure(assignment.statement.end <= text.len(), || "amavisd.conf: statement outside the input".to_owned())?;
        if let AssignedValue::Number { value, range } = &assignment.value {
            let digits = String::from_utf8_lossy(&text[range.clone()]).replace('_', "");
            ensure(digits == value.to_string(), || format!("amavisd.conf: {digits:?} read as {value}"))?;
        }
    }
    if let Ok(once) = set_max_servers(&doc, n) {
        let reparsed = AmavisConf::parse(&once);
        let last = reparsed.last();
        ensure(last.is_some_and(|a| a.number() == Some(n)), || {
            format!("amavisd.conf: after the edit, last = {last:?}")
        })?;
        if let Some(AssignedValue::Number { range, .. }) = doc.last().map(|a| &a.value) {
            ensure(only_range_changed(text, &once, range.clone(), n.to_string().as_bytes()), || {
                "amavisd.conf: set_max_servers changed bytes outside the number".to_owned()
            })?;
        }
        ensure(set_max_servers(&reparsed, n) == Ok(once), || {
            "amavisd.conf: set_max_servers is not idempotent".to_owned()
        })?;
    }
    Ok(())
}

/// `check` and `apply` on the three files `input` splits into (at `0xFE 0xFE` pairs): never a
/// panic, and what `apply` returns reads back as N on both sides.
pub fn check_and_apply(input: &[u8], n: u32) -> Property {
    let mut parts = input.split(|b| *b == 0xFE);
    let master = parts.next().unwrap_or_default();
    let main = parts.next().unwrap_or_default();
    let amavis = parts.next().unwrap_or_default();
    let config = ConfigSet::from_texts(("master.cf", master), ("main.cf", main), [("amavisd.conf", amavis)]);
    let _ = check(&config);
    let Ok(concurrency) = Concurrency::new(n.min(crate::inputs::concurrency::MAX_CONCURRENCY)) else { return Ok(()) };
    for method in [PostfixMethod::MasterCf, PostfixMethod::MainCf] {
        let options = ApplyOptions { concurrency, method, amavis_local_override: None };
        if let Ok(changes) = apply(&config, &options) {
            ensure(changes.after.status == Status::Match, || {
                format!("apply ({method:?}) returned files that do not match")
            })?;
            ensure(changes.after.amavis.max_servers == Some(concurrency.get()), || {
                format!("apply ({method:?}): amavisd reads {:?} afterwards", changes.after.amavis.max_servers)
            })?;
        }
    }
    Ok(())
}

/// The permalink reader: never a panic, and a link it reads writes back to one that reads the same.
pub fn permalink(input: &[u8]) -> Property {
    let text = String::from_utf8_lossy(input);
    if let Ok(link) = crate::plan::permalink::parse_link(&text) {
        let again = crate::plan::permalink::parse_link(&crate::plan::permalink::to_query(&link.inputs))
            .map_err(|e| format!("permalink: a written link does not read back: {e}"))?;
        ensure(again.inputs == link.inputs, || "permalink: inputs changed on the way through a link".to_owned())?;
        let _ = crate::plan::plan(&link.inputs);
    }
    let _ = crate::inputs::size::parse_size(&text);
    Ok(())
}

/// The log reader and analysis: never a panic, every line counted once, and figures that hang
/// together (percentiles in order, the 99th percentile of busy connections at most the peak, N
/// at least 2, no-data exactly when nothing was found).
pub fn logs(input: &[u8]) -> Property {
    use crate::logs::analysis::{LogOptions, analyze};
    use crate::logs::time::Date;
    let lines = input.split(|&b| b == b'\n').filter(|line| !line.is_empty()).count() as u64;
    let mut options = LogOptions::new(Date { year: 2026, month: 12, day: 2 });
    options.services = vec!["postfix/smtp-amavis/smtp".to_owned()];
    let r = analyze(input, options);
    let c = r.lines;
    ensure(c.total == lines, || format!("logs: {} lines counted of {lines}", c.total))?;
    ensure(c.used + c.other + c.unparsed + c.other_hosts + c.outside_period == c.total, || {
        format!("logs: line counts {c:?} do not add up")
    })?;
    let ordered = |p: &crate::logs::report::Percentiles| match (p.p50, p.p90, p.p99) {
        (Some(a), Some(b), Some(c)) => a <= b && b <= c,
        (None, None, None) => true,
        _ => false,
    };
    ensure(ordered(&r.scan_ms), || format!("logs: scan percentiles out of order: {:?}", r.scan_ms))?;
    for busy in [r.busy, r.busy_amavisd] {
        ensure(busy.p99.zip(busy.peak).is_none_or(|(p99, peak)| p99 <= peak), || format!("logs: busy {busy:?}"))?;
    }
    ensure(
        r.needed.is_some() == r.needed_for_load.is_some()
            && r.needed
                .zip(r.needed_for_load)
                .is_none_or(|(needed, for_load)| needed >= 2 && needed <= for_load.max(2)),
        || format!("logs: needed {:?} of {:?}", r.needed, r.needed_for_load),
    )?;
    ensure(r.deferred_messages <= r.deferrals.total(), || {
        "logs: more deferred messages than deferral lines".to_owned()
    })?;
    let nothing = r.sent + r.deferrals.total() + r.scanned == 0;
    ensure(nothing == (r.verdict == crate::logs::verdict::Verdict::NoData), || {
        format!(
            "logs: verdict {:?} with {} sent, {} deferrals, {} scanned",
            r.verdict,
            r.sent,
            r.deferrals.total(),
            r.scanned
        )
    })?;
    Ok(())
}

/// `after` is `before` with `range` replaced by `new`, give or take spaces right after it.
fn only_range_changed(before: &[u8], after: &[u8], range: std::ops::Range<usize>, new: &[u8]) -> bool {
    let skip_spaces = |bytes: &[u8]| -> Vec<u8> { bytes.iter().copied().skip_while(|&b| b == b' ').collect() };
    range.end <= before.len()
        && after.len() >= range.start + new.len()
        && before[..range.start] == after[..range.start]
        && &after[range.start..range.start + new.len()] == new
        && skip_spaces(&before[range.end..]) == skip_spaces(&after[range.start + new.len()..])
}
