//! `amavis-tune check`: read the live files, compare both sides, exit 0 (match), 1 (mismatch or
//! mail at risk) or 2 (error).

use std::io::Write;

use crate::args::{CheckArgs, OutputFormat};
use crate::exit_status::ExitStatus;
use crate::host::config::load;
use crate::render::check::CheckJson;

pub(crate) fn run(args: CheckArgs, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let (layout, config) = load(&args.config)?;
    let report = amavis_tune_core::check(&config);
    match args.output.format {
        OutputFormat::Text => crate::render::check::write(out, &report, &layout, &args.config)?,
        OutputFormat::Json => crate::render::json::write_json(out, &CheckJson::new(&report, &layout))?,
    }
    Ok(ExitStatus::of_report(&report))
}
