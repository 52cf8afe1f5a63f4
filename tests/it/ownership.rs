//! Ownership and guards against real Consul agents, through the binary as a user runs it: two
//! workspaces sharing a cluster, objects marked before workspaces had names, an emptied cluster
//! folder, saved plans edited by hand or applied against another datacenter's agent, a changed
//! peering `meta`, and a kind the agent does not know.

use std::path::Path;
use std::time::Duration;

use meshplan::cli::saved::SavedPlan;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::cli::{
    Run, assert_exit, cluster_block, defaults, entries, meshplan, workspace, write,
};
use crate::support::consul::{Cluster, start_clusters};
use crate::support::http::{
    client as http, defaults_owner as owner, poll_until, put_entry, read_entry as entry,
    success_json,
};

fn run(args: &[&str], dir: &Path) -> Run {
    meshplan(args, dir, &[])
}

async fn put(agent: &Cluster, body: Value) {
    put_entry(agent, &body).await;
}

#[tokio::test]
async fn two_workspaces_share_a_cluster_and_only_take_over_what_they_are_told_to() {
    let agent = Cluster::start("cluster-01").await;
    let payments = workspace("payments", &agent, &entries(&["pay", "ledger"]));
    let search = workspace("search", &agent, &entries(&["search"]));
    for dir in [&payments, &search] {
        assert_exit(&run(&["apply", "--auto-approve"], dir.path()), 0);
    }

    // Each plans nothing: the other's objects are not its to delete.
    for dir in [&payments, &search] {
        let plan = run(&["plan", "--detailed-exitcode"], dir.path());
        assert_exit(&plan, 0);
        assert!(plan.stdout.contains("No changes"), "{plan}");
    }

    // search declares payments' entry too: a conflict, shown, refused, never written.
    let (file, text) = defaults("pay");
    write(search.path(), &format!("cluster-01/{file}"), &text);
    let plan = run(&["plan"], search.path());
    assert_exit(&plan, 1);
    assert!(
        plan.stdout
            .contains("service-defaults/pay belongs to another workspace")
            && plan.stdout.contains("owned by workspace `payments`")
            && plan.stderr.contains("cannot be applied")
            && plan.stderr.contains("--take-over"),
        "{plan}"
    );
    assert_exit(&run(&["apply", "--auto-approve"], search.path()), 1);
    assert_eq!(owner(&agent, "pay").await.as_deref(), Some("payments"));

    // Handed over explicitly: shown as a take-over, written with search's mark.
    let take = run(
        &["apply", "--auto-approve", "--take-over", "payments"],
        search.path(),
    );
    assert_exit(&take, 0);
    assert!(take.stdout.contains("taken over"), "{take}");
    assert_eq!(owner(&agent, "pay").await.as_deref(), Some("search"));
    // Now payments is the one in conflict, and it deletes nothing of search's.
    let plan = run(&["plan"], payments.path());
    assert_exit(&plan, 1);
    assert!(
        plan.stdout.contains("owned by workspace `search`"),
        "{plan}"
    );
    assert!(!plan.stdout.contains("will be deleted"), "{plan}");
}

#[tokio::test]
async fn objects_marked_without_a_workspace_name_are_never_deleted_and_adopted_when_declared() {
    let agent = Cluster::start("cluster-01").await;
    let dir = workspace("platform", &agent, &entries(&["web"]));
    for name in ["web", "legacy"] {
        put(
            &agent,
            json!({ "Kind": "service-defaults", "Name": name, "Protocol": "http",
                    "Meta": { "managed-by": "meshplan" } }),
        )
        .await;
    }

    let plan = run(&["plan"], dir.path());
    assert_exit(&plan, 0);
    assert!(
        plan.stdout.contains("service-defaults/web will be adopted")
            && plan.stdout.contains("cluster-01: service-defaults/legacy")
            && plan.stdout.contains("never deletes these")
            && !plan.stdout.contains("will be deleted"),
        "{plan}"
    );
    assert_exit(&run(&["apply", "--auto-approve"], dir.path()), 0);
    assert_eq!(owner(&agent, "web").await.as_deref(), Some("platform"));
    assert_eq!(owner(&agent, "legacy").await.as_deref(), Some(""));
}

