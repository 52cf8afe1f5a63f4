//! A peering's dialer side deleted by hand, and apply run at once: the acceptor's side is still
//! ACTIVE when apply plans, and turns TERMINATED only after apply has given it a new token and
//! the dialer has established with it. Apply replaces the acceptor's side once and the peering
//! ends ACTIVE on both sides; the next plan has nothing to do.

use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::cli::{Run, assert_exit, cluster_block, meshplan, write};
use crate::support::consul::{Cluster, start_clusters};
use crate::support::http::{client, poll_until, success_json};

/// How many times the window is tried: deletions reach the acceptor within a second or so, so
/// an apply started at once lands in the window nearly every time.
const ATTEMPTS: usize = 3;

/// A peering turns ACTIVE, or a deleted side disappears, within seconds on dev agents.
const SETTLE: Duration = Duration::from_secs(30);

fn peered_workspace(agents: &[Cluster]) -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    let text = format!(
        "workspace = \"race\"\n{}{}peering {{\n  acceptor = \"cluster-01\"\n  dialer = \
         \"cluster-02\"\n}}\n",
        cluster_block(&agents[0]),
        cluster_block(&agents[1])
    );
    write(dir.path(), "meshplan.hcl", &text);
    dir
}

/// The peering named `name` on `agent`: its state and ID, or `None` when there is none.
async fn peering(agent: &Cluster, name: &str) -> Option<(String, String)> {
    let response = client()
        .get(format!("{}/v1/peering/{name}", agent.http_addr()))
        .send()
        .await
        .expect("GET the peering");
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return None;
    }
    let peering: Value = success_json(response, "GET the peering").await;
    let field = |key: &str| peering[key].as_str().unwrap_or_default().to_owned();
    Some((field("State"), field("ID")))
}

async fn both_active(agents: &[Cluster]) {
    poll_until(SETTLE, "both sides are ACTIVE", || async {
        let acceptor = peering(&agents[0], "cluster-02").await?;
        let dialer = peering(&agents[1], "cluster-01").await?;
        (acceptor.0 == "ACTIVE" && dialer.0 == "ACTIVE").then_some(())
    })
    .await;
}

fn apply(dir: &TempDir) -> Run {
    meshplan(&["apply", "--auto-approve"], dir.path(), &[])
}

#[tokio::test]
async fn an_apply_right_after_the_dialer_side_is_deleted_by_hand_ends_active() {
    let agents = start_clusters(&["cluster-01", "cluster-02"]).await;
    let dir = peered_workspace(&agents);
    assert_exit(&apply(&dir), 0);
    both_active(&agents).await;

    let mut replaced_in_the_window = 0;
    for attempt in 1..=ATTEMPTS {
        let (_, acceptor_id) = peering(&agents[0], "cluster-02")
            .await
            .expect("the acceptor side");
        let response = client()
            .delete(format!("{}/v1/peering/cluster-01", agents[1].http_addr()))
            .send()
            .await
            .expect("DELETE the dialer side");
        success_json(response, "DELETE the dialer side").await;
        let run = apply(&dir);
        assert_exit(&run, 0);
        let (state, now_id) = peering(&agents[0], "cluster-02")
            .await
            .expect("the acceptor side after apply");
        assert_eq!(state, "ACTIVE", "attempt {attempt}:\n{run}");
        if run
            .stdout
            .contains("reported TERMINATED after its new token")
        {
            assert!(run.stdout.contains("replaced it once"), "{run}");
            replaced_in_the_window += 1;
            assert_ne!(now_id, acceptor_id, "a replaced side is a new peering");
        }
        both_active(&agents).await;
        let plan = meshplan(&["plan", "--detailed-exitcode"], dir.path(), &[]);
        assert_exit(&plan, 0);
    }
    assert!(
        replaced_in_the_window > 0,
        "no apply of {ATTEMPTS} landed in the window: the test shows nothing"
    );
}
