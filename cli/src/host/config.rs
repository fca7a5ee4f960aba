//! Finding and reading a server's configuration: the OS layout under `--root` (or the paths
//! given), each file read safely and parsed by core.

use std::path::Path;

use amavis_tune_core::{AmavisConf, ConfigSet, IncludedFrom, Location, Os, OsRelease, SourceFile, Unfollowed};
use anyhow::Context;

use crate::args::{ConfigArgs, OsChoice};
use crate::host::layout::{self, Layout, under};
use crate::host::read::read_config;
use crate::output::Hinted;

/// Resolves the files (root, OS, explicit paths) and reads and parses each.
pub(crate) fn load(args: &ConfigArgs) -> anyhow::Result<(Layout, ConfigSet)> {
    let root = &args.root;
    let metadata = std::fs::metadata(root).with_context(|| format!("cannot use --root {}", root.display()))?;
    if !metadata.is_dir() {
        return Err(anyhow::Error::new(Hinted {
            message: format!("cannot use --root {}: it is not a directory", root.display()),
            hint: "--root takes the directory a server's files are under, e.g. / or /mnt/server".to_owned(),
        }));
    }
    let all_explicit = args.master_cf.is_some() && args.main_cf.is_some() && !args.amavis_conf.is_empty();
    let platform = layout::detect_platform(root);
    let platform_layout = match (&args.os, platform) {
        (OsChoice::Auto, Some(platform)) => layout::platform_layout(root, platform),
        _ => None,
    };
    let release = match &args.os {
        OsChoice::Auto if platform_layout.is_some() => {
            platform_layout.as_ref().map_or_else(|| OsRelease::family(Os::Debian), |l| l.release.clone())
        }
        OsChoice::Os(release) => release.clone(),
        OsChoice::Auto => match layout::detect(root) {
            Some(os) => layout::tree_release(root, os),
            None if all_explicit => OsRelease::family(Os::Debian),
            None => {
                return Err(anyhow::Error::new(Hinted {
                    message: format!(
                        "cannot tell which OS layout {} has: none of etc/amavis/conf.d, etc/amavisd/amavisd.conf, usr/local/etc/amavisd.conf or etc/amavisd.conf exists there",
                        root.display()
                    ),
                    hint: "name it with --os, or give --master-cf, --main-cf and --amavis-conf".to_owned(),
                }));
            }
        },
    };
    let mut layout = match platform_layout {
        Some(mut layout) => {
            if !args.amavis_conf.is_empty() {
                layout.amavis = args.amavis_conf.clone();
            }
            layout
        }
        None => {
            let mut layout = layout::layout(root, release, &args.amavis_conf)?;
            layout.platform = platform;
            layout
        }
    };
    if let Some(path) = &args.master_cf {
        layout.master_cf = path.clone();
    }
    if let Some(path) = &args.main_cf {
        layout.main_cf = path.clone();
    }
    // The files found under --root are resolved with the root as `/` (those named by a flag are
    // the user's, read where they are).
    if args.master_cf.is_none() {
        layout.master_cf = layout::confine(root, &layout.master_cf)?;
    }
    if args.main_cf.is_none() {
        layout.main_cf = layout::confine(root, &layout.main_cf)?;
    }
    if args.amavis_conf.is_empty() {
        for path in &mut layout.amavis {
            *path = layout::confine(root, path)?;
        }
    }
    let master_cf = read_config(&layout.master_cf, "master.cf")?;
    let main_cf = read_config(&layout.main_cf, "main.cf")?;
    let amavis = layout
        .amavis
        .iter()
        .map(|path| Ok((path.display().to_string(), read_config(path, "amavisd config")?)))
        .collect::<anyhow::Result<Vec<(String, Vec<u8>)>>>()?;
    let mut config = ConfigSet {
        amavis_skipped: layout.amavis_skipped.iter().map(|p| p.display().to_string()).collect(),
        ..ConfigSet::from_texts(
            (&layout.master_cf.display().to_string(), &master_cf),
            (&layout.main_cf.display().to_string(), &main_cf),
            amavis.iter().map(|(path, bytes)| (path.as_str(), bytes.as_slice())),
        )
    };
    follow_includes(&mut config, &mut layout, root)?;
    // UCS writes its files with UCR's header, which says so where its marker files are not
    // there (a copied tree).
    if layout.platform.is_none()
        && (amavis_tune_core::generated_by_ucr(config.master_cf.doc.render())
            || config.amavis.iter().any(|file| amavis_tune_core::generated_by_ucr(file.doc.render())))
    {
        layout.platform = Some(amavis_tune_core::Platform::Univention);
    }
    if let Some(platform) = layout.platform {
        layout.setting = crate::host::setting::read(root, platform);
    }
    Ok((layout, config))
}

