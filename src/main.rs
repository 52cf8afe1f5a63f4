//! The `meshplan` binary: parse the command line, run it, print any error once.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = meshplan::cli::Cli::parse();
    let errors = cli.error_format();
    match meshplan::cli::run(cli) {
        Ok(code) => code,
        Err(error) => {
            errors.report(&error);
            ExitCode::FAILURE
        }
    }
}
