//! `--lock KEY`: high availability on a Consul session lock, as Consul defines one.
//!
//! Several watchers of one workspace contend for one KV key; only the one whose session holds
//! it applies, the others stand by (no reconcile, no write) and take over when it goes:
//! - **Contending**: a blocking read of the key (`?index=`) waits while another session holds
//!   it. Once it is free: create a session (TTL, lock-delay, `Behavior = release`) and
//!   `PUT /v1/kv/KEY?acquire=SESSION`. A refusal with the key free means a lock-delay runs (the
//!   last holder's session was invalidated): the session is given up and the key asked again
//!   after a short, timed wait, as Consul's own `api/lock.go` does.
//! - **Holding**: the session is renewed every half TTL, and a blocking read of the key notices
//!   at once when the key no longer names our session (invalidated, released or deleted by
//!   someone). A renewal that Consul refuses (the session is gone), or no successful renewal
//!   within one TTL (Consul may invalidate it from then on), also counts as lost. On loss the
//!   state turns to [`LockState::Standby`] first: the loop's guard interrupts the apply under
//!   way before its next write.
//! - **Crash of the holder**: Consul invalidates its session between one and two TTLs after the
//!   last renewal, releases the key, and holds it back for the lock-delay; so a standby takes
//!   over within 2 x TTL + lock-delay (+ the retry wait).
//! - **Stop**: [`Lock::release`] releases the key and then destroys the session. A released key
//!   gets no lock-delay, so a standby takes over at once.
//!
//! The session ID is not a secret (`/v1/session/list` shows it) and appears in debug logs; the
//! ACL token stays in the client's header as for every call.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::metrics::Metrics;
use super::trigger::{self, Trigger};
use crate::consul::{Client, Error, SessionSpec};

/// How long each blocking read of the key waits before Consul answers anyway.
const WAIT: Duration = Duration::from_secs(300);

/// How long to wait before asking again for a free key that could not be acquired (a
/// lock-delay runs), and between renewals that failed.
const RETRY: Duration = Duration::from_secs(1);

/// How long releasing the lock at exit may take before the watcher exits anyway (the session's
/// TTL then frees the key).
const RELEASE_TIMEOUT: Duration = Duration::from_secs(5);

/// What `--lock` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockOptions {
    /// The KV key, e.g. `meshplan/watch/platform`.
    pub key: String,
    /// The workspace cluster whose Consul holds the key; `None`: the first cluster named by
    /// `--cluster`, else the workspace's first cluster by name.
    pub cluster: Option<String>,
    /// The session's TTL.
    pub ttl: Duration,
    /// The session's lock-delay.
    pub lock_delay: Duration,
}

/// Where this watcher stands on the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockState {
    /// Not asked yet.
    Starting,
    /// Another watcher holds the key, or a lock-delay runs: this one waits and writes nothing.
    Standby,
    /// This watcher's session holds the key: it applies.
    Held,
    /// The lock's cluster cannot be reached: this watcher cannot hold the lock.
    Unreachable,
}

impl LockState {
    /// For `/readyz` and the logs.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Starting => "lock not asked for yet",
            Self::Standby => "standing by: another watcher holds the lock",
            Self::Held => "lock held",
            Self::Unreachable => "the lock's cluster cannot be reached",
        }
    }
}

