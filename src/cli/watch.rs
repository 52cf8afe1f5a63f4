//! `meshplan watch`: keep the workspace applied as a daemon (see `crate::watch`).

use std::process::ExitCode;
use std::time::Duration;

use super::WorkspaceArg;
use crate::watch::{self, WatchOptions};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    workspace: WorkspaceArg,
    /// Report out-of-band changes to what the workspace owns instead of putting them back
    #[arg(long)]
    no_heal: bool,
    /// Seconds between reads of the clusters to find drift (jittered by a tenth)
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    resync: u64,
    /// Serve /healthz, /readyz and Prometheus /metrics on this address (e.g. 127.0.0.1:9464)
    #[arg(long, value_name = "ADDR")]
    listen: Option<std::net::SocketAddr>,
}

pub(super) async fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let options = WatchOptions {
        dir: args.workspace.dir.clone(),
        heal: !args.no_heal,
        resync: Duration::from_secs(args.resync),
        listen: args.listen,
        ..WatchOptions::default()
    };
    watch::run(options).await?;
    Ok(ExitCode::SUCCESS)
}
