//! `watch`: keep the workspace applied, as the files change and as the clusters drift.
//!
//! A level-triggered reconcile loop, in kube-runtime's shape: triggers (`trigger`) only wake the
//! loop; each reconcile decides from the files and the clusters as they are then. One reconcile
//! runs at a time, and triggers that arrive meanwhile are merged into the next one.
//!
//! Each reconcile loads the workspace, reads every cluster, plans and applies (auto-approved),
//! logging the plan's summary in plan's own words. What it never does:
//! - apply half a workspace: a workspace with problems is logged with its diagnostics and
//!   nothing is applied; the last good state stays live;
//! - apply a plan that `apply` would refuse (conflicts with another workspace, a cluster it would
//!   empty): the daemon has nobody to ask, so it logs why and waits for the files to change;
//! - heal drift under `--no-heal`: a reconcile that only the clusters woke (a blocking query
//!   or the resync timer) then reports what it would change and writes nothing.
//!
//! Failures (a cluster that cannot be read, a write that conflicted because someone else wrote
//! in between) are retried with a capped, doubling delay. Drift is found at once by Consul's
//! blocking queries (`live`), with the resync timer (jittered) as a safety net and the only
//! other timer, so an idle watcher sleeps. SIGINT and SIGTERM stop the loop between writes
//! (the write in flight finishes) and `run` returns; SIGHUP reloads.

mod live;
mod metrics;
mod trigger;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

pub use trigger::Trigger;

use live::LiveWatch;
use metrics::Metrics;

use crate::apply::{self, ApplyOptions, Interrupt};
use crate::consul::{Client, Env, refresh};
use crate::model::Desired;
use crate::plan::{self, Plan};
use crate::workspace::{self, diagnostic};

/// How to watch.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// The workspace folder.
    pub dir: PathBuf,
    /// Put back out-of-band changes to what the workspace owns (default); `false` only reports
    /// them.
    pub heal: bool,
    /// How often the clusters are read again to find drift (jittered by a tenth).
    pub resync: Duration,
    /// How long file events are gathered before one reconcile (editors write in bursts).
    pub debounce: Duration,
    /// The longest wait between retries after failures.
    pub max_backoff: Duration,
    /// Where to serve `/healthz`, `/readyz` and `/metrics`, if anywhere.
    pub listen: Option<std::net::SocketAddr>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("."),
            heal: true,
            resync: Duration::from_secs(300),
            debounce: Duration::from_millis(200),
            max_backoff: Duration::from_secs(60),
            listen: None,
        }
    }
}

/// What one reconcile came to.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// The clusters match the files (or drift was reported under `--no-heal`).
    Done,
    /// Something failed or conflicted: try again soon.
    Retry,
    /// Nothing can be done until the files change (problems in them, a refused plan).
    WaitForFiles,
}

impl Outcome {
    fn label(&self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Retry => "retry",
            Self::WaitForFiles => "wait_for_files",
        }
    }
}

/// Runs the loop until SIGINT or SIGTERM.
///
/// # Errors
/// When the workspace folder cannot be watched or the signal handlers cannot be installed.
pub async fn run(options: WatchOptions) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _files = trigger::watch_files(&options.dir, options.debounce, tx.clone())?;
    let mut live = LiveWatch::new(tx.clone(), options.max_backoff);
    let metrics = Metrics::new();
    let server = match options.listen {
        Some(addr) => Some(metrics.serve(addr).await?),
        None => None,
    };
    let mut hangup = signal(SignalKind::hangup())?;
    let interrupt = Interrupt::new();
    let (stopper, mut stopped) = on_stop_signals(&interrupt)?;
    tracing::info!(dir = %options.dir.display(), "watching");
    let mut why = Trigger::Start;
    let mut backoff = Duration::ZERO;
    while !interrupt.is_triggered() {
        let outcome = reconcile(&options, why, &interrupt, &mut live, &metrics).await;
        metrics.reconciled(outcome.label());
        let wait = match outcome {
            Outcome::Retry => {
                backoff = (backoff * 2).clamp(Duration::from_secs(1), options.max_backoff);
                backoff
            }
            Outcome::Done | Outcome::WaitForFiles => {
                backoff = Duration::ZERO;
                trigger::jittered(options.resync)
            }
        };
        why = tokio::select! {
            Some(trigger) = rx.recv() => trigger,
            _ = tokio::time::sleep(wait) => match outcome {
                Outcome::Retry => Trigger::Retry,
                _ => Trigger::Resync,
            },
            _ = hangup.recv() => Trigger::Reload,
            _ = stopped.changed() => break,
        };
        // Events that arrived meanwhile are part of this wake-up.
        while let Ok(more) = rx.try_recv() {
            if more.from_files() {
                why = more;
            }
        }
    }
    stopper.abort();
    drop(live);
    if let Some(server) = server {
        server.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

/// On SIGINT or SIGTERM, triggers `interrupt` (an apply under way stops between writes) and
/// flips the returned flag (the loop stops at once).
fn on_stop_signals(
    interrupt: &Interrupt,
) -> std::io::Result<(
    tokio::task::JoinHandle<()>,
    tokio::sync::watch::Receiver<bool>,
)> {
    let mut terminate = signal(SignalKind::terminate())?;
    let (stop_tx, stopped) = tokio::sync::watch::channel(false);
    let stop = interrupt.clone();
    let stopper = tokio::spawn(async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        stop.trigger();
        let _ = stop_tx.send(true);
    });
    Ok((stopper, stopped))
}

