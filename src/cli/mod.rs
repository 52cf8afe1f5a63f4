//! The command line: argument parsing, and one call per command into the modules that do the
//! work. Data goes to stdout; diagnostics, progress and errors to stderr.

mod apply;
pub(crate) mod clusters;
mod completions;
mod logging;
mod plan;
mod saved;
mod schema;
mod show;
mod validate;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Keep Consul cluster peering, exported services and intentions in reviewed files.
#[derive(Debug, Parser)]
#[command(
    name = "meshplan",
    version = env!("MESHPLAN_VERSION"),
    about,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Run as if meshplan was started in DIR (as `git -C`, `terraform -chdir`)
    #[arg(short = 'C', value_name = "DIR", global = true)]
    chdir: Option<PathBuf>,
    #[command(flatten)]
    log: logging::LogArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a workspace offline: parse, type-check and cross-check every file
    Validate(validate::Args),
    /// Show what apply would change to make the live clusters match the files
    Plan(plan::Args),
    /// Make the live clusters match the files (or apply a saved plan)
    Apply(apply::Args),
    /// Render a plan saved by `plan --out`, offline
    Show(show::Args),
    /// Keep the workspace applied as the files change and the clusters drift (a daemon)
    Watch(watch::Args),
    /// Print (or write) the JSON Schemas of the workspace file, the typed config entries and plans
    Schema(schema::Args),
    /// Print the completion script for a shell: `source <(meshplan completions bash)`
    Completions(completions::Args),
    /// Print the man page (roff)
    Man,
}

/// How `plan` and `show` print a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// For people at a terminal.
    Text,
    /// For pull-request comments.
    Markdown,
    /// For programs.
    Json,
}

/// How `validate` prints what it found: Markdown has nothing to add there, so it is refused
/// rather than taken as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    /// For people at a terminal.
    Text,
    /// For programs, editors and CI annotations.
    Json,
}

/// The workspace folder argument every command that reads one takes.
#[derive(Debug, clap::Args)]
struct WorkspaceArg {
    /// The workspace folder (with meshplan.hcl or meshplan.toml)
    #[arg(default_value = ".")]
    dir: PathBuf,
}

/// Runs the parsed command line.
///
/// # Errors
/// Failures that are not problems in the user's files (a cluster that cannot be reached, an
/// unwritable output); problems in the files are printed here and reported as exit code 1.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // The daemon says what it does by default; one-shot commands only warn.
    let daemon = matches!(cli.command, Command::Watch(_));
    logging::init(&cli.log, daemon);
    if let Some(dir) = &cli.chdir {
        std::env::set_current_dir(dir)
            .map_err(|error| anyhow::anyhow!("cannot change to `{}`: {error}", dir.display()))?;
    }
    match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Plan(args) => runtime()?.block_on(plan::run(&args)),
        Command::Apply(args) => runtime()?.block_on(apply::run(&args)),
        Command::Show(args) => show::run(&args),
        Command::Watch(args) => runtime()?.block_on(watch::run(&args)),
        Command::Schema(args) => schema::run(&args),
        Command::Completions(args) => completions::run(&args),
        Command::Man => completions::man(),
    }
}

/// The async runtime for the commands that talk to Consul; offline commands never start one.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
