//! Where each OS keeps the files `check` reads, under a root directory (`/`, or a server's tree
//! mounted elsewhere).

use std::fs;
use std::path::{Path, PathBuf};

use amavis_tune_core::{Os, OsRelease, ReleaseFacts, release_from_os_release, resolve_release, run_parts_order};
use anyhow::{Context, bail};

use crate::host::read::read_small;

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
    /// A platform that generates both numbers (Zimbra, Carbonio, UCS): its files are never
    /// edited, its own command is the change.
    pub(crate) platform: Option<amavis_tune_core::Platform>,
    /// The platform's setting as this server holds it (`Ok(None)`: nothing here to read it
    /// from), read by `config::load` once the platform is known.
    pub(crate) setting: Result<Option<amavis_tune_core::SettingValue>, String>,
}

/// Joins an absolute path from the OS tables under `root`.
pub(crate) fn under(root: &Path, absolute: &str) -> PathBuf {
    root.join(absolute.trim_start_matches('/'))
}

/// A small file of the tree (`os-release`), when it is one and stays inside the root.
fn read_under(root: &Path, absolute: &str) -> Option<String> {
    let path = confine(root, &under(root, absolute)).ok()?;
    read_small(&path)
}

/// Where `path`, a path under `--root` (a config file, an included file, a log), leads when the
/// root is taken as `/`, as `openat2(RESOLVE_IN_ROOT)` and systemd's `chase` resolve it: an
/// absolute symlink in the tree starts again at the root, and `..` never climbs above it. So an
/// absolute symlink in a copied tree names the tree's file, not this host's, and an include with
/// `..` stays in the tree. Under `/` (this machine) the path is used as it is.
///
/// Returns `path` itself when this host resolves it to the same file (every symlink relative, or
/// none), so what is shown and written keeps its name; else the resolved path, which the reads
/// and writes then use. A symlink loop is an error. A part that does not exist ends the
/// resolution; the rest is appended as written (`..` taken lexically, never above the root).
///
/// This holds for a tree shaped before amavis-tune runs; a tree changed while it runs (a symlink
/// swapped in between this resolution and the read) is not covered (README, "Changing both
/// sides").
pub(crate) fn confine(root: &Path, path: &Path) -> anyhow::Result<PathBuf> {
    let Ok(root_real) = fs::canonicalize(root) else { return Ok(path.to_path_buf()) };
    if root_real == Path::new("/") {
        return Ok(path.to_path_buf());
    }
    let Ok(relative) = path.strip_prefix(root).or_else(|_| path.strip_prefix(&root_real)) else {
        return Ok(path.to_path_buf());
    };
    let in_root = chase(&root_real, relative)
        .with_context(|| format!("cannot resolve {} inside --root {}", path.display(), root.display()))?;
    if resolve(path).as_ref() == Some(&in_root) { Ok(path.to_path_buf()) } else { Ok(in_root) }
}

/// `relative` resolved under `root` (canonical) with `root` as `/`: see [`confine`].
fn chase(root: &Path, relative: &Path) -> anyhow::Result<PathBuf> {
    use std::collections::VecDeque;
    use std::path::Component;
    let mut pending: VecDeque<std::ffi::OsString> = relative
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_owned()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    let mut current = root.to_path_buf();
    let mut links = 0;
    while let Some(part) = pending.pop_front() {
        if part == ".." {
            if current != root {
                current.pop();
            }
            continue;
        }
        let candidate = current.join(&part);
        match fs::symlink_metadata(&candidate) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                links += 1;
                if links > 40 {
                    return Err(std::io::Error::from_raw_os_error(rustix::io::Errno::LOOP.raw_os_error()).into());
                }
                let target = fs::read_link(&candidate)?;
                if target.is_absolute() {
                    current = root.to_path_buf();
                }
                for part in target.components().rev() {
                    match part {
                        Component::Normal(name) => pending.push_front(name.to_owned()),
                        Component::ParentDir => pending.push_front("..".into()),
                        _ => {}
                    }
                }
            }
            Ok(_) => current = candidate,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                // The rest as written.
                current = candidate;
                for part in pending.drain(..) {
                    if part == ".." {
                        if current != root {
                            current.pop();
                        }
                    } else {
                        current.push(part);
                    }
                }
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(current)
}

