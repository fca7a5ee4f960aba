//! `cargo run -p amavis-tune-tests --bin build-web`: builds the web calculator into `dist/`.
//!
//! 1. `cargo build -p amavis-tune-web --target wasm32-unknown-unknown --profile web-release`;
//!    both modules: the calculator (the first load) and the check and log views;
//! 2. wasm-bindgen (in-process, the same code as the CLI) for `--target web`, name section removed;
//! 3. `wasm-opt -Oz` when it is on PATH (npm's `binaryen`; Debian's is too old for Rust 1.95), and
//!    terser on the JavaScript glue (tests/js);
//! 4. the calculator prerendered into `index.html` (Yew's server-side rendering), painted before
//!    any script runs and replaced by the first render;
//! 5. content-hashed file names, relative URLs, so the folder can be served from any sub-path, and
//!    a `.gz` and a `.br` beside each file.
//!
//! Nothing is downloaded.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The two WebAssembly modules: the calculator (the first load) and the check and log views.
const MODULES: [&str; 2] = ["amavis-tune-web", "amavis-tune-check"];

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("workspace root")?.to_path_buf();
    let out = std::env::args().nth(1).map_or_else(|| root.join("dist"), PathBuf::from);
    let target_dir = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "amavis-tune-web",
            "--bins",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "web-release",
        ])
        .current_dir(&root)
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("building amavis-tune-web for wasm32-unknown-unknown failed (rustup target add wasm32-unknown-unknown?)");
    }
    // AMAVIS_TUNE_WASM_NAMES=1 keeps the function names (for `twiggy top` on the built modules).
    let keep_names = std::env::var_os("AMAVIS_TUNE_WASM_NAMES").is_some_and(|v| v == "1");
    let staging = tempdir_in(&target_dir)?;
    let terser = root.join("tests/js/node_modules/terser/bin/terser");
    // Each module: its wasm and its JavaScript glue, content-hashed.
    let mut assets: Vec<(String, Vec<u8>)> = Vec::new();
    let mut names = Vec::new();
    for module in MODULES {
        let wasm = target_dir.join(format!("wasm32-unknown-unknown/web-release/{module}.wasm"));
        wasm_bindgen_cli_support::Bindgen::new()
            .input_path(&wasm)
            .web(true)?
            .remove_name_section(!keep_names)
            .remove_producers_section(true)
            .typescript(false)
            .out_name(module)
            .generate(&staging)
            .with_context(|| format!("wasm-bindgen failed on {module}"))?;
        let bg = staging.join(format!("{module}_bg.wasm"));
        optimise(&bg, keep_names)?;
        let glue = staging.join(format!("{module}.js"));
        minify(&terser, &glue)?;
        let wasm_bytes = std::fs::read(&bg)?;
        let glue_bytes = std::fs::read(&glue)?;
        let wasm_name = format!("{module}-{}.wasm", hash(&wasm_bytes));
        let glue_name = format!("{module}-{}.js", hash(&glue_bytes));
        names.push((glue_name.clone(), wasm_name.clone()));
        assets.push((wasm_name, wasm_bytes));
        assets.push((glue_name, glue_bytes));
    }
    let [(glue_name, wasm_name), (check_glue, check_wasm)] = [names[0].clone(), names[1].clone()];
    let css = std::fs::read(root.join("web/style.css"))?;
    let css_name = format!("amavis-tune-{}.css", hash(&css));
    // The entry script: starts the calculator, and offers the check module to it (loaded when a
    // view of it is first opened; URLs relative to this script, so the folder can move).
    let loader = format!(
        "import init from './{glue_name}';\n\
         let check;\n\
         globalThis.amavisTuneLoadCheck = () => check ??= import('./{check_glue}').then(m => m.default({{ module_or_path: new URL('./{check_wasm}', import.meta.url) }}));\n\
         init({{ module_or_path: new URL('./{wasm_name}', import.meta.url) }});\n"
    );
    let loader_name = format!("amavis-tune-{}.js", hash(loader.as_bytes()));
    assets.push((css_name.clone(), css));
    assets.push((loader_name.clone(), loader.into_bytes()));
    assets.push(("favicon.svg".to_owned(), std::fs::read(root.join("web/favicon.svg"))?));
    // The calculator as a no-query visit first renders it, painted before any script runs.
    let prerendered = tokio::runtime::Builder::new_current_thread().build()?.block_on(amavis_tune_web::prerender());
    let html = std::fs::read_to_string(root.join("web/index.html"))?
        .replace("{{css}}", &css_name)
        .replace("{{script}}", &loader_name)
        .replace("{{prerendered}}", &prerendered)
        .replace("{{version}}", env!("CARGO_PKG_VERSION"));
    assets.push(("index.html".to_owned(), html.into_bytes()));

    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("cannot empty {}", out.display()))?;
    }
    std::fs::create_dir_all(&out)?;
    for (name, bytes) in &assets {
        std::fs::write(out.join(name), bytes)?;
        // Pre-compressed beside each file, for hosts that serve them (gzip_static, brotli_static).
        std::fs::write(out.join(format!("{name}.gz")), gzip(bytes)?)?;
        std::fs::write(out.join(format!("{name}.br")), brotli(bytes)?)?;
    }
    // The example documentation page that embeds the calculator.
    let example = std::fs::read_to_string(root.join("web/example/index.html"))?
        .replace("{{css}}", &css_name)
        .replace("{{script}}", &loader_name);
    std::fs::create_dir_all(out.join("example"))?;
    std::fs::write(out.join("example/index.html"), example)?;
    std::fs::copy(root.join("web/example/docs.css"), out.join("example/docs.css"))?;
    // The MkDocs example's sources, with the calculator's files, ready for `mkdocs build`.
    let mkdocs = out.join("mkdocs-src");
    std::fs::create_dir_all(mkdocs.join("docs/calculator"))?;
    std::fs::copy(root.join("web/mkdocs/mkdocs.yml"), mkdocs.join("mkdocs.yml"))?;
    let page = std::fs::read_to_string(root.join("web/mkdocs/docs/index.md"))?
        .replace("{{css}}", &css_name)
        .replace("{{script}}", &loader_name);
    std::fs::write(mkdocs.join("docs/index.md"), page)?;
    for (name, _) in assets.iter().filter(|(name, _)| name != "index.html" && name != "favicon.svg") {
        std::fs::copy(out.join(name), mkdocs.join("docs/calculator").join(name))?;
    }
    std::fs::remove_dir_all(&staging)?;
    for (name, bytes) in &assets {
        println!("{:>9} {:>9} gzip {name}", bytes.len(), gzip(bytes)?.len());
    }
    println!("built {}", out.display());
    Ok(())
}

