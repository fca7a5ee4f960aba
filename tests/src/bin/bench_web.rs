//! Times the built web calculator in headless Chromium on 127.0.0.1 (tests/bench/run.sh runs it):
//! navigation start to first contentful paint and to the generated config being on the page
//! (median of 10 loads), an input change to the updated output (median of 20), and the JS heap.
//!
//! `cargo run -p amavis-tune-tests --bin bench-web -- SITE_DIR`

use std::path::PathBuf;

use amavis_tune_tests::browser::{browser, serve};
use anyhow::{Context, bail};
use fantoccini::Locator;
use serde_json::json;

const LOADS: usize = 10;
const CHANGES: usize = 20;

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

    let (mut paint, mut output) = (Vec::new(), Vec::new());
    for load in 0..LOADS {
        // A fresh URL each time; the server sends no cache headers.
        client.goto(&format!("{}/?v=1&ram=8G&os=debian&load={load}", server.address)).await?;
        client.wait().for_element(Locator::Css("#result-n")).await?;
        let times = client
            .execute_async(
                "const done = arguments[arguments.length - 1]; const read = () => { const fcp = performance.getEntriesByName('first-contentful-paint')[0]; const out = performance.getEntriesByName('amavis-tune:output')[0]; if (fcp && out) { done([fcp.startTime, out.startTime]); } else { setTimeout(read, 10); } }; read();",
                vec![],
            )
            .await?;
        paint.push(times[0].as_f64().context("a paint time")?);
        output.push(times[1].as_f64().context("an output time")?);
    }

    let mut changes = Vec::new();
    for change in 0..CHANGES {
        let ram = if change % 2 == 0 { "16G" } else { "8G" };
        let took = client
            .execute_async(
                "const [ram, done] = [arguments[0], arguments[arguments.length - 1]]; const field = document.getElementById('field-ram'); const before = document.querySelector('.safe-max').textContent; const t0 = performance.now(); field.value = ram; field.dispatchEvent(new Event('input', {bubbles: true})); const check = () => { if (document.querySelector('.safe-max').textContent !== before) { done(performance.now() - t0); } else { queueMicrotask(check); } }; check();",
                vec![json!(ram)],
            )
            .await?;
        changes.push(took.as_f64().context("a change time")?);
    }
    let heap = client.execute("return performance.memory.usedJSHeapSize;", vec![]).await?;
    let heap = heap.as_f64().context("performance.memory is Chrome's")? / 1_048_576.0;

    println!("page (headless Chromium, 127.0.0.1, {LOADS} loads, {CHANGES} input changes; medians):");
    println!("  navigation start to first contentful paint  {:8.1} ms", median(paint));
    println!("  navigation start to generated config shown  {:8.1} ms", median(output));
    println!("  input change to updated output              {:8.2} ms", median(changes));
    println!("  JS heap in use after the changes            {heap:8.1} MiB");
    browser.client.clone().close().await?;
    Ok(())
}
