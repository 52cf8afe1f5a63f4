//! `apply` against real Consul agents: the seed scenario end to end, a second apply that writes
//! nothing, a stale saved plan refused, a check-and-set conflict in the middle of an apply, a
//! peering made by two workspaces through a token file (and removed again), and an ACL token
//! that lacks a permission (with no secret in any output).
//!
//! Each test starts at most two agents and builds its workspaces in a temporary folder, the way
//! a user would write them; clients get an empty environment so no `CONSUL_*` variable of the
//! developer's shell leaks in.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use meshplan::apply::{self, ApplyOptions, ApplyReport, Status};
use meshplan::consul::{self, Client, Env};
use meshplan::model::{Desired, PeeringState};
use meshplan::plan::{self, Action, Plan};
use meshplan::workspace;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::cli::cluster_block;
use crate::support::consul::{Cluster, start_clusters};
use crate::support::http::{
    POLL_INTERVAL, client as http, poll_until, put_entry, token_without_mesh_write,
};

/// Imports usually arrive within a second of the export; deletions as fast.
const IMPORT_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// The seed scenario
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_seed_scenario_peers_the_clusters_and_the_peer_sees_the_exported_service() {
    let agents = pair().await;
    let dir = seed_workspace(&agents);
    let desired = load(dir.path());
    let clients = clients(&desired, &no_env());

    let plan = plan_of(&desired, &clients).await;
    let actions: Vec<Action> = plan.changes.iter().map(|change| change.action).collect();
    assert_eq!(actions, [Action::Establish, Action::Create, Action::Create]);
    let report = apply::apply(&plan, &clients, &options(), &desired.root).await;
    assert!(report.is_success(), "{}", rendered(&report));
    assert_eq!(
        report.summary(),
        "Apply complete: 2 created, 0 updated, 0 deleted, 1 peering established."
    );
    for (agent, peer) in [(&agents[0], "cluster-02"), (&agents[1], "cluster-01")] {
        let state = peering_state(&clients[agent.name()], peer).await;
        assert_eq!(state, Some(PeeringState::Active), "on {}", agent.name());
    }

    register_frontend(&agents[0]).await;
    let instances = poll_until(
        IMPORT_TIMEOUT,
        "cluster-02 imports frontend-service",
        || async {
            let instances = imported(&agents[1], "cluster-01").await;
            (!instances.is_empty()).then_some(instances)
        },
    )
    .await;
    assert_eq!(instances[0]["Service"]["Service"], "frontend-service");
    assert_eq!(instances[0]["Service"]["PeerName"], "cluster-01");
}

#[tokio::test]
async fn a_second_plan_after_apply_is_empty_and_a_second_apply_sends_no_request() {
    let agents = pair().await;
    let dir = seed_workspace(&agents);
    let desired = load(dir.path());
    let clients = clients(&desired, &no_env());
    let first = apply::apply(
        &plan_of(&desired, &clients).await,
        &clients,
        &options(),
        &desired.root,
    )
    .await;
    assert!(first.is_success(), "{}", rendered(&first));

    let before = requests(&clients);
    let second = plan_of(&desired, &clients).await;
    let after_refresh = requests(&clients);
    assert!(second.changes.is_empty(), "false drift:\n{second:#?}");
    let report = apply::apply(&second, &clients, &options(), &desired.root).await;
    assert!(report.outcomes.is_empty() && report.is_success());
    assert_eq!(
        requests(&clients),
        after_refresh,
        "apply of an empty plan sent requests"
    );
    // The refresh itself: agent/self, the peerings and one list per kind, for each cluster.
    let lists: u64 = desired
        .clusters
        .keys()
        .map(|name| 2 + consul::kinds_to_list(desired.entries.get(name)).len() as u64)
        .sum();
    assert_eq!(after_refresh - before, lists);
}