/// The lock of one watcher: a task that contends for it and holds it. Dropping it aborts the
/// task without releasing (the TTL then frees the key); [`Lock::release`] hands over at once.
pub struct Lock {
    client: Client,
    key: String,
    state: watch::Receiver<LockState>,
    /// The session the task is using, if any, for [`Lock::release`].
    session: Arc<Mutex<Option<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Lock {
    /// Starts contending for `options.key` on `client`'s cluster. `wake` gets
    /// [`Trigger::Acquired`] each time the lock is taken; `metrics` follow the state.
    pub fn start(
        client: Client,
        options: &LockOptions,
        workspace: &str,
        wake: mpsc::UnboundedSender<Trigger>,
        metrics: Arc<Metrics>,
        max_backoff: Duration,
    ) -> Self {
        let (state_tx, state) = watch::channel(LockState::Starting);
        let session = Arc::new(Mutex::new(None));
        let contender = Contender {
            client: client.clone(),
            key: options.key.clone(),
            spec: SessionSpec {
                name: format!("meshplan watch {workspace}"),
                ttl: options.ttl,
                lock_delay: options.lock_delay,
            },
            value: json!({ "Holder": holder(), "Workspace": workspace }),
            state: state_tx,
            session: Arc::clone(&session),
            wake,
            metrics,
            max_backoff,
        };
        tracing::info!(
            cluster = client.cluster(),
            key = %options.key,
            "contending for the lock {:?} on cluster {:?}",
            options.key,
            client.cluster()
        );
        Self {
            client,
            key: options.key.clone(),
            state,
            session,
            task: tokio::spawn(contender.run()),
        }
    }

    /// Whether this watcher holds the lock now.
    pub fn is_held(&self) -> bool {
        *self.state.borrow() == LockState::Held
    }

    /// The state, to wait on its changes.
    pub fn subscribe(&self) -> watch::Receiver<LockState> {
        self.state.clone()
    }

    /// Stops contending, releases the key if held and destroys the session, so that a standby
    /// takes over at once (a release sets no lock-delay). Gives up after a few seconds: the
    /// session's TTL then frees the key.
    pub async fn release(self) {
        self.task.abort();
        let session = self
            .session
            .lock()
            .ok()
            .and_then(|mut session| session.take());
        let Some(session) = session else {
            return;
        };
        let give_back = async {
            // Releasing first: a key still held when its session is destroyed gets the
            // lock-delay.
            let released = self.client.release_key(&self.key, &session).await;
            let destroyed = self.client.destroy_session(&session).await;
            released.and(destroyed)
        };
        match tokio::time::timeout(RELEASE_TIMEOUT, give_back).await {
            Ok(Ok(())) => tracing::info!(key = %self.key, "released the lock {:?}", self.key),
            Ok(Err(error)) => tracing::warn!(
                key = %self.key,
                "could not release the lock {:?}; its session's TTL will: {error}",
                self.key
            ),
            Err(_) => tracing::warn!(
                key = %self.key,
                "releasing the lock {:?} took too long; its session's TTL will free it",
                self.key
            ),
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Who holds the lock, stored as the key's value for operators: host and process.
fn holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| "unknown host".to_owned());
    format!("{host} pid {}", std::process::id())
}

/// The task behind a [`Lock`].
struct Contender {
    client: Client,
    key: String,
    spec: SessionSpec,
    value: serde_json::Value,
    state: watch::Sender<LockState>,
    session: Arc<Mutex<Option<String>>>,
    wake: mpsc::UnboundedSender<Trigger>,
    metrics: Arc<Metrics>,
    max_backoff: Duration,
}

/// How an attempt to take the key ended.
enum Attempt {
    /// Held, then lost for the reason given.
    Lost(String),
    /// Not acquired: another session was faster, or a lock-delay runs.
    Refused,
    /// The cluster failed us.
    Failed(Error),
}

impl Contender {
    async fn run(self) {
        let mut index = 0;
        let mut backoff = Duration::ZERO;
        loop {
            match self.client.wait_for_key(&self.key, index, WAIT).await {
                Ok(holder) => {
                    backoff = Duration::ZERO;
                    if holder.session.is_some() {
                        self.set(LockState::Standby);
                        index = if holder.index < index {
                            0
                        } else {
                            holder.index
                        };
                        continue;
                    }
                }
                Err(error) => {
                    self.unreachable(&error);
                    backoff = (backoff * 2).clamp(RETRY, self.max_backoff);
                    tokio::time::sleep(trigger::jittered(backoff)).await;
                    index = 0;
                    continue;
                }
            }
            index = 0;
            match self.attempt().await {
                Attempt::Lost(why) => {
                    tracing::warn!(key = %self.key, "lost the lock {:?} ({why}); writes stop", self.key);
                }
                Attempt::Refused => {
                    self.set(LockState::Standby);
                    tokio::time::sleep(RETRY).await;
                }
                Attempt::Failed(error) => {
                    self.unreachable(&error);
                    backoff = (backoff * 2).clamp(RETRY, self.max_backoff);
                    tokio::time::sleep(trigger::jittered(backoff)).await;
                }
            }
        }
    }

    /// Creates a session, tries to take the key with it and, if taken, holds it until lost.
    /// The session is given up (released, destroyed) in every case.
    async fn attempt(&self) -> Attempt {
        let session = match self.client.create_session(&self.spec).await {
            Ok(session) => session,
            Err(error) => return Attempt::Failed(error),
        };
        self.remember(Some(session.clone()));
        let attempt = match self
            .client
            .acquire_key(&self.key, &session, &self.value)
            .await
        {
            Ok(true) => {
                self.set(LockState::Held);
                let _ = self.wake.send(Trigger::Acquired);
                let why = self.hold(&session).await;
                self.set(LockState::Standby);
                Attempt::Lost(why)
            }
            Ok(false) => Attempt::Refused,
            Err(error) => Attempt::Failed(error),
        };
        // An acquire whose reply was lost may have succeeded: release before destroying, or
        // the key would get the lock-delay.
        let _ = self.client.release_key(&self.key, &session).await;
        let _ = self.client.destroy_session(&session).await;
        self.remember(None);
        attempt
    }

    /// Renews `session` and watches the key until the lock is lost; returns why.
    async fn hold(&self, session: &str) -> String {
        let ttl = self.spec.ttl;
        let mut renewed = Instant::now();
        let mut renew_at = renewed + ttl / 2;
        let mut index = 0;
        let mut monitor_backoff = Duration::ZERO;
        loop {
            let monitor = async {
                tokio::time::sleep(monitor_backoff).await;
                self.client.wait_for_key(&self.key, index, WAIT).await
            };
            tokio::select! {
                read = monitor => match read {
                    Ok(holder) if holder.session.as_deref() != Some(session) => {
                        return "the key no longer names this watcher's session".to_owned();
                    }
                    Ok(holder) => {
                        monitor_backoff = Duration::ZERO;
                        index = if holder.index < index { 0 } else { holder.index };
                    }
                    // Renewal bounds how long this may go on: see below.
                    Err(error) => {
                        tracing::debug!(key = %self.key, "cannot watch the lock: {error}");
                        monitor_backoff = (monitor_backoff * 2).clamp(RETRY, self.max_backoff);
                        index = 0;
                    }
                },
                () = tokio::time::sleep_until(renew_at) => {
                    let sent = Instant::now();
                    let deadline = renewed + ttl;
                    let renewal = tokio::time::timeout_at(deadline, self.client.renew_session(session)).await;
                    match renewal {
                        Ok(Ok(true)) => {
                            renewed = sent;
                            renew_at = sent + ttl / 2;
                        }
                        Ok(Ok(false)) => return "its session is gone".to_owned(),
                        Ok(Err(error)) if Instant::now() >= deadline => {
                            return format!("its session could not be renewed within the TTL: {error}");
                        }
                        Ok(Err(error)) => {
                            tracing::warn!(key = %self.key, "cannot renew the lock's session; retrying: {error}");
                            renew_at = Instant::now() + RETRY;
                        }
                        Err(_) => return "its session could not be renewed within the TTL".to_owned(),
                    }
                }
            }
        }
    }

    fn remember(&self, session: Option<String>) {
        if let Ok(mut slot) = self.session.lock() {
            *slot = session;
        }
    }

    /// Sets the state, logging and counting each change once.
    fn set(&self, state: LockState) {
        let previous = self.state.send_replace(state);
        self.metrics.lock_state(state);
        if previous == state {
            return;
        }
        match state {
            LockState::Held => {
                tracing::info!(key = %self.key, "acquired the lock {:?}; applying", self.key);
            }
            // After a loss, `run` says why.
            LockState::Standby if previous != LockState::Held => {
                tracing::info!(key = %self.key, "the lock {:?} is held by another watcher; standing by", self.key);
            }
            _ => {}
        }
    }

    fn unreachable(&self, error: &Error) {
        if *self.state.borrow() != LockState::Unreachable {
            tracing::warn!(
                cluster = self.client.cluster(),
                key = %self.key,
                "cannot contend for the lock {:?}; retrying: {error}",
                self.key
            );
        }
        self.set(LockState::Unreachable);
    }
}
