//! `amavis-tune check`: read the live files, compare both sides, exit 0 (match), 1 (mismatch or
//! mail at risk) or 2 (error).

use std::io::Write;
use std::path::{Path, PathBuf};

use amavis_tune_core::{AmavisConf, ConfigSet, MainCf, MasterCf, Os, Report, SourceFile, Status};
use anyhow::Context;
use serde::Serialize;

use crate::args::{CheckArgs, ConfigArgs, OsChoice, OutputFormat};
use crate::exit_status::ExitStatus;
use crate::layout::{self, Layout};
use crate::output::Hinted;
use crate::read::read_config;

pub(crate) fn run(args: CheckArgs, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let (layout, config) = load(&args.config)?;
    let report = amavis_tune_core::check(&config);
    match args.format {
        OutputFormat::Text => crate::check_text::write(out, &report, &layout, &args.config)?,
        OutputFormat::Json => {
            crate::output::write_json(out, &JsonOutput::new(&report, &layout))?;
        }
    }
    Ok(status(&report))
}

pub(crate) fn status(report: &Report) -> ExitStatus {
    if report.status == Status::Match && !report.has_errors() { ExitStatus::Ok } else { ExitStatus::Mismatch }
}

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
    let os = match args.os {
        OsChoice::Os(os) => os,
        OsChoice::Auto => match layout::detect(root) {
            Some(os) => os,
            None if all_explicit => Os::Debian,
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
    let mut layout = layout::layout(root, os, &args.amavis_conf)?;
    if let Some(path) = &args.master_cf {
        layout.master_cf = path.clone();
    }
    if let Some(path) = &args.main_cf {
        layout.main_cf = path.clone();
    }
    let config = ConfigSet {
        master_cf: source(&layout.master_cf, "master.cf", MasterCf::parse)?,
        main_cf: source(&layout.main_cf, "main.cf", MainCf::parse)?,
        amavis: layout
            .amavis
            .iter()
            .map(|path| source(path, "amavisd config", AmavisConf::parse))
            .collect::<Result<_, _>>()?,
        amavis_skipped: layout.amavis_skipped.iter().map(|p| p.display().to_string()).collect(),
    };
    Ok((layout, config))
}

fn source<T>(path: &Path, what: &str, parse: fn(&[u8]) -> T) -> anyhow::Result<SourceFile<T>> {
    let bytes = read_config(path, what)?;
    Ok(SourceFile { path: path.display().to_string(), doc: parse(&bytes) })
}

/// `check --format json`: the report plus which files were read (README, "JSON output").
#[derive(Serialize)]
struct JsonOutput<'a> {
    #[serde(flatten)]
    report: &'a Report,
    os: Os,
    files: Files,
}

#[derive(Serialize)]
struct Files {
    master_cf: PathBuf,
    main_cf: PathBuf,
    amavis: Vec<PathBuf>,
    amavis_skipped: Vec<PathBuf>,
}

impl<'a> JsonOutput<'a> {
    fn new(report: &'a Report, layout: &Layout) -> JsonOutput<'a> {
        JsonOutput {
            report,
            os: layout.os,
            files: Files {
                master_cf: layout.master_cf.clone(),
                main_cf: layout.main_cf.clone(),
                amavis: layout.amavis.clone(),
                amavis_skipped: layout.amavis_skipped.clone(),
            },
        }
    }
}
