//! Postfix's side: which transport leads to amavisd, and how many deliveries it runs at once.

use super::findings::{Finding, FindingCode};
use super::{Cap, ConfigSet, Location, PostfixSide, effective_maxproc, numeric_parameter};
use crate::config::diagnostic::Severity;
use crate::config::postfix_defaults::DEFAULT_DESTINATION_CONCURRENCY_LIMIT;

/// One `content_filter` setting: the transport and next hop it names, and where.
struct Filter {
    transport: String,
    nexthop: String,
    location: Location,
}

pub(super) fn postfix_side(config: &ConfigSet, findings: &mut Vec<Finding>) -> PostfixSide {
    let mut side = PostfixSide {
        service: None,
        maxproc: None,
        maxproc_source: None,
        effective: None,
        cap: Cap::Unknown,
        destination_concurrency_limit: None,
        destination_concurrency_limit_source: None,
        destination_concurrency_limit_applies: false,
        destinations: 0,
    };
    let filters = content_filters(config, findings);
    let Some(first) = filters.first() else {
        findings.push(Finding::new(
            FindingCode::NoTransport,
            Severity::Error,
            "no content_filter is set in main.cf or on a master.cf service, so Postfix sends no mail to amavisd; set `content_filter = smtp-amavis:[127.0.0.1]:10024` in main.cf".to_owned(),
            Some(Location { path: config.main_cf.path.clone(), line: 0 }),
        ));
        return side;
    };
    let transport = first.transport.clone();
    let mut others: Vec<&str> = filters.iter().map(|f| f.transport.as_str()).filter(|t| *t != transport).collect();
    others.dedup();
    if !others.is_empty() {
        findings.push(Finding::new(
            FindingCode::SeveralTransports,
            Severity::Warning,
            format!("content_filter names several transports ({transport}, {}); this check covers `{transport}` only, check the others by hand", others.join(", ")),
            Some(first.location.clone()),
        ));
    }
    let mut nexthops: Vec<&str> =
        filters.iter().filter(|f| f.transport == transport).map(|f| f.nexthop.as_str()).collect();
    nexthops.sort_unstable();
    nexthops.dedup();
    side.destinations = nexthops.len();
    side.service = Some(transport.clone());

    let master = &config.master_cf;
    let entry = master
        .doc
        .find(&transport, "unix")
        .next()
        .or_else(|| master.doc.entries.iter().find(|e| e.service() == transport));
    let Some(entry) = entry else {
        findings.push(Finding::new(
            FindingCode::TransportMissing,
            Severity::Error,
            format!("content_filter names the transport `{transport}`, which master.cf does not define: Postfix defers every message with \"unknown mail transport\""),
            Some(first.location.clone()),
        ));
        return side;
    };
    side.maxproc = Some(entry.maxproc().text.clone());
    side.maxproc_source = Some(Location { path: master.path.clone(), line: entry.maxproc().line });
    let maxproc = effective_maxproc(entry, &config.main_cf);

    let main = &config.main_cf;
    let own_limit = format!("{transport}_destination_concurrency_limit");
    let (limit, limit_source) = numeric_parameter(main, &own_limit, 0)
        .or_else(|| numeric_parameter(main, "default_destination_concurrency_limit", 0))
        .map_or((None, None), |(value, source)| (Some(value), source));
    let recipient_limit = numeric_parameter(main, &format!("{transport}_destination_recipient_limit",), 0)
        .or_else(|| numeric_parameter(main, "default_destination_recipient_limit", 0));
    let per_recipient = recipient_limit.as_ref().is_some_and(|(value, _)| *value == 1);
    side.destination_concurrency_limit = limit;
    side.destination_concurrency_limit_source = limit_source.clone();
    // A limit of 0 sets no limit.
    side.destination_concurrency_limit_applies = !per_recipient && limit.is_some_and(|l| l > 0);
    let limit_cap = limit
        .filter(|_| side.destination_concurrency_limit_applies)
        .map(|l| l.saturating_mul(u32::try_from(side.destinations.max(1)).unwrap_or(u32::MAX)));

    if per_recipient && main.doc.get(&own_limit).is_some() {
        let (_, recipient_source) = recipient_limit.clone().unwrap_or((1, None));
        findings.push(Finding::new(
            FindingCode::LimitPerRecipient,
            Severity::Warning,
            format!(
                "`{own_limit}` counts deliveries per recipient here, because `{transport}_destination_recipient_limit` is 1{}: it does not cap the connections to amavisd, only maxproc does",
                recipient_source.map(|l| format!(" ({l})")).unwrap_or_default()
            ),
            limit_source.clone(),
        ));
    }
    if side.destinations > 1 && side.destination_concurrency_limit_applies {
        findings.push(Finding::new(
            FindingCode::SeveralDestinations,
            Severity::Info,
            format!(
                "`{transport}` delivers to {} destinations ({}); the destination concurrency limit counts each separately",
                side.destinations,
                nexthops.join(", ")
            ),
            Some(first.location.clone()),
        ));
    }

    (side.effective, side.cap) = match (maxproc, limit_cap) {
        (None, None) => (None, Cap::Unlimited),
        (Some(m), None) => (Some(m), Cap::Maxproc),
        (None, Some(l)) => (Some(l), Cap::DestinationConcurrencyLimit),
        (Some(m), Some(l)) if l < m => (Some(l), Cap::DestinationConcurrencyLimit),
        (Some(m), Some(_)) => (Some(m), Cap::Maxproc),
    };
    match (side.cap, maxproc, limit_cap) {
        (Cap::DestinationConcurrencyLimit, Some(m), Some(l)) => findings.push(Finding::new(
            FindingCode::DestinationLimitCaps,
            Severity::Info,
            format!(
                "the destination concurrency limit ({}) caps Postfix at {l} parallel deliveries, below {transport}'s maxproc of {m}",
                limit_source.as_ref().map_or(format!("Postfix's default of {DEFAULT_DESTINATION_CONCURRENCY_LIMIT}"), |l| l.to_string())
            ),
            limit_source.clone(),
        )),
        (Cap::Maxproc, Some(m), Some(l)) if l > m && main.doc.get(&own_limit).is_some() => findings.push(Finding::new(
            FindingCode::MaxprocCapsLimit,
            Severity::Info,
            format!("`{own_limit}` allows {l}, but {transport}'s maxproc of {m} caps Postfix first"),
            limit_source,
        )),
        _ => {}
    }
    side
}