#[tokio::test]
async fn an_emptied_cluster_folder_deletes_nothing_unless_allowed() {
    let agent = Cluster::start("cluster-01").await;
    let dir = workspace("platform", &agent, &entries(&["web", "api"]));
    assert_exit(&run(&["apply", "--auto-approve"], dir.path()), 0);
    // A saved plan in a cluster's folder would be read back as a config entry.
    let inside = dir.path().join("cluster-01/plan.json");
    let out = run(
        &["plan", "--out", inside.to_str().expect("UTF-8")],
        dir.path(),
    );
    assert_exit(&out, 1);
    assert!(
        out.stderr
            .contains("config-entry folder of cluster `cluster-01`"),
        "{out}"
    );
    assert!(!inside.exists());

    std::fs::remove_dir_all(dir.path().join("cluster-01")).expect("remove the folder");
    let plan = run(&["plan"], dir.path());
    assert_exit(&plan, 1);
    assert!(
        plan.stdout
            .contains("deletes every config entry workspace `platform` owns on cluster-01")
            && plan.stderr.contains("--allow-delete-all"),
        "{plan}"
    );
    let apply = run(&["apply", "--auto-approve"], dir.path());
    assert_exit(&apply, 1);
    assert!(entry(&agent, "service-defaults", "web").await.is_some());

    let allowed = run(
        &["apply", "--auto-approve", "--allow-delete-all"],
        dir.path(),
    );
    assert_exit(&allowed, 0);
    assert!(entry(&agent, "service-defaults", "web").await.is_none());
    assert!(entry(&agent, "service-defaults", "api").await.is_none());
}

/// A hand edit of a saved plan's JSON.
type Edit = Box<dyn FnOnce(&mut Value)>;

/// Edits the saved plan at `path` with `edit`, writing it back.
/// Edits the plan saved at `path` and seals it again, as anyone editing it can: the seal only
/// detects edits, the comparison with a fresh plan is what refuses them.
fn edit_plan(path: &Path, edit: impl FnOnce(&mut Value)) {
    let mut plan: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read the plan"))
            .expect("a JSON plan");
    edit(&mut plan);
    let edited: SavedPlan = serde_json::from_value(plan).expect("still a saved plan");
    std::fs::write(path, edited.to_sealed_text().expect("JSON")).expect("write");
}

#[tokio::test]
async fn a_saved_plan_edited_by_hand_is_refused_whole() {
    let agent = Cluster::start("cluster-01").await;
    let dir = workspace("platform", &agent, &entries(&["web"]));
    put(
        &agent,
        json!({ "Kind": "service-defaults", "Name": "manual", "Protocol": "tcp" }),
    )
    .await;
    let manual = entry(&agent, "service-defaults", "manual")
        .await
        .expect("written");
    let out = TempDir::new().expect("a temp dir");
    let saved = out.path().join("plan.json");
    let saved_arg = saved.to_str().expect("UTF-8");
    assert_exit(&run(&["plan", "--out", saved_arg], dir.path()), 0);
    let original = std::fs::read_to_string(&saved).expect("the plan");

    let edits: [(&str, Edit); 3] = [
        (
            "the body the plan writes is not what the files declare",
            Box::new(|plan| plan["plan"]["changes"][0]["body"]["Protocol"] = "tcp".into()),
        ),
        (
            "the body the plan writes is not what the files declare",
            Box::new(|plan| {
                let body = &mut plan["plan"]["changes"][0]["body"];
                body.as_object_mut().expect("a body").remove("Meta");
            }),
        ),
        (
            "a fresh plan of the files would not touch it",
            Box::new(move |plan| {
                let delete = json!({
                    "cluster": "cluster-01",
                    "object": { "type": "entry", "kind": "service-defaults", "name": "manual" },
                    "action": "delete",
                    "modify_index": manual["ModifyIndex"],
                });
                plan["plan"]["changes"]
                    .as_array_mut()
                    .expect("changes")
                    .push(delete);
            }),
        ),
    ];
    for (expected, edit) in edits {
        std::fs::write(&saved, &original).expect("restore the plan");
        edit_plan(&saved, edit);
        let apply = meshplan(&["apply"], &saved, &[]);
        assert_exit(&apply, 1);
        assert!(
            apply.stderr.contains(expected) && apply.stderr.contains("nothing was written"),
            "{apply}"
        );
        assert!(entry(&agent, "service-defaults", "web").await.is_none());
        assert!(entry(&agent, "service-defaults", "manual").await.is_some());
    }
    std::fs::write(&saved, &original).expect("restore the plan");
    assert_exit(&meshplan(&["apply"], &saved, &[]), 0);
    assert_eq!(owner(&agent, "web").await.as_deref(), Some("platform"));
}

