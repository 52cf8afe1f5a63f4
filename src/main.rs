//! The `meshplan` binary: parse the command line, run it, print any error once.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than glibc's malloc: loading a workspace allocates and frees millions of
/// small strings and nodes, and with glibc's allocator the time that takes grew faster than the
/// number of files (half of a 100,000-file load was spent consolidating free chunks).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