/// The most all of amavisd's configuration files together can be.
const MAX_AMAVIS_BYTES: u64 = crate::host::read::MAX_FILE_BYTES;

/// Reads the files amavisd's own statements make it read (`include_config_files`, `read_config`,
/// `require`, `do` with a plain path), each absolute path taken under `root`, and records what
/// cannot be followed. A file already read is not read again (as `require` does).
///
/// A file is read once, whatever the spelling of its path (`/etc/amavis/x`, `/etc/amavis/./x`,
/// a symlink to it): files are told apart by their device and inode. All of amavisd's files
/// together are bounded by [`MAX_AMAVIS_BYTES`].
fn follow_includes(config: &mut ConfigSet, layout: &mut Layout, root: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    config.amavis_included.resize(config.amavis.len(), None);
    let identity = |path: &Path| std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()));
    let mut seen: std::collections::HashSet<(u64, u64)> = layout.amavis.iter().filter_map(|p| identity(p)).collect();
    let mut total: u64 = config.amavis.iter().map(|file| file.doc.render().len() as u64).sum();
    let mut index = 0;
    while index < config.amavis.len() {
        let includes = config.amavis[index].doc.includes.clone();
        let including = config.amavis[index].path.clone();
        for include in includes {
            let location = Location { path: including.clone(), line: include.line };
            let statement = include.text.trim().to_owned();
            let unfollowed = |reason: String, skipped_by_amavisd: bool| Unfollowed {
                location: location.clone(),
                statement: statement.clone(),
                reason,
                skipped_by_amavisd,
            };
            let Some(path) = include.path.as_deref() else {
                config.amavis_unfollowed.push(unfollowed("its path is computed by Perl".to_owned(), false));
                continue;
            };
            if !path.starts_with('/') {
                config
                    .amavis_unfollowed
                    .push(unfollowed(format!("`{path}` is a relative path, which Perl resolves at run time"), false));
                continue;
            }
            let target = layout::confine(root, &under(root, path))?;
            let shown = target.display().to_string();
            if config.amavis.iter().any(|file| file.path == shown) || config.amavis.len() > 256 {
                continue;
            }
            if !target.exists() {
                config.amavis_unfollowed.push(unfollowed(format!("{shown} does not exist"), include.conditional));
                continue;
            }
            if identity(&target).is_some_and(|id| !seen.insert(id)) {
                continue;
            }
            let bytes = read_config(&target, "amavisd config")?;
            total += bytes.len() as u64;
            if total > MAX_AMAVIS_BYTES {
                anyhow::bail!(
                    "cannot read amavisd's configuration: with {shown} its files come to more than {MAX_AMAVIS_BYTES} bytes, more than a configuration can be"
                );
            }
            config.amavis.push(SourceFile { path: shown, doc: AmavisConf::parse(&bytes) });
            config.amavis_included.push(Some(IncludedFrom { file: index, offset: include.offset }));
            layout.amavis.push(target);
        }
        index += 1;
    }
    Ok(())
}
