//! `meshplan apply`: make the live clusters match the files, from a fresh plan (shown and
//! confirmed) or from a saved plan (refused whole when anything it touches moved).

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;

use super::saved::SavedPlan;
use super::{clusters, plan, validate};
use crate::apply::{self, ApplyOptions, Interrupt};
use crate::consul::Client;
use crate::plan::Plan;
use crate::workspace::{self, digest};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// A workspace folder (plan, show, confirm, apply) or a plan saved by `plan --out`
    #[arg(default_value = ".", value_name = "DIR | PLANFILE")]
    target: PathBuf,
    /// Apply without asking for confirmation
    #[arg(long)]
    auto_approve: bool,
    /// Apply only this cluster's changes (repeatable); the clusters it peers with are read too
    #[arg(long = "cluster", value_name = "NAME")]
    clusters: Vec<String>,
    /// How many independent writes may run at once
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    #[command(flatten)]
    allow: plan::Allow,
    #[command(flatten)]
    time_limit: plan::TimeLimit,
    /// With a PLANFILE: the workspace folder to check it against, when it is not where the plan
    /// file says (relative to the plan file's folder, as saved)
    #[arg(long, value_name = "DIR")]
    workspace: Option<PathBuf>,
}

/// How long writes under way may take to get their answer after Ctrl-C or SIGTERM, before
/// they are abandoned (reported as "may or may not have been written").
const GRACE: Duration = Duration::from_secs(3);

pub(super) async fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut deadline = args.time_limit.start();
    let ready = if args.target.is_file() {
        if args.allow.is_set() {
            bail!(
                "a saved plan is applied as it was made; `--take-over` and `--allow-delete-all` \
                 belong on `meshplan plan`"
            );
        }
        from_saved_plan(&args.target, args, &deadline).await?
    } else {
        if args.workspace.is_some() {
            bail!(
                "`--workspace` goes with a saved plan; give the workspace folder as the argument"
            );
        }
        from_workspace(args, &mut deadline).await?
    };
    let Some(Ready {
        plan,
        clients,
        root,
    }) = ready
    else {
        return Ok(ExitCode::FAILURE);
    };
    if !plan.summary.has_writes() {
        writeln!(anstream::stdout(), "{}", plan.summary)?;
        return Ok(ExitCode::SUCCESS);
    }
    let interrupt = Interrupt::new();
    let signals = interrupt.stop_on_signals(GRACE)?;
    let time_limit = {
        let interrupt = interrupt.clone();
        let at = deadline.at;
        tokio::spawn(async move {
            tokio::time::sleep_until(at).await;
            tracing::warn!("the time limit (`--timeout`) ran out: stopping");
            interrupt.time_out();
        })
    };
    let options = ApplyOptions {
        concurrency: usize::from(args.concurrency),
        progress: true,
        interrupt,
        ..ApplyOptions::default()
    };
    let report = apply::apply(&plan, &clients, &options, &root).await;
    signals.abort();
    time_limit.abort();
    let mut stdout = anstream::stdout();
    report.render(&mut stdout, true)?;
    Ok(if report.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// What apply needs: the plan, a client per cluster it touches, the workspace root (for token
/// files).
struct Ready {
    plan: Plan,
    clients: BTreeMap<String, Client>,
    root: PathBuf,
}

/// Plans the workspace, shows the plan and asks for confirmation unless `--auto-approve`.
async fn from_workspace(
    args: &Args,
    deadline: &mut plan::Deadline,
) -> anyhow::Result<Option<Ready>> {
    let options = args.allow.options();
    let planned = plan::make(&args.target, &args.clusters, &options, deadline, false).await?;
    let Some(planned) = planned else {
        return Ok(None);
    };
    let plan = planned.plan;
    if plan.summary.has_writes() || !plan.refusals().is_empty() {
        plan::print(&plan, super::Format::Text)?;
        if plan::refused(&plan)? {
            return Ok(None);
        }
        let asked = tokio::time::Instant::now();
        if !args.auto_approve && !confirmed()? {
            writeln!(anstream::stderr(), "Apply cancelled; nothing was written.")?;
            return Ok(None);
        }
        deadline.pause(asked.elapsed());
    }
    Ok(Some(Ready {
        plan,
        clients: planned.clients.into_iter().collect(),
        root: planned.desired.root,
    }))
}

/// Terraform's question: only `yes` applies. Without a terminal there is nobody to ask.
fn confirmed() -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "refusing to apply without a terminal to confirm on; pass --auto-approve, or apply a saved plan"
        );
    }
    let mut stderr = anstream::stderr();
    write!(
        stderr,
        "\nDo you want to perform these actions? Only 'yes' will be accepted: "
    )?;
    stderr.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

