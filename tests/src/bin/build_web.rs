//! `cargo run -p amavis-tune-tests --bin build-web`: builds the web calculator into `dist/`.
//!
//! 1. `cargo build -p amavis-tune-web --target wasm32-unknown-unknown --profile web-release`;
//!    both modules: the calculator (the first load) and the check and log views;
//! 2. wasm-bindgen (in-process, the same code as the CLI) for `--target web`, name section removed;
//! 3. `wasm-opt` when it is on PATH (npm's `binaryen`; Debian's is too old for Rust 1.95):
//!    `--flatten --rereloop -Oz -Oz` (see [`OPTIMISATIONS`]), and terser on the JavaScript glue
//!    (tests/js); then wasm-opt's
//!    `--minify-imports-and-exports-and-modules`, whose map renames the same names in the glue
//!    (wasm-bindgen's import names carry a 16-digit hash each, which compresses badly: 2.2 KB of
//!    the calculator's gzip);
//! 4. the calculator prerendered into `index.html` (Yew's server-side rendering, without its
//!    hydration markers), painted before any script runs and replaced by the first render; the
//!    stylesheet without comments and spare white space;
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
        if !keep_names {
            minify_names(&bg, &glue)?;
        }
        let wasm_bytes = std::fs::read(&bg)?;
        let glue_bytes = std::fs::read(&glue)?;
        let wasm_name = format!("{module}-{}.wasm", hash(&wasm_bytes));
        let glue_name = format!("{module}-{}.js", hash(&glue_bytes));
        names.push((glue_name.clone(), wasm_name.clone()));
        assets.push((wasm_name, wasm_bytes));
        assets.push((glue_name, glue_bytes));
    }
    let [(glue_name, wasm_name), (check_glue, check_wasm)] = [names[0].clone(), names[1].clone()];
    let css = minify_css(&std::fs::read_to_string(root.join("web/style.css"))?).into_bytes();
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
        // Every file of the first load is asked for at once: the glue and the module are
        // preloaded beside the loader (which would otherwise find them one round trip apart).
        .replace("{{glue}}", &glue_name)
        .replace("{{wasm}}", &wasm_name)
        .replace("{{prerendered}}", &without_component_markers(&prerendered))
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

/// The stylesheet without its comments and the spaces nothing reads: each run of white space
/// outside quotes becomes one space, or none beside `{`, `}`, `;`, `,` and `>` (0.4 KB gzip of
/// the first load). web/style.css holds no `/*` inside a string.
fn minify_css(css: &str) -> String {
    let mut text = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        text.push_str(&rest[..start]);
        rest = rest[start..].find("*/").map_or("", |end| &rest[start + end + 2..]);
    }
    text.push_str(rest);
    let tight = |c: char| matches!(c, '{' | '}' | ';' | ',' | '>');
    let mut out = String::with_capacity(text.len());
    let mut quote = None;
    let mut space = false;
    for c in text.chars() {
        if let Some(open) = quote {
            out.push(c);
            if c == open {
                quote = None;
            }
        } else if c.is_whitespace() {
            space = true;
        } else {
            if space && !tight(c) && out.chars().next_back().is_some_and(|last| !tight(last)) {
                out.push(' ');
            }
            space = false;
            if c == '"' || c == '\'' {
                quote = Some(c);
            }
            out.push(c);
        }
    }
    out
}

/// Yew's server-side rendering marks where each component starts and ends
/// (`<!--<[amavis_tune_web::components::app::App]>-->`, `<!--</[...]>-->`) for hydration; the
/// page replaces the prerendered HTML instead, so they are left out (0.25 KB gzip).
fn without_component_markers(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<!--<") {
        let Some(end) = rest[start..].find("]>-->") else { break };
        out.push_str(&rest[..start]);
        rest = &rest[start + end + "]>-->".len()..];
    }
    out.push_str(rest);
    out
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
        .args(OPTIMISATIONS)
        .args(WASM_FEATURES)
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

