//! `meshplan watch` against a real agent: file edits applied, a broken edit never applied, a
//! burst of files applied once, drift healed (or only reported with `--no-heal`), other owners'
//! entries left alone, a cluster that goes away caught up while the others carry on, SIGHUP
//! reloads, and SIGTERM exits 0. The `--lock` tests are in `watch_lock`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::cli::{cluster_block, defaults, workspace, write};
use crate::support::consul::{Cluster, start_clusters};
use crate::support::http::{client, poll_until, put_entry, read_entry};
use crate::support::proxy::{Action, Proxy};

/// Edits reach Consul within a debounce and one reconcile; heals within a resync.
pub(crate) const WITHIN: Duration = Duration::from_secs(20);

/// A running `meshplan watch`, stopped (SIGKILL) if a test fails before it stops it.
pub(crate) struct Watcher {
    child: Child,
    log: tempfile::NamedTempFile,
}

impl Watcher {
    pub(crate) fn start(dir: &Path, args: &[&str]) -> Self {
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

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// Waits until the log holds `text`; panics after [`WITHIN`].
    pub(crate) async fn wait_for_log(&self, text: &str) {
        poll_until(WITHIN, &format!("the log says {text:?}"), async || {
            self.log().contains(text).then_some(())
        })
        .await;
    }

    /// Sends SIGTERM and waits for the exit code.
    pub(crate) fn terminate(mut self) -> Option<i32> {
        self.signal("TERM");
        let code = self.child.wait().expect("the watcher exits").code();
        std::mem::forget(self.log.reopen());
        code
    }

    /// Kills the watcher with SIGKILL (no clean-up of any kind) and waits for it.
    pub(crate) fn kill(mut self) {
        self.signal("KILL");
        let _ = self.child.wait();
    }

    /// Sends `signal` (e.g. `HUP`) without waiting.
    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn protocol(agent: &Cluster) -> Option<String> {
    let entry = read_entry(agent, "service-defaults", "web").await?;
    entry["Protocol"].as_str().map(str::to_owned)
}

pub(crate) async fn wait_for_protocol(agent: &Cluster, wanted: &str, watcher: &Watcher) {
    let what = format!("web's protocol is {wanted}; log:\n{}", watcher.log());
    poll_until(WITHIN, &what, async || {
        (protocol(agent).await.as_deref() == Some(wanted)).then_some(())
    })
    .await;
}

pub(crate) fn web(protocol: &str) -> String {
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
    watcher.wait_for_log("the workspace has problems").await;
    assert_eq!(protocol(&agent).await.as_deref(), Some("tcp"));

    write(dir.path(), "cluster-01/web-defaults.hcl", &web("grpc"));
    wait_for_protocol(&agent, "grpc", &watcher).await;
    let log = watcher.log();
    assert_eq!(watcher.terminate(), Some(0), "{log}");
}

/// An L7 intention on `web`, which needs an HTTP-family protocol.
const WEB_L7_INTENTIONS: &str = "Kind = \"service-intentions\"\nName = \"web\"\n\
    Sources = [\n  {\n    Name = \"api\"\n    Permissions = [\n      {\n        \
    Action = \"allow\"\n        HTTP { PathPrefix = \"/\" }\n      }\n    ]\n  }\n]\n";

#[tokio::test]
async fn an_edit_consul_would_refuse_is_logged_at_its_file_and_not_applied() {
    let agent = Cluster::start("cluster-01").await;
    let intentions = (
        "web-intentions.hcl".to_owned(),
        WEB_L7_INTENTIONS.to_owned(),
    );
    let dir = workspace("platform", &agent, &[defaults("web"), intentions]);
    let watcher = Watcher::start(dir.path(), &["--resync", "60"]);
    wait_for_protocol(&agent, "http", &watcher).await;

    // tcp would make Consul refuse the L7 intention: nothing of the edit is applied.
    write(dir.path(), "cluster-01/web-defaults.hcl", &web("tcp"));
    watcher.wait_for_log("Consul would refuse").await;
    let log = watcher.log();
    assert!(log.contains("web-defaults.hcl"), "{log}");
    assert_eq!(protocol(&agent).await.as_deref(), Some("http"));

    write(dir.path(), "cluster-01/web-defaults.hcl", &web("http2"));
    wait_for_protocol(&agent, "http2", &watcher).await;
    assert_eq!(watcher.terminate(), Some(0));
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
    watcher.wait_for_log("watching").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    edit_by_hand(&agent).await;
    watcher.wait_for_log("not healed (--no-heal)").await;
    assert_eq!(protocol(&agent).await.as_deref(), Some("http2"));
    assert_eq!(watcher.terminate(), Some(0));
}

/// Waits until the watcher follows the cluster's live state, so that an edit made after this
/// is seen as a change and not as the starting point.
pub(crate) async fn wait_until_following(watcher: &Watcher) {
    watcher.wait_for_log("following its live state").await;
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
    watcher.wait_for_log("not healed (--no-heal)").await;
    assert_eq!(protocol(&agent).await.as_deref(), Some("http2"));
    assert_eq!(watcher.terminate(), Some(0));
}

/// GETs `path` on the watcher's `--listen` address: the status and the body.
pub(crate) async fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let response = client()
        .get(format!("http://127.0.0.1:{port}{path}"))
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    Some((status, response.text().await.ok()?))
}

/// The value of the sample line that starts with `sample` in Prometheus text, 0 if absent.
pub(crate) fn sample(metrics: &str, sample: &str) -> f64 {
    metrics
        .lines()
        .find(|line| line.starts_with(sample))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0.0)
}

