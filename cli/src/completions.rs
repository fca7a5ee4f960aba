//! `amavis-tune completions SHELL` and `amavis-tune man`, generated from the clap definitions.

use std::io::Write;

use clap::CommandFactory;

use crate::args::{Cli, CompletionsArgs};
use crate::exit_status::ExitStatus;

pub(crate) fn completions(args: &CompletionsArgs, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    clap_complete::generate(args.shell, &mut Cli::command(), "amavis-tune", out);
    Ok(ExitStatus::Ok)
}

pub(crate) fn man(out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    clap_mangen::Man::new(Cli::command()).render(out)?;
    Ok(ExitStatus::Ok)
}