#[tokio::test]
async fn a_peering_whose_dialer_side_was_deleted_by_hand_is_re_established() {
    let agents = pair().await;
    let dir = seed_workspace(&agents);
    let (desired, clients) = workspace_at(dir.path());
    apply_in(dir.path()).await;

    // Someone deletes cluster-02's side: it goes away, and cluster-01's turns TERMINATED.
    let (acceptor, dialer) = (&clients["cluster-01"], &clients["cluster-02"]);
    dialer.delete_peering("cluster-01").await.expect("delete");
    poll_until(
        IMPORT_TIMEOUT,
        "cluster-01's side is TERMINATED",
        || async {
            let gone = peering_state(dialer, "cluster-01").await.is_none();
            let terminated = peering_state(acceptor, "cluster-02").await;
            (gone && terminated == Some(PeeringState::Terminated)).then_some(())
        },
    )
    .await;

    let plan = plan_of(&desired, &clients).await;
    let actions: Vec<Action> = plan.changes.iter().map(|change| change.action).collect();
    assert_eq!(actions, [Action::Reestablish], "{plan:#?}");
    let report = apply::apply(&plan, &clients, &options(), &desired.root).await;
    assert!(report.is_success(), "{}", rendered(&report));
    assert_eq!(
        report.summary(),
        "Apply complete: 0 created, 0 updated, 0 deleted, 1 peering re-established."
    );
    for (client, peer) in [(acceptor, "cluster-02"), (dialer, "cluster-01")] {
        assert_eq!(
            peering_state(client, peer).await,
            Some(PeeringState::Active)
        );
    }
    let again = plan_of(&desired, &clients).await;
    assert!(again.changes.is_empty(), "{again:#?}");
}

// ---------------------------------------------------------------------------------------------
// Someone else's writes
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_saved_plan_is_stale_when_an_entry_was_edited_after_it_and_the_edit_survives() {
    let agent = Cluster::start("cluster-01").await;
    let (_dir, _desired, clients, plan) = applied_then_planned_again(&agent).await;
    // What `plan --out` saves and `apply PLANFILE` reads back.
    let saved: Plan = serde_json::from_str(&serde_json::to_string(&plan).expect("serialize"))
        .expect("a saved plan reads back");
    assert_eq!(apply::check_fresh(&saved, &clients).await, Ok(()));

    let (planned, edited) = edit_web_out_of_band(&agent, &clients, "hotfix").await;
    let stale = apply::check_fresh(&saved, &clients)
        .await
        .expect_err("the plan is stale");
    assert_eq!(stale.len(), 1, "{stale:#?}");
    assert_eq!(
        stale[0].to_string(),
        format!("cluster-01: service-intentions/web: ModifyIndex {planned} → {edited}")
    );
    // The CLI refuses the whole plan here; nothing was written.
    let live = read_entry(&clients["cluster-01"], "service-intentions", "web").await;
    assert_eq!(live["Sources"][0]["Description"], "hotfix");
}

#[tokio::test]
async fn a_conflict_in_the_middle_of_an_apply_leaves_that_entry_alone_and_writes_the_rest() {
    let agent = Cluster::start("cluster-01").await;
    let (_dir, desired, clients, plan) = applied_then_planned_again(&agent).await;
    let (planned, edited) = edit_web_out_of_band(&agent, &clients, "theirs").await;

    let report = apply::apply(&plan, &clients, &options(), &desired.root).await;
    let counts = report.counts();
    let tally = (
        counts.written,
        counts.conflicted,
        counts.failed,
        counts.skipped,
    );
    assert_eq!(tally, (3, 1, 0, 0), "{}", rendered(&report));
    let conflicted = report
        .outcomes
        .iter()
        .find(|outcome| matches!(outcome.status, Status::Conflicted { .. }))
        .expect("one conflict");
    assert_eq!(conflicted.object, "service-intentions/web");
    let why = format!("it changed since the plan: ModifyIndex {planned} → {edited}");
    assert_eq!(conflicted.status, Status::Conflicted { why });
    let live = read_entry(&clients["cluster-01"], "service-intentions", "web").await;
    assert_eq!(live["Sources"][0]["Description"], "theirs");
    let api = read_entry(&clients["cluster-01"], "service-intentions", "api").await;
    assert_eq!(api["Sources"][0]["Action"], "deny", "the rest was written");
}

/// A single-cluster workspace applied, then edited so that all four entries change, and
/// planned again: four updates, each with the `ModifyIndex` it was planned against.
async fn applied_then_planned_again(
    agent: &Cluster,
) -> (TempDir, Desired, BTreeMap<String, Client>, Plan) {
    let dir = TempDir::new().expect("temp dir");
    write_files(dir.path(), &single_cluster(agent, "allow"));
    let (desired, clients) = workspace_at(dir.path());
    let first = apply_fresh(&desired, &clients).await;
    assert!(first.is_success(), "{}", rendered(&first));
    write_files(dir.path(), &single_cluster(agent, "deny"));
    let desired = load(dir.path());
    let plan = plan_of(&desired, &clients).await;
    let actions: Vec<Action> = plan.changes.iter().map(|change| change.action).collect();
    assert_eq!(actions, [Action::Update; 4], "{plan:#?}");
    (dir, desired, clients, plan)
}

