//! The page as a person meets it, in a real headless Chromium: what the first load costs and what
//! it leaves for later, the prerendered page before any script, the layout at a phone's, a
//! tablet's and a desktop's size in both colour schemes (with screenshots kept in
//! `target/web-screenshots`), axe-core's audit of every view, and the logs view against
//! `amavis-tune logs`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::Duration;

use amavis_tune_tests::browser::{LIVE_RESULT, Server, emulate, full_page_png, serve};
use amavis_tune_tests::lab_logs::{KeptLogs, SYSLOG_NAME};
use amavis_tune_tests::needs::axe_core_script;
use amavis_tune_tests::{Run, workspace_root};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::web::{cli_plan, js, paste, settle, site, started_browser, visit};

/// The calculator's first load, gzip -9, at most: 125.9 KB measured (README, "The web
/// calculator"). The aim is 100,000 bytes; the calculator's WebAssembly is 112.3 KB of it.
const FIRST_LOAD_BUDGET_GZIP: usize = 128_000;

/// The viewports of the layout test: a phone, a tablet, a desktop.
const VIEWPORTS: [(u32, u32); 3] = [(375, 812), (768, 1024), (1280, 900)];

/// gzip -9 of a file, by the real gzip.
fn gzip_size(path: &Path) -> usize {
    let output = Command::new("gzip").arg("-9").arg("-c").arg(path).output().expect("gzip runs");
    assert!(output.status.success(), "gzip {}", path.display());
    output.stdout.len()
}

/// The site's file a request path names (`/` is `index.html`).
fn requested_file(site: &Path, target: &str) -> std::path::PathBuf {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let name = if path.ends_with('/') { format!("{path}index.html") } else { path.to_owned() };
    site.join(name.trim_start_matches('/'))
}

fn requests(server: &Server) -> Vec<String> {
    server.requests.lock().expect("request log").clone()
}

/// A cold load of `/` requests only the calculator's files, within the budget; the check
/// module's files come when the check tab (or the logs view) is opened.
pub(crate) async fn first_load_within_budget() {
    let site = site();
    let browser = started_browser().await;
    let server = serve(site);
    let client = &browser.client;
    visit(client, &format!("{}/", server.address), LIVE_RESULT, "the calculator renders").await;
    settle(client).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let first: Vec<String> = requests(&server);
    let mut total = 0;
    let mut rows = Vec::new();
    for target in &first {
        let file = requested_file(site, target);
        assert!(file.is_file(), "{target} was requested but is not in the site (a 404 on every load)");
        let size = gzip_size(&file);
        rows.push(format!("{size:>8} {target}"));
        total += size;
    }
    eprintln!("first load of /, gzip -9:\n{}\n{total:>8} in all", rows.join("\n"));
    assert!(
        !first.iter().any(|r| r.contains("amavis-tune-check")),
        "the first load carries the check module: {first:?}"
    );
    assert!(total <= FIRST_LOAD_BUDGET_GZIP, "the first load is {total} bytes gzip, over {FIRST_LOAD_BUDGET_GZIP}");

    client.find(Locator::Css("#tab-check")).await.expect("the check tab").click().await.expect("clicks");
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#paste-master-cf"))
        .await
        .expect("the check view opens");
    let after = requests(&server);
    for part in ["amavis-tune-check-", ".wasm"] {
        assert!(after[first.len()..].iter().any(|r| r.contains("amavis-tune-check-") && r.contains(part)), "{after:?}");
    }
    // The logs view is in the same module: opening it requests nothing more.
    let before_logs = requests(&server).len();
    client.find(Locator::Css("#tab-logs")).await.expect("the logs tab").click().await.expect("clicks");
    client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("#paste-postfix-log")).await.expect("logs");
    assert_eq!(requests(&server).len(), before_logs, "the logs view loads nothing more");
}

/// The served `index.html`, as an HTTP client gets it (before any script).
fn served_index(server: &Server) -> String {
    let address = server.address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("connects");
    write!(stream, "GET / HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").expect("sends");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("reads");
    response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).expect("an HTTP response")
}

