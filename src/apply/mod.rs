//! `apply`: turns a [`Plan`] into live state without ever losing someone else's write.
//!
//! What it owns: executing the plan's changes in its order, with check-and-set, and saying what
//! happened to each ([`ApplyReport`]). It never decides *what* to change (that is `plan`'s job)
//! and never prints on its own except progress on stderr when asked to.
//!
//! How:
//! - Changes run in waves (`deps`): peerings first (established and waited for until ACTIVE),
//!   then config-entry writes kind group by kind group in the plan's dependency order, then
//!   entry deletes in reverse, then peering deletes. Within a wave, changes run concurrently,
//!   at most [`ApplyOptions::concurrency`] at a time.
//! - Every config-entry write and delete carries the plan's `ModifyIndex` as `cas`; Consul's
//!   refusal is a conflict, reported, never retried (`entries`). Peering changes re-read the
//!   sides they touch first and stop when those moved since the plan (`peering`).
//! - A change whose dependency was not written is skipped, with the reason (`deps`).
//!   Everything else goes on.
//! - A write whose outcome is unknown (a timeout after sending) is never retried: it is reported
//!   as "may or may not have been written; run plan again".
//! - [`Interrupt`] is checked between writes, never in the middle of one: what has not started
//!   is reported as skipped ("interrupted").
//! - [`check_fresh`] re-reads what a saved plan touches, so that the CLI can refuse a stale plan
//!   whole before writing anything (Consul accepts an unchanged PUT even under a stale `cas`).
//!
//! Tokens: a peering token lives only in memory ([`crate::model::Secret`]) between generate
//! and establish, or goes to the `token_out` file (mode 0600); no outcome, progress line or
//! error ever holds one.

mod deps;
mod entries;
mod fresh;
mod peering;
mod progress;
mod report;
mod token_file;
mod wait;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use fresh::{Stale, check_fresh};
pub use report::{ApplyReport, Counts, Outcome, Status};

use crate::consul::{Client, Error, TransportFailure};
use crate::plan::{Action, Change, Object, Plan};
use deps::Schedule;
use progress::Progress;

/// How to apply.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// At most this many writes at once (default 8); 0 counts as 1.
    pub concurrency: usize,
    /// How long to wait for a peering to turn ACTIVE, or for a deleted peering to disappear
    /// (default 120 s: a fresh dev agent can take about 5 s to go ACTIVE, because the dialer's
    /// peering sync is rate-limited).
    pub active_timeout: Duration,
    /// How often peerings are read while waiting (default 500 ms; ACTIVE is computed at read
    /// time, so it must be polled, not block-waited).
    pub poll_interval: Duration,
    /// Show progress on stderr: a bar on a terminal, else one line per finished change. Off:
    /// nothing is written anywhere.
    pub progress: bool,
    /// Stops the apply between writes when triggered (Ctrl-C).
    pub interrupt: Interrupt,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            active_timeout: Duration::from_secs(120),
            poll_interval: Duration::from_millis(500),
            progress: false,
            interrupt: Interrupt::default(),
        }
    }
}

/// A flag that asks a running apply to stop between writes. Clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// A flag that is not triggered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the apply to stop: changes not yet started are skipped ("interrupted"); a change
    /// under way finishes its current write, and a peering wait for ACTIVE stops.
    pub fn trigger(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`Interrupt::trigger`] was called.
    pub fn is_triggered(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Triggers the flag on the first Ctrl-C (SIGINT) from now on; a second Ctrl-C is the
    /// caller's to handle (e.g. exit at once). Abort the returned task once the apply is over.
    ///
    /// # Caveats
    /// Must be called within a tokio runtime.
    pub fn trigger_on_ctrl_c(&self) -> tokio::task::JoinHandle<()> {
        let interrupt = self.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                interrupt.trigger();
            }
        })
    }
}

/// Applies `plan` to the clusters of `clients` (by workspace cluster name). `root` is the
/// workspace folder that `token_out` and `token_file` paths are relative to.
///
/// Never fails as a whole: every change the plan writes gets an [`Outcome`] (written,
/// conflicted, failed or skipped); peering adopts, which write nothing, get none.
///
/// # Caveats
/// - A fresh plan's `cas` protects every config entry, but Consul accepts a PUT that changes
///   nothing without checking `cas`: for a saved plan, call [`check_fresh`] first.
/// - Peerings are read and deleted in the partition of their cluster's client; a side the
///   files put in another partition (Enterprise `acceptor_partition`/`dialer_partition`) gets
///   its token and establish there, but is read in the client's partition.
pub async fn apply(
    plan: &Plan,
    clients: &BTreeMap<String, Client>,
    options: &ApplyOptions,
    root: &Path,
) -> ApplyReport {
    let schedule = Schedule::of(&plan.changes);
    let context = Arc::new(Context {
        clients: clients.clone(),
        options: options.clone(),
        root: root.to_owned(),
        progress: Progress::start(options.progress, schedule.len()),
    });
    let mut done = BTreeMap::new();
    for wave in schedule.waves() {
        run_wave(&context, plan, &schedule, wave, &mut done).await;
    }
    context.progress.finish();
    ApplyReport {
        outcomes: done.into_values().collect(),
    }
}

