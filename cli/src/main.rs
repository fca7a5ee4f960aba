//! `amavis-tune`: match amavisd's `$max_servers` and Postfix's `maxproc` to the RAM you have.
//!
//! `main` only parses the arguments, dispatches to one module per subcommand and turns the
//! outcome into an exit code.

mod args;
mod commands;
mod convert;
mod exit_status;
mod host;
mod output;
mod render;
mod sources;

use std::io::{self, Write};
use std::process::ExitCode;

use crate::args::{Cli, Command};
use crate::exit_status::ExitStatus;

fn main() -> ExitCode {
    let cli = match Cli::parse_args() {
        Ok(cli) => cli,
        Err(error) => {
            let status = if error.use_stderr() { ExitStatus::Error } else { ExitStatus::Ok };
            // Help and version go to stdout; a closed pipe there is not an error.
            let _ = error.print();
            if error.use_stderr() && json_asked() {
                let rendered = error.render().to_string();
                let first = rendered.lines().next().unwrap_or_default();
                let message = first.strip_prefix("error: ").unwrap_or(first).to_owned();
                let _ = output::write_json_error(&mut io::stdout().lock(), &anyhow::anyhow!(message));
            }
            return status.into();
        }
    };
    // A closed pipe ends the output, never the work: the command runs to its end and its exit
    // code is the one the work earned (a read-only command's 0 included).
    let mut stdout = output::UntilClosed::new(io::stdout().lock());
    let json = cli.command.wants_json();
    let result = match cli.command {
        Command::Plan(args) => commands::plan::run(args, &mut stdout),
        Command::Check(args) => commands::check::run(args, &mut stdout),
        Command::Apply(args) => commands::apply::run(args, &mut stdout),
        Command::Measure(args) => commands::measure::run(args, &mut stdout),
        Command::Logs(args) => commands::logs::run(args, &mut stdout),
        Command::Restore(args) => commands::restore::run(args, &mut stdout),
        Command::Completions(args) => commands::completions::completions(&args, &mut stdout),
        Command::Man => commands::completions::man(&mut stdout),
    };
    let result = result.and_then(|status| stdout.flush().map(|()| status).map_err(anyhow::Error::from));
    match result {
        Ok(status) => status.into(),
        Err(error) => {
            output::print_error(&error);
            if json {
                // A program reading the JSON gets the error as JSON too (stderr keeps the text).
                let _ = output::write_json_error(&mut stdout, &error);
            }
            ExitStatus::Error.into()
        }
    }
}

/// Whether the command line asks for JSON (`--format json` or `--format=json`), for errors found
/// before the arguments could be parsed.
fn json_asked() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2).any(|pair| pair[0] == "--format" && pair[1] == "json") || args.iter().any(|a| a == "--format=json")
}
