//! `meshplan plan` against real Consul agents: what the files say, written to Consul, plans as
//! no change at all (no false drift); each action shows when it should; out-of-band edits and
//! ownership; the three renderings (reviewed snapshots); and the binary's exit codes, saved
//! plan and secrecy.
//!
//! Agents are expensive (about 1.5 s each), so each test starts at most three and runs its
//! cases one after the other on them, cleaning up in between.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use meshplan::consul::{self, Client, Env};
use meshplan::model::normalize::fold_key;
use meshplan::model::{
    ClusterSpec, ConfigEntry, Desired, Live, MANAGED_BY_KEY, MANAGED_BY_VALUE, PeeringState,
    TokenSource, WORKSPACE_KEY,
};
use meshplan::plan::{self, Action, Change, Object, Plan};
use meshplan::render;
use meshplan::workspace;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::cli::{cluster_block, meshplan};
use crate::support::consul::{Cluster, start_clusters};
use crate::support::http::{client as http, poll_until, put_entry, read_entry, success_json};

/// Workspaces Consul Community Edition cannot hold, each with the Enterprise-only fields that
/// rule it out; every other workspace under `examples/` and `tests/cases/good/` is written to
/// real agents by [`every_fixture_written_to_consul_plans_no_entry_change`].
const ENTERPRISE_ONLY: &[(&str, &str)] = &[(
    "tests/cases/good/enterprise",
    "`partition` on cluster-01 and on both peering sides (`acceptor_partition`, \
     `dialer_partition`); `Partition` on the exported-services and intentions entries and on \
     service-defaults; `Namespace` on the intentions entry, its sources, an exported service and \
     service-defaults; `SamenessGroup` on an exported-services consumer and an intention source",
)];

// ---------------------------------------------------------------------------------------------
// 1. Zero drift after writing each fixture
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_fixture_written_to_consul_plans_no_entry_change() {
    let agents = start_clusters(&["cluster-01", "cluster-02", "cluster-03"]).await;
    let mut failures = String::new();
    let mut report = Vec::new();
    let (mut typed, mut held) = (0, 0);
    for dir in fixtures() {
        let shown = relative(&dir);
        if let Some((_, why)) = ENTERPRISE_ONLY.iter().find(|(skip, _)| *skip == shown) {
            report.push(format!("{shown}: skipped, Enterprise only: {why}"));
            continue;
        }
        let mut desired = load(&dir);
        point_at(&mut desired, &agents);
        let count = match write_all(&desired).await {
            Ok(count) => count,
            Err(err) => {
                let _ = writeln!(failures, "{shown}: writing its entries failed: {err}\n");
                clean(&desired).await;
                continue;
            }
        };
        let live = consul::refresh(&clients(&desired), &desired)
            .await
            .unwrap_or_else(|err| panic!("refresh failed: {err}"));
        let (typed_here, held_here) = told_unchanged(&desired, &live);
        (typed, held) = (typed + typed_here, held + held_here);
        let plan = plan::plan(&desired, &live);
        let drift: Vec<&Change> = plan
            .changes
            .iter()
            .filter(|change| matches!(change.object, Object::Entry(_)))
            .collect();
        if !drift.is_empty() {
            let _ = writeln!(
                failures,
                "{shown}: {} config-entry change(s) after writing its {count} entries:\n{}",
                drift.len(),
                text(&plan)
            );
        }
        report.push(format!("{shown}: {count} entries written"));
        clean(&desired).await;
    }
    assert!(
        failures.is_empty(),
        "false drift on real Consul:\n{failures}\n(all fixtures: {report:#?})"
    );
    assert!(report.len() >= 10, "too few fixtures: {report:#?}");
    // The quick check must fit what Consul really stores, or it is never the one that decides.
    assert!(
        held >= 10,
        "only {held} of {typed} entries of the modelled kinds were told unchanged from their text"
    );
}

/// Of the entries of the modelled kinds in `desired`: how many there are, and how many the
/// quick check (`plan::unchanged`) tells unchanged as `live` holds them.
fn told_unchanged(desired: &Desired, live: &Live) -> (usize, usize) {
    let mut counts = (0, 0);
    for (cluster, entries) in &desired.entries {
        for (key, declared) in entries {
            if matches!(declared.entry, ConfigEntry::Other(_)) {
                continue;
            }
            counts.0 += 1;
            let stored = live.clusters.get(cluster).and_then(|c| c.entries.get(key));
            if stored.is_some_and(|stored| {
                plan::unchanged::holds(&declared.entry, &desired.workspace, stored)
            }) {
                counts.1 += 1;
            }
        }
    }
    counts
}

// ---------------------------------------------------------------------------------------------
// 2. Each kind of action appears when it should
// ---------------------------------------------------------------------------------------------

/// An intentions entry for `web` with one local source, `api`, allowed or denied.
fn web_intentions(action: &str) -> String {
    format!(
        "Kind = \"service-intentions\"\nName = \"web\"\n\
         Sources = [{{ Name = \"api\", Action = \"{action}\" }}]\n"
    )
}