/// What every change needs while it runs.
struct Context {
    clients: BTreeMap<String, Client>,
    options: ApplyOptions,
    root: PathBuf,
    progress: Progress,
}

impl Context {
    /// The client of `cluster`.
    fn client(&self, cluster: &str) -> Result<&Client, Failure> {
        self.clients.get(cluster).ok_or_else(|| {
            Failure::Failed(format!(
                "no Consul client for cluster {cluster:?}: it was not read for this apply"
            ))
        })
    }

    fn interrupted(&self) -> bool {
        self.options.interrupt.is_triggered()
    }
}

/// Runs one wave: every change whose dependencies were written, concurrently and bounded.
async fn run_wave(
    context: &Arc<Context>,
    plan: &Plan,
    schedule: &Schedule,
    wave: &[usize],
    done: &mut BTreeMap<usize, Outcome>,
) {
    let semaphore = Arc::new(Semaphore::new(context.options.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let mut running = HashMap::new();
    for &index in wave {
        let change = &plan.changes[index];
        let blocked = if context.interrupted() {
            Some(report::INTERRUPTED.to_owned())
        } else {
            schedule.blocked(index, &plan.changes, done)
        };
        if let Some(because) = blocked {
            let outcome = Outcome::new(index, change, Status::skipped(because));
            finish(context, done, outcome);
            continue;
        }
        let (context, change) = (Arc::clone(context), change.clone());
        let semaphore = Arc::clone(&semaphore);
        let handle = tasks.spawn(async move {
            // Waiting for a permit is waiting for another write to end: the place to stop.
            let permit = semaphore.acquire_owned().await;
            if context.interrupted() || permit.is_err() {
                return (index, Status::skipped(report::INTERRUPTED.to_owned()));
            }
            (index, execute(&context, &change).await)
        });
        running.insert(handle.id(), index);
    }
    while let Some(joined) = tasks.join_next().await {
        let (index, status) = match joined {
            Ok(ran) => ran,
            Err(error) => match running.get(&error.id()) {
                Some(&index) => (index, Status::panicked(&error)),
                None => continue,
            },
        };
        let outcome = Outcome::new(index, &plan.changes[index], status);
        finish(context, done, outcome);
    }
}

fn finish(context: &Context, done: &mut BTreeMap<usize, Outcome>, outcome: Outcome) {
    match &outcome.status {
        Status::Written { .. } => tracing::info!("{}", outcome.line()),
        _ => tracing::warn!("{}", outcome.line()),
    }
    context.progress.finished(&outcome);
    done.insert(outcome.change, outcome);
}

/// Makes one change.
async fn execute(context: &Context, change: &Change) -> Status {
    context
        .progress
        .started(&change.cluster, &change.object.to_string());
    let result = match (&change.object, change.action) {
        (Object::Peering(peering), Action::Establish | Action::Reestablish) => {
            peering::establish(context, peering, peering::Existing::KeepUsable).await
        }
        (Object::Peering(peering), Action::Replace) => {
            peering::establish(context, peering, peering::Existing::Delete).await
        }
        (Object::Peering(peering), Action::Delete) => {
            peering::delete(context, &change.cluster, peering).await
        }
        (
            Object::Entry(entry),
            Action::Create | Action::Update | Action::Adopt | Action::TakeOver,
        ) => entries::write(context, change, entry).await,
        (Object::Entry(entry), Action::Delete) => entries::delete(context, change, entry).await,
        (object, action) => Err(Failure::Failed(format!(
            "the plan asks to {} {object}, which apply cannot do: make the plan again",
            action.verb()
        ))),
    };
    Status::of(result)
}

/// Why a change was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    /// Someone else changed the object since the plan; nothing was written.
    Conflict(String),
    /// The change failed; the text says what is known about what was written.
    Failed(String),
}

impl Failure {
    /// A failed request that writes nothing, or whose retry is harmless.
    fn consul(error: &Error) -> Self {
        Self::Failed(error.to_string())
    }

    /// A failed write: when Consul may have received it (no answer came), says so, since it is
    /// not retried.
    fn write(error: &Error) -> Self {
        if is_ambiguous(error) {
            Self::Failed(format!(
                "{error}\nit may or may not have been written; run plan again"
            ))
        } else {
            Self::consul(error)
        }
    }
}

/// Whether a request may have reached Consul even though no success came back.
fn is_ambiguous(error: &Error) -> bool {
    match error {
        Error::Transport { failure, .. } => *failure != TransportFailure::Connect,
        Error::Status { status, .. } => matches!(status, 502 | 504),
        Error::Decode { .. } => true,
        Error::Config { .. } => false,
    }
}

/// A duration as people write it: `120s`, `1.5s`, `500ms`.
fn shown(duration: Duration) -> String {
    let millis = duration.as_millis();
    match millis {
        0..1000 => format!("{millis}ms"),
        _ if millis.is_multiple_of(1000) => format!("{}s", millis / 1000),
        _ => format!("{:.1}s", duration.as_secs_f64()),
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use serde_json::json;

    use super::*;
    use crate::consul::Env;
    use crate::model::{ClusterSpec, TokenSource};
    use crate::plan::EntryObject;

    #[test]
    fn durations_read_like_a_person_wrote_them() {
        assert_eq!(shown(Duration::from_secs(120)), "120s");
        assert_eq!(shown(Duration::from_millis(1500)), "1.5s");
        assert_eq!(shown(Duration::from_millis(500)), "500ms");
    }

    #[test]
    fn a_refused_connection_is_not_ambiguous_but_a_timeout_is() {
        let transport = |failure| Error::Transport {
            cluster: "c".into(),
            method: reqwest::Method::PUT,
            path: "/v1/config?cas=0".into(),
            address: "http://127.0.0.1:1".into(),
            failure,
            reason: "x".into(),
        };
        assert!(!is_ambiguous(&transport(TransportFailure::Connect)));
        assert!(is_ambiguous(&transport(TransportFailure::Timeout)));
        let Failure::Failed(text) = Failure::write(&transport(TransportFailure::Timeout)) else {
            panic!("a failure")
        };
        assert!(text.contains("may or may not have been written; run plan again"));
    }

    #[test]
    fn an_interrupt_is_shared_by_its_clones() {
        let interrupt = Interrupt::new();
        let clone = interrupt.clone();
        assert!(!clone.is_triggered());
        interrupt.trigger();
        assert!(clone.is_triggered());
    }

    /// A client of cluster `c` whose agent refuses connections (a port just freed).
    fn unreachable() -> BTreeMap<String, Client> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let spec = ClusterSpec {
            name: "c".into(),
            address: Some(format!("http://127.0.0.1:{port}")),
            token: TokenSource::Default,
            datacenter: "dc1".to_owned(),
            partition: None,
            entries_dir: PathBuf::from("c"),
            tls: None,
        };
        let env = Env::from_vars(Vec::<(String, String)>::new());
        let client = Client::new(&spec, &env, Path::new(".")).expect("a client");
        BTreeMap::from([("c".to_owned(), client)])
    }

    fn create(kind: &str, name: &str) -> Change {
        let object = Object::Entry(EntryObject {
            kind: kind.into(),
            name: name.into(),
            namespace: None,
            partition: None,
        });
        let mut change = Change::new("c", object, Action::Create, 0);
        change.body = Some(json!({"Kind": kind, "Name": name}));
        change
    }

    fn plan() -> Plan {
        let changes = vec![
            create("service-defaults", "web"),
            create("service-intentions", "api"),
            create("service-intentions", "web"),
        ];
        Plan::new("ws", vec!["c".into()], changes)
    }

    fn statuses(report: &ApplyReport) -> Vec<&Status> {
        report
            .outcomes
            .iter()
            .map(|outcome| &outcome.status)
            .collect()
    }

    #[tokio::test]
    async fn an_interrupted_apply_skips_every_change_and_sends_nothing() {
        let clients = unreachable();
        let options = ApplyOptions::default();
        options.interrupt.trigger();
        let report = apply(&plan(), &clients, &options, Path::new(".")).await;
        let interrupted = Status::skipped(report::INTERRUPTED.to_owned());
        assert_eq!(
            statuses(&report),
            [&interrupted, &interrupted, &interrupted]
        );
        assert_eq!(clients["c"].requests_sent(), 0);
        assert!(report.was_interrupted());
    }

    #[tokio::test]
    async fn a_failed_write_skips_its_dependents_and_the_rest_goes_on() {
        let clients = unreachable();
        let report = apply(&plan(), &clients, &ApplyOptions::default(), Path::new(".")).await;
        let [defaults, api, web] = statuses(&report)[..] else {
            panic!("three outcomes: {report:#?}")
        };
        assert!(matches!(defaults, Status::Failed { error } if error.contains("cannot connect")));
        assert!(matches!(api, Status::Failed { .. }), "attempted: {api:?}");
        let because = "it depends on service-defaults/web on c, which failed".to_owned();
        assert_eq!(web, &Status::Skipped { because });
        assert_eq!(
            clients["c"].requests_sent(),
            2,
            "the write is sent once, not retried"
        );
    }
}
