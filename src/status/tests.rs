//! `assess` on hand-made observations: states, heartbeats, unreachable clusters and drift.

use serde_json::json;

use super::*;
use crate::consul::StreamStatusWire;
use crate::model::{PeeringSide, PeeringSpec};
use crate::plan::tests::{declare, workspace};

const NOW: &str = "2026-12-03T21:50:00Z";

fn now() -> i64 {
    time::unix_seconds(NOW).expect("a time")
}

/// cluster-01 accepts, cluster-02 dials.
fn desired() -> Desired {
    let mut desired = workspace(&["cluster-01", "cluster-02"]);
    let side = |cluster: &str, peer: &str| PeeringSide {
        cluster: cluster.into(),
        peer_name: peer.into(),
        partition: None,
        ours: true,
    };
    desired.peerings.push(PeeringSpec {
        acceptor: side("cluster-01", "cluster-02"),
        dialer: side("cluster-02", "cluster-01"),
        meta: BTreeMap::new(),
        token_out: None,
        token_out_exists: false,
        token_file: None,
        server_external_addresses: Vec::new(),
    });
    desired
}

fn wire(name: &str, state: &str, heartbeat: &str, dialer: bool) -> PeeringWire {
    let mut meta = BTreeMap::new();
    meta.insert("managed-by".to_owned(), "meshplan".to_owned());
    meta.insert(
        "meshplan-workspace".to_owned(),
        crate::plan::tests::WORKSPACE.to_owned(),
    );
    PeeringWire {
        id: format!("id-{name}"),
        name: name.into(),
        state: state.into(),
        meta: Some(meta),
        peer_id: dialer.then(|| "peer".to_owned()),
        peer_server_addresses: dialer.then(|| vec!["127.0.0.1:8503".to_owned()]),
        stream_status: Some(StreamStatusWire {
            imported_services: Some(vec!["web".into()]),
            exported_services: None,
            last_heartbeat: Some(heartbeat.into()),
            last_receive: Some("0001-01-01T00:00:00Z".into()),
            last_send: Some(NOW.into()),
        }),
        ..PeeringWire::default()
    }
}

fn read(peerings: Vec<PeeringWire>) -> Result<ClusterRead, String> {
    let mut live = LiveCluster {
        datacenter: "dc".into(),
        version: "1.22.7".into(),
        ..LiveCluster::default()
    };
    live.kinds = crate::consul::kinds_to_list(None);
    for wire in &peerings {
        live.peerings
            .insert(wire.name.clone(), wire.clone().into_live());
    }
    Ok(ClusterRead {
        live,
        peerings: peerings.into_iter().map(|w| (w.name.clone(), w)).collect(),
    })
}

fn observed(one: Result<ClusterRead, String>, two: Result<ClusterRead, String>) -> Observed {
    let seen = |read| ClusterSeen {
        address: "http://127.0.0.1:8500".into(),
        read,
    };
    Observed {
        clusters: BTreeMap::from([
            ("cluster-01".to_owned(), seen(one)),
            ("cluster-02".to_owned(), seen(two)),
        ]),
        now: now(),
    }
}

fn active() -> Observed {
    observed(
        read(vec![wire(
            "cluster-02",
            "ACTIVE",
            "2026-12-03T21:49:50Z",
            false,
        )]),
        read(vec![wire(
            "cluster-01",
            "ACTIVE",
            "2026-12-03T21:49:55Z",
            true,
        )]),
    )
}

#[test]
fn an_active_peering_without_drift_is_healthy_with_ages() {
    let status = assess(&desired(), &active(), DEFAULT_MAX_HEARTBEAT_AGE);
    assert!(status.healthy(), "{:?}", status.problems);
    let acceptor = &status.peerings[0].acceptor;
    assert_eq!(acceptor.state.as_deref(), Some("ACTIVE"));
    assert_eq!(
        (acceptor.imported_services, acceptor.exported_services),
        (Some(1), Some(0))
    );
    assert_eq!(
        acceptor.last_heartbeat.as_ref().and_then(|s| s.age_seconds),
        Some(10)
    );
    assert_eq!(acceptor.last_receive, None, "Go's zero time is never");
    assert_eq!(
        acceptor.last_send.as_ref().and_then(|s| s.age_seconds),
        Some(0)
    );
    assert!(
        status
            .clusters
            .iter()
            .all(|c| c.changes == Some(0) && c.reachable)
    );
}

