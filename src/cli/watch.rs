//! `meshplan watch`: keep the workspace applied as a daemon (see `crate::watch`).

use std::process::ExitCode;
use std::time::Duration;

use super::WorkspaceArg;
use crate::watch::{self, LockOptions, WatchOptions};

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
    /// Keep only this cluster applied (repeatable); the clusters it peers with are read too
    #[arg(long = "cluster", value_name = "NAME")]
    clusters: Vec<String>,
    /// Apply only while holding a Consul session lock on this KV key; other watchers with the
    /// same key stand by and take over when the holder goes
    #[arg(long, value_name = "KEY")]
    lock: Option<String>,
    /// The cluster whose Consul holds the lock (default: the first --cluster, else the
    /// workspace's first cluster by name)
    #[arg(long, value_name = "NAME", requires = "lock")]
    lock_cluster: Option<String>,
    /// The lock session's TTL: a holder that dies is replaced within twice this plus the
    /// lock delay (Consul's floor is 10 s unless its session_ttl_min says otherwise)
    #[arg(long, value_name = "SECONDS", default_value_t = 15, requires = "lock", value_parser = clap::value_parser!(u64).range(1..=86400))]
    lock_ttl: u64,
    /// How long Consul keeps the lock from others after its holder's session dies (0: not at
    /// all; a clean stop releases the lock and skips it)
    #[arg(long, value_name = "SECONDS", default_value_t = 15, requires = "lock", value_parser = clap::value_parser!(u64).range(0..=60))]
    lock_delay: u64,
}

pub(super) async fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let lock = args.lock.as_ref().map(|key| LockOptions {
        key: key.clone(),
        cluster: args.lock_cluster.clone(),
        ttl: Duration::from_secs(args.lock_ttl),
        lock_delay: Duration::from_secs(args.lock_delay),
    });
    let options = WatchOptions {
        dir: args.workspace.dir.clone(),
        heal: !args.no_heal,
        resync: Duration::from_secs(args.resync),
        listen: args.listen,
        clusters: args.clusters.clone(),
        lock,
        ..WatchOptions::default()
    };
    watch::run(options).await?;
    Ok(ExitCode::SUCCESS)
}
