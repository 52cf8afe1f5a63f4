//! The command line: argument parsing and one call per command into the modules that do the
//! work. Data goes to stdout, diagnostics and progress to stderr.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use crate::schema;
use crate::workspace::{self, Failure, diagnostic};

/// Keep Consul cluster peering, exported services and intentions in reviewed files.
#[derive(Debug, Parser)]
#[command(name = "meshplan", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a workspace offline: parse, type-check and cross-check every file
    Validate(ValidateArgs),
    /// Write the JSON Schemas of the workspace file and the typed config entries
    Schema(SchemaArgs),
}

#[derive(Debug, clap::Args)]
struct ValidateArgs {
    /// The workspace folder
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// How to print problems
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, clap::Args)]
struct SchemaArgs {
    /// Folder to write the schemas to
    #[arg(long, default_value = "schemas")]
    out: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Runs the parsed command line.
///
/// # Errors
/// Failures that are not the user's files (an unwritable output folder); problems in the files
/// are printed here and reported as exit code 1.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate(args) => validate(&args),
        Command::Schema(args) => write_schemas(&args),
    }
}

fn validate(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let loaded = workspace::load(&args.dir);
    let mut stdout = anstream::stdout();
    match (&loaded, args.format) {
        (Ok(desired), Format::Text) => {
            let entries: usize = desired.entries.values().map(|e| e.len()).sum();
            writeln!(
                stdout,
                "{} is valid: {} clusters, {} peerings, {} config entries",
                args.dir.display(),
                desired.clusters.len(),
                desired.peerings.len(),
                entries
            )?;
        }
        (Err(failure), Format::Text) => print_failure(failure)?,
        (Ok(_), Format::Json) => {
            let json = diagnostic::render_json(&[], &diagnostic::Sources::new());
            writeln!(stdout, "{}", serde_json::to_string_pretty(&json)?)?;
        }
        (Err(failure), Format::Json) => {
            let json = diagnostic::render_json(&failure.diagnostics, &failure.sources);
            writeln!(stdout, "{}", serde_json::to_string_pretty(&json)?)?;
        }
    }
    Ok(if loaded.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Prints a failed load's diagnostics to stderr, coloured on a terminal unless `NO_COLOR`.
pub fn print_failure(failure: &Failure) -> anyhow::Result<()> {
    let text = diagnostic::render_text(&failure.diagnostics, &failure.sources, true);
    let count = failure.diagnostics.len();
    let mut stderr = anstream::stderr();
    write!(stderr, "{text}")?;
    writeln!(
        stderr,
        "error: the workspace has {count} problem{}",
        if count == 1 { "" } else { "s" }
    )?;
    Ok(())
}

fn write_schemas(args: &SchemaArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create `{}`", args.out.display()))?;
    for (name, schema) in schema::schemas() {
        let path = args.out.join(name);
        std::fs::write(&path, schema::to_text(&schema))
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        writeln!(anstream::stdout(), "wrote {}", path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}
