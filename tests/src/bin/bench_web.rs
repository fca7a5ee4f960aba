//! Times the built web calculator in headless Chromium on 127.0.0.1 (tests/bench/run.sh runs it):
//! the bytes each view's first load fetches (gzip -9), navigation start to first contentful paint
//! and to the module's render of the generated config (median of 20 cold loads; the served HTML
//! already holds the default plan's), an input change to the updated DOM and to the next frame
//! (median of 40), and the JS heap.
//!
//! `cargo run -p amavis-tune-tests --bin bench-web -- SITE_DIR`

use std::io::Write;
use std::path::{Path, PathBuf};

use amavis_tune_tests::browser::{LIVE_RESULT, browser, cdp, serve};
use anyhow::{Context, bail};
use fantoccini::Locator;
use serde_json::json;

const LOADS: usize = 20;
const CHANGES: usize = 40;
const SLOW_LOADS: usize = 5;

/// Navigation start to first contentful paint, and to the module's render of the config (the
/// page's `amavis-tune:output` mark), for one cold load of `url`.
async fn paint_and_output(client: &fantoccini::Client, url: &str) -> anyhow::Result<(f64, f64)> {
    client.goto(url).await?;
    client.wait().at_most(std::time::Duration::from_secs(60)).for_element(Locator::Css(LIVE_RESULT)).await?;
    let times = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; const read = () => { const fcp = performance.getEntriesByName('first-contentful-paint')[0]; const out = performance.getEntriesByName('amavis-tune:output')[0]; if (fcp && out) { done([fcp.startTime, out.startTime]); } else { setTimeout(read, 10); } }; read();",
            vec![],
        )
        .await?;
    Ok((times[0].as_f64().context("a paint time")?, times[1].as_f64().context("an output time")?))
}

/// gzip -9 of the files these request paths name (`/` is index.html).
fn gzip_bytes(site: &Path, requests: &[String]) -> anyhow::Result<usize> {
    let mut total = 0;
    for target in requests {
        let path = target.split(['?', '#']).next().unwrap_or("/");
        let name = if path.ends_with('/') { format!("{path}index.html") } else { path.to_owned() };
        let bytes = std::fs::read(site.join(name.trim_start_matches('/')))?;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&bytes)?;
        total += encoder.finish()?.len();
    }
    Ok(total)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) { (values[middle - 1] + values[middle]) / 2.0 } else { values[middle] }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let site = PathBuf::from(std::env::args().nth(1).context("usage: bench-web SITE_DIR")?);
    if !site.join("index.html").is_file() {
        bail!("{} has no index.html: build the site first (build-web)", site.display());
    }
    let server = serve(&site);
    let browser = browser().await.context("chromium and chromedriver are needed")?;
    let client = &browser.client;

    // The first load of each view: the calculator's files, then what opening the check tab and
    // the logs view adds.
    client.goto(&format!("{}/", server.address)).await?;
    client.wait().for_element(Locator::Css(LIVE_RESULT)).await?;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let calculator: Vec<String> = server.requests.lock().expect("log").clone();
    client.find(Locator::Css("#tab-check")).await?.click().await?;
    client.wait().for_element(Locator::Css("#paste-master-cf")).await?;
    let check: Vec<String> = server.requests.lock().expect("log")[calculator.len()..].to_vec();
    client.find(Locator::Css("#tab-logs")).await?.click().await?;
    client.wait().for_element(Locator::Css("#paste-postfix-log")).await?;
    let logs: Vec<String> = server.requests.lock().expect("log")[calculator.len() + check.len()..].to_vec();
    let (calculator_bytes, check_bytes, logs_bytes) =
        (gzip_bytes(&site, &calculator)?, gzip_bytes(&site, &check)?, gzip_bytes(&site, &logs)?);
    let wasm = gzip_bytes(&site, &calculator.iter().filter(|r| r.ends_with(".wasm")).cloned().collect::<Vec<_>>())?;

    let (mut paint, mut output) = (Vec::new(), Vec::new());
    for load in 0..LOADS {
        // A fresh URL each time; the server sends no cache headers.
        let (p, o) = paint_and_output(client, &format!("{}/?v=1&ram=8G&os=debian&load={load}", server.address)).await?;
        paint.push(p);
        output.push(o);
    }

    // A slow network, as a phone on a poor link sees the page: every first-load file is asked
    // for at once (index.html preloads the glue and the module), so the round trips do not add up.
    cdp(client, "Network.enable", json!({})).await;
    cdp(client, "Network.setCacheDisabled", json!({ "cacheDisabled": true })).await;
    let conditions = |latency: f64, throughput: f64| json!({ "offline": false, "latency": latency, "downloadThroughput": throughput, "uploadThroughput": throughput });
    cdp(client, "Network.emulateNetworkConditions", conditions(150.0, 200_000.0)).await;
    let (mut slow_paint, mut slow_output) = (Vec::new(), Vec::new());
    for load in 0..SLOW_LOADS {
        let (p, o) = paint_and_output(client, &format!("{}/?v=1&ram=8G&os=debian&slow={load}", server.address)).await?;
        slow_paint.push(p);
        slow_output.push(o);
    }
    cdp(client, "Network.emulateNetworkConditions", conditions(0.0, -1.0)).await;
    cdp(client, "Network.setCacheDisabled", json!({ "cacheDisabled": false })).await;

    let (mut changes, mut frames) = (Vec::new(), Vec::new());
    for change in 0..CHANGES {
        let ram = if change % 2 == 0 { "16G" } else { "8G" };
        let took = client
            .execute_async(
                "const [ram, done] = [arguments[0], arguments[arguments.length - 1]]; const field = document.getElementById('field-ram'); const before = document.querySelector('.safe-max').textContent; const t0 = performance.now(); field.value = ram; field.dispatchEvent(new Event('input', {bubbles: true})); const check = () => { if (document.querySelector('.safe-max').textContent !== before) { const dom = performance.now() - t0; requestAnimationFrame(() => done([dom, performance.now() - t0])); } else { queueMicrotask(check); } }; check();",
                vec![json!(ram)],
            )
            .await?;
        changes.push(took[0].as_f64().context("a change time")?);
        frames.push(took[1].as_f64().context("a frame time")?);
    }
    let heap = client.execute("return performance.memory.usedJSHeapSize;", vec![]).await?;
    let heap = heap.as_f64().context("performance.memory is Chrome's")? / 1_048_576.0;

    let kb = |bytes: usize| bytes as f64 / 1000.0;
    println!("page (headless Chromium, 127.0.0.1, {LOADS} cold loads, {CHANGES} input changes; medians):");
    println!(
        "  first load, gzip -9: calculator {:.1} KB (wasm {:.1}), + check tab {:.1} KB, + logs view {:.1} KB",
        kb(calculator_bytes),
        kb(wasm),
        kb(check_bytes),
        kb(logs_bytes)
    );
    println!("  generated config in the served HTML         prerendered (default plan)");
    println!("  navigation start to first contentful paint  {:8.1} ms", median(paint));
    println!("  navigation start to the module's config     {:8.1} ms", median(output));
    println!(
        "  slow network (1.6 Mbit/s, 150 ms RTT, uncompressed, {SLOW_LOADS} loads): first paint {:.0} ms, first answer to input (the module's config) {:.0} ms",
        median(slow_paint),
        median(slow_output)
    );
    println!("  input change to DOM / next frame            {:8.2} / {:.2} ms", median(changes), median(frames));
    println!("  JS heap in use after the changes            {heap:8.1} MiB");
    browser.client.clone().close().await?;
    Ok(())
}
