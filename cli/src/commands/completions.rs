//! `amavis-tune completions SHELL` and `amavis-tune man`, generated from the clap definitions.

use std::io::Write;

use crate::args::CompletionsArgs;
use crate::exit_status::ExitStatus;

pub(crate) fn completions(args: &CompletionsArgs, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    // clap_complete panics on a failed write: generate into memory, then write.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut crate::args::command(), "amavis-tune", &mut script);
    out.write_all(&script)?;
    Ok(ExitStatus::Ok)
}

/// One manual page: the command's own page, then each subcommand's synopsis, description and
/// options, so that every flag is documented in `man amavis-tune`.
pub(crate) fn man(out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let mut command = crate::args::command();
    command.build();
    clap_mangen::Man::new(command.clone()).render(out)?;
    for sub in command.get_subcommands().filter(|sub| sub.get_name() != "help") {
        let name = format!("amavis-tune {}", sub.get_name());
        let page = clap_mangen::Man::new(sub.clone().bin_name(name));
        page.render_synopsis_section(out)?;
        page.render_description_section(out)?;
        page.render_options_section(out)?;
    }
    Ok(ExitStatus::Ok)
}