/// A free loopback port for `--listen`, and the flag's value.
pub(crate) fn free_listen() -> (u16, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    (port, format!("127.0.0.1:{port}"))
}

#[tokio::test]
async fn listen_serves_health_readiness_and_metrics_that_move_with_edits() {
    let agent = Cluster::start("cluster-01").await;
    let dir = workspace("platform", &agent, &[defaults("web")]);
    let (port, listen) = free_listen();
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

/// `meshplan_watch_applies_total` once the watcher serves it.
async fn applies(port: u16) -> f64 {
    poll_until(WITHIN, "the metrics", async || {
        let (_, metrics) = get(port, "/metrics").await?;
        Some(sample(&metrics, "meshplan_watch_applies_total"))
    })
    .await
}

#[tokio::test]
async fn a_burst_of_200_files_is_applied_once() {
    let agent = Cluster::start("cluster-01").await;
    let dir = workspace("platform", &agent, &[defaults("web")]);
    let (port, listen) = free_listen();
    let watcher = Watcher::start(dir.path(), &["--resync", "300", "--listen", &listen]);
    wait_for_protocol(&agent, "http", &watcher).await;
    let before = applies(port).await;

    // As a `git pull` does: many files written back to back.
    let started = std::time::Instant::now();
    for n in 0..200 {
        let (file, text) = defaults(&format!("svc-{n:03}"));
        write(dir.path(), &format!("cluster-01/burst/{file}"), &text);
    }
    let burst = started.elapsed();
    poll_until(WITHIN, "all 200 entries are in Consul", async || {
        read_entry(&agent, "service-defaults", "svc-199").await?;
        let url = format!("{}/v1/config/service-defaults", agent.http_addr());
        let list: Value = client().get(url).send().await.ok()?.json().await.ok()?;
        (list.as_array()?.len() == 201).then_some(())
    })
    .await;
    // Later wake-ups (the blocking queries see the writes) must find nothing to do.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = applies(port).await;
    assert_eq!(
        after - before,
        1.0,
        "200 files written in {burst:?} gave {} applies; log:\n{}",
        after - before,
        watcher.log()
    );
    assert_eq!(watcher.terminate(), Some(0));
}

/// The entry's ModifyIndex.
async fn modify_index(agent: &Cluster, name: &str) -> u64 {
    let entry = read_entry(agent, "service-defaults", name)
        .await
        .unwrap_or_else(|| panic!("{name} exists"));
    entry["ModifyIndex"].as_u64().expect("a ModifyIndex")
}

#[tokio::test]
async fn unmanaged_and_foreign_entries_are_left_alone() {
    let agent = Cluster::start("cluster-01").await;
    put_entry(
        &agent,
        &json!({"Kind": "service-defaults", "Name": "legacy", "Protocol": "tcp"}),
    )
    .await;
    let foreign = |protocol: &str| {
        json!({"Kind": "service-defaults", "Name": "billing", "Protocol": protocol,
               "Meta": {"managed-by": "meshplan", "meshplan-workspace": "payments"}})
    };
    put_entry(&agent, &foreign("tcp")).await;
    let dir = workspace("platform", &agent, &[defaults("web")]);
    let watcher = Watcher::start(dir.path(), &["--resync", "1"]);
    wait_for_protocol(&agent, "http", &watcher).await;
    wait_until_following(&watcher).await;

    // Their owners change them while the daemon watches: it is woken, and must not answer.
    put_entry(&agent, &foreign("grpc")).await;
    let mut legacy: Value = read_entry(&agent, "service-defaults", "legacy")
        .await
        .expect("legacy");
    legacy["Protocol"] = json!("http");
    put_entry(&agent, &legacy).await;
    let (legacy_index, billing_index) = (
        modify_index(&agent, "legacy").await,
        modify_index(&agent, "billing").await,
    );
    // Several reconciles later (resync every second, and a file edit applied)...
    write(dir.path(), "cluster-01/web-defaults.hcl", &web("tcp"));
    wait_for_protocol(&agent, "tcp", &watcher).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    // ...both are as their owners left them.
    assert_eq!(modify_index(&agent, "legacy").await, legacy_index);
    assert_eq!(modify_index(&agent, "billing").await, billing_index);
    let billing = read_entry(&agent, "service-defaults", "billing").await;
    assert_eq!(billing.expect("billing")["Protocol"], "grpc");
    assert_eq!(watcher.terminate(), Some(0));
}

#[tokio::test]
async fn sighup_reloads_and_applies_even_under_no_heal() {
    let agent = Cluster::start("cluster-01").await;
    let dir = workspace("platform", &agent, &[defaults("web")]);
    let watcher = Watcher::start(dir.path(), &["--resync", "300", "--no-heal"]);
    wait_for_protocol(&agent, "http", &watcher).await;
    wait_until_following(&watcher).await;
    edit_by_hand(&agent).await;
    watcher.wait_for_log("not healed (--no-heal)").await;
    assert_eq!(protocol(&agent).await.as_deref(), Some("http2"));
    // An operator asks for the files to be applied as they are, as at start.
    watcher.signal("HUP");
    wait_for_protocol(&agent, "http", &watcher).await;
    assert!(watcher.log().contains("reloading (SIGHUP)"));
    assert_eq!(watcher.terminate(), Some(0));
}

#[tokio::test]
async fn a_cluster_that_goes_away_is_caught_up_while_the_other_carries_on() {
    let agents = start_clusters(&["cluster-01", "cluster-02"]).await;
    let (first, second) = (&agents[0], &agents[1]);
    // cluster-01 is reached through a proxy that can cut it off, as a stopped agent is.
    let proxy = Proxy::start(first.http_port()).await;
    let dir = tempfile::TempDir::new().expect("a temp dir");
    let text = format!(
        "workspace = \"platform\"\ncluster \"cluster-01\" {{\n  address = \"{}\"\n}}\n{}",
        proxy.http_addr(),
        cluster_block(second)
    );
    write(dir.path(), "meshplan.hcl", &text);
    for cluster in ["cluster-01", "cluster-02"] {
        write(
            dir.path(),
            &format!("{cluster}/web-defaults.hcl"),
            &web("http"),
        );
    }
    let watcher = Watcher::start(dir.path(), &["--resync", "300"]);
    wait_for_protocol(first, "http", &watcher).await;
    wait_for_protocol(second, "http", &watcher).await;

    proxy.set_rule(|_| Action::Reset);
    for cluster in ["cluster-01", "cluster-02"] {
        write(
            dir.path(),
            &format!("{cluster}/web-defaults.hcl"),
            &web("tcp"),
        );
    }
    wait_for_protocol(second, "tcp", &watcher).await;
    // A few retries while cluster-01 is away (1 s, 2 s, ...): reported once.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(protocol(first).await.as_deref(), Some("http"));
    let gone = "cluster \"cluster-01\" cannot be reached";
    assert_eq!(watcher.log().matches(gone).count(), 1, "{}", watcher.log());

    proxy.set_rule(|_| Action::Forward);
    wait_for_protocol(first, "tcp", &watcher).await;
    let log = watcher.log();
    assert_eq!(log.matches(gone).count(), 1, "{log}");
    let back = "cluster \"cluster-01\" is reachable again";
    assert_eq!(log.matches(back).count(), 1, "{log}");
    assert!(
        !log.contains("cluster \"cluster-02\" cannot be reached"),
        "{log}"
    );
    assert_eq!(watcher.terminate(), Some(0));
}