/// wasm-opt's passes: the control flow flattened and rebuilt by binaryen's relooper
/// (`--flatten --rereloop`), then `-Oz` twice, which folds more of rustc's nested blocks than
/// `-Oz --converge` alone (1.3 KB gzip off the calculator). `--low-memory-unused` lets it fold a
/// constant added to an address into the load's or store's offset, which differs only for an
/// address that wrapped around into the lowest KiB: Rust's wasm32 build puts the stack first
/// (1 MiB, growing down to 0) and its data above it, so nothing lives there but the bottom of a
/// full stack (0.45 KB gzip more).
const OPTIMISATIONS: [&str; 5] = ["--low-memory-unused", "--flatten", "--rereloop", "-Oz", "-Oz"];

/// The wasm features the modules use (Rust 1.95's wasm32 defaults), for every wasm-opt run.
const WASM_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Renames the module's imports, their module and its exports to the shortest names
/// (binaryen's `--minify-imports-and-exports-and-modules`, which prints the map as JSON), and the
/// same names in the glue: each import is a property of the glue's import object, each export
/// read as `.name` of the instance's exports. Fails when a name of the map is not where the glue
/// should have it, or an old name is left, so a glue of another shape is never half renamed.
fn minify_names(wasm: &Path, glue: &Path) -> anyhow::Result<()> {
    if !Command::new("wasm-opt").arg("--version").output().is_ok_and(|o| o.status.success()) {
        return Ok(());
    }
    let output = Command::new("wasm-opt")
        .args(WASM_FEATURES)
        .arg("--minify-imports-and-exports-and-modules")
        .arg(wasm)
        .arg("-o")
        .arg(wasm)
        .output()
        .context("cannot run wasm-opt")?;
    if !output.status.success() {
        bail!("wasm-opt --minify-imports-and-exports-and-modules failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let map: serde_json::Value = serde_json::from_slice(&output.stdout).context("wasm-opt's name map is not JSON")?;
    let pairs = |key: &str| -> anyhow::Result<Vec<Vec<String>>> {
        serde_json::from_value(map[key].clone()).with_context(|| format!("wasm-opt's name map has no `{key}` list"))
    };
    let mut text = std::fs::read_to_string(glue)?;
    let mut modules: Vec<(String, String)> = Vec::new();
    let mut renames: Vec<(String, String, bool)> = Vec::new();
    for import in pairs("imports")? {
        let [module, old, new] = <[String; 3]>::try_from(import)
            .map_err(|_| anyhow::anyhow!("an import of the map is not [module, old, new]"))?;
        if !modules.iter().any(|(m, _)| *m == module) {
            modules.push((module, String::new()));
        }
        renames.push((old, new, false));
    }
    for export in pairs("exports")? {
        let [old, new] =
            <[String; 2]>::try_from(export).map_err(|_| anyhow::anyhow!("an export of the map is not [old, new]"))?;
        renames.push((old, new, true));
    }
    // The import modules: binaryen names them `a`, `b`, ... in the order it meets them; the map
    // does not say, so the module's own import section does.
    let bytes = std::fs::read(wasm)?;
    let renamed_modules = import_modules(&bytes)?;
    anyhow::ensure!(
        renamed_modules.len() == modules.len(),
        "the renamed module has {} import modules, the map {}",
        renamed_modules.len(),
        modules.len()
    );
    for ((old, new), renamed) in modules.iter_mut().zip(renamed_modules) {
        *new = renamed;
        let quoted = format!("\"{old}\"");
        anyhow::ensure!(
            text.matches(&quoted).count() == 1,
            "the glue names the import module {quoted} other than once"
        );
        text = text.replace(&quoted, &format!("\"{new}\""));
    }
    for (old, new, export) in &renames {
        let (replaced, count) = replace_identifier(&text, old, new, *export);
        // An export the glue never reads (`main`, the abort handler) is renamed in the module only.
        anyhow::ensure!(count > 0 || *export, "the glue does not define the import `{old}`");
        text = replaced;
    }
    std::fs::write(glue, text)?;
    Ok(())
}

/// `text` with every whole identifier `old` (for an export: only where read as `.old`) made
/// `new`, and how many there were.
fn replace_identifier(text: &str, old: &str, new: &str, export: bool) -> (String, usize) {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let mut out = String::with_capacity(text.len());
    let mut count = 0;
    let mut rest = text;
    while let Some(at) = rest.find(old) {
        let before = if at > 0 { rest[..at].chars().last() } else { out.chars().last() };
        let after = rest[at + old.len()..].chars().next();
        let whole = !before.is_some_and(is_word) && !after.is_some_and(is_word);
        let placed = if export { before == Some('.') } else { true };
        out.push_str(&rest[..at]);
        if whole && placed {
            out.push_str(new);
            count += 1;
        } else {
            out.push_str(old);
        }
        rest = &rest[at + old.len()..];
    }
    out.push_str(rest);
    (out, count)
}

/// The distinct module names of a wasm module's imports, in order.
fn import_modules(bytes: &[u8]) -> anyhow::Result<Vec<String>> {
    fn leb(bytes: &[u8], at: &mut usize) -> anyhow::Result<usize> {
        let mut value = 0usize;
        let mut shift = 0;
        loop {
            let byte = *bytes.get(*at).context("a truncated wasm module")?;
            *at += 1;
            value |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
            anyhow::ensure!(shift < 35, "a malformed wasm module");
        }
    }
    fn name(bytes: &[u8], at: &mut usize) -> anyhow::Result<String> {
        let length = leb(bytes, at)?;
        let text = bytes.get(*at..*at + length).context("a truncated wasm name")?;
        *at += length;
        Ok(String::from_utf8(text.to_vec())?)
    }
    let mut at = 8;
    let mut modules: Vec<String> = Vec::new();
    while at < bytes.len() {
        let id = bytes[at];
        at += 1;
        let size = leb(bytes, &mut at)?;
        let end = at + size;
        if id == 2 {
            let count = leb(bytes, &mut at)?;
            for _ in 0..count {
                let module = name(bytes, &mut at)?;
                name(bytes, &mut at)?;
                // The import's kind and its description: a function's type index, a table's
                // type and limits, a memory's limits, a global's type and mutability.
                let kind = bytes[at];
                at += 1;
                match kind {
                    0 => {
                        leb(bytes, &mut at)?;
                    }
                    1 => {
                        at += 1;
                        let flags = leb(bytes, &mut at)?;
                        leb(bytes, &mut at)?;
                        if flags & 1 == 1 {
                            leb(bytes, &mut at)?;
                        }
                    }
                    2 => {
                        let flags = leb(bytes, &mut at)?;
                        leb(bytes, &mut at)?;
                        if flags & 1 == 1 {
                            leb(bytes, &mut at)?;
                        }
                    }
                    3 => at += 2,
                    other => bail!("an import of unknown kind {other}"),
                }
                if !modules.contains(&module) {
                    modules.push(module);
                }
            }
            return Ok(modules);
        }
        at = end;
    }
    Ok(modules)
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

#[cfg(test)]
mod tests {
    use super::replace_identifier;

    #[test]
    fn only_whole_identifiers_are_renamed() {
        let glue = "{__wbg_a_1:function(e){return E.memory.buffer},__wbg_a_12:1,x:\"memory\"};E.__wbg_a_1";
        assert_eq!(
            replace_identifier(glue, "__wbg_a_1", "$", false),
            ("{$:function(e){return E.memory.buffer},__wbg_a_12:1,x:\"memory\"};E.$".to_owned(), 2)
        );
        // An export only where read as a property: not the string.
        assert_eq!(
            replace_identifier(glue, "memory", "xb", true),
            ("{__wbg_a_1:function(e){return E.xb.buffer},__wbg_a_12:1,x:\"memory\"};E.__wbg_a_1".to_owned(), 1)
        );
    }
}