/// Reads a saved plan and checks that neither the workspace files nor any object the plan
/// touches changed since it was made; otherwise the plan is refused whole.
async fn from_saved_plan(
    path: &Path,
    args: &Args,
    deadline: &plan::Deadline,
) -> anyhow::Result<Option<Ready>> {
    let saved = SavedPlan::read(path)?;
    let only = &args.clusters;
    if !only.is_empty() && only != &saved.clusters {
        bail!("a saved plan is applied as it was made; `--cluster` belongs on `meshplan plan`");
    }
    let dir = saved.workspace_dir(path, args.workspace.as_deref());
    if !dir.is_dir() {
        bail!(
            "the plan was made from the workspace at `{}` (relative to the plan file), which is \
             not a folder here\nhint: name the workspace folder with `--workspace DIR`",
            dir.display()
        );
    }
    let desired = match workspace::load(&dir) {
        Ok(desired) => desired,
        Err(failure) => {
            validate::print_failure(&failure)?;
            return Ok(None);
        }
    };
    if digest::digest(&desired)? != saved.digest {
        bail!(
            "the files in `{}` differ from those the plan was made from; run `meshplan plan` \
             again (or name the right workspace folder with `--workspace DIR`)",
            dir.display()
        );
    }
    let selection = clusters::select(&desired, &saved.clusters)?;
    let clients: BTreeMap<String, Client> = deadline
        .clients(&desired, &selection.reading)?
        .into_iter()
        .collect();
    let fresh = deadline
        .bound("reading what the plan touches", async {
            Ok(apply::check_fresh(&saved.plan, &clients).await)
        })
        .await?;
    if let Err(stale) = fresh {
        let mut stderr = anstream::stderr();
        writeln!(
            stderr,
            "error: the clusters changed since the plan was made; nothing was written:"
        )?;
        for moved in stale {
            writeln!(stderr, "  {moved}")?;
        }
        writeln!(
            stderr,
            "hint: run `meshplan plan` again and review the new plan"
        )?;
        return Ok(None);
    }
    let root = desired.root.clone();
    let fresh = plan::make_from(desired, &saved.clusters, &saved.options, deadline).await?;
    let mut problems = moved_datacenters(&saved.datacenters, &fresh.live);
    problems.extend(crate::plan::beyond(&saved.plan, &fresh.plan));
    problems.extend(fresh.plan.refusals());
    if !problems.is_empty() {
        let mut stderr = anstream::stderr();
        writeln!(
            stderr,
            "error: the saved plan does what a fresh plan of the files would not; nothing was written:"
        )?;
        for problem in problems {
            writeln!(stderr, "  {problem}")?;
        }
        writeln!(
            stderr,
            "hint: run `meshplan plan --out` again and review the new plan"
        )?;
        return Ok(None);
    }
    Ok(Some(Ready {
        plan: saved.plan,
        clients,
        root,
    }))
}

/// Clusters whose agent is now in another datacenter than when the plan was made.
fn moved_datacenters(planned: &BTreeMap<String, String>, live: &crate::model::Live) -> Vec<String> {
    planned
        .iter()
        .filter_map(|(cluster, datacenter)| {
            let now = &live.clusters.get(cluster)?.datacenter;
            (now != datacenter).then(|| {
                format!(
                    "{cluster}: the plan was made against datacenter {datacenter:?}, the agent \
                     is now in {now:?}"
                )
            })
        })
        .collect()
}
