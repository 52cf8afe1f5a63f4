//! `meshplan watch` against a real agent: file edits applied, a broken edit never applied,
//! drift healed (or only reported with `--no-heal`), and SIGTERM exits 0.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::cli::{defaults, workspace, write};
use crate::support::consul::Cluster;
use crate::support::http::{client, poll_until, put_entry, read_entry};

/// Edits reach Consul within a debounce and one reconcile; heals within a resync.
const WITHIN: Duration = Duration::from_secs(20);

/// A running `meshplan watch`, stopped (SIGKILL) if a test fails before it stops it.
struct Watcher {
    child: Child,
    log: tempfile::NamedTempFile,
}

impl Watcher {
    fn start(dir: &Path, args: &[&str]) -> Self {
        let log = tempfile::NamedTempFile::new().expect("a log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_meshplan"));
        command
            .arg("watch")
            .arg(dir)
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(log.reopen().expect("the log file"));
        for (name, _) in std::env::vars() {
            if name.starts_with("CONSUL_") {
                command.env_remove(name);
            }
        }
        let child = command.spawn().expect("meshplan watch starts");
        Self { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the exit code.
    fn terminate(mut self) -> Option<i32> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let code = self.child.wait().expect("the watcher exits").code();
        std::mem::forget(self.log.reopen());
        code
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn protocol(agent: &Cluster) -> Option<String> {
    let entry = read_entry(agent, "service-defaults", "web").await?;
    entry["Protocol"].as_str().map(str::to_owned)
}

async fn wait_for_protocol(agent: &Cluster, wanted: &str, watcher: &Watcher) {
    let what = format!("web's protocol is {wanted}; log:\n{}", watcher.log());
    poll_until(WITHIN, &what, async || {
        (protocol(agent).await.as_deref() == Some(wanted)).then_some(())
    })
    .await;
}

fn web(protocol: &str) -> String {
    format!("Kind = \"service-defaults\"\nName = \"web\"\nProtocol = \"{protocol}\"\n")
}

#[tokio::test]
async fn edits_are_applied_broken_edits_are_not_and_sigterm_exits_0() {
    let agent = Cluster::start("cluster-01").await;
    let dir = workspace("platform", &agent, &[defaults("web")]);
    let watcher = Watcher::start(dir.path(), &["--resync", "60"]);
    wait_for_protocol(&agent, "http", &watcher).await;

    write(dir.path(), "cluster-01/web-defaults.hcl", &web("tcp"));
    wait_for_protocol(&agent, "tcp", &watcher).await;

    // A broken edit: logged, and the last good state stays live.
    write(
        dir.path(),
        "cluster-01/web-defaults.hcl",
        "Kind = \"service-defaults\"\nName = ",
    );
    let what = "the broken file is reported";
    poll_until(WITHIN, what, async || {
        watcher
            .log()
            .contains("the workspace has problems")
            .then_some(())
    })
    .await;
    assert_eq!(protocol(&agent).await.as_deref(), Some("tcp"));

    write(dir.path(), "cluster-01/web-defaults.hcl", &web("grpc"));
    wait_for_protocol(&agent, "grpc", &watcher).await;
    let log = watcher.log();
    assert_eq!(watcher.terminate(), Some(0), "{log}");
}

/// Someone edits web by hand, keeping the workspace's mark.
async fn edit_by_hand(agent: &Cluster) {
    let mut live: Value = read_entry(agent, "service-defaults", "web")
        .await
        .expect("web");
    live["Protocol"] = json!("http2");
    put_entry(agent, &live).await;
}

#[tokio::test]
async fn drift_is_healed_at_the_resync_and_only_reported_with_no_heal() {
    let agent = Cluster::start("cluster-01").await;
    let dir = workspace("platform", &agent, &[defaults("web")]);
    let watcher = Watcher::start(dir.path(), &["--resync", "1"]);
    wait_for_protocol(&agent, "http", &watcher).await;
    edit_by_hand(&agent).await;
    wait_for_protocol(&agent, "http", &watcher).await;
    assert_eq!(watcher.terminate(), Some(0));

    let watcher = Watcher::start(dir.path(), &["--resync", "1", "--no-heal"]);
    let what = "the first reconcile";
    poll_until(WITHIN, what, async || {
        watcher.log().contains("watching").then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    edit_by_hand(&agent).await;
    poll_until(WITHIN, "the drift is reported", async || {
        watcher
            .log()
            .contains("not healed (--no-heal)")
            .then_some(())
    })
    .await;
    assert_eq!(protocol(&agent).await.as_deref(), Some("http2"));
    assert_eq!(watcher.terminate(), Some(0));
}

/// Waits until the watcher follows the cluster's live state, so that an edit made after this
/// is seen as a change and not as the starting point.
async fn wait_until_following(watcher: &Watcher) {
    poll_until(WITHIN, "the live state is followed", async || {
        watcher
            .log()
            .contains("following its live state")
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn blocking_queries_heal_drift_long_before_the_resync_and_no_heal_only_reports() {
    let agent = Cluster::start("cluster-01").await;
    let dir = workspace("platform", &agent, &[defaults("web")]);
    // The resync is minutes away: only a blocking query can wake the loop in time.
    let watcher = Watcher::start(dir.path(), &["--resync", "300"]);
    wait_for_protocol(&agent, "http", &watcher).await;
    wait_until_following(&watcher).await;
    edit_by_hand(&agent).await;
    wait_for_protocol(&agent, "http", &watcher).await;
    assert_eq!(watcher.terminate(), Some(0));

    let watcher = Watcher::start(dir.path(), &["--resync", "300", "--no-heal"]);
    wait_until_following(&watcher).await;
    edit_by_hand(&agent).await;
    poll_until(WITHIN, "the drift is reported", async || {
        watcher
            .log()
            .contains("not healed (--no-heal)")
            .then_some(())
    })
    .await;
    assert_eq!(protocol(&agent).await.as_deref(), Some("http2"));
    assert_eq!(watcher.terminate(), Some(0));
}

/// GETs `path` on the watcher's `--listen` address: the status and the body.
async fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let response = client()
        .get(format!("http://127.0.0.1:{port}{path}"))
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    Some((status, response.text().await.ok()?))
}

/// The value of the sample line that starts with `sample` in Prometheus text, 0 if absent.
fn sample(metrics: &str, sample: &str) -> f64 {
    metrics
        .lines()
        .find(|line| line.starts_with(sample))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn listen_serves_health_readiness_and_metrics_that_move_with_edits() {
    let agent = Cluster::start("cluster-01").await;
    let dir = workspace("platform", &agent, &[defaults("web")]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let listen = format!("127.0.0.1:{port}");
    let watcher = Watcher::start(dir.path(), &["--resync", "300", "--listen", &listen]);
    wait_for_protocol(&agent, "http", &watcher).await;
    poll_until(WITHIN, "ready", async || {
        (get(port, "/readyz").await?.0 == 200).then_some(())
    })
    .await;
    assert_eq!(get(port, "/healthz").await.map(|(s, _)| s), Some(200));
    let (status, before) = get(port, "/metrics").await.expect("metrics");
    assert_eq!(status, 200);
    assert!(
        sample(&before, "meshplan_watch_applies_total") >= 1.0,
        "{before}"
    );
    assert!(
        sample(&before, "meshplan_watch_last_success_unixtime") > 0.0,
        "{before}"
    );

    write(dir.path(), "cluster-01/web-defaults.hcl", &web("tcp"));
    wait_for_protocol(&agent, "tcp", &watcher).await;
    let updates = "meshplan_watch_changes_applied_total{action=\"update\"}";
    poll_until(WITHIN, "the update is counted", async || {
        let (_, after) = get(port, "/metrics").await?;
        (sample(&after, updates) > sample(&before, updates)).then_some(())
    })
    .await;
    assert_eq!(watcher.terminate(), Some(0));
}
