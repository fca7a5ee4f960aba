//! The browser harness shared by the web tests and the benchmark: a static file server on
//! 127.0.0.1 and a headless Chromium driven over WebDriver (chromedriver).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

use crate::needs::find_program;

/// The calculator's number once the module rendered it: `index.html`'s prerendered copy (the
/// default plan, whatever the query) is marked `data-prerendered` until the module replaces it.
pub const LIVE_RESULT: &str = "#amavis-tune:not([data-prerendered]) #result-n";

/// A static file server on 127.0.0.1 that records every path requested.
#[derive(Debug)]
pub struct Server {
    pub address: String,
    pub requests: Arc<Mutex<Vec<String>>>,
    /// Milliseconds each `.wasm` response waits before it is sent (a slow network), 0 at first.
    pub wasm_delay_ms: Arc<AtomicU64>,
}

pub fn serve(dir: &Path) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let wasm_delay_ms = Arc::new(AtomicU64::new(0));
    let dir = dir.to_path_buf();
    let log = requests.clone();
    let delay = wasm_delay_ms.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let dir = dir.clone();
            let log = log.clone();
            let delay = delay.clone();
            std::thread::spawn(move || respond(stream, &dir, &log, &delay));
        }
    });
    Server { address, requests, wasm_delay_ms }
}

fn respond(mut stream: TcpStream, dir: &Path, log: &Mutex<Vec<String>>, wasm_delay_ms: &AtomicU64) {
    let mut reader = BufReader::new(stream.try_clone().expect("clones"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).map_or(true, |n| n == 0) || header == "\r\n" {
            break;
        }
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    log.lock().expect("log").push(target.clone());
    let path = target.split('?').next().unwrap_or("/");
    let file = format!("{}{}", path.trim_start_matches('/'), if path.ends_with('/') { "index.html" } else { "" });
    let full = dir.join(&file);
    let (status, body) = match (file.contains(".."), std::fs::read(&full)) {
        (false, Ok(body)) => ("200 OK", body),
        _ => ("404 Not Found", b"not found".to_vec()),
    };
    let kind = match full.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    if kind == "application/wasm" {
        std::thread::sleep(Duration::from_millis(wasm_delay_ms.load(Ordering::Relaxed)));
    }
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(&body);
}

/// chromedriver and a headless Chromium, closed when dropped.
#[derive(Debug)]
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// The process group chromedriver leads: chromedriver, the Chromium it started and that
    /// Chromium's renderers.
    pub fn process_group(&self) -> u32 {
        self.driver.id()
    }
}

impl Drop for Browser {
    /// Ends chromedriver and every process it started: the whole process group, since killing
    /// chromedriver alone leaves its Chromium running, orphaned.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let killed = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        if !killed.is_ok_and(|status| status.success()) {
            let _ = self.driver.kill();
        }
        let _ = self.driver.wait();
    }
}

/// None when chromium or chromedriver is missing.
pub async fn browser() -> Option<Browser> {
    let chromedriver = find_program("chromedriver")?;
    let chromium = find_program("chromium")?;
    let port = TcpListener::bind("127.0.0.1:0").expect("binds").local_addr().expect("addr").port();
    // chromedriver leads a process group of its own, which Chromium joins, so that `Drop` ends
    // them all.
    let driver = Command::new(chromedriver)
        .process_group(0)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let profile = tempfile::tempdir().expect("profile dir");
    let capabilities = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--window-size=1280,1800", "--enable-precise-memory-info",
                     format!("--user-data-dir={}", profile.path().display())],
        },
        "goog:loggingPrefs": { "browser": "ALL" },
    });
    let capabilities = match capabilities {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object"),
    };
    let mut last_error = String::new();
    for _ in 0..50 {
        match ClientBuilder::rustls()
            .expect("TLS config")
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => return Some(Browser { client, driver, _profile: profile }),
            Err(error) => last_error = error.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("cannot start a WebDriver session: {last_error}");
}

/// A Chrome DevTools Protocol command through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()))
    }
}

/// Runs a DevTools command (`Emulation.setEmulatedMedia`, `Page.captureScreenshot`, ...) and
/// returns its result.
pub async fn cdp(client: &Client, cmd: &str, params: Value) -> Value {
    client
        .issue_cmd(Cdp { cmd: cmd.to_owned(), params })
        .await
        .unwrap_or_else(|e| panic!("DevTools command {cmd}: {e}"))
}

/// Makes the page's viewport `width` x `height` CSS px (a phone's when narrower than 800 px,
/// honouring the page's viewport meta) and its `prefers-color-scheme` dark or light.
pub async fn emulate(client: &Client, width: u32, height: u32, dark: bool) {
    cdp(
        client,
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 800 }),
    )
    .await;
    let scheme = if dark { "dark" } else { "light" };
    cdp(
        client,
        "Emulation.setEmulatedMedia",
        json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
    )
    .await;
}

/// A PNG of the whole page, beyond the viewport.
pub async fn full_page_png(client: &Client) -> Vec<u8> {
    use base64::Engine;
    let shot = cdp(client, "Page.captureScreenshot", json!({ "format": "png", "captureBeyondViewport": true })).await;
    let data = shot["data"].as_str().expect("screenshot data");
    base64::engine::general_purpose::STANDARD.decode(data).expect("base64 PNG")
}