#[tokio::test]
async fn another_datacenters_agent_is_refused_by_a_fresh_plan_and_by_a_saved_one() {
    let agents = start_clusters(&["cluster-01", "cluster-02"]).await;
    let [right, wrong] = [&agents[0], &agents[1]];
    // No address: the cluster is wherever CONSUL_HTTP_ADDR points.
    let dir = TempDir::new().expect("a temp dir");
    write(
        dir.path(),
        "meshplan.hcl",
        "workspace = \"platform\"\ncluster \"cluster-01\" {}\n",
    );
    let (file, text) = defaults("web");
    write(dir.path(), &format!("cluster-01/{file}"), &text);
    let (right_addr, wrong_addr) = (right.http_addr(), wrong.http_addr());
    let right_env = [("CONSUL_HTTP_ADDR", right_addr.as_str())];
    let wrong_env = [("CONSUL_HTTP_ADDR", wrong_addr.as_str())];

    let plan = meshplan(&["plan"], dir.path(), &wrong_env);
    assert_exit(&plan, 1);
    assert!(
        plan.stderr
            .contains("the files say datacenter \"cluster-01\"")
            && plan.stderr.contains("\"cluster-02\""),
        "{plan}"
    );

    let out = TempDir::new().expect("a temp dir");
    let saved = out.path().join("plan.json");
    let saved_arg = saved.to_str().expect("UTF-8");
    assert_exit(
        &meshplan(&["plan", "--out", saved_arg], dir.path(), &right_env),
        0,
    );
    let apply = meshplan(&["apply"], &saved, &wrong_env);
    assert_exit(&apply, 1);
    assert!(apply.stderr.contains("datacenter"), "{apply}");
    assert!(entry(wrong, "service-defaults", "web").await.is_none());
    assert_exit(&meshplan(&["apply"], &saved, &right_env), 0);
}

#[tokio::test]
async fn a_changed_peering_meta_is_a_destructive_replacement_and_applies() {
    let agents = start_clusters(&["cluster-01", "cluster-02"]).await;
    let dir = TempDir::new().expect("a temp dir");
    let peering = |owner: &str| {
        format!(
            "workspace = \"platform\"\n{}{}peering {{\n  acceptor = \"cluster-01\"\n  dialer = \
             \"cluster-02\"\n  meta = {{ owner = \"{owner}\" }}\n}}\n",
            cluster_block(&agents[0]),
            cluster_block(&agents[1])
        )
    };
    write(dir.path(), "meshplan.hcl", &peering("platform"));
    assert_exit(&run(&["apply", "--auto-approve"], dir.path()), 0);

    write(dir.path(), "meshplan.hcl", &peering("payments"));
    let plan = run(&["plan", "--detailed-exitcode"], dir.path());
    assert_exit(&plan, 2);
    assert!(
        plan.stdout
            .contains("peering cluster-02 will be replaced (destructive)")
            && plan.stdout.contains("forces replacement"),
        "{plan}"
    );
    assert_exit(&run(&["apply", "--auto-approve"], dir.path()), 0);
    for (agent, name) in [(&agents[0], "cluster-02"), (&agents[1], "cluster-01")] {
        let url = format!("{}/v1/peering/{name}", agent.http_addr());
        let peering = poll_until(
            Duration::from_secs(60),
            "the peering is ACTIVE",
            async || {
                let response = http().get(&url).send().await.ok()?;
                let peering = success_json(response, "read the peering").await;
                (peering["State"] == "ACTIVE").then_some(peering)
            },
        )
        .await;
        assert_eq!(peering["Meta"]["owner"], "payments", "{peering:#}");
        assert_eq!(peering["Meta"]["meshplan-workspace"], "platform");
    }
    let again = run(&["plan", "--detailed-exitcode"], dir.path());
    assert_exit(&again, 0);
}

#[tokio::test]
async fn a_kind_the_agent_does_not_know_is_a_plan_error_naming_the_cluster_and_file() {
    let agent = Cluster::start("cluster-01").await;
    let limit =
        "Kind = \"control-plane-request-limit\"\nName = \"global\"\nMode = \"permissive\"\n";
    let dir = workspace(
        "platform",
        &agent,
        &[("limit.hcl".into(), limit.to_owned())],
    );
    let plan = run(&["plan"], dir.path());
    assert_exit(&plan, 1);
    assert!(
        plan.stderr.contains("cluster \"cluster-01\"")
            && plan.stderr.contains("control-plane-request-limit")
            && plan.stderr.contains("cluster-01/limit.hcl"),
        "{plan}"
    );
}

#[tokio::test]
async fn an_address_on_the_grpc_tls_port_fails_with_a_hint_naming_the_ca_setting() {
    let agent = Cluster::start("cluster-01").await;
    let dir = TempDir::new().expect("a temp dir");
    let text = format!(
        "workspace = \"platform\"\ncluster \"cluster-01\" {{\n  address = \"https://127.0.0.1:{}\"\n}}\n",
        agent.grpc_tls_port()
    );
    write(dir.path(), "meshplan.hcl", &text);
    let plan = run(&["plan"], dir.path());
    assert_exit(&plan, 1);
    assert!(
        plan.stderr.contains("cluster \"cluster-01\"") && plan.stderr.contains("ca_file"),
        "{plan}"
    );
}
