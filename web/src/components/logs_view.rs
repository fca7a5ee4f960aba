use amavis_tune_core::{
    ClamAv, Cpus, Date, Inputs, LogOptions, LogReport, Os, ScanSource, Verdict, analyze_texts, parse_size,
};
use yew::prelude::*;

use super::config_area::ConfigArea;

/// What was pasted and typed, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Pasted {
    postfix: String,
    amavisd: String,
    max_servers: String,
    postfix_limit: String,
    ram: String,
    cpus: String,
    syslog_name: String,
}

/// The optional fields: id, label, hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    MaxServers,
    PostfixLimit,
    Ram,
    Cpus,
    SyslogName,
}

impl Field {
    const ALL: [Field; 5] = [Field::MaxServers, Field::PostfixLimit, Field::Ram, Field::Cpus, Field::SyslogName];

    fn id(self) -> &'static str {
        match self {
            Field::MaxServers => "logs-max-servers",
            Field::PostfixLimit => "logs-postfix-limit",
            Field::Ram => "logs-ram",
            Field::Cpus => "logs-cpus",
            Field::SyslogName => "logs-syslog-name",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Field::MaxServers => "amavisd's $max_servers",
            Field::PostfixLimit => "Postfix's limit for the transport (maxproc)",
            Field::Ram => "RAM",
            Field::Cpus => "CPUs",
            Field::SyslogName => "The transport's syslog name",
        }
    }

    fn placeholder(self) -> &'static str {
        match self {
            Field::MaxServers | Field::PostfixLimit => "unknown",
            Field::Ram => "unknown: no memory bound",
            Field::Cpus => "unknown: no CPU bound",
            Field::SyslogName => "postfix/smtp-amavis/smtp",
        }
    }

    fn get(self, pasted: &Pasted) -> &str {
        match self {
            Field::MaxServers => &pasted.max_servers,
            Field::PostfixLimit => &pasted.postfix_limit,
            Field::Ram => &pasted.ram,
            Field::Cpus => &pasted.cpus,
            Field::SyslogName => &pasted.syslog_name,
        }
    }

    fn set(self, pasted: &mut Pasted, value: String) {
        match self {
            Field::MaxServers => pasted.max_servers = value,
            Field::PostfixLimit => pasted.postfix_limit = value,
            Field::Ram => pasted.ram = value,
            Field::Cpus => pasted.cpus = value,
            Field::SyslogName => pasted.syslog_name = value,
        }
    }
}

/// The analysis options the fields give, and each field's error.
fn options(pasted: &Pasted, reference: Date) -> (LogOptions, Vec<(Field, String)>) {
    let mut errors = Vec::new();
    let mut options = LogOptions::new(reference);
    let text = |field: Field| Some(field.get(pasted).trim()).filter(|t| !t.is_empty());
    let mut count = |field: Field| {
        let text = text(field)?;
        match text.parse::<u32>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                errors
                    .push((field, format!("invalid number `{text}`: expected a whole number of processes, 1 or more")));
                None
            }
        }
    };
    options.max_servers = count(Field::MaxServers);
    options.postfix_limit = count(Field::PostfixLimit);
    let cpus =
        text(Field::Cpus).and_then(|t| t.parse::<Cpus>().map_err(|e| errors.push((Field::Cpus, e.to_string()))).ok());
    let ram = text(Field::Ram).and_then(|t| parse_size(t).map_err(|e| errors.push((Field::Ram, e.to_string()))).ok());
    // Bounded as `amavis-tune logs --ram --cpus` bounds it: the memory model with ClamAV on.
    options.inputs =
        ram.map(|ram| Inputs { cpus, clamav: ClamAv::On { concurrent_reload: true }, ..Inputs::new(ram, Os::Debian) });
    if let Some(name) = text(Field::SyslogName) {
        options.services = vec![name.to_owned()];
    }
    (options, errors)
}

