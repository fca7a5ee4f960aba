//! Postfix's side: which transport leads to amavisd, and how many deliveries it runs at once.

use super::findings::{Finding, FindingCode};
use super::{Cap, ConfigSet, Feed, Location, PostfixSide, ProxyService, effective_maxproc, numeric_parameter};
use crate::config::diagnostic::Severity;
use crate::config::postfix_defaults::DEFAULT_DESTINATION_CONCURRENCY_LIMIT;

/// One `content_filter` or `smtpd_proxy_filter` setting: what it names, and where.
struct Filter {
    /// The transport (content_filter) or `""` (smtpd_proxy_filter, which names no transport).
    transport: String,
    nexthop: String,
    /// The whole value as written, for messages.
    value: String,
    location: Location,
    /// The master.cf entry carrying it (`-o`), or `None` for main.cf.
    entry: Option<usize>,
}

/// Whether a next hop is amavisd's listening address: its port among `ports`, or its unix socket.
/// `None` when the next hop names no port or socket (it cannot be told).
fn leads_to_amavisd(nexthop: &str, ports: Option<&[u16]>, socket: Option<&str>) -> Option<bool> {
    let nexthop = nexthop.strip_prefix("inet:").unwrap_or(nexthop);
    if let Some(path) = nexthop.strip_prefix("unix:") {
        let socket = socket?;
        let name = |p: &str| p.rsplit('/').next().map(str::to_owned);
        return Some(path == socket || name(path) == name(socket));
    }
    let (_, port) = nexthop.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    ports.map(|ports| ports.contains(&port))
}

fn ports_text(ports: Option<&[u16]>) -> String {
    ports.map_or("a port that cannot be read".to_owned(), |ports| {
        ports.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
    })
}