/// The served page already holds the default plan (the CLI's for the page's defaults: 8 GiB,
/// Debian, ClamAV), painted before the module runs; what is typed into it before the module
/// runs is kept, with the focus.
pub(crate) async fn prerendered_page_before_any_script() {
    let site = site();
    let server = serve(site);
    let html = served_index(&server);
    let plan = cli_plan(&["--ram", "8G", "--os", "debian"]);
    let n = plan["max_servers"].as_u64().expect("max_servers");
    assert!(html.contains(&format!("$max_servers = {n};")), "index.html holds the default plan's line");
    let number = html.split_once("id=\"result-n\"").and_then(|(_, rest)| rest.split_once('>')).map(|(_, rest)| rest);
    assert!(number.is_some_and(|rest| rest.starts_with(&format!("{n}<"))), "and its number");
    let master = plan["snippets"]
        .as_array()
        .expect("snippets")
        .iter()
        .find_map(|s| s["content"].as_str().filter(|c| c.contains("smtp-amavis")))
        .map(str::to_owned)
        .expect("a master.cf snippet");
    let service_line = master.lines().find(|l| l.starts_with("smtp-amavis")).expect("the service line");
    assert!(html.contains(service_line), "index.html holds {service_line:?}");

    // A slow network: the WebAssembly arrives 3 s after the page, which is usable meanwhile.
    let browser = started_browser().await;
    let client = &browser.client;
    server.wasm_delay_ms.store(3000, Ordering::Relaxed);
    client.goto(&format!("{}/", server.address)).await.expect("navigates");
    let painted = js(client, "return document.getElementById('result-n')?.textContent ?? null;").await;
    assert_eq!(painted, n.to_string(), "the number is on the page before the module runs");
    let ram = client.find(Locator::Css("#field-ram")).await.expect("the prerendered RAM field");
    ram.clear().await.expect("clears");
    ram.send_keys("4G").await.expect("types");
    let small = cli_plan(&["--ram", "4G", "--os", "debian"])["max_servers"].as_u64().expect("max_servers");
    assert_ne!(small, n, "4 GiB gives another number than the default");
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath(&format!("//span[@id='result-n' and text()='{small}']")))
        .await
        .expect("the module's render keeps what was typed before it ran");
    let page = js(client, "return {query: location.search, value: document.getElementById('field-ram').value, focused: document.activeElement.id};").await;
    assert_eq!(page["value"], "4G", "{page}");
    assert!(page["query"].as_str().is_some_and(|q| q.contains("ram=4G")), "{page}");
    assert_eq!(page["focused"], "field-ram", "the focus stays in the field: {page}");
}

/// What of the page lies outside the viewport horizontally (elements clipped by a scrolling
/// ancestor that is itself inside are not), and the page's scroll width.
const OVERFLOW_SCRIPT: &str = r#"
const w = window.innerWidth;
const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
const outside = [];
for (const el of document.querySelectorAll('body *')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  if (getComputedStyle(el).visibility === 'hidden') continue;
  if (r.left >= -0.5 && r.right <= w + 0.5) continue;
  let clipped = false;
  for (let p = el.parentElement; p && p !== document.documentElement; p = p.parentElement) {
    const s = getComputedStyle(p);
    if (s.overflowX !== 'visible' || s.clipPath !== 'none') {
      const pr = p.getBoundingClientRect();
      if (pr.left >= -0.5 && pr.right <= w + 0.5) { clipped = true; break; }
    }
  }
  if (!clipped) outside.push(describe(el) + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
}
return {scrollWidth: document.documentElement.scrollWidth, innerWidth: w, outside: outside.slice(0, 8)};
"#;

/// The colours that show the scheme: the page's background, the calculator's text, a field's
/// background, and the scheme the form controls use.
const COLOURS_SCRIPT: &str = r#"
const lum = c => { const m = c.match(/[\d.]+/g).map(Number); return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255; };
// The background an element shows: its own or the nearest ancestor's that is not transparent.
const shown = el => { for (let e = el; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor; if (c !== 'transparent' && !/^rgba\(.*,\s*0\)$/.test(c)) return lum(c); } return null; };
const field = document.querySelector('#field-ram') || document.querySelector('textarea');
return {
  body: shown(document.body),
  text: lum(getComputedStyle(document.querySelector('.amavis-tune')).color),
  field: lum(getComputedStyle(field).backgroundColor),
  scheme: getComputedStyle(field).colorScheme,
  dark: matchMedia('(prefers-color-scheme: dark)').matches,
};
"#;

/// Presses one key in the page, as a person's keyboard does.
async fn press(client: &Client, key: Key) {
    let actions = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value: key.into() })
        .then(KeyAction::Up { value: key.into() });
    client.perform_actions(actions).await.expect("presses a key");
}