/// Minifies wasm-bindgen's JavaScript glue in place with terser (tests/js, `npm ci`), when it is
/// installed; the unminified glue works the same.
fn minify(terser: &Path, glue: &Path) -> anyhow::Result<()> {
    if !terser.is_file() {
        eprintln!(
            "note: {} not found; the JavaScript glue is not minified (npm ci --prefix tests/js)",
            terser.display()
        );
        return Ok(());
    }
    let status = Command::new("node")
        .arg(terser)
        .arg(glue)
        .args(["--module", "--compress", "--mangle", "--output"])
        .arg(glue)
        .status()
        .context("cannot run node (terser)")?;
    if !status.success() {
        bail!("terser failed on {}", glue.display());
    }
    Ok(())
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    encoder.finish()
}

fn brotli(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = ::brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    ::brotli::BrotliCompress(&mut std::io::Cursor::new(bytes), &mut out, &params)?;
    Ok(out)
}

fn optimise(wasm: &Path, keep_names: bool) -> anyhow::Result<()> {
    let found = Command::new("wasm-opt").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("note: wasm-opt not found on PATH; skipping -Oz (npm install -g binaryen)");
        return Ok(());
    }
    let status = Command::new("wasm-opt")
        .args([
            "-Oz",
            "--converge",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
        ])
        .args(keep_names.then_some("--debuginfo"))
        .arg(wasm)
        .arg("-o")
        .arg(wasm)
        .status()
        .context("cannot run wasm-opt")?;
    if !status.success() {
        bail!("wasm-opt -Oz failed");
    }
    Ok(())
}

fn tempdir_in(dir: &Path) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("build-web-{}", std::process::id()));
    std::fs::create_dir_all(&path)?;
    Ok(path)
}

/// FNV-1a, 64-bit: a stable content hash for cache-busting file names.
fn hash(bytes: &[u8]) -> String {
    let mut value: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        value ^= u64::from(*byte);
        value = value.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:012x}", value >> 16)
}
