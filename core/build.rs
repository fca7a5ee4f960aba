//! Build information for `--version` and the page footer: the commit amavis-tune was built from.
//! This runs at build time, on the build machine; the core itself still does no I/O at run time.
#![allow(clippy::disallowed_methods, clippy::disallowed_macros)]

use std::process::Command;

fn main() {
    // An explicit value wins (packagers building from a tarball without .git).
    println!("cargo:rerun-if-env-changed=AMAVIS_TUNE_COMMIT");
    let commit = std::env::var("AMAVIS_TUNE_COMMIT").ok().filter(|c| !c.is_empty()).or_else(|| {
        let output = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output().ok()?;
        let hash = String::from_utf8(output.stdout).ok()?.trim().to_owned();
        if !output.status.success() || hash.is_empty() {
            return None;
        }
        Some(hash)
    });
    println!("cargo:rustc-env=AMAVIS_TUNE_COMMIT={}", commit.as_deref().unwrap_or("unknown"));
    // Rebuild when the checked-out commit moves.
    let git = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.git");
    for path in ["HEAD", "refs/heads", "packed-refs"] {
        println!("cargo:rerun-if-changed={}", git.join(path).display());
    }
}