pub(super) fn postfix_side(config: &ConfigSet, findings: &mut Vec<Finding>) -> PostfixSide {
    let mut side = PostfixSide {
        feed: Feed::ContentFilter,
        service: None,
        maxproc: None,
        maxproc_source: None,
        effective: None,
        cap: Cap::Unknown,
        destination_concurrency_limit: None,
        destination_concurrency_limit_source: None,
        destination_concurrency_limit_applies: false,
        destinations: 0,
        proxy_services: Vec::new(),
    };
    let (ports, ports_source) = config.amavis_ports();
    let socket = config.amavis_socket();
    let listens = format!(
        "amavisd listens on {}, {}",
        ports_text(ports.as_deref()),
        ports_source.as_ref().map_or("its default".to_owned(), |l| format!("set at {l}"))
    );
    let filters = content_filters(config, findings);
    let policy_ports = config.amavis_policy_ports();
    // A port with a policy bank of its own (`$interface_policy{'10026'}`) is one amavisd is meant
    // to serve: a filter to it where amavisd does not listen is a slip, said as such.
    let policy_of = |f: &Filter| {
        let port: u16 = f.nexthop.rsplit_once(':')?.1.parse().ok()?;
        policy_ports.iter().find(|(p, _)| *p == port)
    };
    let leads = |f: &Filter| {
        leads_to_amavisd(&f.nexthop, ports.as_deref(), socket.as_deref()).or_else(|| {
            // A transport that is not an SMTP or LMTP client (a pipe to a program) cannot reach
            // amavisd's socket, whatever its next hop.
            let command = config.master_cf.doc.entries.iter().find(|e| e.service() == f.transport)?.command();
            (!f.transport.is_empty() && !matches!(command, "smtp" | "lmtp")).then_some(false)
        })
    };
    let mut to_amavis: Vec<&Filter> = filters.iter().filter(|f| leads(f) == Some(true)).collect();
    if to_amavis.is_empty() {
        // Next hops that name no port (a transport's own default) cannot be told apart: count them.
        to_amavis = filters.iter().filter(|f| leads(f).is_none()).collect();
    }
    let amavis_transports: Vec<&str> =
        filters.iter().filter(|f| leads(f) == Some(true)).map(|f| f.transport.as_str()).collect();
    for other in filters.iter().filter(|f| leads(f) == Some(false)) {
        let finding = if let Some((port, policy)) = policy_of(other) {
            // amavisd has a policy bank for the port but does not listen there.
            Finding::new(
                FindingCode::OtherFilter,
                Severity::Warning,
                format!(
                    "content_filter `{}` sends mail to port {port}, for which amavisd has a policy bank ($interface_policy at {policy}), but amavisd does not listen there ({listens}): that mail is deferred with \"Connection refused\" unless another filter listens there; add {port} to $inet_socket_port (or @listen_sockets)",
                    other.value
                ),
                Some(other.location.clone()),
            )
        } else if amavis_transports.contains(&other.transport.as_str()) {
            // The amavis transport sent to a port amavisd does not listen on: a likely slip.
            Finding::new(
                FindingCode::OtherFilter,
                Severity::Warning,
                format!(
                    "content_filter `{}` sends mail through the amavis transport to a port where amavisd does not listen ({listens}): unless another filter listens there, that mail is deferred with \"Connection refused\"; add the port to $inet_socket_port or point the filter at one amavisd listens on",
                    other.value
                ),
                Some(other.location.clone()),
            )
        } else {
            Finding::new(
                FindingCode::OtherFilter,
                Severity::Info,
                format!(
                    "content_filter `{}` does not lead to amavisd ({listens}), so it is not counted here",
                    other.value
                ),
                Some(other.location.clone()),
            )
        };
        findings.push(finding);
    }
    let proxies = proxy_filters(config);
    let proxies_to_amavis: Vec<&Filter> = proxies.iter().filter(|f| leads(f) == Some(true)).collect();
    let Some(first) = to_amavis.first().copied() else {
        if !proxies_to_amavis.is_empty() {
            proxy_side(config, &proxies_to_amavis, &mut side, findings);
            return side;
        }
        let message = if filters.is_empty() && proxies.is_empty() {
            "no content_filter is set in main.cf or on a master.cf service, so Postfix sends no mail to amavisd; set `content_filter = smtp-amavis:[127.0.0.1]:10024` in main.cf".to_owned()
        } else {
            format!(
                "no content_filter or smtpd_proxy_filter leads to amavisd ({listens}), so Postfix sends it no mail; point the filter that should scan mail at amavisd's port"
            )
        };
        findings.push(Finding::new(
            FindingCode::NoTransport,
            Severity::Error,
            message,
            Some(Location { path: config.main_cf.path.clone(), line: 0 }),
        ));
        return side;
    };
    if !proxies_to_amavis.is_empty() {
        findings.push(Finding::new(
            FindingCode::SeveralTransports,
            Severity::Warning,
            format!(
                "amavisd is fed both by content_filter `{}` and by smtpd_proxy_filter `{}`: this check covers the content filter only, check the proxy filter's smtpd process limits by hand",
                first.value, proxies_to_amavis[0].value
            ),
            Some(proxies_to_amavis[0].location.clone()),
        ));
    }
    let transport = first.transport.clone();
    // Filters whose next hop names no port may lead to amavisd as well: they make it ambiguous.
    let unknown = filters.iter().filter(|f| leads(f).is_none());
    let mut others: Vec<&str> =
        to_amavis.iter().copied().chain(unknown).map(|f| f.transport.as_str()).filter(|t| *t != transport).collect();
    others.sort_unstable();
    others.dedup();
    if !others.is_empty() {
        findings.push(Finding::new(
            FindingCode::SeveralTransports,
            Severity::Warning,
            format!("content_filter names several transports to amavisd ({transport}, {}); this check covers `{transport}` only, check the others by hand", others.join(", ")),
            Some(first.location.clone()),
        ));
    }
    let mut nexthops: Vec<&str> =
        to_amavis.iter().filter(|f| f.transport == transport).map(|f| f.nexthop.as_str()).collect();
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
    let users = shared_with(config, &transport);
    if !users.is_empty() {
        findings.push(Finding::new(
            FindingCode::SharedTransport,
            Severity::Warning,
            format!(
                "the content filter uses `{transport}`, which also delivers other mail ({}): its limits cap those deliveries too, so amavis-tune will not change them; define a dedicated transport for amavisd as amavis README.postfix does (e.g. `amavisfeed unix - - n - N {}` with `-o {}_send_xforward_command=yes`), point the content_filter at `amavisfeed:{}`, and run amavis-tune again",
                users.join("; "),
                entry.command(),
                if entry.command() == "lmtp" { "lmtp" } else { "smtp" },
                first.nexthop
            ),
            side.maxproc_source.clone(),
        ));
    }
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
    let mut add = |value: &str, location: Location, entry: Option<usize>, findings: &mut Vec<Finding>| {
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
        filters.push(Filter {
            transport: transport.to_owned(),
            nexthop: nexthop.to_owned(),
            value: value.clone(),
            location,
            entry,
        });
    };
    if let Some(parameter) = config.main_cf.doc.get("content_filter") {
        add(&parameter.value, Location { path: config.main_cf.path.clone(), line: parameter.line }, None, findings);
    }
    for (index, entry) in config.master_cf.doc.entries.iter().enumerate() {
        if let Some(option) = entry.option("content_filter") {
            add(
                &option.value,
                Location { path: config.master_cf.path.clone(), line: option.line },
                Some(index),
                findings,
            );
        }
    }
    filters
}

/// Every smtpd service's before-queue filter (`smtpd_proxy_filter`): its own `-o`, or main.cf's
/// for an smtpd service that does not override it.
fn proxy_filters(config: &ConfigSet) -> Vec<Filter> {
    let main = config.main_cf.doc.get("smtpd_proxy_filter");
    let mut filters = Vec::new();
    for (index, entry) in config.master_cf.doc.entries.iter().enumerate() {
        if entry.command() != "smtpd" {
            continue;
        }
        let (value, location) = match (entry.option("smtpd_proxy_filter"), main) {
            (Some(option), _) => (option.value, Location { path: config.master_cf.path.clone(), line: option.line }),
            (None, Some(parameter)) => {
                (parameter.value.clone(), Location { path: config.main_cf.path.clone(), line: parameter.line })
            }
            (None, None) => continue,
        };
        if value.is_empty() {
            continue;
        }
        filters.push(Filter { transport: String::new(), nexthop: value.clone(), value, location, entry: Some(index) });
    }
    filters
}