/// Every non-empty content_filter: main.cf's first, then master.cf's `-o content_filter=`.
fn content_filters(config: &ConfigSet, findings: &mut Vec<Finding>) -> Vec<Filter> {
    let mut filters = Vec::new();
    let mut add = |value: &str, location: Location, findings: &mut Vec<Finding>| {
        let value = resolve(config, value);
        let Some(value) = value else {
            findings.push(Finding::new(
                FindingCode::ContentFilterUnreadable,
                Severity::Warning,
                "this content_filter refers to a parameter that cannot be resolved; write the transport name directly"
                    .to_owned(),
                Some(location),
            ));
            return;
        };
        if value.is_empty() {
            return;
        }
        let (transport, nexthop) = value.split_once(':').unwrap_or((value.as_str(), ""));
        filters.push(Filter { transport: transport.to_owned(), nexthop: nexthop.to_owned(), location });
    };
    if let Some(parameter) = config.main_cf.doc.get("content_filter") {
        add(&parameter.value, Location { path: config.main_cf.path.clone(), line: parameter.line }, findings);
    }
    for entry in &config.master_cf.doc.entries {
        if let Some(option) = entry.option("content_filter") {
            add(&option.value, Location { path: config.master_cf.path.clone(), line: option.line }, findings);
        }
    }
    filters
}

/// A content_filter value with one level of `$name` reference resolved through main.cf.
fn resolve(config: &ConfigSet, value: &str) -> Option<String> {
    let Some(reference) = value.strip_prefix('$') else { return Some(value.to_owned()) };
    let name = reference.trim_start_matches(['{', '(']).trim_end_matches(['}', ')']);
    let parameter = config.main_cf.doc.get(name)?;
    (!parameter.value.contains('$')).then(|| parameter.value.clone())
}
