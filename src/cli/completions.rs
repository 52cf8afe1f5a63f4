//! `meshplan completions SHELL` and `meshplan man`: generated from the same clap definitions
//! that parse the command line, so they cannot drift from it.

use std::io::Write as _;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The shell to complete for
    shell: Shell,
}

/// Prints the completion script for `args.shell` (e.g. `source <(meshplan completions bash)`).
pub(super) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    let mut stdout = std::io::stdout();
    clap_complete::generate(args.shell, &mut command, "meshplan", &mut stdout);
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the man page (roff), e.g. `meshplan man > /usr/local/share/man/man1/meshplan.1`.
pub(super) fn man() -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout();
    clap_mangen::Man::new(Cli::command()).render(&mut stdout)?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