/// Where `path` resolves on this host: the canonical form of its longest existing ancestor,
/// with the rest of it appended as written (`..` taken lexically). `None` when an existing part
/// cannot be resolved (a loop, no permission).
fn resolve(path: &Path) -> Option<PathBuf> {
    let mut rest: Vec<&std::ffi::OsStr> = Vec::new();
    let mut existing = path;
    loop {
        match fs::canonicalize(existing) {
            Ok(mut resolved) => {
                for part in rest.iter().rev() {
                    match part.to_str() {
                        Some("..") => {
                            resolved.pop();
                        }
                        Some(".") => {}
                        _ => resolved.push(part),
                    }
                }
                return Some(resolved);
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                rest.push(existing.file_name().unwrap_or(std::ffi::OsStr::new("..")));
                existing = existing.parent()?;
            }
            Err(_) => return None,
        }
    }
}

/// Debian's amavisd reads `/usr/share/amavis/conf.d` then `/etc/amavis/conf.d` (run-parts order).
const DEBIAN_CONF_DIRS: [&str; 2] = ["/usr/share/amavis/conf.d", "/etc/amavis/conf.d"];

/// Where each OS family's packages have put amavisd's one config file, in the order to try:
/// the RHEL family's amavisd-new packages used `/etc/amavisd.conf` before `/etc/amavisd/`
/// (CentOS 7 era installers, ClearOS 7 still do).
pub(crate) fn amavis_conf_candidates(os: Os) -> Vec<&'static str> {
    match os {
        Os::Rhel => vec![os.amavis_conf_path(), "/etc/amavisd.conf"],
        _ => vec![os.amavis_conf_path()],
    }
}

/// Which OS layout a tree has: its `etc/os-release` first, then the files that exist in it.
pub(crate) fn detect(root: &Path) -> Option<Os> {
    let release =
        read_under(root, "/etc/os-release").or_else(|| read_under(root, "/usr/lib/os-release")).unwrap_or_default();
    if under(root, "/etc/amavis/conf.d").is_dir() {
        return Some(if amavis_tune_core::os_from_os_release(&release) == Some(Os::Ubuntu) {
            Os::Ubuntu
        } else {
            Os::Debian
        });
    }
    if let Some(os) = amavis_tune_core::os_from_os_release(&release)
        && amavis_conf_candidates(os).iter().any(|path| under(root, path).is_file())
    {
        return Some(os);
    }
    // No (usable) os-release: a RHEL-family tree still says so in etc/redhat-release.
    if under(root, "/etc/redhat-release").is_file()
        && amavis_conf_candidates(Os::Rhel).iter().any(|path| under(root, path).is_file())
    {
        return Some(Os::Rhel);
    }
    [Os::Rhel, Os::Freebsd, Os::Openbsd].into_iter().find(|os| under(root, os.amavis_conf_path()).is_file())
}

impl Layout {
    /// The release table's entry whose commands the steps use.
    pub(crate) fn release_facts(&self) -> &'static ReleaseFacts {
        resolve_release(&self.release).facts
    }

    /// The steps after `apply` (or `restore`) for this layout: the release's, with the amavisd
    /// config file this tree really has where amavisd is given it with `-c` (a RHEL-family tree
    /// with `/etc/amavisd.conf`, as ClearOS and CentOS 7-era installers have it).
    pub(crate) fn steps(
        &self,
        root: &Path,
        method: amavis_tune_core::PostfixMethod,
        service: &amavis_tune_core::ServiceName,
        n: amavis_tune_core::Concurrency,
        raising: bool,
    ) -> Vec<amavis_tune_core::Step> {
        let facts = self.release_facts();
        let mut steps = amavis_tune_core::apply_steps(facts, method, service, n, raising);
        let Some(main) = self.amavis.first().filter(|_| !facts.amavis_reads_conf_d) else { return steps };
        let on_server = on_server(root, main);
        if on_server != facts.amavis_conf {
            for step in &mut steps {
                step.command = step.command.replace(facts.amavis_conf, &amavis_tune_core::shell_quote(&on_server));
                step.description = step.description.replace(facts.amavis_conf, &on_server);
            }
        }
        steps
    }
}

impl Layout {
    /// The rollback of what `apply` or `restore` just wrote: each file's backup from this run
    /// copied back (paths as on the server, quoted for the shell), in the order safe for undoing
    /// it, each side reloaded. `None` when no backup was made.
    pub(crate) fn rollback(
        &self,
        root: &Path,
        written: &[crate::host::write::Written],
        raised: bool,
    ) -> Option<amavis_tune_core::Step> {
        let words: Vec<(String, String, bool)> = written
            .iter()
            .filter_map(|w| {
                let backup = w.backup.as_ref()?;
                let file = w.target.as_ref().unwrap_or(&w.path);
                let same = |a: &Path, b: &Path| {
                    a == b || std::fs::canonicalize(a).ok().is_some_and(|a| std::fs::canonicalize(b).ok() == Some(a))
                };
                let is_postfix = same(&w.path, &self.master_cf) || same(&w.path, &self.main_cf);
                let quoted = |p: &Path| amavis_tune_core::shell_quote(&on_server(root, p)).into_owned();
                Some((quoted(file), quoted(backup), is_postfix))
            })
            .collect();
        if words.is_empty() {
            return None;
        }
        let backups: Vec<(&str, &str, bool)> = words.iter().map(|(f, b, p)| (f.as_str(), b.as_str(), *p)).collect();
        Some(amavis_tune_core::rollback_step(self.release_facts(), &backups, raised))
    }
}

