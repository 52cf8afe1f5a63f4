//! `meshplan validate`: load a workspace offline and report every problem.

use std::io::Write;
use std::process::ExitCode;

use super::{ReportFormat, WorkspaceArg};
use crate::workspace::{self, Failure, diagnostic};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    workspace: WorkspaceArg,
    /// How to print problems: text or json
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub(super) format: ReportFormat,
}

pub(super) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let dir = &args.workspace.dir;
    let loaded = workspace::load(dir);
    let mut stdout = anstream::stdout();
    match (&loaded, args.format) {
        (Ok(desired), ReportFormat::Text) => {
            let entries: usize = desired.entries.values().map(|e| e.len()).sum();
            writeln!(
                stdout,
                "{} is valid: {}, {}, {}",
                dir.display(),
                count(desired.clusters.len(), "cluster"),
                count(desired.peerings.len(), "peering"),
                count(entries, "config entry"),
            )?;
        }
        (Err(failure), ReportFormat::Text) => print_failure(failure)?,
        (Ok(_), ReportFormat::Json) => {
            let json = diagnostic::render_json(&[], &diagnostic::Sources::new());
            writeln!(stdout, "{}", serde_json::to_string_pretty(&json)?)?;
        }
        (Err(failure), ReportFormat::Json) => report_failure(failure, true)?,
    }
    Ok(if loaded.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `1 cluster`, `2 clusters`, `3 config entries`.
fn count(n: usize, noun: &str) -> String {
    match (n, noun.strip_suffix('y')) {
        (1, _) => format!("1 {noun}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        (_, None) => format!("{n} {noun}s"),
    }
}

/// Reports a failed load's diagnostics: as validate's JSON document on stdout when `json`,
/// else as text on stderr.
pub(super) fn report_failure(failure: &Failure, json: bool) -> anyhow::Result<()> {
    if !json {
        return print_failure(failure);
    }
    let json = diagnostic::render_json(&failure.diagnostics, &failure.sources);
    writeln!(
        anstream::stdout(),
        "{}",
        serde_json::to_string_pretty(&json)?
    )?;
    Ok(())
}

/// Prints a failed load's diagnostics to stderr, coloured on a terminal unless `NO_COLOR`.
pub(super) fn print_failure(failure: &Failure) -> anyhow::Result<()> {
    let text = diagnostic::render_text(&failure.diagnostics, &failure.sources, true);
    let problems = count(failure.diagnostics.len(), "problem");
    let mut stderr = anstream::stderr();
    write!(stderr, "{text}")?;
    writeln!(stderr, "error: the workspace has {problems}")?;
    Ok(())
}
