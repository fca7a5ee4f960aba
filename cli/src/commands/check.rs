//! `amavis-tune check`: read the live files, compare both sides, exit 0 (match), 1 (mismatch or
//! mail at risk) or 2 (error).

use std::io::Write;

use crate::args::{CheckArgs, OutputFormat};
use crate::exit_status::ExitStatus;
use crate::host::config::load;
use crate::render::check::CheckJson;

pub(crate) fn run(args: CheckArgs, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let (layout, config) = load(&args.config)?;
    let mut report = amavis_tune_core::check(&config);
    if let Some(platform) = layout.platform {
        let generated: Vec<String> = config
            .amavis
            .iter()
            .filter(|f| {
                platform != amavis_tune_core::Platform::Univention || amavis_tune_core::generated_by_ucr(f.doc.render())
            })
            .map(|f| f.path.clone())
            .chain([config.master_cf.path.clone()])
            .collect();
        amavis_tune_core::note_platform(&mut report, platform, &generated, &layout.setting);
    }
    // The server's own logs (under --root) are read by themselves when its own files are read.
    let files_named =
        args.config.master_cf.is_some() || args.config.main_cf.is_some() || !args.config.amavis_conf.is_empty();
    let transport = report.postfix.service.clone();
    let known = crate::commands::logs::Known {
        max_servers: report.amavis.max_servers,
        postfix_limit: report.postfix.effective,
        scheduler: transport.as_deref().map(|t| amavis_tune_core::scheduler_settings(&config, t)),
        transport,
        inputs: None,
        next_hops: config
            .amavis_ports()
            .0
            .unwrap_or_default()
            .iter()
            .flat_map(|port| [format!("[127.0.0.1]:{port}"), format!("[::1]:{port}")])
            .collect(),
    };
    let logs = crate::commands::logs::observe(&args.logs, &args.config.root, !files_named, known)?;
    if let Some(load) = logs.as_ref().and_then(|l| l.load.as_ref()) {
        amavis_tune_core::note_observed_load(&mut report, load);
    }
    // On this machine, one look at the running amavisd: connections waiting for a child now are
    // evidence beside the logs (never a finding: the files are what check judges).
    let now = (args.config.root == std::path::Path::new("/"))
        .then(|| crate::host::watch::one_sample(&args.config.root))
        .flatten();
    match args.output.format {
        OutputFormat::Text => {
            crate::render::check::write(out, &report, &layout, &args.config, logs.as_ref(), now.as_ref())?
        }
        OutputFormat::Json => {
            crate::render::json::write_json(out, &CheckJson::new(&report, &layout, logs.as_ref(), now.as_ref()))?
        }
    }
    Ok(ExitStatus::of_report(&report))
}
