//! `cargo run -p amavis-tune-tests --bin build-web`: builds the web calculator into `dist/`.
//!
//! 1. `cargo build -p amavis-tune-web --target wasm32-unknown-unknown --profile web-release`;
//! 2. wasm-bindgen (in-process, the same code as the CLI) for `--target web`, name section removed;
//! 3. `wasm-opt -Oz` when it is on PATH (npm's `binaryen`; Debian's is too old for Rust 1.95);
//! 4. content-hashed file names, relative URLs, so the folder can be served from any sub-path.
//!
//! Nothing is downloaded.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

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
    let wasm = target_dir.join("wasm32-unknown-unknown/web-release/amavis-tune-web.wasm");
    let staging = tempdir_in(&target_dir)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)?
        .remove_name_section(true)
        .remove_producers_section(true)
        .typescript(false)
        .out_name("amavis-tune-web")
        .generate(&staging)
        .context("wasm-bindgen failed")?;
    let bg = staging.join("amavis-tune-web_bg.wasm");
    optimise(&bg)?;

    let wasm_bytes = std::fs::read(&bg)?;
    let glue = std::fs::read_to_string(staging.join("amavis-tune-web.js"))?;
    let css = std::fs::read_to_string(root.join("web/style.css"))?;
    let wasm_name = format!("amavis-tune-web-{}.wasm", hash(&wasm_bytes));
    let glue_name = format!("amavis-tune-web-{}.js", hash(glue.as_bytes()));
    let css_name = format!("amavis-tune-{}.css", hash(css.as_bytes()));
    let loader = format!(
        "import init from './{glue_name}';\ninit({{ module_or_path: new URL('./{wasm_name}', import.meta.url) }});\n"
    );
    let loader_name = format!("amavis-tune-{}.js", hash(loader.as_bytes()));
    let html = std::fs::read_to_string(root.join("web/index.html"))?
        .replace("{{css}}", &css_name)
        .replace("{{script}}", &loader_name)
        .replace("{{version}}", env!("CARGO_PKG_VERSION"));

    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("cannot empty {}", out.display()))?;
    }
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join(&wasm_name), &wasm_bytes)?;
    std::fs::write(out.join(&glue_name), glue)?;
    std::fs::write(out.join(&css_name), css)?;
    std::fs::write(out.join(&loader_name), loader)?;
    std::fs::write(out.join("index.html"), html)?;
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
    for name in [&wasm_name, &glue_name, &css_name, &loader_name] {
        std::fs::copy(out.join(name), mkdocs.join("docs/calculator").join(name))?;
    }
    std::fs::remove_dir_all(&staging)?;
    for entry in std::fs::read_dir(&out)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            println!("{:>9} {}", entry.metadata()?.len(), entry.file_name().to_string_lossy());
        }
    }
    println!("built {}", out.display());
    Ok(())
}

fn optimise(wasm: &Path) -> anyhow::Result<()> {
    let found = Command::new("wasm-opt").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("note: wasm-opt not found on PATH; skipping -Oz (npm install -g binaryen)");
        return Ok(());
    }
    let status = Command::new("wasm-opt")
        .args([
            "-Oz",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
        ])
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
