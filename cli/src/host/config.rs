//! Finding and reading a server's configuration: the OS layout under `--root` (or the paths
//! given), each file read safely and parsed by core.

use amavis_tune_core::{ConfigSet, Os, OsRelease};
use anyhow::Context;

use crate::args::{ConfigArgs, OsChoice};
use crate::host::layout::{self, Layout};
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
    let release = match &args.os {
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
    let mut layout = layout::layout(root, release, &args.amavis_conf)?;
    if let Some(path) = &args.master_cf {
        layout.master_cf = path.clone();
    }
    if let Some(path) = &args.main_cf {
        layout.main_cf = path.clone();
    }
    let master_cf = read_config(&layout.master_cf, "master.cf")?;
    let main_cf = read_config(&layout.main_cf, "main.cf")?;
    let amavis = layout
        .amavis
        .iter()
        .map(|path| Ok((path.display().to_string(), read_config(path, "amavisd config")?)))
        .collect::<anyhow::Result<Vec<(String, Vec<u8>)>>>()?;
    let config = ConfigSet {
        amavis_skipped: layout.amavis_skipped.iter().map(|p| p.display().to_string()).collect(),
        ..ConfigSet::from_texts(
            (&layout.master_cf.display().to_string(), &master_cf),
            (&layout.main_cf.display().to_string(), &main_cf),
            amavis.iter().map(|(path, bytes)| (path.as_str(), bytes.as_slice())),
        )
    };
    Ok((layout, config))
}
