//! The command line: argument parsing, and one call per command into the modules that do the
//! work. Data goes to stdout; diagnostics, progress and errors to stderr.

mod apply;
pub(crate) mod clusters;
mod completions;
mod errors;
mod import;
mod logging;
pub(crate) mod plan;
mod policy;
pub mod saved;
mod schema;
mod show;
mod status;
mod validate;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

pub use errors::ErrorFormat;

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
    /// Show each peering as both sides see it, and each cluster's drift; `--check` for monitoring
    Status(status::Args),
    /// Print the least-privilege ACL policy each cluster's token needs for plan and apply
    Policy(policy::Args),
    /// Write what clusters hold (peerings, config entries) into the workspace's files
    Import(import::Args),
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

impl Cli {
    /// How an error of this command line is reported: as JSON when the command prints JSON.
    pub fn error_format(&self) -> ErrorFormat {
        let version = match &self.command {
            Command::Plan(args) => args.format.json_version(),
            Command::Show(args) => args.format.json_version(),
            Command::Validate(args) => args.format.json_version(),
            Command::Status(args) => args.json_version(),
            _ => None,
        };
        version.map_or(ErrorFormat::Text, |format_version| ErrorFormat::Json {
            format_version,
        })
    }
}

impl Format {
    /// The `format_version` of the JSON this format prints (plans), if it is JSON.
    fn json_version(self) -> Option<u32> {
        (self == Self::Json).then_some(crate::plan::FORMAT_VERSION)
    }
}

impl ReportFormat {
    /// The `format_version` of the JSON this format prints (diagnostics), if it is JSON.
    fn json_version(self) -> Option<u32> {
        (self == Self::Json).then_some(crate::workspace::diagnostic::FORMAT_VERSION)
    }
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
        Command::Plan(args) => run_async(Threads::One, plan::run(&args)),
        Command::Apply(args) => run_async(Threads::PerCore, apply::run(&args)),
        Command::Show(args) => show::run(&args),
        Command::Watch(args) => run_async(Threads::PerCore, watch::run(&args)),
        Command::Status(args) => run_async(Threads::One, status::run(&args)),
        Command::Policy(args) => policy::run(&args),
        Command::Import(args) => run_async(Threads::One, import::run(&args)),
        Command::Schema(args) => schema::run(&args),
        Command::Completions(args) => completions::run(&args),
        Command::Man => completions::man(),
    }
}

/// The threads an async command's runtime polls its tasks on.
#[derive(Debug, Clone, Copy)]
enum Threads {
    /// The main thread alone: for commands that read, then compute, with nothing that must run
    /// beside their own work. Their CPU work (loading the files) runs on blocking threads, and
    /// waking worker threads for each response cost a plan more CPU than decoding them.
    One,
    /// A worker per core: for `apply` and `watch`, whose signal handlers, lock renewal and
    /// writes in flight must go on while the command computes.
    PerCore,
}

/// Runs a command that talks to Consul on an async runtime; offline commands never start one.
///
/// The command has awaited everything it reports by the time it returns, and the process ends
/// right after: what is still spawned (an early read given up, idle connections) is left to the
/// exit rather than waited for, which took milliseconds of a plan.
fn run_async(
    threads: Threads,
    command: impl std::future::Future<Output = anyhow::Result<ExitCode>>,
) -> anyhow::Result<ExitCode> {
    let mut builder = match threads {
        Threads::One => tokio::runtime::Builder::new_current_thread(),
        Threads::PerCore => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = builder.enable_all().build()?;
    let outcome = runtime.block_on(command);
    runtime.shutdown_background();
    outcome
}

/// Lets go of `value` without freeing it, for what a one-shot command holds until it exits: a
/// loaded workspace and the clusters as read are hundreds of thousands of small allocations,
/// and freeing them one by one costs more CPU than printing the plan, for memory the process
/// hands back at exit anyway. Nothing passed here may need its `Drop` to run (no files to
/// flush, no locks to release).
fn exit_without_freeing<T>(value: T) {
    std::mem::forget(value);
}
