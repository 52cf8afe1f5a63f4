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
//! (the write in flight finishes) and `run` returns; SIGHUP reloads: a reconcile as at start,
//! which applies even under `--no-heal`.
//!
//! `--cluster` restricts the watcher to some clusters (and reads their peers), as for `apply`;
//! `--lock` (`lock`) makes it one of several, of which only the lock's holder reconciles. A
//! standby loads the files when they change (and logs their problems) but reads and writes no
//! cluster; a holder that loses the lock has its apply interrupted before the next write.

mod live;
mod lock;
mod metrics;
mod trigger;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, watch};

pub use lock::LockOptions;
pub use trigger::Trigger;

use live::{LiveWatch, Reachability};
use lock::{Lock, LockState};
use metrics::Metrics;

use crate::apply::{self, ApplyOptions, Interrupt};
use crate::cli::clusters;
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
    /// Only these clusters' changes are applied (their peers are read too); empty: all.
    pub clusters: Vec<String>,
    /// Apply only while holding this Consul lock.
    pub lock: Option<LockOptions>,
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
            clusters: Vec::new(),
            lock: None,
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
    /// Another watcher holds the lock: nothing to do until this one takes it.
    Standby,
}

impl Outcome {
    fn label(&self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Retry => "retry",
            Self::WaitForFiles => "wait_for_files",
            Self::Standby => "standby",
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
    let metrics = Metrics::new();
    let server = match options.listen {
        Some(addr) => Some(metrics.serve(addr).await?),
        None => None,
    };
    let mut hangup = signal(SignalKind::hangup())?;
    let (stopper, mut stopped) = on_stop_signals()?;
    tracing::info!(dir = %options.dir.display(), "watching");
    let reachability = Arc::new(Reachability::default());
    let mut watcher = Watcher {
        live: LiveWatch::new(tx.clone(), options.max_backoff, Arc::clone(&reachability)),
        reachability,
        tx,
        metrics,
        lock: None,
        stopped: stopped.clone(),
        options,
    };
    let mut why = Trigger::Start;
    let mut backoff = Duration::ZERO;
    while !*stopped.borrow() {
        let outcome = watcher.reconcile(why).await;
        watcher.metrics.reconciled(outcome.label());
        // A standby has no timer: only the lock (or the files) wake it.
        let wait = match outcome {
            Outcome::Retry => {
                backoff = (backoff * 2).clamp(Duration::from_secs(1), watcher.options.max_backoff);
                Some(backoff)
            }
            Outcome::Done | Outcome::WaitForFiles => {
                backoff = Duration::ZERO;
                Some(trigger::jittered(watcher.options.resync))
            }
            Outcome::Standby => None,
        };
        let timer = async {
            match wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => std::future::pending().await,
            }
        };
        why = tokio::select! {
            Some(trigger) = rx.recv() => trigger,
            () = timer => match outcome {
                Outcome::Retry => Trigger::Retry,
                _ => Trigger::Resync,
            },
            _ = hangup.recv() => {
                tracing::info!("reloading (SIGHUP)");
                Trigger::Reload
            }
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
    let Watcher { live, lock, .. } = watcher;
    drop(live);
    if let Some(lock) = lock {
        lock.release().await;
    }
    if let Some(server) = server {
        server.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

/// Whether Consul would refuse part of the workspace at apply, as only the files and the live
/// clusters together tell (an L7 intention on a tcp service, Enterprise features on CE): then
/// nothing is applied, the problems are logged at their file and line, and the watcher waits for
/// the files to change, as for a workspace with problems.
fn refused_by_consul(desired: &Desired, live: &crate::model::Live) -> bool {
    let Some((count, report)) = crate::cli::plan::what_consul_would_refuse(desired, live, false)
    else {
        return false;
    };
    tracing::error!(
        "Consul would refuse {count} of the workspace's entries; nothing is applied:\n{report}"
    );
    true
}

/// The clusters that cannot be planned while `failed` cannot be read: those, and every
/// cluster of a peering with one of them.
fn held_back(desired: &Desired, failed: &BTreeSet<String>) -> BTreeSet<String> {
    let mut held_back = failed.clone();
    for peering in &desired.peerings {
        let sides: Vec<_> = peering.our_sides().collect();
        if sides.iter().any(|side| failed.contains(&side.cluster)) {
            held_back.extend(sides.iter().map(|side| side.cluster.clone()));
        }
    }
    held_back
}

/// On SIGINT or SIGTERM, flips the returned flag: the loop stops, and an apply under way stops
/// between writes.
fn on_stop_signals() -> std::io::Result<(tokio::task::JoinHandle<()>, watch::Receiver<bool>)> {
    let mut terminate = signal(SignalKind::terminate())?;
    let (stop_tx, stopped) = watch::channel(false);
    let stopper = tokio::spawn(async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        let _ = stop_tx.send(true);
    });
    Ok((stopper, stopped))
}

/// The loop's state between reconciles.
struct Watcher {
    options: WatchOptions,
    live: LiveWatch,
    reachability: Arc<Reachability>,
    tx: mpsc::UnboundedSender<Trigger>,
    metrics: Arc<Metrics>,
    /// Started at the first reconcile that knows the lock's cluster.
    lock: Option<Lock>,
    stopped: watch::Receiver<bool>,
}

impl Watcher {
    /// One reconcile: load, (hold the lock), read, plan, apply.
    async fn reconcile(&mut self, why: Trigger) -> Outcome {
        tracing::debug!(?why, "reconciling");
        let desired = match workspace::load(&self.options.dir) {
            Ok(desired) => desired,
            Err(failure) => {
                let report = diagnostic::render_text(&failure.diagnostics, &failure.sources, false);
                tracing::error!("the workspace has problems; nothing is applied:\n{report}");
                return Outcome::WaitForFiles;
            }
        };
        let selection = match clusters::select(&desired, &self.options.clusters) {
            Ok(selection) => selection,
            Err(error) => {
                tracing::error!("{error:#}");
                return Outcome::WaitForFiles;
            }
        };
        if let Err(error) = self.start_lock(&desired) {
            tracing::error!("{error:#}");
            return Outcome::WaitForFiles;
        }
        if self.lock.as_ref().is_some_and(|lock| !lock.is_held()) {
            self.live.stop();
            return Outcome::Standby;
        }
        // Stops the apply before its next write on SIGTERM, or when the lock is lost.
        let interrupt = Interrupt::new();
        let guard = self.interrupt_on_stop_or_loss(&interrupt);
        let outcome = self
            .read_plan_apply(why, &desired, selection, &interrupt)
            .await;
        guard.abort();
        outcome
    }

    /// Reads the clusters of `selection`, plans and applies. A cluster that cannot be read
    /// holds back only itself and the clusters it peers with: the others are planned and
    /// applied without them, and the reconcile is retried until every cluster answers.
    async fn read_plan_apply(
        &mut self,
        why: Trigger,
        desired: &Desired,
        selection: clusters::Selection,
        interrupt: &Interrupt,
    ) -> Outcome {
        let failed = match self.read(desired, &selection).await {
            Ok((clients, live)) => {
                if refused_by_consul(desired, &live) {
                    return Outcome::WaitForFiles;
                }
                let plan = clusters::restrict(plan::plan(desired, &live), &selection.acting);
                return self
                    .decide_and_apply(why, desired, plan, &clients, interrupt)
                    .await;
            }
            Err(failed) => failed,
        };
        let held_back = held_back(desired, &failed);
        let rest: Vec<String> = selection.acting.difference(&held_back).cloned().collect();
        if rest.is_empty() {
            return Outcome::Retry;
        }
        let Ok(selection) = clusters::select(desired, &rest) else {
            return Outcome::Retry;
        };
        if let Ok((clients, live)) = self.read(desired, &selection).await {
            if refused_by_consul(desired, &live) {
                return Outcome::WaitForFiles;
            }
            let plan = clusters::restrict(plan::plan(desired, &live), &selection.acting);
            self.decide_and_apply(why, desired, plan, &clients, interrupt)
                .await;
        }
        Outcome::Retry
    }

    /// Reads the clusters `selection` reads (and follows their live state); `Err` names those
    /// that could not be read, each reported once until it is back.
    async fn read(
        &mut self,
        desired: &Desired,
        selection: &clusters::Selection,
    ) -> Result<(BTreeMap<String, Client>, crate::model::Live), BTreeSet<String>> {
        let clients: BTreeMap<String, Client> = match clusters::clients(desired, &selection.reading)
        {
            Ok(clients) => clients.into_iter().collect(),
            Err(error) => {
                tracing::error!("{error:#}");
                return Err(selection.reading.clone());
            }
        };
        self.live.follow(desired, &clients);
        let listed: Vec<(String, Client)> = clients.clone().into_iter().collect();
        match refresh::refresh(&listed, desired).await {
            Ok(live) => {
                for name in clients.keys() {
                    self.reachability.up(name);
                }
                Ok((clients, live))
            }
            Err(error) => {
                let mut failed = BTreeSet::new();
                for failure in &error.failures {
                    self.metrics.error(failure.cluster());
                    self.reachability.down(failure.cluster(), failure);
                    failed.insert(failure.cluster().to_owned());
                }
                for name in clients.keys().filter(|name| !failed.contains(*name)) {
                    self.reachability.up(name);
                }
                Err(failed)
            }
        }
    }

    /// Starts contending for the `--lock`, once: its cluster comes from the first workspace
    /// that loads. Changing that cluster's address later needs a restart.
    ///
    /// # Errors
    /// When the lock's cluster is not in the workspace or its client cannot be built.
    fn start_lock(&mut self, desired: &Desired) -> anyhow::Result<()> {
        let Some(options) = &self.options.lock else {
            return Ok(());
        };
        if self.lock.is_some() {
            return Ok(());
        }
        let name = options
            .cluster
            .as_ref()
            .or(self.options.clusters.first())
            .or(desired.clusters.keys().next());
        let Some(spec) = name.and_then(|name| desired.clusters.get(name)) else {
            anyhow::bail!(
                "--lock-cluster `{}` is not a cluster of this workspace",
                name.map_or("", String::as_str)
            );
        };
        let client = Client::new(spec, &Env::from_process(), &desired.root)?;
        self.metrics.lock_state(LockState::Starting);
        self.lock = Some(Lock::start(
            client,
            options,
            &desired.workspace,
            self.tx.clone(),
            Arc::clone(&self.metrics),
            self.options.max_backoff,
        ));
        Ok(())
    }

    /// A task that triggers `interrupt` on SIGINT/SIGTERM or when the lock is lost; abort it
    /// when the reconcile is over.
    fn interrupt_on_stop_or_loss(&self, interrupt: &Interrupt) -> tokio::task::JoinHandle<()> {
        let interrupt = interrupt.clone();
        let mut stopped = self.stopped.clone();
        let lock = self.lock.as_ref().map(Lock::subscribe);
        tokio::spawn(async move {
            let lost = async {
                match lock {
                    Some(mut lock) => {
                        let _ = lock.wait_for(|state| *state != LockState::Held).await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = stopped.wait_for(|stopped| *stopped) => {}
                () = lost => {}
            }
            interrupt.trigger();
        })
    }

    /// Applies `plan` unless it is refused, empty, or drift that must not be healed.
    async fn decide_and_apply(
        &self,
        why: Trigger,
        desired: &Desired,
        plan: Plan,
        clients: &BTreeMap<String, Client>,
        interrupt: &Interrupt,
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
        if !self.options.heal && !why.from_files() {
            tracing::warn!("drift found, not healed (--no-heal): {}", plan.summary);
            return Outcome::Done;
        }
        if interrupt.is_triggered() {
            return Outcome::Retry;
        }
        tracing::info!("{}", plan.summary);
        let apply_options = ApplyOptions {
            interrupt: interrupt.clone(),
            ..ApplyOptions::default()
        };
        let report = apply::apply(&plan, clients, &apply_options, &desired.root).await;
        tracing::info!("{}", report.summary());
        self.metrics.applied(&report, !why.from_files());
        if report.is_success() {
            Outcome::Done
        } else {
            Outcome::Retry
        }
    }
}