/// One reconcile: load, read, plan, apply.
async fn reconcile(
    options: &WatchOptions,
    why: Trigger,
    interrupt: &Interrupt,
    live_watch: &mut LiveWatch,
    metrics: &Metrics,
) -> Outcome {
    tracing::debug!(?why, "reconciling");
    let desired = match workspace::load(&options.dir) {
        Ok(desired) => desired,
        Err(failure) => {
            let report = diagnostic::render_text(&failure.diagnostics, &failure.sources, false);
            tracing::error!("the workspace has problems; nothing is applied:\n{report}");
            return Outcome::WaitForFiles;
        }
    };
    let clients = match clients(&desired) {
        Ok(clients) => clients,
        Err(error) => {
            tracing::error!("{error:#}");
            return Outcome::WaitForFiles;
        }
    };
    live_watch.follow(&desired, &clients);
    let listed: Vec<(String, Client)> = clients.clone().into_iter().collect();
    let live = match refresh::refresh(&listed, &desired).await {
        Ok(live) => live,
        Err(error) => {
            for failure in &error.failures {
                metrics.error(failure.cluster());
            }
            tracing::error!("cannot read the clusters; nothing is applied:\n{error}");
            return Outcome::Retry;
        }
    };
    let plan = plan::plan(&desired, &live);
    decide_and_apply(options, why, &desired, plan, &clients, interrupt, metrics).await
}

/// Applies `plan` unless it is refused, empty, or drift that must not be healed.
async fn decide_and_apply(
    options: &WatchOptions,
    why: Trigger,
    desired: &Desired,
    plan: Plan,
    clients: &BTreeMap<String, Client>,
    interrupt: &Interrupt,
    metrics: &Metrics,
) -> Outcome {
    let refusals = plan.refusals();
    if !refusals.is_empty() {
        tracing::error!(
            "the plan cannot be applied; nothing is applied until the files change:\n  {}",
            refusals.join("\n  ")
        );
        return Outcome::WaitForFiles;
    }
    if !plan.summary.has_writes() {
        tracing::debug!("{}", plan.summary);
        return Outcome::Done;
    }
    if !options.heal && !why.from_files() {
        tracing::warn!("drift found, not healed (--no-heal): {}", plan.summary);
        return Outcome::Done;
    }
    tracing::info!("{}", plan.summary);
    let apply_options = ApplyOptions {
        interrupt: interrupt.clone(),
        ..ApplyOptions::default()
    };
    let report = apply::apply(&plan, clients, &apply_options, &desired.root).await;
    tracing::info!("{}", report.summary());
    metrics.applied(&report, !why.from_files());
    if report.is_success() {
        Outcome::Done
    } else {
        Outcome::Retry
    }
}

/// A client for every cluster of the workspace.
fn clients(desired: &Desired) -> anyhow::Result<BTreeMap<String, Client>> {
    let env = Env::from_process();
    desired
        .clusters
        .values()
        .map(|spec| Ok((spec.name.clone(), Client::new(spec, &env, &desired.root)?)))
        .collect()
}
