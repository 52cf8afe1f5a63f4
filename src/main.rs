//! The `meshplan` binary: parse the command line, run it, print any error once.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = meshplan::cli::Cli::parse();
    match meshplan::cli::run(cli) {
        Ok(code) => code,
        Err(error) => {
            let _ = writeln!(anstream::stderr(), "error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