/// Someone rewrites the intentions of `web` with `description`: its `ModifyIndex` before and
/// after.
async fn edit_web_out_of_band(
    agent: &Cluster,
    clients: &BTreeMap<String, Client>,
    description: &str,
) -> (u64, u64) {
    let client = &clients["cluster-01"];
    let before = entry_index(client, "service-intentions", "web").await;
    let theirs = json!({"Kind": "service-intentions", "Name": "web",
        "Sources": [{"Name": "api", "Action": "allow", "Description": description}]});
    put_entry(agent, &theirs).await;
    (
        before,
        entry_index(client, "service-intentions", "web").await,
    )
}

// ---------------------------------------------------------------------------------------------
// A peering between two workspaces
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn two_workspaces_peer_through_a_token_file_and_removing_the_peering_deletes_both_sides() {
    let agents = pair().await;
    let repo = TempDir::new().expect("temp dir");
    let (a, b) = (repo.path().join("a"), repo.path().join("b"));
    write_files(&a, &acceptor_workspace(&agents[0], true));
    write_files(&b, &dialer_workspace(&agents[1], true));

    let report = apply_in(&a).await;
    let token_path = a.join("tokens/partner.token");
    assert_private(&token_path);
    let token = std::fs::read_to_string(&token_path).expect("the token file");
    assert!(!rendered(&report).contains(token.trim()));

    apply_in(&b).await;
    let (_, clients_a) = workspace_at(&a);
    let (_, clients_b) = workspace_at(&b);
    let acceptor = peering_state(&clients_a["cluster-01"], "partner").await;
    let dialer = peering_state(&clients_b["cluster-02"], "cluster-01").await;
    assert_eq!(
        (acceptor, dialer),
        (Some(PeeringState::Active), Some(PeeringState::Active))
    );
    register_frontend(&agents[0]).await;
    poll_until(
        IMPORT_TIMEOUT,
        "cluster-02 imports frontend-service",
        || async { (!imported(&agents[1], "cluster-01").await.is_empty()).then_some(()) },
    )
    .await;

    std::fs::remove_file(a.join("cluster-01/exported-services.hcl")).expect("remove the export");
    write_files(&a, &acceptor_workspace(&agents[0], false));
    write_files(&b, &dialer_workspace(&agents[1], false));
    for dir in [&a, &b] {
        let report = apply_in(dir).await;
        assert!(report.outcomes.iter().all(|o| o.action == Action::Delete));
    }
    poll_until(
        IMPORT_TIMEOUT,
        "cluster-02 forgets frontend-service",
        || async {
            imported(&agents[1], "cluster-01")
                .await
                .is_empty()
                .then_some(())
        },
    )
    .await;
    for clients in [&clients_a, &clients_b] {
        for client in clients.values() {
            let left = client.list_peerings().await.expect("list peerings");
            assert!(left.is_empty(), "{left:#?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ACLs
// ---------------------------------------------------------------------------------------------

const MANAGEMENT_TOKEN: &str = "6c1f2e4a-0b7d-4e2f-9a51-3d8c7b6e5f40";

#[tokio::test]
async fn a_token_without_mesh_write_fails_the_export_naming_the_permission_and_never_shows() {
    let acl = format!(
        "acl {{\n  enabled = true\n  default_policy = \"deny\"\n  tokens {{\n    \
         initial_management = \"{MANAGEMENT_TOKEN}\"\n  }}\n}}"
    );
    let agent = Cluster::start_with("cluster-01", &[&acl]).await;
    let secret = token_without_mesh_write(&agent, MANAGEMENT_TOKEN).await;
    let dir = TempDir::new().expect("temp dir");
    let mut files = acceptor_workspace(&agent, true);
    files[0].1 = files[0].1.replace(
        "cluster \"cluster-01\" {",
        "cluster \"cluster-01\" {\n  token_env = \"MESHPLAN_TEST_TOKEN\"",
    );
    write_files(dir.path(), &files);
    let desired = load(dir.path());
    let clients = clients(
        &desired,
        &Env::from_vars([("MESHPLAN_TEST_TOKEN", &*secret)]),
    );

    let report = apply_fresh(&desired, &clients).await;
    let text = rendered(&report);
    let export = report
        .outcomes
        .iter()
        .find(|outcome| outcome.object == "exported-services/default")
        .expect("the export was attempted");
    let Status::Failed { error } = &export.status else {
        panic!("the export should fail:\n{text}")
    };
    assert!(error.contains("mesh:write"), "{error}");
    let counts = report.counts();
    assert_eq!(
        (counts.written, counts.failed),
        (1, 1),
        "the peering was made:\n{text}"
    );
    assert!(text.contains("mesh:write"), "{text}");
    let peering_token =
        std::fs::read_to_string(dir.path().join("tokens/partner.token")).expect("the token file");
    for output in [text, format!("{report:?}"), format!("{clients:?}")] {
        assert!(!output.contains(&secret), "the ACL token leaked:\n{output}");
        assert!(
            !output.contains(peering_token.trim()),
            "the peering token leaked"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Workspaces
// ---------------------------------------------------------------------------------------------

/// The seed example's entries with a workspace file pointing at `agents`.
fn seed_workspace(agents: &[Cluster]) -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/seed/cluster-01");
    let entry = |name: &str| std::fs::read_to_string(seed.join(name)).expect("a seed entry");
    let workspace = format!(
        "workspace = \"it\"\n{}{}peering {{\n  acceptor = \"cluster-01\"\n  dialer = \"cluster-02\"\n  meta = {{ owner \
         = \"platform\" }}\n}}\n",
        cluster_block(&agents[0]),
        cluster_block(&agents[1])
    );
    write_files(
        dir.path(),
        &[
            ("meshplan.hcl", workspace),
            (
                "cluster-01/exported-services.hcl",
                entry("exported-services.hcl"),
            ),
            (
                "cluster-01/frontend-service-intentions.hcl",
                entry("frontend-service-intentions.hcl"),
            ),
        ],
    );
    dir
}

/// One cluster with service-defaults and intentions for `web` and `api`: every intention's
/// action is `action`, which the service-defaults also carry in their `Meta`.
fn single_cluster(agent: &Cluster, action: &str) -> Vec<(&'static str, String)> {
    let defaults = |name: &str| {
        format!(
            "Kind = \"service-defaults\"\nName = \"{name}\"\nProtocol = \"http\"\nMeta = {{ \
             intentions = \"{action}\" }}\n"
        )
    };
    let intentions = |name: &str, source: &str| {
        format!(
            "Kind = \"service-intentions\"\nName = \"{name}\"\nSources = [{{ Name = \"{source}\", \
             Action = \"{action}\" }}]\n"
        )
    };
    vec![
        (
            "meshplan.hcl",
            format!("workspace = \"it\"\n{}", cluster_block(agent)),
        ),
        ("cluster-01/web-defaults.hcl", defaults("web")),
        ("cluster-01/api-defaults.hcl", defaults("api")),
        ("cluster-01/web-intentions.hcl", intentions("web", "api")),
        ("cluster-01/api-intentions.hcl", intentions("api", "web")),
    ]
}

/// Workspace A: cluster-01 accepts a peering from `partner`, managed elsewhere, and exports
/// frontend-service to it; without `peering`, only the cluster.
fn acceptor_workspace(agent: &Cluster, peering: bool) -> Vec<(&'static str, String)> {
    let mut workspace = format!("workspace = \"a\"\n{}", cluster_block(agent));
    if !peering {
        return vec![("meshplan.hcl", workspace)];
    }
    workspace.push_str(
        "peering {\n  acceptor = \"cluster-01\"\n  dialer = \"partner\"\n  token_out = \
         \"tokens/partner.token\"\n}\n",
    );
    let export = "Kind = \"exported-services\"\nName = \"default\"\nServices = [{ Name = \
                  \"frontend-service\", Consumers = [{ Peer = \"partner\" }] }]\n";
    vec![
        ("meshplan.hcl", workspace),
        ("cluster-01/exported-services.hcl", export.to_owned()),
    ]
}

/// Workspace B: cluster-02 dials cluster-01 (managed by workspace A) with A's token file.
fn dialer_workspace(agent: &Cluster, peering: bool) -> Vec<(&'static str, String)> {
    let mut workspace = format!("workspace = \"b\"\n{}", cluster_block(agent));
    if peering {
        workspace.push_str(
            "peering {\n  acceptor = \"cluster-01\"\n  dialer = \"cluster-02\"\n  token_file = \
             \"../a/tokens/partner.token\"\n}\n",
        );
    }
    vec![("meshplan.hcl", workspace)]
}

fn write_files(root: &Path, files: &[(&str, String)]) {
    for (name, text) in files {
        let path = root.join(name);
        let folder = path.parent().expect("a file in a folder");
        std::fs::create_dir_all(folder).expect("create the folder");
        std::fs::write(&path, text).expect("write the file");
    }
}

fn load(dir: &Path) -> Desired {
    workspace::load(dir).unwrap_or_else(|failure| {
        panic!(
            "{} does not load:\n{}",
            dir.display(),
            workspace::diagnostic::render_text(&failure.diagnostics, &failure.sources, false)
        )
    })
}

fn workspace_at(dir: &Path) -> (Desired, BTreeMap<String, Client>) {
    let desired = load(dir);
    let clients = clients(&desired, &no_env());
    (desired, clients)
}

// ---------------------------------------------------------------------------------------------
// meshplan's side
// ---------------------------------------------------------------------------------------------

fn no_env() -> Env {
    Env::from_vars(Vec::<(String, String)>::new())
}

fn clients(desired: &Desired, env: &Env) -> BTreeMap<String, Client> {
    desired
        .clusters
        .values()
        .map(|spec| {
            let client = Client::new(spec, env, &desired.root).expect("a client");
            (spec.name.clone(), client)
        })
        .collect()
}

async fn plan_of(desired: &Desired, clients: &BTreeMap<String, Client>) -> Plan {
    let list: Vec<(String, Client)> = clients
        .iter()
        .map(|(name, client)| (name.clone(), client.clone()))
        .collect();
    let live = consul::refresh(&list, desired)
        .await
        .unwrap_or_else(|err| panic!("refresh failed: {err}"));
    plan::plan(desired, &live)
}

/// `meshplan apply DIR`, which must succeed.
async fn apply_in(dir: &Path) -> ApplyReport {
    let (desired, clients) = workspace_at(dir);
    let report = apply_fresh(&desired, &clients).await;
    assert!(
        report.is_success(),
        "in {}:\n{}",
        dir.display(),
        rendered(&report)
    );
    report
}

/// Plan, then apply that plan at once, as `meshplan apply DIR` does.
async fn apply_fresh(desired: &Desired, clients: &BTreeMap<String, Client>) -> ApplyReport {
    let plan = plan_of(desired, clients).await;
    apply::apply(&plan, clients, &options(), &desired.root).await
}

fn options() -> ApplyOptions {
    ApplyOptions {
        active_timeout: Duration::from_secs(60),
        poll_interval: POLL_INTERVAL,
        ..ApplyOptions::default()
    }
}

fn rendered(report: &ApplyReport) -> String {
    let mut out = Vec::new();
    report.render(&mut out, false).expect("render to memory");
    String::from_utf8(out).expect("UTF-8")
}

fn requests(clients: &BTreeMap<String, Client>) -> u64 {
    clients.values().map(Client::requests_sent).sum()
}

async fn peering_state(client: &Client, name: &str) -> Option<PeeringState> {
    let peering = client.read_peering(name).await.expect("read the peering");
    peering.map(|peering| peering.state)
}

async fn read_entry(client: &Client, kind: &str, name: &str) -> Value {
    let entry = client.read_entry(kind, name).await.expect("read the entry");
    Value::Object(entry.expect("the entry exists").body())
}

async fn entry_index(client: &Client, kind: &str, name: &str) -> u64 {
    read_entry(client, kind, name).await["ModifyIndex"]
        .as_u64()
        .expect("a ModifyIndex")
}

pub(crate) fn assert_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path)
            .expect("the token file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{} is not private", path.display());
    }
}

// ---------------------------------------------------------------------------------------------
// Someone else's side: raw HTTP
// ---------------------------------------------------------------------------------------------

async fn pair() -> Vec<Cluster> {
    start_clusters(&["cluster-01", "cluster-02"]).await
}

async fn register_frontend(agent: &Cluster) {
    let service = json!({"Name": "frontend-service", "ID": "frontend-1",
                         "Address": "127.0.0.1", "Port": 8080});
    let response = http()
        .put(format!("{}/v1/agent/service/register", agent.http_addr()))
        .json(&service)
        .send()
        .await
        .expect("register the service");
    assert!(
        response.status().is_success(),
        "register: {}",
        response.status()
    );
}

/// The instances of frontend-service `agent` imports from its peer `peer`.
async fn imported(agent: &Cluster, peer: &str) -> Vec<Value> {
    let url = format!(
        "{}/v1/health/service/frontend-service?peer={peer}",
        agent.http_addr()
    );
    let response = http()
        .get(url)
        .send()
        .await
        .expect("GET /v1/health/service");
    assert!(
        response.status().is_success(),
        "health: {}",
        response.status()
    );
    response.json().await.expect("a JSON array")
}
