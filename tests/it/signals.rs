//! An apply stopped while it runs, against real agents: SIGTERM and Ctrl-C between writes, a
//! second signal, Ctrl-C while a peering is waited for, an agent that goes away and one that
//! freezes. The tests of 200 entries check the report against what the agent holds (every write
//! reported written is there, none reported not written is), that nothing was written twice (an
//! entry created once has `ModifyIndex == CreateIndex`), and that the next apply converges.
//!
//! The fault proxy slows each write down (or holds it), so that the apply is caught half-way;
//! meshplan runs in the background ([`Background`]) and every wait for it is bounded.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;
use tokio::net::{TcpListener, TcpStream};

use crate::support::cli::{
    Background, Run, assert_exit, cluster_block, entries, meshplan, workspace, write,
};
use crate::support::consul::{Cluster, start_clusters};
use crate::support::fault_proxy::{Fault, FaultProxy};
use crate::support::http::{client, poll_until, success_json};

/// How many entries an apply writes: enough that it is caught half-way.
const ENTRIES: usize = 200;

/// Entries the progress lines show created before a test acts: the apply is under way.
const UNDER_WAY: usize = 16;

/// Bounds every wait for meshplan: a test fails rather than hangs.
const WITHIN: Duration = Duration::from_secs(30);

/// What apply gives writes under way after the first signal (`GRACE` in `src/cli/apply.rs`).
const GRACE: Duration = Duration::from_secs(3);

