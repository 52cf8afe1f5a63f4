//! `meshplan status` against real agents: an ACTIVE peering with both sides' stream status, the
//! JSON shape, drift counted, a one-sided peering whose token was never used (PENDING), a
//! cluster that went away (a row saying so, the other cluster still reported), and `--check`'s
//! exit codes and last line.
//!
//! One test, one pair of agents, run through each state in turn: the agents take longer to
//! start than every step together.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::cli::{Run, assert_exit, cluster_block, meshplan, write};
use crate::support::consul::start_clusters;
use crate::support::http::poll_until;

/// `--check`'s exit code when it finds a problem.
const CHECK_FAILED: i32 = 2;

fn seed_files(dir: &Path, workspace: &str) {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/seed/cluster-01");
    write(dir, "meshplan.hcl", workspace);
    for file in ["exported-services.hcl", "frontend-service-intentions.hcl"] {
        let text = std::fs::read_to_string(seed.join(file)).expect("a seed entry");
        write(dir, &format!("cluster-01/{file}"), &text);
    }
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|err| panic!("not JSON ({err}):\n{run}"))
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .map(|map| map.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    keys
}

fn last_line(run: &Run) -> &str {
    run.stdout.lines().last().unwrap_or_default()
}

#[tokio::test]
async fn status_reports_active_pending_drifted_and_unreachable_and_check_exits_accordingly() {
    let mut agents = start_clusters(&["cluster-01", "cluster-02"]).await;
    let dir = TempDir::new().expect("temp dir");
    let base = format!(
        "workspace = \"it\"\n{}{}peering {{\n  acceptor = \"cluster-01\"\n  dialer = \"cluster-02\"\n}}\n",
        cluster_block(&agents[0]),
        cluster_block(&agents[1])
    );
    seed_files(dir.path(), &base);
    assert_exit(&meshplan(&["apply", "--auto-approve"], dir.path(), &[]), 0);

    // ACTIVE on both sides; the stream may take a moment to report its first times.
    let status = poll_until(
        Duration::from_secs(30),
        "both sides report a send",
        || async {
            let run = meshplan(&["status", "--format", "json"], dir.path(), &[]);
            let status = json(&run);
            let sides = &status["peerings"][0];
            let sent = ["acceptor", "dialer"]
                .iter()
                .all(|side| sides[side]["last_send"]["age_seconds"].is_u64());
            sent.then_some(status)
        },
    )
    .await;
    assert_eq!(status["format_version"], 1);
    assert_eq!(
        keys(&status),
        [
            "clusters",
            "format_version",
            "max_heartbeat_age_seconds",
            "peerings",
            "problems",
            "workspace"
        ]
    );
    assert_eq!(status["max_heartbeat_age_seconds"], 120);
    let acceptor = &status["peerings"][0]["acceptor"];
    assert_eq!(
        keys(acceptor),
        [
            "cluster",
            "exported_services",
            "imported_services",
            "last_heartbeat",
            "last_receive",
            "last_send",
            "ours",
            "peering",
            "state"
        ]
    );
    for (side, cluster, peering) in [
        ("acceptor", "cluster-01", "cluster-02"),
        ("dialer", "cluster-02", "cluster-01"),
    ] {
        let side = &status["peerings"][0][side];
        assert_eq!(
            (&side["cluster"], &side["peering"], &side["state"]),
            (
                &Value::from(cluster),
                &Value::from(peering),
                &Value::from("ACTIVE")
            ),
            "{status:#}"
        );
        assert!(side["imported_services"].is_u64() && side["exported_services"].is_u64());
        assert!(side["last_send"]["at"].is_string(), "{status:#}");
        assert!(
            side["last_send"]["age_seconds"].as_u64() < Some(60),
            "{status:#}"
        );
    }
    let clusters = status["clusters"].as_array().expect("clusters");
    assert_eq!(clusters.len(), 2);
    assert_eq!(
        keys(&clusters[0]),
        [
            "address",
            "changes",
            "conflicts",
            "datacenter",
            "error",
            "name",
            "reachable",
            "version"
        ]
    );
    for cluster in clusters {
        assert_eq!(
            (&cluster["reachable"], &cluster["changes"]),
            (&Value::Bool(true), &Value::from(0))
        );
    }
    assert_eq!(status["problems"], Value::Array(Vec::new()));

    let check = meshplan(&["status", "--check"], dir.path(), &[]);
    assert_exit(&check, 0);
    assert!(last_line(&check).starts_with("check passed"), "{check}");
    assert!(
        check.stdout.lines().all(|line| line.chars().count() <= 80),
        "{check}"
    );
    assert!(
        !check.stdout.contains('\u{1b}'),
        "no colour off a terminal: {check}"
    );

    // Drift: a file the clusters do not have yet.
    write(
        dir.path(),
        "cluster-01/web-defaults.hcl",
        "Kind = \"service-defaults\"\nName = \"web\"\nProtocol = \"http\"\n",
    );
    let drifted = meshplan(&["status", "--check"], dir.path(), &[]);
    assert_exit(&drifted, CHECK_FAILED);
    assert_eq!(
        last_line(&drifted),
        "check failed: cluster cluster-01 drifted: 1 change",
        "{drifted}"
    );
    let counted = json(&meshplan(&["status", "--format", "json"], dir.path(), &[]));
    assert_eq!(counted["clusters"][0]["changes"], 1);
    assert_eq!(counted["clusters"][1]["changes"], 0);
    std::fs::remove_file(dir.path().join("cluster-01/web-defaults.hcl")).expect("remove");

    // PENDING: a token generated for a partner managed elsewhere, never used.
    let with_partner = format!(
        "{base}peering {{\n  acceptor = \"cluster-01\"\n  dialer = \"partner\"\n  token_out = \"tokens/partner.token\"\n}}\n"
    );
    write(dir.path(), "meshplan.hcl", &with_partner);
    assert_exit(&meshplan(&["apply", "--auto-approve"], dir.path(), &[]), 0);
    let pending = meshplan(&["status", "--check", "--format", "json"], dir.path(), &[]);
    assert_exit(&pending, CHECK_FAILED);
    let status = json(&pending);
    let partner = &status["peerings"][1];
    assert_eq!(partner["acceptor"]["state"], "PENDING", "{status:#}");
    assert_eq!(
        (&partner["dialer"]["ours"], &partner["dialer"]["state"]),
        (&Value::Bool(false), &Value::Null)
    );
    assert_eq!(
        status["problems"],
        serde_json::json!(["peering partner on cluster cluster-01 is PENDING"])
    );
    let text = meshplan(&["status"], dir.path(), &[]);
    assert_exit(&text, 0);
    assert!(
        text.stdout.contains("partner") && text.stdout.contains("PENDING"),
        "{text}"
    );

    // cluster-02 goes away: a row saying so; cluster-01 is still read and reported.
    drop(agents.pop());
    let gone = meshplan(&["status", "--check"], dir.path(), &[]);
    assert_exit(&gone, CHECK_FAILED);
    assert!(gone.stdout.contains("cluster-02  NO"), "{gone}");
    assert!(
        gone.stdout
            .contains("  - cluster cluster-02 cannot be read: ")
            && last_line(&gone).starts_with("check failed: "),
        "{gone}"
    );
    let status = json(&meshplan(&["status", "--format", "json"], dir.path(), &[]));
    let clusters = &status["clusters"];
    assert_eq!(
        (&clusters[0]["reachable"], &clusters[1]["reachable"]),
        (&Value::Bool(true), &Value::Bool(false))
    );
    assert!(
        clusters[1]["error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot connect")),
        "{status:#}"
    );
    assert_eq!(clusters[1]["changes"], Value::Null);
    assert_eq!(status["peerings"][0]["dialer"]["state"], Value::Null);
    assert!(
        status["peerings"][0]["acceptor"]["state"].is_string(),
        "{status:#}"
    );
    assert_eq!(
        status["peerings"][1]["acceptor"]["state"], "PENDING",
        "still read"
    );
    assert_exit(&meshplan(&["status"], dir.path(), &[]), 0);
}