#[test]
fn an_old_heartbeat_is_a_problem_past_the_threshold_only() {
    let status = assess(&desired(), &active(), 4);
    assert_eq!(status.problems.len(), 2, "{:?}", status.problems);
    assert!(
        status.problems[0].contains("last heartbeat 10s ago"),
        "{:?}",
        status.problems
    );
    assert!(assess(&desired(), &active(), 10).healthy());
}

#[test]
fn a_side_that_is_not_active_or_missing_is_a_problem() {
    let observed = observed(
        read(vec![wire("cluster-02", "PENDING", "", false)]),
        read(Vec::new()),
    );
    let status = assess(&desired(), &observed, DEFAULT_MAX_HEARTBEAT_AGE);
    assert_eq!(status.peerings[0].dialer.state.as_deref(), Some("MISSING"));
    let problems = status.problems.join("\n");
    assert!(
        problems.contains("peering cluster-02 on cluster cluster-01 is PENDING"),
        "{problems}"
    );
    assert!(
        problems.contains("peering cluster-01 on cluster cluster-02 is MISSING"),
        "{problems}"
    );
    assert!(
        problems.contains("drifted: 1 change"),
        "the re-establish: {problems}"
    );
}

#[test]
fn an_unreachable_cluster_is_a_row_and_its_peers_drift_is_unknown() {
    let observed = observed(
        read(vec![wire("cluster-02", "FAILING", "", false)]),
        Err("cluster \"cluster-02\": GET /v1/agent/self: cannot connect\nhint: x".into()),
    );
    let status = assess(&desired(), &observed, DEFAULT_MAX_HEARTBEAT_AGE);
    let two = &status.clusters[1];
    assert!(!two.reachable);
    assert_eq!(
        two.error.as_deref(),
        Some("cluster \"cluster-02\": GET /v1/agent/self: cannot connect\nhint: x")
    );
    assert!(
        !status.problems.iter().any(|p| p.contains("hint")),
        "{:?}",
        status.problems
    );
    assert_eq!((status.clusters[0].changes, two.changes), (None, None));
    assert_eq!(status.peerings[0].dialer.state, None);
    let problems = status.problems.join("\n");
    assert!(
        problems.contains("is FAILING") && problems.contains("cluster-02 cannot be read"),
        "{problems}"
    );
}

#[test]
fn drift_is_counted_on_its_cluster() {
    let mut desired = desired();
    declare(
        &mut desired,
        "cluster-01",
        json!({"Kind": "service-defaults", "Name": "web", "Protocol": "http"}),
    );
    let status = assess(&desired, &active(), DEFAULT_MAX_HEARTBEAT_AGE);
    let changes: Vec<_> = status.clusters.iter().map(|c| c.changes).collect();
    assert_eq!(changes, [Some(1), Some(0)]);
    assert_eq!(status.problems, ["cluster cluster-01 drifted: 1 change"]);
}

#[test]
fn the_text_fits_80_columns_and_ends_with_the_verdict() {
    let status = assess(&desired(), &active(), 4);
    let mut out = Vec::new();
    text::render(
        &status,
        &mut out,
        text::Options {
            color: false,
            check: true,
        },
    )
    .expect("rendered");
    let out = String::from_utf8(out).expect("UTF-8");
    let table = out.split("Problems:").next().unwrap_or_default();
    assert!(
        table.lines().all(|line| line.chars().count() <= 80),
        "{out}"
    );
    let last = out.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("check failed: peering cluster-02 on cluster cluster-01: last heartbeat")
            && last.ends_with("(and 1 more above)"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'), "no colour unless asked");
}