/// The views the layout and audit tests open: the calculator (with a plan that has a warning),
/// the check view with three files pasted, the logs view with a lab log pasted.
async fn open_view(client: &Client, server: &Server, view: &str) {
    match view {
        "calculator" => {
            visit(client, &format!("{}/?ram=16G&concurrency=60", server.address), LIVE_RESULT, "calculator").await;
        }
        "check" => {
            visit(client, &format!("{}/#check", server.address), "#paste-master-cf", "check view").await;
            let tree = workspace_root().join("tests/fixtures/trees/debian-default-mismatch");
            let read = |p: &str| std::fs::read_to_string(tree.join(p)).expect("reads the fixture");
            paste(client, "paste-master-cf", &read("etc/postfix/master.cf")).await;
            paste(client, "paste-main-cf", &read("etc/postfix/main.cf")).await;
            paste(client, "paste-amavis", &read("etc/amavis/conf.d/50-user")).await;
            paste(client, "patch-n", "6").await;
        }
        _ => {
            visit(client, &format!("{}/#logs", server.address), "#paste-postfix-log", "logs view").await;
            let kept = KeptLogs::named("postfix-exceeds-amavis");
            let read = |p: &Path| std::fs::read_to_string(p).expect("reads the lab log");
            let [postfix_log, amavisd_log] = kept.files();
            // The lab's transport is told by its syslog name (its amavisd has a port of its own).
            paste(client, "logs-syslog-name", SYSLOG_NAME).await;
            paste(client, "logs-max-servers", &kept.max_servers()).await;
            paste(client, "paste-postfix-log", &read(&postfix_log)).await;
            paste(client, "paste-amavisd-log", &read(&amavisd_log)).await;
        }
    }
    settle(client).await;
}