/// "From my logs": paste Postfix's log (and amavisd's when it is a separate file); see the same
/// analysis as `amavis-tune logs`: the verdict, the number this traffic needs and why, the
/// figures, and busy connections per hour.
#[component]
pub(crate) fn LogsView() -> Html {
    let pasted = use_state(Pasted::default);
    let setter = |edit: fn(&mut Pasted, String)| super::text_setter(&pasted, edit);
    // Classic syslog stamps carry no year: today's, rolled back past New Year as the CLI does.
    let reference = crate::browser::now_micros().map_or(Date { year: 1970, month: 1, day: 1 }, Date::of);
    let (options, errors) = options(&pasted, reference);
    let next_hops = options.next_hops.join(" or ");
    let empty = pasted.postfix.trim().is_empty() && pasted.amavisd.trim().is_empty();
    let report = (!empty).then(|| analyze_texts(&[pasted.postfix.as_bytes(), pasted.amavisd.as_bytes()], options));
    let field = |field: Field| {
        let oninput = {
            let pasted = pasted.clone();
            Callback::from(move |event: InputEvent| {
                let input: web_sys::HtmlInputElement = event.target_unchecked_into();
                let mut next = (*pasted).clone();
                field.set(&mut next, input.value());
                pasted.set(next);
            })
        };
        let error = errors.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone());
        let error_id = format!("{}-error", field.id());
        html! {
            <div class={classes!("field", error.is_some().then_some("invalid"))}>
                <label for={field.id()}>{ field.label() }</label>
                <input id={field.id()} type="text" value={field.get(&pasted).to_owned()} placeholder={field.placeholder()}
                    aria-invalid={error.is_some().then_some("true")} aria-describedby={error.is_some().then(|| error_id.clone())} {oninput} />
                if let Some(message) = error { <p class="error" id={error_id}>{ message }</p> }
            </div>
        }
    };
    html! {
        <div class="logs-view">
            <div class="columns">
                <form class="inputs" aria-label="Mail logs" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                    <ConfigArea id="paste-postfix-log" label="Postfix's log" value={AttrValue::from(pasted.postfix.clone())} placeholder="Dec  2 07:22:40 mx postfix/smtp[2101]: 4AB…: to=<…>, relay=127.0.0.1[127.0.0.1]:10024, delays=…, status=sent (…)" onchange={setter(|p, v| p.postfix = v)} />
                    <ConfigArea id="paste-amavisd-log" label="amavisd's log, when it is a separate file" value={AttrValue::from(pasted.amavisd.clone())} placeholder="Dec  2 07:22:41 mx amavis[4321]: (04321-01) Passed CLEAN …, 1400 ms" onchange={setter(|p, v| p.amavisd = v)} />
                    <details>
                        <summary>{ "What the logs do not say" }</summary>
                        { for Field::ALL.iter().map(|f| field(*f)) }
                    </details>
                    <p class="hint">{ "Nothing leaves this page: the logs are read in your browser." }</p>
                </form>
                <section class="output" id="logs-result" aria-label="Log analysis" aria-live="polite">
                    { match &report {
                        None => html! { <p class="note">{ "Paste an excerpt of the mail log: Postfix's deliveries to amavisd (syslog, journalctl -o short-iso or -o json, or Postfix's maillog_file), and amavisd's result lines, from the same file or amavisd's own log." }</p> },
                        Some(report) if report.verdict == Verdict::NoData => html! {
                            <>
                                <p class="status no-data" id="logs-verdict" data-verdict="no-data">{ "No delivery to amavisd found" }</p>
                                <p class="note" id="logs-reason">{ format!("Looked for Postfix's deliveries to {next_hops} (or from the transport's syslog name, when given) in {} lines. main.cf may have no content_filter, amavisd may listen elsewhere (give the transport's syslog name), or this is another part of the log.", report.lines.total) }</p>
                            </>
                        },
                        Some(report) => report_view(report),
                    } }
                </section>
            </div>
        </div>
    }
}

