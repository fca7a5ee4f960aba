//! `amavis-tune measure`: the memory of the running amavisd parent and children and clamd, from
//! `/proc` (Linux); with `--watch`, what amavisd's children and accept queue do now
//! (`measure/watch.rs`).

mod watch;

use std::io::Write;

use crate::args::{MeasureArgs, OutputFormat};
use crate::exit_status::ExitStatus;

pub(crate) fn run(args: MeasureArgs, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    if let Some(duration) = args.watch {
        return watch::run(&args, duration, out);
    }
    let sysroot = &args.sysroot.sysroot;
    let measurement = crate::host::processes::read(sysroot)?;
    match args.output.format {
        OutputFormat::Json => crate::render::json::write_json(out, &measurement)?,
        OutputFormat::Text => {
            let ram = crate::host::machine::ram(sysroot).ok().map(|r| r.usable);
            crate::render::measure::write(out, &measurement, ram)?;
        }
    }
    Ok(ExitStatus::Ok)
}