/// At 375x812, 768x1024 and 1280x900, light and dark, each view: nothing wider than the
/// viewport, nothing outside it, the whole page in the scheme asked for, and on the calculator
/// the result on the first screen or one skip link (the first Tab stop) away. A full-page
/// screenshot of each is kept in `target/web-screenshots`.
pub(crate) async fn layout_at_each_size_and_scheme() {
    let site = site();
    let browser = started_browser().await;
    let server = serve(site);
    let client = &browser.client;
    let shots = workspace_root().join("target/web-screenshots");
    std::fs::create_dir_all(&shots).expect("creates the screenshot folder");
    let mut failures = Vec::new();
    for (width, height) in VIEWPORTS {
        for dark in [false, true] {
            emulate(client, width, height, dark).await;
            for view in ["calculator", "check", "logs"] {
                let case = format!("{view}-{width}x{height}-{}", if dark { "dark" } else { "light" });
                open_view(client, &server, view).await;
                let layout = js(client, OVERFLOW_SCRIPT).await;
                if layout["scrollWidth"].as_f64() > layout["innerWidth"].as_f64() {
                    failures.push(format!("{case}: the page scrolls sideways: {layout}"));
                }
                if layout["outside"].as_array().is_some_and(|o| !o.is_empty()) {
                    failures.push(format!("{case}: outside the viewport: {}", layout["outside"]));
                }
                let colours = js(client, COLOURS_SCRIPT).await;
                let number = |key: &str| colours[key].as_f64().unwrap_or(f64::NAN);
                assert_eq!(colours["dark"], dark, "{case}: the emulated scheme");
                let (page, text, field) = (number("body"), number("text"), number("field"));
                let right = if dark {
                    page < 0.25 && text > 0.6 && field < 0.35
                } else {
                    page > 0.8 && text < 0.4 && field > 0.8
                };
                if !right {
                    failures.push(format!(
                        "{case}: not all in the {} scheme: {colours}",
                        if dark { "dark" } else { "light" }
                    ));
                }
                if dark && !colours["scheme"].as_str().is_some_and(|s| s.contains("dark")) {
                    failures.push(format!("{case}: form controls keep the light scheme: {colours}"));
                }
                std::fs::write(shots.join(format!("{case}.png")), full_page_png(client).await).expect("writes");
                if view == "calculator"
                    && let Some(problem) = result_reachable(client).await
                {
                    failures.push(format!("{case}: {problem}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Whether the result is on the first screen, or the first Tab stop is a visible skip link to it
/// that brings it onto the screen. `None` when it is reachable.
async fn result_reachable(client: &Client) -> Option<String> {
    js(client, "window.scrollTo(0, 0); document.activeElement?.blur();").await;
    let visible = js(client, "const r = document.getElementById('result').getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight - 40;").await;
    if visible == true {
        return None;
    }
    press(client, Key::Tab).await;
    let first = js(client, "const a = document.activeElement; const r = a.getBoundingClientRect(); return {class: a.className, href: a.getAttribute('href'), inside: r.left >= 0 && r.right <= innerWidth && r.top >= 0 && r.width > 1 && r.height > 1};").await;
    if first["class"] != "skip-link" || first["href"] != "#result" || first["inside"] != true {
        return Some(format!(
            "the result is below the first screen and the first Tab stop is no visible skip link: {first}"
        ));
    }
    press(client, Key::Enter).await;
    settle(client).await;
    let after = js(client, "const r = document.getElementById('result').getBoundingClientRect(); return {top: r.top, height: innerHeight, hash: location.hash};").await;
    let top = after["top"].as_f64().unwrap_or(f64::MAX);
    // The browser scrolls the target to the top, give or take a pixel of rounding.
    (!(-1.0..after["height"].as_f64().unwrap_or(0.0) - 40.0).contains(&top))
        .then(|| format!("the skip link does not bring the result onto the screen: {after}"))
}

/// axe-core (the npm package, injected into the page) finds no violation on the calculator, the
/// check view and the logs view, with their results shown, in both schemes.
pub(crate) async fn no_axe_violation_in_any_view() {
    let site = site();
    let axe = std::fs::read_to_string(axe_core_script()).expect("reads axe-core");
    let browser = started_browser().await;
    let server = serve(site);
    let client = &browser.client;
    let mut found = Vec::new();
    for dark in [false, true] {
        emulate(client, 1280, 900, dark).await;
        for view in ["calculator", "check", "logs"] {
            open_view(client, &server, view).await;
            client.execute(&format!("{axe}\nreturn true;"), vec![]).await.expect("injects axe-core");
            let violations = client
                .execute_async(
                    "const done = arguments[arguments.length - 1]; axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))).catch(e => done([{id: 'axe failed', impact: String(e), nodes: []}]));",
                    vec![],
                )
                .await
                .expect("axe runs");
            let scheme = if dark { "dark" } else { "light" };
            match violations.as_array() {
                Some(list) if list.is_empty() => {}
                _ => found.push(format!("{view} ({scheme}): {violations}")),
            }
        }
    }
    assert!(found.is_empty(), "axe-core violations:\n{}", found.join("\n"));
}

/// The logs view on each lab scenario's logs (real Postfix and amavisd) says what
/// `amavis-tune logs` says on the same files with the same settings.
pub(crate) async fn logs_view_agrees_with_cli_logs() {
    let site = site();
    let browser = started_browser().await;
    let server = serve(site);
    let client = &browser.client;
    let today = js_free_today();
    let scenarios = KeptLogs::all();
    assert!(scenarios.len() >= 7, "the lab's scenarios");
    for kept in scenarios {
        let scenario = &kept.scenario;
        let args = kept.logs_json_args(&today, &["--ram", "8G", "--cpus", "4"]);
        let outcome = Run::new(&args).run();
        assert_eq!(outcome.code, 0, "{scenario}: {}", outcome.stderr);
        let cli: Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");

        visit(client, &format!("{}/#logs", server.address), "#paste-postfix-log", "logs view").await;
        paste(client, "logs-max-servers", &kept.max_servers()).await;
        paste(client, "logs-postfix-limit", kept.postfix_limit().as_deref().unwrap_or("")).await;
        paste(client, "logs-ram", "8G").await;
        paste(client, "logs-cpus", "4").await;
        paste(client, "logs-syslog-name", SYSLOG_NAME).await;
        let [postfix_log, amavisd_log] = kept.files();
        paste(client, "paste-postfix-log", &std::fs::read_to_string(postfix_log).expect("reads")).await;
        paste(client, "paste-amavisd-log", &std::fs::read_to_string(amavisd_log).expect("reads")).await;
        settle(client).await;
        let page = js(client, "const row = k => document.querySelector(`#logs-figures tr[data-key=${k}] td`)?.textContent; return {verdict: document.getElementById('logs-verdict').dataset.verdict, needed: document.getElementById('logs-needed')?.textContent, reason: document.getElementById('logs-reason').textContent, sent: row('sent'), deferred: row('deferred'), deferrals: row('deferrals'), bars: document.querySelectorAll('#logs-timeline rect.bar').length, text: document.getElementById('logs-result').textContent};").await;
        assert_eq!(page["verdict"], cli["verdict"], "{scenario}: {page}");
        let needed = cli["needed"].as_u64().map_or_else(|| "no number".to_owned(), |n| n.to_string());
        assert_eq!(page["needed"], needed, "{scenario}");
        // The curve behind the number: a row per replayed number up to a few past it.
        let rows = js(client, "return Array.from(document.querySelectorAll('#logs-predictions tbody tr')).map(r => [Number(r.dataset.children), r.cells[3].textContent]);").await;
        for row in rows.as_array().into_iter().flatten() {
            let n = row[0].as_u64().expect("children");
            let cli_p99 = cli["predictions"]
                .as_array()
                .and_then(|list| list.iter().find(|p| p["children"] == n))
                .map(|p| p["wait_p99_s"].as_f64().map_or_else(|| "-".to_owned(), |w| format!("{w:.2}")));
            assert_eq!(row[1].as_str(), cli_p99.as_deref(), "{scenario}: the replay at {n}");
        }
        assert_eq!(page["reason"], cli["reason"], "{scenario}");
        // The reason holds the sizing sentence; the view says it once.
        let sizing = cli["sizing_reason"].as_str().expect("sizing_reason");
        let text = page["text"].as_str().expect("the view's text");
        assert_eq!(text.matches(sizing).count(), 1, "{scenario}: the sizing sentence once: {text}");
        assert_eq!(page["sent"], cli["sent"].to_string(), "{scenario}");
        assert_eq!(page["deferred"], cli["deferred_messages"].to_string(), "{scenario}");
        let d = &cli["deferrals"];
        let suspended: u64 = ["refused", "greeting", "other"].iter().filter_map(|k| d["suspended"][k].as_u64()).sum();
        let total: u64 = ["greeting-timeout", "greeting-lost", "refused", "other", "restart"]
            .iter()
            .filter_map(|k| d[k].as_u64())
            .sum::<u64>()
            + suspended;
        assert!(page["deferrals"].as_str().is_some_and(|t| t.starts_with(&format!("{total} ("))), "{scenario}: {page}");
        let buckets = cli["timeline"]["buckets"].as_array().map_or(0, Vec::len);
        assert_eq!(page["bars"], buckets, "{scenario}: one bar per bucket of the CLI's timeline");
    }
}

/// Today's date in UTC, `YYYY-MM-DD`, as the page takes it for classic syslog stamps.
fn js_free_today() -> String {
    let output = Command::new("date").args(["-u", "+%F"]).output().expect("date runs");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// While a field is invalid the result says it is not up to date, names the field and is marked
/// stale; it uses the field's default (the CLI's plan for the page's default 8 GiB) until the
/// field is corrected.
pub(crate) async fn invalid_input_marks_the_result_stale() {
    let site = site();
    let browser = started_browser().await;
    let server = serve(site);
    let client = &browser.client;
    visit(client, &format!("{}/?ram=4G&os=debian", server.address), LIVE_RESULT, "calculator").await;
    let small = cli_plan(&["--ram", "4G", "--os", "debian"])["max_servers"].to_string();
    let default = cli_plan(&["--ram", "8G", "--os", "debian"])["max_servers"].to_string();
    let read = "return {n: document.getElementById('result-n').textContent, stale: document.getElementById('result').classList.contains('stale'), notice: document.getElementById('stale-notice')?.textContent ?? null};";
    assert_eq!(js(client, read).await["n"], small.as_str());
    paste(client, "field-ram", "4X").await;
    settle(client).await;
    let page = js(client, read).await;
    assert_eq!(page["stale"], true, "{page}");
    let notice = page["notice"].as_str().unwrap_or_default();
    assert!(notice.starts_with("Not up to date: RAM is not valid"), "{page}");
    assert_eq!(page["n"], default.as_str(), "{page}");
    paste(client, "field-ram", "4G").await;
    settle(client).await;
    let page = js(client, read).await;
    assert_eq!(
        (page["stale"].clone(), page["notice"].clone(), page["n"].clone()),
        (Value::from(false), Value::Null, Value::from(small))
    );
}
