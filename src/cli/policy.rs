//! `meshplan policy`: print the least-privilege ACL policy each cluster's token needs.

use std::io::Write;
use std::process::ExitCode;

use super::{WorkspaceArg, clusters, validate};
use crate::policy::{self, Lock, Purpose};
use crate::workspace;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    workspace: WorkspaceArg,
    /// Only this cluster's policy (repeatable); default: every cluster
    #[arg(long = "cluster", value_name = "NAME")]
    clusters: Vec<String>,
    /// Only the policy for this command; default: both
    #[arg(long = "for", value_enum, value_name = "COMMAND")]
    purpose: Option<ForCommand>,
    /// Add the rules for `watch --lock KEY`: write on KEY and a session on the agent's node
    #[arg(long, value_name = "KEY")]
    lock: Option<String>,
    /// The cluster that holds the lock (default: the first cluster, in name order)
    #[arg(long, value_name = "NAME", requires = "lock")]
    lock_cluster: Option<String>,
}

/// The commands a policy can be printed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ForCommand {
    /// `plan` and `status`: reads only.
    Plan,
    /// `apply` and `watch`: reads and writes.
    Apply,
}

pub(super) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let desired = match workspace::load(&args.workspace.dir) {
        Ok(desired) => desired,
        Err(failure) => {
            validate::print_failure(&failure)?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let selection = clusters::select(&desired, &args.clusters)?;
    let lock_cluster = args.lock_cluster.clone().map(|name| vec![name]);
    if let Some(names) = &lock_cluster {
        clusters::select(&desired, names)?;
    }
    let lock = args.lock.as_ref().and_then(|key| {
        let cluster = match &lock_cluster {
            Some(names) => names.first().cloned(),
            None => desired.clusters.keys().next().cloned(),
        }?;
        Some(Lock {
            key: key.clone(),
            cluster,
        })
    });
    let purposes: &[Purpose] = match args.purpose {
        Some(ForCommand::Plan) => &[Purpose::Plan],
        Some(ForCommand::Apply) => &[Purpose::Apply],
        None => &[Purpose::Plan, Purpose::Apply],
    };
    let clusters = selection.acting.iter().map(String::as_str);
    let text = policy::render_all(&desired, clusters, purposes, lock.as_ref());
    let mut stdout = anstream::stdout();
    write!(stdout, "{text}")?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
