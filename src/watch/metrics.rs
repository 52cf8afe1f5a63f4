//! `--listen`: what an operator's probes and Prometheus read from a running watcher.
//!
//! `/healthz` is 200 while the loop runs; `/readyz` is 200 once a reconcile finished without
//! error (503 before) and says where the watcher stands on its `--lock` (see
//! [`Metrics::readiness`]); `/metrics` is Prometheus text from `prometheus-client`. The loop
//! records into [`Metrics`]; the server (axum, on the loop's runtime) only reads it, and stops with the
//! loop when [`Metrics::serve`]'s task is aborted.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::lock::LockState;
use crate::apply::{ApplyReport, Status};

type Labels = Vec<(&'static str, String)>;

/// The watcher's counters, shared by the loop and the server.
pub struct Metrics {
    registry: Registry,
    reconciles: Family<Labels, Counter>,
    applies: Counter,
    changes: Family<Labels, Counter>,
    conflicts: Counter,
    errors: Family<Labels, Counter>,
    heals: Counter,
    last_success: Gauge,
    lock_held: Gauge,
    ready: AtomicBool,
    /// `None` without `--lock`.
    lock: Mutex<Option<LockState>>,
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("meshplan_watch");
        let reconciles = Family::<Labels, Counter>::default();
        let applies = Counter::default();
        let changes = Family::<Labels, Counter>::default();
        let conflicts = Counter::default();
        let errors = Family::<Labels, Counter>::default();
        let heals = Counter::default();
        let last_success = Gauge::default();
        let lock_held = Gauge::default();
        registry.register("reconciles", "Reconciles, by outcome", reconciles.clone());
        registry.register("applies", "Applies run", applies.clone());
        registry.register(
            "changes_applied",
            "Changes written, by action",
            changes.clone(),
        );
        registry.register(
            "conflicts",
            "Changes refused by check-and-set",
            conflicts.clone(),
        );
        registry.register("errors", "Failures, by cluster", errors.clone());
        registry.register(
            "heals",
            "Applies that put back out-of-band changes",
            heals.clone(),
        );
        registry.register(
            "last_success_unixtime",
            "When a reconcile last succeeded",
            last_success.clone(),
        );
        registry.register(
            "lock_held",
            "1 while this watcher holds its --lock, else 0",
            lock_held.clone(),
        );
        Arc::new(Self {
            registry,
            reconciles,
            applies,
            changes,
            conflicts,
            errors,
            heals,
            last_success,
            lock_held,
            ready: AtomicBool::new(false),
            lock: Mutex::new(None),
        })
    }

    /// One reconcile ended with `outcome` (`done`, `retry`, `wait_for_files`).
    pub fn reconciled(&self, outcome: &str) {
        self.reconciles
            .get_or_create(&vec![("outcome", outcome.to_owned())])
            .inc();
        if outcome == "done" {
            self.ready.store(true, Ordering::Relaxed);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            self.last_success
                .set(i64::try_from(now).unwrap_or(i64::MAX));
        }
    }

    /// An apply ran; `heal` when only the clusters woke it.
    pub fn applied(&self, report: &ApplyReport, heal: bool) {
        self.applies.inc();
        if heal {
            self.heals.inc();
        }
        for outcome in &report.outcomes {
            match &outcome.status {
                Status::Written { .. } => {
                    let action = format!("{:?}", outcome.action).to_lowercase();
                    self.changes.get_or_create(&vec![("action", action)]).inc();
                }
                Status::Conflicted { .. } => {
                    self.conflicts.inc();
                }
                Status::Failed { .. } => self.error(&outcome.cluster),
                Status::Skipped { .. } => {}
            }
        }
    }

    /// The `--lock` state changed.
    pub fn lock_state(&self, state: LockState) {
        self.lock_held.set(i64::from(state == LockState::Held));
        if let Ok(mut lock) = self.lock.lock() {
            *lock = Some(state);
        }
    }

    /// `/readyz`: without `--lock`, ready once a reconcile succeeded; with it, a standby is
    /// ready (it is doing its job: waiting to take over), a holder once a reconcile succeeded,
    /// and a watcher that cannot reach the lock's cluster is not.
    fn readiness(&self) -> (bool, &'static str) {
        let reconciled = self.ready.load(Ordering::Relaxed);
        let lock = self.lock.lock().ok().and_then(|lock| *lock);
        match lock {
            None if reconciled => (true, "ready"),
            None => (false, "no successful reconcile yet"),
            Some(LockState::Standby) => (true, LockState::Standby.describe()),
            Some(LockState::Held) if reconciled => (true, "ready: lock held"),
            Some(LockState::Held) => (false, "lock held, no successful reconcile yet"),
            Some(state) => (false, state.describe()),
        }
    }

    /// A failure on `cluster`.
    pub fn error(&self, cluster: &str) {
        self.errors
            .get_or_create(&vec![("cluster", cluster.to_owned())])
            .inc();
    }

    /// Serves the three endpoints on `addr` until the returned task is aborted.
    ///
    /// # Errors
    /// When `addr` cannot be bound.
    pub async fn serve(
        self: &Arc<Self>,
        addr: SocketAddr,
    ) -> std::io::Result<tokio::task::JoinHandle<()>> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        tracing::info!(address = %listener.local_addr()?, "serving /healthz, /readyz and /metrics");
        let app = Router::new()
            .route("/healthz", get(|| async { "ok\n" }))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics))
            .with_state(Arc::clone(self));
        Ok(tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!("the metrics server stopped: {error}");
            }
        }))
    }
}

async fn readyz(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    let (ready, why) = metrics.readiness();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, format!("{why}\n"))
}

async fn metrics(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    let mut text = String::new();
    if encode(&mut text, &metrics.registry).is_err() {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain")],
            String::new(),
        );
    }
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
}