/// `path`, a path under `root`, as it is on the server (`root` taken off).
pub(crate) fn on_server(root: &Path, path: &Path) -> String {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let path = std::fs::canonicalize(path.parent().unwrap_or(path))
        .map(|dir| dir.join(path.file_name().unwrap_or_default()))
        .unwrap_or_else(|_| path.to_path_buf());
    match path.strip_prefix(&root) {
        Ok(relative) if root != Path::new("/") => format!("/{}", relative.display()),
        _ => path.display().to_string(),
    }
}

/// The release of `os` the tree's `etc/os-release` names: its version when it names the same
/// family, else the family alone.
pub(crate) fn tree_release(root: &Path, os: Os) -> OsRelease {
    let text = read_under(root, "/etc/os-release").unwrap_or_default();
    let release = match release_from_os_release(&text) {
        Some(release) if release.os == os => release,
        _ => OsRelease::family(os),
    };
    with_init_system(root, release)
}

/// Gentoo's release as the table lists it, its init system, from the tree: systemd when it runs
/// (`/run/systemd/system`, on the server) or when amavisd has a unit and no OpenRC script;
/// OpenRC when amavisd has its script; else the family alone (the plan says which it chose).
pub(crate) fn with_init_system(root: &Path, release: OsRelease) -> OsRelease {
    if release.os != Os::Gentoo || release.version.is_some() {
        return release;
    }
    let has = |path: &str| under(root, path).exists();
    let init = if has("/run/systemd/system") {
        Some("systemd")
    } else if has("/etc/init.d/amavisd") {
        Some("openrc")
    } else if has("/usr/lib/systemd/system/amavisd.service") || has("/lib/systemd/system/amavisd.service") {
        Some("systemd")
    } else {
        None
    };
    OsRelease { version: init.and_then(|init| init.parse().ok()), ..release }
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
        let candidates = amavis_conf_candidates(os);
        let found = candidates.iter().map(|path| under(root, path)).find(|path| path.is_file());
        match found {
            Some(path) => amavis.push(path),
            None if candidates.len() == 1 => amavis.push(under(root, candidates[0])),
            None => {
                return Err(anyhow::Error::new(crate::output::Hinted {
                    message: format!(
                        "no amavisd configuration for {os} under {}: tried {}",
                        root.display(),
                        candidates
                            .iter()
                            .map(|p| under(root, p).display().to_string())
                            .collect::<Vec<_>>()
                            .join(" and ")
                    ),
                    hint: "name the file with --amavis-conf, or the layout with --os".to_owned(),
                }));
            }
        }
    }
    Ok(Layout {
        os,
        release,
        master_cf: under(root, &os.master_cf_path()),
        main_cf: under(root, &os.main_cf_path()),
        amavis,
        amavis_skipped,
        platform: None,
        setting: Ok(None),
    })
}

/// The platform whose marker files the tree has (Zimbra, Carbonio, UCS).
pub(crate) fn detect_platform(root: &Path) -> Option<amavis_tune_core::Platform> {
    amavis_tune_core::detect_platform(|path| confine(root, &under(root, path)).is_ok_and(|p| p.exists()))
}

/// The layout of a platform that keeps amavisd's and Postfix's files in its own tree (Zimbra's
/// `/opt/zimbra`, Carbonio's `/opt/zextras`); the release is the tree's own (for its name only:
/// the steps are the platform's).
pub(crate) fn platform_layout(root: &Path, platform: amavis_tune_core::Platform) -> Option<Layout> {
    let facts = platform.facts();
    let amavis_conf = facts.amavis_conf?;
    let text = read_under(root, "/etc/os-release").unwrap_or_default();
    let release = release_from_os_release(&text).unwrap_or_else(|| OsRelease::family(Os::Ubuntu));
    Some(Layout {
        os: release.os,
        release,
        master_cf: under(root, &format!("{}/master.cf", facts.postfix_dir)),
        main_cf: under(root, &format!("{}/main.cf", facts.postfix_dir)),
        amavis: vec![under(root, amavis_conf)],
        amavis_skipped: Vec::new(),
        platform: Some(platform),
        setting: Ok(None),
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
