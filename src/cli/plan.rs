//! `meshplan plan`: load the files, read the clusters, print what apply would change.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::saved::SavedPlan;
use super::{Format, WorkspaceArg, clusters, validate};
use crate::consul::{Client, refresh};
use crate::model::Desired;
use crate::plan::{self, Plan};
use crate::render;
use crate::workspace::{self, digest};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    workspace: WorkspaceArg,
    /// Save the plan to FILE, for `meshplan apply FILE`
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// How to print the plan: text, markdown (pull-request comments) or json
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error
    #[arg(long)]
    detailed_exitcode: bool,
    /// Plan only this cluster's changes (repeatable); the clusters it peers with are read too
    #[arg(long = "cluster", value_name = "NAME")]
    clusters: Vec<String>,
}

/// A plan, what it was made from, and the clients that read the clusters.
pub(super) struct Planned {
    pub desired: Desired,
    pub plan: Plan,
    pub clients: Vec<(String, Client)>,
}

pub(super) async fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let Some(planned) = make(&args.workspace.dir, &args.clusters).await? else {
        return Ok(ExitCode::FAILURE);
    };
    let plan = &planned.plan;
    let mut stdout = anstream::stdout();
    match args.format {
        Format::Text => {
            render::text::render(plan, &mut stdout, render::text::Options { color: true })?
        }
        Format::Markdown => render::markdown::render(plan, &mut stdout)?,
        Format::Json => render::json::render(plan, &mut stdout)?,
    }
    stdout.flush()?;
    if let Some(out) = &args.out {
        let saved = SavedPlan {
            format_version: plan::FORMAT_VERSION,
            workspace: std::path::absolute(&args.workspace.dir)?,
            digest: digest::digest(&planned.desired)?,
            clusters: args.clusters.clone(),
            plan: planned.plan.clone(),
        };
        saved.write(out)?;
        writeln!(
            anstream::stderr(),
            "Saved the plan to {}; apply it with `meshplan apply {}`.",
            out.display(),
            out.display()
        )?;
    }
    let changes = plan.summary.has_writes();
    Ok(match (args.detailed_exitcode, changes) {
        (true, true) => ExitCode::from(2),
        _ => ExitCode::SUCCESS,
    })
}

/// Loads the workspace in `dir`, reads its clusters and plans. `None` when the workspace has
/// problems (they are printed).
///
/// # Errors
/// A `--cluster` that does not exist, a cluster that cannot be reached or read.
pub(super) async fn make(
    dir: &std::path::Path,
    only: &[String],
) -> anyhow::Result<Option<Planned>> {
    let desired = match workspace::load(dir) {
        Ok(desired) => desired,
        Err(failure) => {
            validate::print_failure(&failure)?;
            return Ok(None);
        }
    };
    let selection = clusters::select(&desired, only)?;
    let clients = clusters::clients(&desired, &selection.reading)?;
    let live = refresh::refresh(&clients, &desired).await?;
    let plan = clusters::restrict(plan::plan(&desired, &live), &selection.acting);
    Ok(Some(Planned {
        desired,
        plan,
        clients,
    }))
}