/// Postfix's side of a before-queue filter (SMTPD_PROXY_README): every process of the smtpd
/// services carrying it may hold one connection to amavisd, so the sum of their process limits.
fn proxy_side(config: &ConfigSet, proxies: &[&Filter], side: &mut PostfixSide, findings: &mut Vec<Finding>) {
    side.feed = Feed::ProxyFilter;
    let master = &config.master_cf;
    let mut total: Option<u32> = Some(0);
    let mut parts = Vec::new();
    for proxy in proxies {
        let Some(entry) = proxy.entry.map(|i| &master.doc.entries[i]) else { continue };
        let limit = effective_maxproc(entry, &config.main_cf);
        total = match (total, limit) {
            (Some(t), Some(l)) => Some(t.saturating_add(l)),
            _ => None,
        };
        parts.push(limit.map_or("no limit".to_owned(), |l| l.to_string()));
        side.proxy_services.push(ProxyService {
            service: format!("{}/{}", entry.service(), entry.kind()),
            maxproc: entry.maxproc().text.clone(),
            source: Location { path: master.path.clone(), line: entry.maxproc().line },
            proxy_filter: proxy.value.clone(),
        });
    }
    let Some(first) = side.proxy_services.first() else { return };
    side.service = Some(first.service.split('/').next().unwrap_or_default().to_owned());
    side.maxproc = Some(first.maxproc.clone());
    side.maxproc_source = Some(first.source.clone());
    let mut nexthops: Vec<&str> = proxies.iter().map(|p| p.nexthop.as_str()).collect();
    nexthops.sort_unstable();
    nexthops.dedup();
    side.destinations = nexthops.len();
    (side.effective, side.cap) = match total {
        Some(total) => (Some(total), Cap::Maxproc),
        None => (None, Cap::Unlimited),
    };
    let services: Vec<&str> = side.proxy_services.iter().map(|p| p.service.as_str()).collect();
    findings.push(Finding::new(
        FindingCode::ProxyFilter,
        Severity::Info,
        format!(
            "Postfix hands mail to amavisd before queueing it (smtpd_proxy_filter on {}): each smtpd process of {} may hold one connection to amavisd, so Postfix's side is the sum of their process limits, {} (Postfix SMTPD_PROXY_README)",
            services.join(", "),
            if services.len() == 1 { "that service" } else { "those services" },
            if parts.len() == 1 {
                parts[0].clone()
            } else {
                format!("{} = {}", parts.join(" + "), total.map_or("no limit".to_owned(), |t| t.to_string()))
            }
        ),
        Some(first.source.clone()),
    ));
}

/// A content_filter value with one level of `$name` reference resolved through main.cf.
fn resolve(config: &ConfigSet, value: &str) -> Option<String> {
    let Some(reference) = value.strip_prefix('$') else { return Some(value.to_owned()) };
    let name = reference.trim_start_matches(['{', '(']).trim_end_matches(['}', ')']);
    let parameter = config.main_cf.doc.get(name)?;
    (!parameter.value.contains('$')).then(|| parameter.value.clone())
}

/// Postfix's own delivery services, which transport maps and `*_transport` settings name.
const STOCK_DELIVERY_SERVICES: [&str; 5] = ["smtp", "relay", "lmtp", "local", "virtual"];

/// The main.cf settings that choose a delivery transport, with Postfix's defaults (postconf -d).
const TRANSPORT_SETTINGS: [(&str, &str); 6] = [
    ("default_transport", "smtp"),
    ("relay_transport", "relay"),
    ("local_transport", "local"),
    ("virtual_transport", "virtual"),
    ("mailbox_transport", ""),
    ("fallback_transport", ""),
];

/// What else `transport` delivers: the settings that name it (main.cf, or `-o` in master.cf),
/// or that it is one of Postfix's stock delivery services.
fn shared_with(config: &ConfigSet, transport: &str) -> Vec<String> {
    let mut users = Vec::new();
    let names = |value: &str| value.split(':').next() == Some(transport);
    for (name, default) in TRANSPORT_SETTINGS {
        match config.main_cf.doc.get(name) {
            Some(parameter) if names(&parameter.value) => {
                users.push(format!("{name} = {} ({}:{})", parameter.value, config.main_cf.path, parameter.line))
            }
            None if !default.is_empty() && default == transport => {
                users.push(format!("{name}, whose default is {default}"));
            }
            _ => {}
        }
        for entry in &config.master_cf.doc.entries {
            if let Some(option) = entry.option(name).filter(|o| names(&o.value)) {
                users.push(format!("-o {name}={} ({}:{})", option.value, config.master_cf.path, option.line));
            }
        }
    }
    if users.is_empty() && STOCK_DELIVERY_SERVICES.contains(&transport) {
        users.push(format!(
            "it is Postfix's own `{transport}` service, which transport maps and *_transport settings use"
        ));
    }
    users
}
