//! `meshplan watch --lock` against a real agent: of two watchers only the lock's holder writes
//! (counted through a proxy in front of each), killing the holder hands over, a clean stop
//! hands over at once, a holder whose session is destroyed stops and contends again, and
//! `/readyz` and `/metrics` show the lock.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use crate::support::cli::{defaults, workspace, write};
use crate::support::consul::Cluster;
use crate::support::http::{client, poll_until, success_json};
use crate::support::proxy::Proxy;
use crate::watch::{WITHIN, Watcher, free_listen, get, sample, wait_for_protocol, web};

const KEY: &str = "meshplan/watch/platform";

/// A workspace "platform" whose cluster-01 is reached at `address`, with web's defaults.
fn workspace_at(address: &str) -> TempDir {
    let dir = TempDir::new().expect("a temp dir");
    let text = format!(
        "workspace = \"platform\"\ncluster \"cluster-01\" {{\n  address = \"{address}\"\n}}\n"
    );
    write(dir.path(), "meshplan.hcl", &text);
    let (file, text) = defaults("web");
    write(dir.path(), &format!("cluster-01/{file}"), &text);
    dir
}

/// The same edit in every watcher's copy of the workspace, as a config push would make it.
fn edit(dirs: &[&Path], protocol: &str) {
    for dir in dirs {
        write(dir, "cluster-01/web-defaults.hcl", &web(protocol));
    }
}

/// Config entry and peering writes that went through `proxy` (lock traffic left out).
fn applied(proxy: &Proxy) -> usize {
    proxy.writes_to("/v1/config").len() + proxy.writes_to("/v1/peering").len()
}

/// Prints a measured time (`cargo test watch_lock -- --nocapture` shows it).
#[allow(
    clippy::print_stdout,
    reason = "a figure for the reader, not a result the test asserts"
)]
fn report(what: &str, took: Duration) {
    println!("{what}: {took:?}");
}

#[tokio::test]
async fn two_watchers_never_both_apply_and_killing_the_holder_hands_over() {
    // A lower TTL floor than Consul's 10 s keeps the test short; the protocol is the same.
    let agent = Cluster::start_with("cluster-01", &["session_ttl_min = \"1s\""]).await;
    let (proxy_a, proxy_b) = (
        Proxy::start(agent.http_port()).await,
        Proxy::start(agent.http_port()).await,
    );
    let (dir_a, dir_b) = (
        workspace_at(&proxy_a.http_addr()),
        workspace_at(&proxy_b.http_addr()),
    );
    let dirs = [dir_a.path(), dir_b.path()];
    let args = [
        "--resync",
        "300",
        "--lock",
        KEY,
        "--lock-ttl",
        "2",
        "--lock-delay",
        "1",
    ];
    let a = Watcher::start(dir_a.path(), &args);
    wait_for_protocol(&agent, "http", &a).await;
    let b = Watcher::start(dir_b.path(), &args);
    b.wait_for_log("standing by").await;

    edit(&dirs, "tcp");
    wait_for_protocol(&agent, "tcp", &a).await;
    // Time enough for the standby to (wrongly) act on the edit too.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let by_a = applied(&proxy_a);
    assert!(by_a >= 2, "the holder applied twice: {:?}", proxy_a.seen());
    assert_eq!(applied(&proxy_b), 0, "the standby wrote; log:\n{}", b.log());

    let killed = Instant::now();
    a.kill();
    edit(&dirs, "grpc");
    wait_for_protocol(&agent, "grpc", &b).await;
    let hand_over = killed.elapsed();
    report(
        "hand-over after SIGKILL of the holder (TTL 2 s, lock-delay 1 s)",
        hand_over,
    );
    assert!(applied(&proxy_b) >= 1);
    assert_eq!(
        applied(&proxy_a),
        by_a,
        "nothing more came from the dead holder"
    );
    // Consul's bound: 2 x TTL + lock-delay, plus the retry, the debounce and a reconcile.
    assert!(hand_over < Duration::from_secs(15), "{hand_over:?}");
    assert_eq!(b.terminate(), Some(0));
}

/// `/readyz` and `meshplan_watch_lock_held` of the watcher listening on `port`.
async fn lock_status(port: u16) -> Option<(u16, String, f64)> {
    let (status, body) = get(port, "/readyz").await?;
    let (_, metrics) = get(port, "/metrics").await?;
    Some((status, body, sample(&metrics, "meshplan_watch_lock_held")))
}

#[tokio::test]
async fn a_stopped_holder_releases_and_the_standby_takes_over_at_once() {
    let agent = Cluster::start("cluster-01").await;
    let dir = workspace("platform", &agent, &[defaults("web")]);
    let ((port_a, listen_a), (port_b, listen_b)) = (free_listen(), free_listen());
    // Consul's default TTL floor, and a lock-delay that a crash would have to sit out.
    let lock = ["--resync", "300", "--lock", KEY, "--lock-delay", "15"];
    let a = Watcher::start(dir.path(), &[&lock[..], &["--listen", &listen_a]].concat());
    poll_until(WITHIN, "the holder is ready", async || {
        let (status, body, held) = lock_status(port_a).await?;
        (status == 200 && body.contains("lock held") && held == 1.0).then_some(())
    })
    .await;
    let b = Watcher::start(dir.path(), &[&lock[..], &["--listen", &listen_b]].concat());
    poll_until(WITHIN, "the standby says so", async || {
        let (status, body, held) = lock_status(port_b).await?;
        (status == 200 && body.contains("standing by") && held == 0.0).then_some(())
    })
    .await;

    let log = a.log();
    assert_eq!(a.terminate(), Some(0), "{log}");
    let stopped = Instant::now();
    poll_until(WITHIN, "the standby holds the lock", async || {
        (lock_status(port_b).await?.2 == 1.0).then_some(())
    })
    .await;
    let hand_over = stopped.elapsed();
    report("hand-over after SIGTERM of the holder", hand_over);
    assert!(
        hand_over < Duration::from_secs(10),
        "released, so no lock-delay: {hand_over:?}"
    );
    write(dir.path(), "cluster-01/web-defaults.hcl", &web("tcp"));
    wait_for_protocol(&agent, "tcp", &b).await;
    assert_eq!(b.terminate(), Some(0));
}

#[tokio::test]
async fn a_holder_whose_session_is_destroyed_stops_and_contends_again() {
    let agent = Cluster::start("cluster-01").await;
    let dir = workspace("platform", &agent, &[defaults("web")]);
    let watcher = Watcher::start(
        dir.path(),
        &["--resync", "300", "--lock", KEY, "--lock-delay", "1"],
    );
    wait_for_protocol(&agent, "http", &watcher).await;
    watcher.wait_for_log("acquired the lock").await;

    // An operator (or Consul, on a failed health check) ends the session.
    let url = format!("{}/v1/kv/{KEY}", agent.http_addr());
    let response = client().get(url).send().await.expect("GET the key");
    let key: Value = success_json(response, "read the lock").await;
    let session = key[0]["Session"].as_str().expect("held by a session");
    let url = format!("{}/v1/session/destroy/{session}", agent.http_addr());
    let response = client().put(url).send().await.expect("destroy the session");
    success_json(response, "destroy the session").await;

    watcher.wait_for_log("lost the lock").await;
    poll_until(WITHIN, "the lock is taken again", async || {
        (watcher.log().matches("acquired the lock").count() == 2).then_some(())
    })
    .await;
    write(dir.path(), "cluster-01/web-defaults.hcl", &web("tcp"));
    wait_for_protocol(&agent, "tcp", &watcher).await;
    assert_eq!(watcher.terminate(), Some(0));
}