fn web_intentions_json(action: &str) -> Value {
    json!({
        "Kind": "service-intentions",
        "Name": "web",
        "Sources": [{ "Name": "api", "Action": action }],
    })
}

/// What is live before a case: an intentions entry for `web`, with the mark or without.
#[derive(Clone, Copy)]
enum LiveWeb {
    Absent,
    Marked(&'static str),
    Unmarked(&'static str),
}

struct EntryCase {
    name: &'static str,
    /// `Sources[0].Action` of `web` in the files; `None`: the files declare no entry.
    files: Option<&'static str>,
    live: LiveWeb,
    /// The one change expected, and the paths its `changed` must hold exactly.
    expected: Option<(Action, &'static [&'static str])>,
}

#[tokio::test]
async fn each_entry_action_appears_when_it_should() {
    let cases = [
        EntryCase {
            name: "declared and absent: create",
            files: Some("allow"),
            live: LiveWeb::Absent,
            expected: Some((Action::Create, &[])),
        },
        EntryCase {
            name: "declared, live with the mark and equal: nothing",
            files: Some("allow"),
            live: LiveWeb::Marked("allow"),
            expected: None,
        },
        EntryCase {
            name: "declared, live with the mark and different: update naming the field",
            files: Some("deny"),
            live: LiveWeb::Marked("allow"),
            expected: Some((Action::Update, &["Sources[0].Action"])),
        },
        EntryCase {
            name: "live with the mark and gone from the files: delete",
            files: None,
            live: LiveWeb::Marked("allow"),
            expected: Some((Action::Delete, &[])),
        },
        EntryCase {
            name: "declared and live without the mark: adopt, the write adds the mark",
            files: Some("allow"),
            live: LiveWeb::Unmarked("allow"),
            expected: Some((Action::Adopt, &["Meta"])),
        },
        EntryCase {
            name: "declared and live without the mark and different: adopt with the change",
            files: Some("deny"),
            live: LiveWeb::Unmarked("allow"),
            expected: Some((Action::Adopt, &["Meta", "Sources[0].Action"])),
        },
        EntryCase {
            name: "live without the mark and not declared: nothing",
            files: None,
            live: LiveWeb::Unmarked("allow"),
            expected: None,
        },
    ];
    let agent = Cluster::start("cluster-01").await;
    let consul = client(&agent);
    let mut failures = String::new();
    for case in &cases {
        let workspace = Workspace::new(&cluster_blocks(&[&agent]));
        if let Some(action) = case.files {
            workspace.file("cluster-01/web.hcl", &web_intentions(action));
        }
        let desired = workspace.load();
        let live_index = match case.live {
            LiveWeb::Absent => 0,
            LiveWeb::Marked(action) => write(&consul, marked(web_intentions_json(action))).await,
            LiveWeb::Unmarked(action) => write(&consul, web_intentions_json(action)).await,
        };
        let plan = plan_of(&desired).await;
        if let Err(why) = check_entry_case(case, &plan, live_index) {
            let _ = writeln!(failures, "{}: {why}\n{}", case.name, text(&plan));
        }
        clean(&desired).await;
    }
    assert!(failures.is_empty(), "{failures}");
}

fn check_entry_case(case: &EntryCase, plan: &Plan, live_index: u64) -> Result<(), String> {
    let Some((action, changed)) = case.expected else {
        return match plan.changes.as_slice() {
            [] if !plan.has_changes() => Ok(()),
            _ => Err("expected no change".to_owned()),
        };
    };
    let [change] = plan.changes.as_slice() else {
        return Err(format!("expected one change, got {}", plan.changes.len()));
    };
    let mut problems = Vec::new();
    if change.action != action {
        problems.push(format!("action {:?}, expected {action:?}", change.action));
    }
    if change.cluster != "cluster-01" || change.object.to_string() != "service-intentions/web" {
        problems.push(format!("on {} {}", change.cluster, change.object));
    }
    // Compared as sets: the order of `changed` is not part of the contract tested here.
    let mut seen = change.changed.clone();
    seen.sort();
    if seen != changed {
        problems.push(format!(
            "changed {:?}, expected {changed:?}",
            change.changed
        ));
    }
    if change.modify_index != live_index {
        problems.push(format!(
            "modify_index {}, expected the live entry's {live_index}",
            change.modify_index
        ));
    }
    let body_marked = change
        .body
        .as_ref()
        .is_some_and(|body| body["Meta"][MANAGED_BY_KEY] == MANAGED_BY_VALUE);
    let delete_shape = change.body.is_none() && change.after.is_none() && change.before.is_some();
    match action {
        Action::Delete if !delete_shape => problems.push("a delete has `before` only".to_owned()),
        Action::Delete => {}
        _ if !body_marked => problems.push("the body to PUT lacks the mark".to_owned()),
        Action::Create if change.before.is_some() => {
            problems.push("a create has no `before`".to_owned())
        }
        Action::Adopt if change.reason.is_none() => problems.push("an adopt says why".to_owned()),
        _ => {}
    }
    if !plan.has_changes() {
        problems.push("the plan says it has no changes".to_owned());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[tokio::test]
async fn each_peering_action_appears_when_it_should() {
    let [acceptor, dialer] = pair().await;
    let blocks = cluster_blocks(&[&acceptor, &dialer]);
    let declared = Workspace::new(&format!("{blocks}{SEED_PEERING}")).load();
    let undeclared = Workspace::new(&blocks).load();

    // Nothing live: establish, on the acceptor's cluster.
    let plan = plan_of(&declared).await;
    let change = only_change(&plan);
    assert_eq!(
        (
            change.action,
            change.cluster.as_str(),
            change.object.to_string().as_str()
        ),
        (Action::Establish, "cluster-01", "peering cluster-02"),
        "{}",
        text(&plan)
    );
    assert_eq!(change.modify_index, 0);
    assert!(!change.destructive);

    // Established by hand, with the mark, and ACTIVE: declared, nothing to do.
    peer(&acceptor, &dialer, &managed_meta()).await;
    let plan = plan_of(&declared).await;
    assert!(
        plan.changes.is_empty(),
        "a working peering drifts:\n{}",
        text(&plan)
    );

    // Gone from the files: both marked sides are deleted, flagged destructive.
    let plan = plan_of(&undeclared).await;
    let deletes: Vec<(&str, String, Action, bool)> = plan
        .changes
        .iter()
        .map(|c| {
            (
                c.cluster.as_str(),
                c.object.to_string(),
                c.action,
                c.destructive,
            )
        })
        .collect();
    assert_eq!(
        deletes,
        [
            (
                "cluster-01",
                "peering cluster-02".to_owned(),
                Action::Delete,
                true
            ),
            (
                "cluster-02",
                "peering cluster-01".to_owned(),
                Action::Delete,
                true
            ),
        ],
        "{}",
        text(&plan)
    );
    assert!(text(&plan).contains("(destructive)"), "{}", text(&plan));

    // The dialer deletes its side: the acceptor's turns TERMINATED; declared → re-establish.
    delete_peering(&dialer, "cluster-01").await;
    wait_for("cluster-01's side to turn TERMINATED", async || {
        (peering_state(&acceptor, "cluster-02").await.as_deref() == Some("TERMINATED"))
            .then_some(())
    })
    .await;
    wait_for("cluster-02's side to be gone", async || {
        peering_state(&dialer, "cluster-01")
            .await
            .is_none()
            .then_some(())
    })
    .await;
    let plan = plan_of(&declared).await;
    let change = only_change(&plan);
    assert_eq!(change.action, Action::Reestablish, "{}", text(&plan));
    assert_eq!(change.cluster, "cluster-01");
    let reason = change.reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains("TERMINATED") && reason.contains("cluster-02's side is gone"),
        "the reason names both problems: {reason:?}"
    );
    assert!(text(&plan).contains("-/+ peering cluster-02 will be re-established"));

    // Gone from the files while TERMINATED: deleted, and not destructive (nothing flows).
    let plan = plan_of(&undeclared).await;
    let change = only_change(&plan);
    assert_eq!(
        (change.action, change.cluster.as_str(), change.destructive),
        (Action::Delete, "cluster-01", false),
        "{}",
        text(&plan)
    );

    // Established again by hand without the mark: adopted as is, which writes nothing.
    delete_peering(&acceptor, "cluster-02").await;
    wait_for("cluster-01's side to be gone", async || {
        peering_state(&acceptor, "cluster-02")
            .await
            .is_none()
            .then_some(())
    })
    .await;
    peer(&acceptor, &dialer, &json!({})).await;
    let plan = plan_of(&declared).await;
    let adopts: Vec<(&str, Action)> = plan
        .changes
        .iter()
        .map(|c| (c.cluster.as_str(), c.action))
        .collect();
    assert_eq!(
        adopts,
        [("cluster-01", Action::Adopt), ("cluster-02", Action::Adopt)],
        "{}",
        text(&plan)
    );
    assert!(!plan.has_changes(), "a peering adopt writes nothing");
    // Unmarked and undeclared: never touched.
    let plan = plan_of(&undeclared).await;
    assert!(plan.changes.is_empty(), "{}", text(&plan));
}

// ---------------------------------------------------------------------------------------------
// 3. Out-of-band edits
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_out_of_band_edit_shows_as_an_update_naming_the_changed_field() {
    let agent = Cluster::start("cluster-01").await;
    let workspace = Workspace::new(&cluster_blocks(&[&agent]));
    // The `*` source is written first; Consul sorts the exact one before it.
    workspace.file(
        "cluster-01/frontend.hcl",
        "Kind = \"service-intentions\"\nName = \"frontend-service\"\nSources = [\n\
         { Name = \"*\", Action = \"deny\" },\n\
         { Name = \"backend-service\", Action = \"allow\" },\n]\n",
    );
    let desired = workspace.load();
    write_all(&desired).await.expect("the files are written");
    let plan = plan_of(&desired).await;
    assert!(plan.changes.is_empty(), "{}", text(&plan));

    // Someone flips the allow to deny with the HTTP API, keeping the mark.
    let mut live = get_entry(&agent, "service-intentions", "frontend-service").await;
    assert_eq!(live["Sources"][0]["Name"], "backend-service", "{live:#}");
    live["Sources"][0]["Action"] = json!("deny");
    assert_eq!(put_entry(&agent, &live).await, json!(true));
    let live = get_entry(&agent, "service-intentions", "frontend-service").await;

    let plan = plan_of(&desired).await;
    let change = only_change(&plan);
    assert_eq!(change.action, Action::Update, "{}", text(&plan));
    assert_eq!(change.changed, ["Sources[0].Action"]);
    assert_eq!(
        change.differences,
        ["source backend-service: Action: deny → allow"]
    );
    assert_eq!(Some(change.modify_index), live["ModifyIndex"].as_u64());
    let shown = text(&plan);
    for line in [
        "~ service-intentions/frontend-service will be updated",
        "source backend-service: Action: deny → allow",
        "-      \"Action\": \"deny\"",
        "+      \"Action\": \"allow\"",
        "Plan: 0 to create, 1 to update, 0 to delete.",
    ] {
        assert!(shown.contains(line), "no {line:?} in:\n{shown}");
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Ownership
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_unmanaged_live_entry_is_never_planned_for_deletion() {
    let agent = Cluster::start("cluster-01").await;
    let consul = client(&agent);
    let workspace = Workspace::new(&cluster_blocks(&[&agent]));
    workspace.file("cluster-01/web.hcl", &web_intentions("allow"));
    let desired = workspace.load();
    write_all(&desired).await.expect("the files are written");
    // Someone else's entries, of a kind the files use and of one they do not.
    let mut theirs = web_intentions_json("deny");
    theirs["Name"] = json!("billing");
    write(&consul, theirs).await;
    let defaults = json!({ "Kind": "service-defaults", "Name": "billing", "Protocol": "http" });
    write(&consul, defaults).await;

    let plan = plan_of(&desired).await;
    assert!(plan.changes.is_empty(), "{}", text(&plan));
}

#[tokio::test]
async fn a_managed_entry_of_a_kind_the_files_do_not_mention_is_planned_for_deletion() {
    let agent = Cluster::start("cluster-01").await;
    let consul = client(&agent);
    let workspace = Workspace::new(&cluster_blocks(&[&agent]));
    workspace.file("cluster-01/web.hcl", &web_intentions("allow"));
    let desired = workspace.load();
    write_all(&desired).await.expect("the files are written");
    let orphan = json!({ "Kind": "service-defaults", "Name": "orphan", "Protocol": "http" });
    let index = write(&consul, marked(orphan)).await;

    let plan = plan_of(&desired).await;
    let change = only_change(&plan);
    assert_eq!(
        (
            change.action,
            change.object.to_string(),
            change.modify_index
        ),
        (Action::Delete, "service-defaults/orphan".to_owned(), index),
        "{}",
        text(&plan)
    );
}

// ---------------------------------------------------------------------------------------------
// 5. The three renderings
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_plan_with_create_update_delete_and_establish_renders_as_reviewed() {
    let [acceptor, dialer] = pair().await;
    let blocks = cluster_blocks(&[&acceptor, &dialer]);
    let workspace = Workspace::new(&format!("{blocks}{SEED_PEERING}"));
    workspace.file(
        "cluster-01/exported-services.hcl",
        "Kind = \"exported-services\"\nName = \"default\"\nServices = [\n\
         { Name = \"frontend-service\", Consumers = [{ Peer = \"cluster-02\" }] }\n]\n",
    );
    workspace.file(
        "cluster-01/frontend-service-intentions.hcl",
        "Kind = \"service-intentions\"\nName = \"frontend-service\"\nSources = [\n\
         { Name = \"backend-service\", Peer = \"cluster-02\", Action = \"allow\" }\n]\n",
    );
    let desired = workspace.load();
    // Live: the intentions deny (update), and cluster-02 has a retired managed entry (delete).
    let intentions = json!({
        "Kind": "service-intentions",
        "Name": "frontend-service",
        "Sources": [{ "Name": "backend-service", "Peer": "cluster-02", "Action": "deny" }],
    });
    write(&client(&acceptor), marked(intentions)).await;
    let retired = json!({ "Kind": "service-defaults", "Name": "retired", "Protocol": "http" });
    write(&client(&dialer), marked(retired)).await;

    let plan = plan_of(&desired).await;
    let actions: Vec<Action> = plan.changes.iter().map(|c| c.action).collect();
    for action in [
        Action::Create,
        Action::Update,
        Action::Delete,
        Action::Establish,
    ] {
        assert!(actions.contains(&action), "no {action:?} in {actions:?}");
    }
    let mut markdown = Vec::new();
    render::markdown::render(&plan, &mut markdown).expect("render to memory");
    let mut json = Vec::new();
    render::json::render(&plan, &mut json).expect("render to memory");
    let root = workspace.dir.path().display().to_string();
    let stable = |rendered: String| rendered.replace(&root, "[WORKSPACE]");
    insta::with_settings!({ filters => vec![
        (r#""modify_index": [1-9]\d*"#, r#""modify_index": [INDEX]"#),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
    ]}, {
        insta::assert_snapshot!("create_update_delete_establish_text", stable(text(&plan)));
        insta::assert_snapshot!(
            "create_update_delete_establish_markdown",
            stable(String::from_utf8(markdown).expect("UTF-8"))
        );
        insta::assert_snapshot!(
            "create_update_delete_establish_json",
            stable(String::from_utf8(json).expect("UTF-8"))
        );
    });
}

// ---------------------------------------------------------------------------------------------
// 6. The binary
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn detailed_exitcode_is_2_with_changes_0_without_and_1_on_error() {
    let [first, second] = pair().await;
    let workspace = Workspace::new(&cluster_blocks(&[&first, &second]));
    workspace.file("cluster-01/web.hcl", &web_intentions("allow"));
    let dir = workspace.dir.path();

    let run = meshplan(&["plan", "--detailed-exitcode"], dir, &[]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stdout
            .contains("+ service-intentions/web will be created"),
        "{run}"
    );
    let run = meshplan(&["plan"], dir, &[]);
    assert_eq!(run.code, Some(0), "without the flag, changes exit 0: {run}");

    write_all(&workspace.load())
        .await
        .expect("the files are written");
    let run = meshplan(&["plan", "--detailed-exitcode"], dir, &[]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        run.stdout
            .contains("No changes. The clusters match the files."),
        "{run}"
    );

    // The files say another datacenter than the agent's: an error, not a plan.
    let blocks = cluster_blocks(&[&first, &second]).replacen(
        "cluster \"cluster-01\" {",
        "cluster \"cluster-01\" {\n  datacenter = \"elsewhere\"",
        1,
    );
    let wrong = Workspace::new(&blocks);
    let run = meshplan(&["plan", "--detailed-exitcode"], wrong.dir.path(), &[]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stderr.contains("elsewhere") && run.stdout.is_empty(),
        "{run}"
    );
}

#[tokio::test]
async fn a_saved_plan_applies_once_and_is_refused_whole_once_anything_moved() {
    let [first, second] = pair().await;
    let workspace = Workspace::new(&cluster_blocks(&[&first, &second]));
    workspace.file("cluster-01/web.hcl", &web_intentions("allow"));
    let dir = workspace.dir.path();
    let saved = dir.join("saved.plan");
    let out = saved.to_str().expect("a UTF-8 path");

    // Without a terminal to confirm on, applying a folder needs --auto-approve.
    let run = meshplan(&["apply"], dir, &[]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("--auto-approve"), "{run}");

    let run = meshplan(&["plan", "--out", out], dir, &[]);
    assert_eq!(run.code, Some(0), "{run}");
    let run = meshplan(&["apply"], &saved, &[]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(run.stdout.contains("Apply complete: 1 created"), "{run}");
    assert_eq!(
        get_entry(&first, "service-intentions", "web").await["Sources"][0]["Action"],
        "allow"
    );

    // The same plan again: what it planned to create now exists, so nothing is written.
    let run = meshplan(&["apply"], &saved, &[]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stderr.contains("changed since the plan was made")
            && run.stderr.contains("service-intentions/web"),
        "{run}"
    );

    // A plan made before a file changed is refused too, and the live entry stays as it was.
    workspace.file("cluster-01/web.hcl", &web_intentions("deny"));
    let run = meshplan(&["plan", "--out", out], dir, &[]);
    assert_eq!(run.code, Some(0), "{run}");
    workspace.file("cluster-01/web.hcl", &web_intentions("allow"));
    let run = meshplan(&["apply"], &saved, &[]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("files"), "{run}");
    assert_eq!(
        get_entry(&first, "service-intentions", "web").await["Sources"][0]["Action"],
        "allow"
    );
}

#[tokio::test]
async fn a_saved_plan_holds_modify_indexes_and_a_digest_and_no_token_appears_anywhere() {
    const TOKEN: &str = "6f1c2a9e-4b7d-4e0a-9c3f-2d8b5e7a1f04";
    const TOKEN_ENV: &str = "MESHPLAN_TEST_TOKEN";
    // One attribute per line: the harness reads the token back with an HCL2 parser, which
    // refuses the one-line form Consul's HCL1 parser accepts (`acl { enabled = true\n ...`).
    let acl = format!(
        "acl {{\n  enabled = true\n  default_policy = \"deny\"\n  tokens {{\n    \
         initial_management = \"{TOKEN}\"\n  }}\n}}\n"
    );
    let agent = Cluster::start_with("cluster-01", &[&acl]).await;
    let workspace = Workspace::new(&format!(
        "cluster \"cluster-01\" {{\n  address   = \"{}\"\n  token_env = \"{TOKEN_ENV}\"\n}}\n",
        agent.http_addr()
    ));
    workspace.file("cluster-01/web.hcl", &web_intentions("allow"));
    workspace.file(
        "cluster-01/api.hcl",
        &web_intentions("allow").replace("\"web\"", "\"api\""),
    );
    let desired = workspace.load();
    // `api` is live and managed but denies: an update against its ModifyIndex.
    let consul = Client::new(
        &desired.clusters["cluster-01"],
        &Env::from_vars([(TOKEN_ENV, TOKEN)]),
        &desired.root,
    )
    .expect("a client with the token");
    let mut api = marked(web_intentions_json("deny"));
    api["Name"] = json!("api");
    assert_eq!(consul.write_entry(&api, 0).await.ok(), Some(true));
    let api_index = consul
        .read_entry("service-intentions", "api")
        .await
        .expect("read api")
        .expect("api is live")
        .modify_index;

    let out = workspace.dir.path().join("saved.plan.json");
    let out_arg = out.display().to_string();
    let dir = workspace.dir.path();
    let env = [(TOKEN_ENV, TOKEN)];
    let run = meshplan(
        &["plan", "--detailed-exitcode", "--out", &out_arg],
        dir,
        &env,
    );
    assert_eq!(run.code, Some(2), "{run}");
    let saved_text = std::fs::read_to_string(&out).expect("the plan is saved");
    let saved: Value = serde_json::from_str(&saved_text).expect("the saved plan is JSON");
    assert!(
        saved["digest"]
            .as_str()
            .is_some_and(|digest| !digest.is_empty()),
        "no digest: {saved:#}"
    );
    let changes = saved["plan"]["changes"].as_array().expect("changes");
    let indexes: BTreeMap<String, Option<u64>> = changes
        .iter()
        .map(|change| {
            let name = change["object"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            (name, change["modify_index"].as_u64())
        })
        .collect();
    assert_eq!(
        indexes,
        BTreeMap::from([
            ("api".to_owned(), Some(api_index)),
            ("web".to_owned(), Some(0))
        ]),
        "{saved:#}"
    );
    let json_run = meshplan(&["plan", "--format", "json"], dir, &env);
    let markdown_run = meshplan(&["plan", "--format", "markdown"], dir, &env);
    // Without the token the agent refuses: the error must not show one either.
    let refused = meshplan(
        &["plan"],
        dir,
        &[(TOKEN_ENV, "00000000-0000-0000-0000-000000000000")],
    );
    assert_eq!(refused.code, Some(1), "{refused}");
    for (what, output) in [
        ("stdout", run.stdout.as_str()),
        ("stderr", run.stderr.as_str()),
        ("the saved plan", saved_text.as_str()),
        ("json stdout", json_run.stdout.as_str()),
        ("markdown stdout", markdown_run.stdout.as_str()),
        ("the refused run's stderr", refused.stderr.as_str()),
    ] {
        assert!(
            !output.contains(TOKEN),
            "the ACL token is in {what}:\n{output}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The workspaces of `examples/` and `tests/cases/good/`, in name order.
fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = Vec::new();
    for family in ["examples", "tests/cases/good"] {
        let found = std::fs::read_dir(root.join(family))
            .unwrap_or_else(|err| panic!("{family} is readable: {err}"))
            .map(|entry| entry.expect("a readable folder entry").path())
            .filter(|dir| {
                dir.join("meshplan.hcl").is_file() || dir.join("meshplan.toml").is_file()
            });
        let mut found: Vec<PathBuf> = found.collect();
        found.sort();
        dirs.extend(found);
    }
    let listed = ENTERPRISE_ONLY.iter().map(|(dir, _)| *dir);
    for dir in listed {
        assert!(
            dirs.contains(&root.join(dir)),
            "{dir} is listed in this file but is not a fixture"
        );
    }
    dirs
}

/// `dir` relative to the repository root, as the skip list names it.
fn relative(dir: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    dir.strip_prefix(root).unwrap_or(dir).display().to_string()
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

/// Points the workspace's clusters, in name order, at `agents` (in order): the agent's address,
/// no token, TLS or expected datacenter from the files (they name machines of the fixture's
/// imagination).
fn point_at(desired: &mut Desired, agents: &[Cluster]) {
    assert!(
        desired.clusters.len() <= agents.len(),
        "{} clusters but only {} agents",
        desired.clusters.len(),
        agents.len()
    );
    for (spec, agent) in desired.clusters.values_mut().zip(agents) {
        spec.address = Some(agent.http_addr());
        spec.token = TokenSource::Default;
        spec.tls = None;
        spec.datacenter = agent.name().to_owned();
    }
}

/// No `CONSUL_*` variable of the developer's shell leaks into a test.
fn no_env() -> Env {
    Env::from_vars(Vec::<(String, String)>::new())
}

fn client_for(desired: &Desired, cluster: &str) -> Client {
    let spec = &desired.clusters[cluster];
    Client::new(spec, &no_env(), &desired.root).expect("a client for the cluster")
}

/// A client for one agent, without a workspace.
fn client(agent: &Cluster) -> Client {
    let spec = ClusterSpec {
        name: agent.name().to_owned(),
        address: Some(agent.http_addr()),
        token: TokenSource::Default,
        datacenter: agent.name().to_owned(),
        partition: None,
        entries_dir: PathBuf::from(agent.name()),
        tls: None,
    };
    Client::new(&spec, &no_env(), Path::new(".")).expect("a client for the agent")
}

fn clients(desired: &Desired) -> Vec<(String, Client)> {
    desired
        .clusters
        .keys()
        .map(|name| (name.clone(), client_for(desired, name)))
        .collect()
}

/// What `meshplan plan` computes: refresh every cluster, then plan.
async fn plan_of(desired: &Desired) -> Plan {
    let live = consul::refresh(&clients(desired), desired)
        .await
        .unwrap_or_else(|err| panic!("refresh failed: {err}"));
    plan::plan(desired, &live)
}

/// The plan as the terminal shows it, without colour.
fn text(plan: &Plan) -> String {
    let mut out = Vec::new();
    render::text::render(plan, &mut out, render::text::Options { color: false })
        .expect("render to memory");
    String::from_utf8(out).expect("UTF-8")
}

/// `body` with the mark of workspace [`WORKSPACE`] in `Meta`.
fn marked(body: Value) -> Value {
    marked_by(body, WORKSPACE)
}

/// `body` with the mark of `workspace` in `Meta`, in whatever spelling the body uses for `Meta`.
fn marked_by(mut body: Value, workspace: &str) -> Value {
    let map = body.as_object_mut().expect("an entry is a JSON object");
    let key = map
        .keys()
        .find(|key| fold_key(key) == "meta")
        .cloned()
        .unwrap_or_else(|| "Meta".to_owned());
    map.entry(key)
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("Meta is an object")
        .extend([
            (MANAGED_BY_KEY.to_owned(), MANAGED_BY_VALUE.into()),
            (WORKSPACE_KEY.to_owned(), workspace.into()),
        ]);
    body
}

/// The order Consul accepts writes in: protocols and JWT providers before what needs them
/// (routers need an HTTP protocol, L7 intentions too, intentions naming a provider need it).
fn write_rank(kind: &str) -> u8 {
    match kind {
        "proxy-defaults" | "service-defaults" | "jwt-provider" | "mesh" => 0,
        "exported-services" | "service-intentions" => 2,
        _ => 1,
    }
}

/// Writes every declared entry, marked, with `cas=0`, in dependency order; how many.
async fn write_all(desired: &Desired) -> Result<usize, String> {
    let mut entries: Vec<(&String, &meshplan::model::ConfigEntry)> = desired
        .entries
        .iter()
        .flat_map(|(cluster, entries)| entries.values().map(move |e| (cluster, &e.entry)))
        .collect();
    entries.sort_by_key(|(_, entry)| write_rank(&entry.key().kind));
    for (cluster, entry) in &entries {
        let body = marked_by(entry.to_json(), &desired.workspace);
        let written = client_for(desired, cluster)
            .write_entry(&body, 0)
            .await
            .map_err(|err| format!("{cluster}: {}: {err}\nbody: {body:#}", entry.key()))?;
        if !written {
            return Err(format!("{cluster}: {} already exists", entry.key()));
        }
    }
    Ok(entries.len())
}

/// Deletes every config entry of every cluster of `desired`, retrying what Consul refuses while
/// something still depends on it, until none is left.
async fn clean(desired: &Desired) {
    for _ in 0..10 {
        let live = consul::refresh(&clients(desired), desired)
            .await
            .unwrap_or_else(|err| panic!("refresh failed: {err}"));
        let mut left = 0;
        for (cluster, live_cluster) in &live.clusters {
            let client = client_for(desired, cluster);
            for (key, entry) in &live_cluster.entries {
                left += 1;
                let _ = client
                    .delete_entry(&key.kind, &key.name, entry.modify_index)
                    .await;
            }
        }
        if left == 0 {
            return;
        }
    }
    panic!("config entries are left after 10 rounds of deletes");
}

/// The seed's peering: cluster-01 accepts, cluster-02 dials, each names it after the other.
const SEED_PEERING: &str = "\npeering {\n  acceptor = \"cluster-01\"\n  dialer   = \"cluster-02\"\n  \
                            meta     = { owner = \"platform\" }\n}\n";

/// Generate-token answers 500 for a short while after start-up (consul-api.md 1.10).
const TOKEN_ATTEMPTS: u32 = 20;

/// A peering usually turns ACTIVE in 100 ms, but up to 5 s after start-up (`Cluster::start`);
/// a deleted side takes a moment to reach the other side and to vanish.
const PEERING_TIMEOUT: Duration = Duration::from_secs(30);

/// The name of the workspaces these tests write.
const WORKSPACE: &str = "it";

/// A temporary workspace folder.
struct Workspace {
    dir: TempDir,
}

impl Workspace {
    /// A workspace whose `meshplan.hcl` is `text`, named [`WORKSPACE`] unless `text` names it.
    fn new(text: &str) -> Self {
        let text = if text.contains("workspace =") {
            text.to_owned()
        } else {
            format!("workspace = \"{WORKSPACE}\"\n{text}")
        };
        let text = text.as_str();
        let workspace = Self {
            dir: tempfile::Builder::new()
                .prefix("meshplan-plan-")
                .tempdir()
                .expect("a temp dir"),
        };
        workspace.file("meshplan.hcl", text);
        workspace
    }

    fn file(&self, rel: &str, text: &str) {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create the folder");
        std::fs::write(&path, text).expect("write the file");
    }

    fn load(&self) -> Desired {
        load(self.dir.path())
    }
}

/// A `cluster` block per agent, named after it, at its address.
fn cluster_blocks(agents: &[&Cluster]) -> String {
    agents.iter().map(|agent| cluster_block(agent)).collect()
}

async fn pair() -> [Cluster; 2] {
    let clusters = start_clusters(&["cluster-01", "cluster-02"]).await;
    let Ok(pair) = <[Cluster; 2]>::try_from(clusters) else {
        unreachable!("two names give two clusters")
    };
    pair
}

/// The plan's only change.
fn only_change(plan: &Plan) -> &Change {
    match plan.changes.as_slice() {
        [change] => change,
        _ => panic!("expected one change:\n{}", text(plan)),
    }
}

/// Writes `body` as a new entry (`cas=0`) and returns its ModifyIndex.
async fn write(consul: &Client, body: Value) -> u64 {
    let kind = body["Kind"].as_str().expect("a Kind").to_owned();
    let name = body["Name"].as_str().expect("a Name").to_owned();
    let written = consul.write_entry(&body, 0).await;
    assert_eq!(
        written.as_ref().ok(),
        Some(&true),
        "write {kind}/{name}: {written:?}"
    );
    consul
        .read_entry(&kind, &name)
        .await
        .expect("read it back")
        .expect("it is live")
        .modify_index
}

async fn get_entry(agent: &Cluster, kind: &str, name: &str) -> Value {
    read_entry(agent, kind, name)
        .await
        .unwrap_or_else(|| panic!("{kind}/{name} exists"))
}

/// The `Meta` meshplan gives the seed's peering: the mark and the files' `meta`.
fn managed_meta() -> Value {
    json!({ MANAGED_BY_KEY: MANAGED_BY_VALUE, WORKSPACE_KEY: WORKSPACE, "owner": "platform" })
}

/// Peers `acceptor` and `dialer` by hand, each naming the peering after the other, both with
/// `meta`, and waits until both sides are ACTIVE.
async fn peer(acceptor: &Cluster, dialer: &Cluster, meta: &Value) {
    let token = generate_token(acceptor, dialer.name(), meta).await;
    let url = format!("{}/v1/peering/establish", dialer.http_addr());
    let body = json!({ "PeerName": acceptor.name(), "PeeringToken": token, "Meta": meta });
    let response = http()
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("POST establish");
    success_json(response, "establish the peering").await;
    for (cluster, peer) in [(acceptor, dialer), (dialer, acceptor)] {
        let what = format!("{}'s side of the peering to be ACTIVE", cluster.name());
        wait_for(&what, async || {
            let state = peering_state(cluster, peer.name()).await;
            (state.as_deref() == Some(PeeringState::Active.as_str())).then_some(())
        })
        .await;
    }
}

/// A peering token; never printed, it is a secret.
async fn generate_token(acceptor: &Cluster, peer: &str, meta: &Value) -> String {
    let url = format!("{}/v1/peering/token", acceptor.http_addr());
    let body = json!({ "PeerName": peer, "Meta": meta });
    let mut attempt = 1;
    let response = loop {
        let response = http()
            .post(&url)
            .json(&body)
            .send()
            .await
            .expect("POST token");
        if response.status() != StatusCode::INTERNAL_SERVER_ERROR || attempt == TOKEN_ATTEMPTS {
            break response;
        }
        attempt += 1;
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let reply = success_json(response, "generate a peering token").await;
    reply["PeeringToken"]
        .as_str()
        .expect("a PeeringToken")
        .to_owned()
}

/// The peering's `State`; `None` when there is no such peering (404).
async fn peering_state(agent: &Cluster, name: &str) -> Option<String> {
    let url = format!("{}/v1/peering/{name}", agent.http_addr());
    let response = http().get(url).send().await.expect("GET /v1/peering/:name");
    if response.status() == StatusCode::NOT_FOUND {
        return None;
    }
    let peering = success_json(response, "read the peering").await;
    Some(peering["State"].as_str().unwrap_or_default().to_owned())
}

async fn delete_peering(agent: &Cluster, name: &str) {
    let url = format!("{}/v1/peering/{name}", agent.http_addr());
    let response = http()
        .delete(url)
        .send()
        .await
        .expect("DELETE /v1/peering/:name");
    success_json(response, "delete the peering").await;
}

/// Polls `probe` until it yields a value; panics after [`PEERING_TIMEOUT`], naming `what`.
async fn wait_for<T>(what: &str, probe: impl AsyncFnMut() -> Option<T>) -> T {
    poll_until(PEERING_TIMEOUT, what, probe).await
}