/// A workspace `signals` of `count` service-defaults entries on `agent`, reached through
/// `proxy`.
fn through(proxy: &FaultProxy, agent: &Cluster, count: usize) -> TempDir {
    let names: Vec<String> = (0..count).map(|n| format!("svc-{n:03}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let dir = workspace("signals", agent, &entries(&names));
    let text = format!(
        "workspace = \"signals\"\ncluster \"{}\" {{\n  address = \"{}\"\n}}\n",
        agent.name(),
        proxy.address()
    );
    write(dir.path(), "meshplan.hcl", &text);
    dir
}

/// Starts `meshplan apply --auto-approve EXTRA DIR` and waits until the progress lines show
/// [`UNDER_WAY`] entries created.
async fn apply_under_way(dir: &Path, extra: &[&str]) -> Background {
    let mut args = vec!["apply", "--auto-approve"];
    args.extend_from_slice(extra);
    let mut apply = Background::start(&args, dir, &[]);
    apply
        .wait_for_stderr(WITHIN, "writes are under way", |stderr| {
            stderr.matches(": created service-defaults/").count() >= UNDER_WAY
        })
        .await;
    apply
}

/// The services of the report's lines (stdout), by what the report says of them.
#[derive(Debug, Default)]
struct Said {
    written: BTreeSet<String>,
    /// "may or may not have been written".
    unknown: BTreeSet<String>,
    /// Failed, and known not to be written.
    failed: BTreeSet<String>,
    /// Not attempted, with the reason.
    skipped: BTreeMap<String, String>,
}

impl Said {
    fn of(run: &Run) -> Self {
        let mut said = Self::default();
        // The report's entries (`  + cluster-01: created service-defaults/svc-000`, then any
        // lines of an error indented below), not the plan's lines before them.
        let mut entries: Vec<(&str, String)> = Vec::new();
        for line in run.stdout.lines() {
            match (line.get(4..), entries.last_mut()) {
                (Some(entry), _) if entry.starts_with("cluster-01: ") => {
                    entries.push((entry, String::new()));
                }
                (_, Some((_, more))) if line.starts_with("      ") => more.push_str(line),
                _ => {}
            }
        }
        for (line, more) in entries {
            let Some((before, after)) = line.split_once("service-defaults/") else {
                continue;
            };
            let (name, rest) = after.split_once(' ').unwrap_or((after, ""));
            let name = name.to_owned();
            if before.ends_with(": created ") {
                said.written.insert(name);
            } else if let Some((_, because)) = rest.split_once("skipped: ") {
                said.skipped.insert(name, because.to_owned());
            } else if (rest.to_owned() + &more).contains("may or may not have been written") {
                said.unknown.insert(name);
            } else {
                said.failed.insert(name);
            }
        }
        let total = said.written.len() + said.unknown.len() + said.failed.len();
        assert_eq!(total + said.skipped.len(), ENTRIES, "one line each:\n{run}");
        said
    }

    /// Checks the report against the agent: what it says was written is there, what it says
    /// was not written is not.
    fn check(&self, held: &BTreeMap<String, Value>, run: &Run) {
        for name in &self.written {
            assert!(
                held.contains_key(name),
                "{name} reported written, absent\n{run}"
            );
        }
        let not_written = self.failed.iter().chain(self.skipped.keys());
        for name in not_written {
            assert!(
                !held.contains_key(name),
                "{name} reported not written, there\n{run}"
            );
        }
        for name in held.keys() {
            assert!(
                self.written.contains(name) || self.unknown.contains(name),
                "{name} is there, reported neither written nor unknown\n{run}"
            );
        }
    }
}

/// The service-defaults entries `agent` holds, by name (read from the agent, not the proxy).
async fn held(agent: &Cluster) -> BTreeMap<String, Value> {
    let url = format!("{}/v1/config/service-defaults", agent.http_addr());
    let response = client().get(url).send().await.expect("list the entries");
    let list = success_json(response, "list the entries").await;
    let list = list.as_array().expect("a list").clone();
    list.into_iter()
        .map(|entry| (entry["Name"].as_str().expect("a Name").to_owned(), entry))
        .collect()
}

/// Applies again with no fault left, then checks that plan has nothing to do, that every entry
/// is there and that none was written twice: each one's `ModifyIndex` is its `CreateIndex`.
async fn converges(agent: &Cluster, dir: &Path, left: usize) {
    let again = meshplan(&["apply", "--auto-approve"], dir, &[]);
    assert_exit(&again, 0);
    let created = format!("Apply complete: {left} created, 0 updated, 0 deleted.");
    assert!(again.stdout.contains(&created), "{again}");
    let plan = meshplan(&["plan", "--detailed-exitcode"], dir, &[]);
    assert_exit(&plan, 0);
    let held = held(agent).await;
    assert_eq!(held.len(), ENTRIES);
    for (name, entry) in held {
        assert_eq!(
            entry["ModifyIndex"], entry["CreateIndex"],
            "{name} was written more than once: {entry}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_starts_no_new_write_lets_writes_under_way_finish_and_reports_each() {
    let agent = Cluster::start("cluster-01").await;
    let proxy = FaultProxy::start(&agent.http_addr()).await;
    let dir = through(&proxy, &agent, ENTRIES);
    // Half a second per write: writes under way when the signal comes need part of the grace.
    let slow = Fault::Delay(Duration::from_millis(500));
    proxy.add("PUT", "/v1/config?", slow, usize::MAX);

    let apply = apply_under_way(dir.path(), &[]).await;
    apply.signal("TERM");
    let signalled = Instant::now();
    // Sent and not answered yet: under way when the signal came.
    let under_way: BTreeSet<String> = proxy
        .seen()
        .iter()
        .filter(|seen| seen.method == "PUT" && !seen.answered)
        .map(|seen| serde_json::from_slice::<Value>(&seen.body).expect("a JSON body"))
        .map(|body| body["Name"].as_str().expect("a Name").to_owned())
        .collect();
    let run = apply.wait(WITHIN).await;
    let took = signalled.elapsed();

    assert_exit(&run, 1);
    assert!(
        took < GRACE,
        "writes under way were waited for past the grace: {took:?}"
    );
    assert!(
        run.stderr.contains("stopping: no new writes start"),
        "{run}"
    );
    let said = Said::of(&run);
    assert!(!under_way.is_empty(), "{run}");
    assert!(under_way.is_subset(&said.written), "{under_way:?}\n{run}");
    // Every write sent got its answer and is reported: none abandoned, none unreported.
    assert!(said.unknown.is_empty() && said.failed.is_empty(), "{run}");
    let sent: BTreeSet<String> = proxy
        .answered_names("PUT", "/v1/config?")
        .into_keys()
        .collect();
    assert_eq!(sent, said.written, "{run}");
    assert!(
        said.skipped
            .values()
            .all(|because| because == "interrupted")
    );
    let summary = format!(
        "Apply interrupted: {} written, 0 conflicted, 0 failed, {} skipped.",
        said.written.len(),
        said.skipped.len()
    );
    assert!(run.stdout.contains(&summary), "{run}");
    said.check(&held(&agent).await, &run);

    proxy.clear();
    converges(&agent, dir.path(), said.skipped.len()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_stops_at_once_and_reports_writes_under_way_as_unknown() {
    let agent = Cluster::start("cluster-01").await;
    let proxy = FaultProxy::start(&agent.http_addr()).await;
    let dir = through(&proxy, &agent, ENTRIES);
    // The first writes go through; every later one is held: no answer ever comes.
    let quick = Fault::Delay(Duration::from_millis(20));
    proxy.add("PUT", "/v1/config?", quick, UNDER_WAY);
    proxy.add("PUT", "/v1/config?", Fault::Hang, usize::MAX);

    let mut apply = apply_under_way(dir.path(), &[]).await;
    // Eight writes (the concurrency) are held at the proxy.
    poll_until(WITHIN, "eight writes are held", async || {
        let sent = proxy
            .seen()
            .iter()
            .filter(|seen| seen.method == "PUT")
            .count();
        (sent == UNDER_WAY + 8).then_some(())
    })
    .await;
    apply.signal("INT");
    let first = Instant::now();
    apply
        .wait_for_stderr(WITHIN, "the first signal is taken", |stderr| {
            stderr.contains("stopping: no new writes start")
        })
        .await;
    apply.signal("TERM");
    let run = apply.wait(WITHIN).await;
    let took = first.elapsed();

    assert_exit(&run, 1);
    assert!(
        took < GRACE,
        "the second signal did not cut the grace short: {took:?}"
    );
    assert!(run.stderr.contains("stopping at once"), "{run}");
    let said = Said::of(&run);
    assert_eq!(said.written.len(), UNDER_WAY, "{run}");
    assert_eq!(said.unknown.len(), 8, "{run}");
    let abandoned = "not created: stopped at once (interrupted) while waiting for Consul's \
                     answer: it may or may not have been written; run plan again";
    assert_eq!(run.stdout.matches(abandoned).count(), 8, "{run}");
    let summary = format!(
        "Apply interrupted: {UNDER_WAY} written, 0 conflicted, 8 failed, {} skipped.",
        ENTRIES - UNDER_WAY - 8
    );
    assert!(run.stdout.contains(&summary), "{run}");
    said.check(&held(&agent).await, &run);

    proxy.clear();
    converges(&agent, dir.path(), ENTRIES - UNDER_WAY).await;
}

/// A TCP relay on loopback in front of an agent's gRPC TLS port: it relays the first connection
/// and closes each later one at once, until [`GrpcGate::open`]. A dialer's secret exchange (one
/// connection, made while establish runs) gets through and its peering stream does not, so the
/// peering is established but never turns ACTIVE.
struct GrpcGate {
    /// `127.0.0.1:PORT`, for `server_external_addresses`.
    address: String,
    /// Connections still to relay.
    through: Arc<AtomicUsize>,
    accept: tokio::task::JoinHandle<()>,
}

impl GrpcGate {
    async fn start(upstream_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("an address").to_string();
        let through = Arc::new(AtomicUsize::new(1));
        let left = Arc::clone(&through);
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let relay = left
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                if !relay {
                    // Dropped: closed before a byte of TLS.
                    continue;
                }
                tokio::spawn(async move {
                    let upstream = TcpStream::connect(("127.0.0.1", upstream_port)).await;
                    if let Ok(mut upstream) = upstream {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut upstream).await;
                    }
                });
            }
        });
        Self {
            address,
            through,
            accept,
        }
    }

    /// Relays every connection from now on.
    fn open(&self) {
        self.through.store(usize::MAX, Ordering::SeqCst);
    }
}

impl Drop for GrpcGate {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// The state `agent` reports for its peering `name`.
async fn peering_state(agent: &Cluster, name: &str) -> Option<String> {
    let url = format!("{}/v1/peering/{name}", agent.http_addr());
    let response = client().get(url).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    let peering: Value = response.json().await.ok()?;
    peering["State"].as_str().map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_ends_the_wait_for_a_peering_to_turn_active_at_once() {
    let agents = start_clusters(&["cluster-01", "cluster-02"]).await;
    let gate = GrpcGate::start(agents[0].grpc_tls_port()).await;
    let dir = TempDir::new().expect("a temp dir");
    let text = format!(
        "workspace = \"signals\"\n{}{}peering {{\n  acceptor = \"cluster-01\"\n  dialer = \
         \"cluster-02\"\n  server_external_addresses = [\"{}\"]\n}}\n",
        cluster_block(&agents[0]),
        cluster_block(&agents[1]),
        gate.address
    );
    write(dir.path(), "meshplan.hcl", &text);

    let mut apply = Background::start(&["apply", "--auto-approve"], dir.path(), &[]);
    apply
        .wait_for_stderr(WITHIN, "the peering is waited for", |stderr| {
            stderr.contains("waiting: peering cluster-01 ⇄ cluster-02: ")
        })
        .await;
    apply.signal("INT");
    let signalled = Instant::now();
    let run = apply.wait(WITHIN).await;
    let took = signalled.elapsed();

    assert_exit(&run, 1);
    // The wait polls every 500 ms and would go on for 120 s: it ends at the signal instead.
    assert!(took < Duration::from_secs(2), "took {took:?}\n{run}");
    assert!(
        run.stdout.contains(
            "interrupted while waiting for peering cluster-01 ⇄ cluster-02 to turn ACTIVE: it \
             was established; run plan again to see its state"
        ),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("Apply interrupted: 0 written, 0 conflicted, 1 failed, 0 skipped."),
        "{run}"
    );

    // Once the stream gets through, the peering turns ACTIVE and there is nothing left to do.
    gate.open();
    poll_until(WITHIN, "the peering is ACTIVE", async || {
        let state = peering_state(&agents[1], "cluster-01").await;
        (state.as_deref() == Some("ACTIVE")).then_some(())
    })
    .await;
    let plan = meshplan(&["plan", "--detailed-exitcode"], dir.path(), &[]);
    assert_exit(&plan, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_gone_mid_apply_is_reported_write_by_write_and_the_next_apply_converges() {
    let agent = Cluster::start("cluster-01").await;
    let proxy = FaultProxy::start(&agent.http_addr()).await;
    let dir = through(&proxy, &agent, ENTRIES);
    let slow = Fault::Delay(Duration::from_millis(200));
    proxy.add("PUT", "/v1/config?", slow, usize::MAX);

    let apply = apply_under_way(dir.path(), &[]).await;
    // As the agent's death looks to meshplan: connections cut, new ones refused. The agent
    // itself lives on behind the proxy, so that what it holds can be checked.
    proxy.kill();
    let gone = Instant::now();
    let run = apply.wait(WITHIN).await;
    let took = gone.elapsed();

    assert_exit(&run, 1);
    assert!(took < Duration::from_secs(10), "took {took:?}\n{run}");
    let said = Said::of(&run);
    said.check(&held(&agent).await, &run);
    // After three refused connections in a row, nothing more is sent.
    let not_sent = said
        .skipped
        .values()
        .filter(|because| because.contains("stopped answering"))
        .count();
    assert!(not_sent > ENTRIES / 2, "{run}");
    let summary = format!(
        "Apply failed: {} written, 0 conflicted, {} failed, {} skipped.",
        said.written.len(),
        said.unknown.len() + said.failed.len(),
        said.skipped.len()
    );
    assert!(run.stdout.contains(&summary), "{run}");

    proxy.clear();
    proxy.restart().await;
    let left = ENTRIES - held(&agent).await.len();
    converges(&agent, dir.path(), left).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_frozen_mid_apply_ends_it_within_the_time_limit_and_loses_no_write() {
    let agent = Cluster::start("cluster-01").await;
    let proxy = FaultProxy::start(&agent.http_addr()).await;
    let dir = through(&proxy, &agent, ENTRIES);
    let slow = Fault::Delay(Duration::from_millis(200));
    proxy.add("PUT", "/v1/config?", slow, usize::MAX);

    // Each request may take 3 s, a quarter of the limit: three of them time out, the breaker
    // opens and the apply ends seconds before the limit would end it.
    let apply = apply_under_way(dir.path(), &["--timeout", "12s"]).await;
    agent.freeze();
    let frozen = Instant::now();
    let run = apply.wait(WITHIN).await;
    let took = frozen.elapsed();
    agent.thaw();

    assert_exit(&run, 1);
    assert!(took < Duration::from_secs(12), "took {took:?}\n{run}");
    let said = Said::of(&run);
    assert!(!said.unknown.is_empty(), "writes were under way: {run}");
    assert!(
        said.skipped
            .values()
            .all(|because| because.contains("stopped answering")),
        "{run}"
    );
    // The writes the agent received while frozen are answered once it thaws: wait for them,
    // then hold the report against what the agent made of them.
    poll_until(
        WITHIN,
        "the agent answered every write it got",
        async || {
            let seen = proxy.seen();
            let mut puts = seen.iter().filter(|seen| seen.method == "PUT");
            puts.all(|seen| seen.answered).then_some(())
        },
    )
    .await;
    said.check(&held(&agent).await, &run);

    proxy.clear();
    let left = ENTRIES - held(&agent).await.len();
    converges(&agent, dir.path(), left).await;
}