fn report_view(report: &LogReport) -> Html {
    let verdict = report.verdict.as_str();
    let ms = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v} ms"));
    let s = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2} s"));
    let tenth = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
    let d = &report.deferrals;
    let source = match report.scan_source {
        ScanSource::Amavisd => "amavisd's elapsed time per message",
        ScanSource::PostfixDelays => "Postfix's delays d (no amavisd line)",
        ScanSource::None => "none",
    };
    let rows: Vec<(&str, &str, String)> = vec![
        ("sent", "Deliveries to amavisd, sent", report.sent.to_string()),
        ("deferred", "Messages deferred on the amavisd hop", report.deferred_messages.to_string()),
        (
            "deferrals",
            "Deferral lines",
            format!(
                "{} (greeting-timeout {}, greeting-lost {}, refused {}, suspended {}, other {})",
                d.total(),
                d.greeting_timeout,
                d.greeting_lost,
                d.refused,
                d.suspended.total(),
                d.other
            ),
        ),
        (
            "scan",
            "Scan time p50 / p90 / p99",
            format!("{} / {} / {} ({source})", ms(report.scan_ms.p50), ms(report.scan_ms.p90), ms(report.scan_ms.p99)),
        ),
        ("busy", "Busy connections, peak / p99", format!("{} / {}", tenth(report.busy.peak), tenth(report.busy.p99))),
        (
            "waits",
            "95th percentile waits: queue (b) / connect (c)",
            format!("{} / {}", s(report.wait_s.queue_p95), s(report.wait_s.connect_p95)),
        ),
        (
            "arrivals",
            "Deliveries per second: mean / busiest minute",
            format!(
                "{} / {}",
                report.arrivals_per_s.mean.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}")),
                report.arrivals_per_s.peak_minute.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"))
            ),
        ),
        (
            "period",
            "Period",
            match (&report.period.first, &report.period.last) {
                (Some(first), Some(last)) => format!("{first} to {last}"),
                _ => "-".to_owned(),
            },
        ),
        (
            "lines",
            "Lines read / used",
            format!("{} / {} ({} not log lines)", report.lines.total, report.lines.used, report.lines.unparsed),
        ),
    ];
    html! {
        <>
            <p class={classes!("status", verdict)} id="logs-verdict" data-verdict={verdict}>{ format!("Verdict: {verdict}") }</p>
            <p class="numbers">
                <span class="n" id="logs-needed">{ report.needed.map_or_else(|| "no number".to_owned(), |n| n.to_string()) }</span>
                <span>{ " children this traffic needs" }</span>
                <span id="logs-confidence" data-confidence={confidence_code(report.confidence)}>{ format!(" (confidence: {})", confidence_code(report.confidence)) }</span>
            </p>
            <p class="reason" id="logs-reason">{ report.reason.clone() }</p>
            <Timeline report={report.clone()} />
            <Predictions report={report.clone()} />
            <table id="logs-figures">
                <tbody>
                    { for rows.into_iter().map(|(key, label, value)| html! {
                        <tr data-key={key}><th scope="row">{ label }</th><td>{ value }</td></tr>
                    }) }
                </tbody>
            </table>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct TimelineProps {
    report: LogReport,
}

/// Connections busy per bucket (its size follows the log's span: seconds for a burst, minutes
/// for a day, hours for a month) as bars, the replay's demand as an outline behind them, against
/// the number needed: an SVG, with the figures in each bar's title and the whole in the label.
#[component]
fn Timeline(props: &TimelineProps) -> Html {
    let report = &props.report;
    let buckets = &report.timeline.buckets;
    if buckets.is_empty() {
        return html! {};
    }
    let needed = f64::from(report.needed.unwrap_or(0));
    let top = buckets.iter().map(|b| b.busy_peak.max(b.demand_peak)).fold(needed, f64::max).max(1.0);
    // A 1000 x 100 drawing: bars share the width, heights scale to the tallest.
    let width = 1000 / buckets.len().max(1);
    let height = |v: f64| ((v / top) * 90.0).round() as i64;
    let needed_y = 100 - height(needed);
    let unit = report.timeline.bucket_name();
    let bars = buckets.iter().enumerate().map(|(i, bucket)| {
        let h = height(bucket.busy_peak);
        let d = height(bucket.demand_peak);
        let x = (i * width).to_string();
        let w = width.saturating_sub(1).max(1).to_string();
        html! {
            <>
                <rect class="demand" x={x.clone()} y={(100 - d).to_string()} width={w.clone()} height={d.to_string()} />
                <rect class="bar" x={x} y={(100 - h).to_string()} width={w} height={h.to_string()}>
                    <title>{ format!("{}: {} deliveries, at most {:.1} busy, {:.1} asked for", bucket.start, bucket.deliveries, bucket.busy_peak, bucket.demand_peak) }</title>
                </rect>
            </>
        }
    });
    let needed_text = report.needed.map_or_else(|| "no number".to_owned(), |n| n.to_string());
    let label = format!(
        "Connections busy per {unit}, {} from {}: at most {:.1} busy; {needed_text} needed.",
        buckets.len(),
        buckets.first().map_or("", |b| b.start.as_str()),
        report.busy.peak.unwrap_or(0.0),
    );
    html! {
        <figure class="card timeline">
            <figcaption>
                <span class="swatch bar" aria-hidden="true"></span>{ format!(" busy connections (busiest second of each {unit}) ") }
                <span class="swatch demand" aria-hidden="true"></span>{ " the replay's demand " }
                <span class="swatch needed" aria-hidden="true"></span>{ format!(" {needed_text} needed") }
            </figcaption>
            <svg id="logs-timeline" viewBox="0 0 1000 100" preserveAspectRatio="none" role="img" aria-label={label} data-bucket-s={report.timeline.bucket_s.to_string()}>
                { for bars }
                <line class="needed" x1="0" x2="1000" y1={needed_y.to_string()} y2={needed_y.to_string()} />
            </svg>
        </figure>
    }
}

/// The confidence as the JSON spells it.
fn confidence_code(confidence: amavis_tune_core::Confidence) -> &'static str {
    match confidence {
        amavis_tune_core::Confidence::Enough => "enough",
        amavis_tune_core::Confidence::NoDeliveries => "no-deliveries",
        amavis_tune_core::Confidence::TooFewDeliveries => "too-few-deliveries",
        amavis_tune_core::Confidence::ReplayDisagrees => "replay-disagrees",
    }
}

