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
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

pub use fresh::{Stale, check_fresh};
pub use report::{ApplyReport, Counts, Outcome, Status};

use crate::consul::{Client, Error};
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

/// Asks a running apply to stop. Clones share the state.
///
/// Two stages: [`Interrupt::trigger`] stops it between writes (changes not yet started are
/// skipped; a write under way may finish, and a wait for a peering ends at once), and
/// [`Interrupt::abandon`] stops it at once (a write still waiting for Consul's answer is
/// cancelled and reported as "may or may not have been written").
#[derive(Debug, Clone)]
pub struct Interrupt(Arc<watch::Sender<Stop>>);

/// Why an apply stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Ctrl-C or SIGTERM.
    Signal,
    /// The command's time limit (`--timeout`) ran out.
    Deadline,
}

impl StopReason {
    /// The reason given to changes that were not attempted.
    fn because(self) -> &'static str {
        match self {
            Self::Signal => report::INTERRUPTED,
            Self::Deadline => report::TIMED_OUT,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Running,
    Finishing,
    Abandoning,
}

#[derive(Debug, Clone, Copy)]
struct Stop {
    stage: Stage,
    reason: StopReason,
}

impl Default for Interrupt {
    fn default() -> Self {
        Self(Arc::new(watch::Sender::new(Stop {
            stage: Stage::Running,
            reason: StopReason::Signal,
        })))
    }
}

impl Interrupt {
    /// A flag that is not triggered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops the apply between writes: changes not yet started are skipped ("interrupted"); a
    /// change under way finishes its current write, and a peering wait for ACTIVE stops.
    pub fn trigger(&self) {
        self.advance(Stage::Finishing, StopReason::Signal);
    }

    /// Stops the apply at once: writes still waiting for an answer are cancelled and reported
    /// as "may or may not have been written".
    pub fn abandon(&self) {
        self.advance(Stage::Abandoning, StopReason::Signal);
    }

    /// The time limit ran out: stops at once, like [`Interrupt::abandon`], and says why.
    pub fn time_out(&self) {
        self.advance(Stage::Abandoning, StopReason::Deadline);
    }

    /// The first reason wins: a deadline after Ctrl-C is still an interrupted apply.
    fn advance(&self, stage: Stage, reason: StopReason) {
        self.0.send_if_modified(|stop| {
            if stage <= stop.stage {
                return false;
            }
            if stop.stage == Stage::Running {
                stop.reason = reason;
            }
            stop.stage = stage;
            true
        });
    }

    /// Whether the apply was asked to stop, at either stage.
    pub fn is_triggered(&self) -> bool {
        self.0.borrow().stage >= Stage::Finishing
    }

    /// Why the apply was asked to stop (meaningful once [`Interrupt::is_triggered`]).
    pub fn reason(&self) -> StopReason {
        self.0.borrow().reason
    }

    /// Resolves once the apply was asked to stop.
    pub async fn triggered(&self) {
        self.reached(Stage::Finishing).await;
    }

    /// Resolves once the apply was asked to stop at once.
    async fn abandoned(&self) {
        self.reached(Stage::Abandoning).await;
    }

    async fn reached(&self, stage: Stage) {
        let mut stops = self.0.subscribe();
        // The sender lives as long as `self`, so the wait ends only when the stage is reached.
        let _ = stops.wait_for(|stop| stop.stage >= stage).await;
    }

    /// SIGINT (Ctrl-C) and SIGTERM: the first triggers the flag and gives writes under way
    /// `grace` to get their answer before abandoning them; a second abandons them at once.
    /// Abort the returned task once the apply is over.
    ///
    /// # Errors
    /// When the signal handlers cannot be installed.
    ///
    /// # Caveats
    /// Must be called within a tokio runtime.
    pub fn stop_on_signals(&self, grace: Duration) -> std::io::Result<tokio::task::JoinHandle<()>> {
        let mut terminate = signal(SignalKind::terminate())?;
        let interrupt = self.clone();
        Ok(tokio::spawn(async move {
            let mut next_signal = async || {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            };
            next_signal().await;
            tracing::warn!(
                "stopping: no new writes start; writes under way get {} to finish (signal again \
                 to stop at once)",
                shown(grace)
            );
            interrupt.trigger();
            tokio::select! {
                () = next_signal() => tracing::warn!("stopping at once"),
                () = tokio::time::sleep(grace) => {}
            }
            interrupt.abandon();
        }))
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
    let interrupt = &options.interrupt;
    ApplyReport {
        outcomes: done.into_values().collect(),
        stopped: interrupt.is_triggered().then(|| interrupt.reason()),
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

    /// Why a change was not attempted once the apply was asked to stop.
    fn stopped_because(&self) -> String {
        self.options.interrupt.reason().because().to_owned()
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
            Some(context.stopped_because())
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
            let interrupt = &context.options.interrupt;
            // Waiting for a permit is waiting for another write to end: the place to stop.
            let permit = tokio::select! {
                permit = semaphore.acquire_owned() => permit.ok(),
                () = interrupt.triggered() => None,
            };
            if context.interrupted() || permit.is_none() {
                return (index, Status::skipped(context.stopped_because()));
            }
            let status = tokio::select! {
                biased;
                status = execute(&context, &change) => status,
                () = interrupt.abandoned() => Status::abandoned(interrupt.reason()),
            };
            (index, status)
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

/// What a change that went through did.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Done {
    /// Written; the note says what the user should know (where a token was written).
    Written(Option<String>),
    /// Consul already held what the files say: the write changed nothing. The text says how
    /// that is known.
    Unchanged(String),
}

impl Done {
    const WRITTEN: Self = Self::Written(None);
}

/// Why a change was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    /// Someone else changed the object since the plan; nothing was written.
    Conflict(String),
    /// The change failed; the text says what is known about what was written.
    Failed(String),
    /// Nothing was sent: the cluster had stopped answering.
    NotAttempted(String),
}

impl Failure {
    /// A failed request that writes nothing, or whose retry is harmless.
    fn consul(error: &Error) -> Self {
        if error.is_unanswered() {
            Self::NotAttempted(error.to_string())
        } else {
            Self::Failed(error.to_string())
        }
    }

    /// A failed write: when Consul may have received it (no answer came, or a 5xx), says so,
    /// since it is not resent.
    fn write(error: &Error) -> Self {
        if error.write_may_have_landed() {
            Self::Failed(format!("{error}\n{UNKNOWN}"))
        } else {
            Self::consul(error)
        }
    }
}

/// What is known of a write whose answer never came.
const UNKNOWN: &str = "it may or may not have been written; run plan again";

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
    use crate::consul::{Env, TransportFailure};
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
        let Failure::Failed(refused) = Failure::write(&transport(TransportFailure::Connect)) else {
            panic!("a failure")
        };
        assert!(!refused.contains(UNKNOWN), "{refused}");
        let Failure::Failed(text) = Failure::write(&transport(TransportFailure::Timeout)) else {
            panic!("a failure")
        };
        assert!(text.contains("may or may not have been written; run plan again"));
    }

    #[tokio::test]
    async fn the_first_reason_to_stop_is_kept_and_stages_only_advance() {
        let interrupt = Interrupt::new();
        interrupt.trigger();
        interrupt.time_out();
        assert_eq!(interrupt.reason(), StopReason::Signal);
        interrupt.abandoned().await;
        let deadline = Interrupt::new();
        deadline.time_out();
        deadline.trigger();
        assert_eq!(deadline.reason(), StopReason::Deadline);
        assert!(deadline.is_triggered());
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
