//! Where each OS keeps the files `check` reads, under a root directory (`/`, or a server's tree
//! mounted elsewhere).

use std::fs;
use std::path::{Path, PathBuf};

use amavis_tune_core::{Os, OsRelease, ReleaseFacts, release_from_os_release, resolve_release, run_parts_order};
use anyhow::{Context, bail};

/// The files to read, in the order amavisd reads its own.
#[derive(Debug)]
pub(crate) struct Layout {
    pub(crate) os: Os,
    /// The release named with `--os`, or read from the tree's `etc/os-release` (whose family
    /// must be `os`); its steps are the ones printed.
    pub(crate) release: OsRelease,
    pub(crate) master_cf: PathBuf,
    pub(crate) main_cf: PathBuf,
    pub(crate) amavis: Vec<PathBuf>,
    /// Files in a `conf.d` that amavisd does not read.
    pub(crate) amavis_skipped: Vec<PathBuf>,
}

/// Joins an absolute path from the OS tables under `root`.
pub(crate) fn under(root: &Path, absolute: &str) -> PathBuf {
    root.join(absolute.trim_start_matches('/'))
}

/// Debian's amavisd reads `/usr/share/amavis/conf.d` then `/etc/amavis/conf.d` (run-parts order).
const DEBIAN_CONF_DIRS: [&str; 2] = ["/usr/share/amavis/conf.d", "/etc/amavis/conf.d"];

/// Which OS layout a tree has, from the files that exist in it.
pub(crate) fn detect(root: &Path) -> Option<Os> {
    if under(root, "/etc/amavis/conf.d").is_dir() {
        let release = fs::read_to_string(under(root, "/etc/os-release")).unwrap_or_default();
        return Some(if amavis_tune_core::os_from_os_release(&release) == Some(Os::Ubuntu) {
            Os::Ubuntu
        } else {
            Os::Debian
        });
    }
    [Os::Rhel, Os::Freebsd, Os::Openbsd].into_iter().find(|os| under(root, os.amavis_conf_path()).is_file())
}

impl Layout {
    /// The release table's entry whose commands the steps use.
    pub(crate) fn release_facts(&self) -> &'static ReleaseFacts {
        resolve_release(&self.release).facts
    }
}

/// The release of `os` the tree's `etc/os-release` names: its version when it names the same
/// family, else the family alone.
pub(crate) fn tree_release(root: &Path, os: Os) -> OsRelease {
    let text = fs::read_to_string(under(root, "/etc/os-release")).unwrap_or_default();
    match release_from_os_release(&text) {
        Some(release) if release.os == os => release,
        _ => OsRelease::family(os),
    }
}

pub(crate) fn layout(root: &Path, release: OsRelease, amavis_explicit: &[PathBuf]) -> anyhow::Result<Layout> {
    let os = release.os;
    let mut amavis = Vec::new();
    let mut amavis_skipped = Vec::new();
    if !amavis_explicit.is_empty() {
        amavis = amavis_explicit.to_vec();
    } else if os.is_debian_family() {
        let mut found_dir = false;
        for dir in DEBIAN_CONF_DIRS {
            let dir = under(root, dir);
            if !dir.is_dir() {
                continue;
            }
            found_dir = true;
            let (read, skipped) = conf_d(&dir)?;
            amavis.extend(read);
            amavis_skipped.extend(skipped);
        }
        if !found_dir {
            bail!(
                "no amavisd configuration at {}: the directory does not exist",
                under(root, "/etc/amavis/conf.d").display()
            );
        }
    } else {
        amavis.push(under(root, os.amavis_conf_path()));
    }
    Ok(Layout {
        os,
        release,
        master_cf: under(root, &os.master_cf_path()),
        main_cf: under(root, &os.main_cf_path()),
        amavis,
        amavis_skipped,
    })
}

/// The files of one `conf.d`, split as run-parts splits them; subdirectories are skipped.
fn conf_d(dir: &Path) -> anyhow::Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let mut names = Vec::new();
    let mut not_utf8 = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let path = entry.path();
        if path.is_dir() {
            continue;
        }
        match entry.file_name().into_string() {
            Ok(name) => names.push(name),
            // A name that is not UTF-8 is not ASCII either, so run-parts skips it.
            Err(_) => not_utf8.push(path),
        }
    }
    let (read, skipped) = run_parts_order(&names);
    let mut skipped: Vec<PathBuf> = skipped.iter().map(|name| dir.join(name)).collect();
    skipped.extend(not_utf8);
    Ok((read.iter().map(|name| dir.join(name)).collect(), skipped))
}