/// The curve behind the number: the replay's predicted waits per number of children, up to a
/// few past the larger of the number and the current limit.
#[component]
fn Predictions(props: &TimelineProps) -> Html {
    let report = &props.report;
    if report.replay.deliveries == 0 {
        return html! {};
    }
    let last = report.needed.unwrap_or(2).max(report.current_children.unwrap_or(0)).saturating_add(4);
    let seconds = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"));
    let rows = report.predictions.iter().filter(|p| p.children <= last).map(|p| {
        let mut note = Vec::new();
        if p.overwhelmed {
            note.push("falls behind for good");
        }
        if Some(p.children) == report.current_children {
            note.push("current");
        }
        if Some(p.children) == report.needed {
            note.push("needed");
        }
        html! {
            <tr data-children={p.children.to_string()}>
                <th scope="row">{ p.children }</th>
                <td>{ seconds(p.wait_p50_s) }</td>
                <td>{ seconds(p.wait_p95_s) }</td>
                <td>{ seconds(p.wait_p99_s) }</td>
                <td>{ note.join(", ") }</td>
            </tr>
        }
    });
    html! {
        <table id="logs-predictions">
            <caption>{ format!("Predicted wait for a child (seconds), the replay of {} deliveries; target: p99 within {:.0} s", report.replay.deliveries, report.replay.target_p99_wait_s) }</caption>
            <thead><tr><th scope="col">{ "Children" }</th><th scope="col">{ "p50" }</th><th scope="col">{ "p95" }</th><th scope="col">{ "p99" }</th><th scope="col">{ "Note" }</th></tr></thead>
            <tbody>{ for rows }</tbody>
        </table>
    }
}
