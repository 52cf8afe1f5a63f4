//! Snapshots of the three renderings of one plan that has every action, with colour off, plus
//! the properties snapshots cannot show (colour on, Markdown truncation, JSON round trip, the
//! plan's schema).

use serde_json::{Value, json};

use super::{json as json_renderer, markdown, text};
use crate::model::{Desired, Live};
use crate::plan::tests::{
    Role, acceptor_only, declare, dialer_only, live, marked, marked_by, peering, put_live,
    put_peering, workspace,
};
use crate::plan::{Action, Options, Plan, plan, plan_with};

fn intentions(name: &str, sources: Value) -> Value {
    json!({ "Kind": "service-intentions", "Name": name, "Sources": sources })
}

/// The fixture's `frontend-service` intentions, allowing or denying `backend-service`.
fn frontend(action: &str) -> Value {
    intentions(
        "frontend-service",
        json!([
            { "Name": "backend-service", "Peer": "cluster-02", "Action": action },
            { "Name": "*", "Action": "deny" }
        ]),
    )
}

/// A plan with every action: establish, re-establish, adopt (peering and entry), create,
/// update, delete (entry and destructive peering).
fn every_action() -> Plan {
    plan(&fixture_files(), &fixture_clusters())
}

/// Three peerings (both sides ours, only the acceptor, only the dialer) and four entries.
fn fixture_files() -> Desired {
    let mut desired = workspace(&["cluster-01", "cluster-02"]);
    desired.peerings.push(peering("cluster-01", "cluster-02"));
    desired
        .peerings
        .push(acceptor_only("cluster-01", "partner-east"));
    desired
        .peerings
        .push(dialer_only("partner-west", "cluster-02"));
    declare(&mut desired, "cluster-01", frontend("allow"));
    let exports = json!({ "Kind": "exported-services", "Name": "default",
        "Services": [{ "Name": "frontend-service", "Consumers": [{ "Peer": "cluster-02" }] }] });
    declare(&mut desired, "cluster-01", exports);
    let defaults = json!({ "Kind": "service-defaults", "Name": "frontend-service",
        "Protocol": "http" });
    declare(&mut desired, "cluster-01", defaults);
    let backend = intentions(
        "backend-service",
        json!([{ "Name": "frontend-service", "Peer": "cluster-01", "Permissions": [
            { "Action": "allow", "HTTP": { "PathPrefix": "/api", "Methods": ["GET"] } }
        ] }]),
    );
    declare(&mut desired, "cluster-02", backend);
    desired
}

/// What the clusters hold: an outdated entry, an unmarked one, a retired one, a TERMINATED
/// acceptor, a retired peering and an unmarked dialer.
fn fixture_clusters() -> Live {
    let mut live = live(&["cluster-01", "cluster-02"]);
    put_live(&mut live, "cluster-01", marked(frontend("deny")), 12);
    let defaults = json!({ "Kind": "service-defaults", "Name": "frontend-service",
        "Protocol": "tcp", "Expose": {}, "ModifyIndex": 7 });
    put_live(&mut live, "cluster-01", defaults, 7);
    let legacy = intentions(
        "legacy",
        json!([{ "Name": "old-service", "Action": "allow", "Precedence": 9, "Type": "consul" }]),
    );
    put_live(&mut live, "cluster-01", marked(legacy), 30);
    let terminated = (Role::Acceptor, "TERMINATED", true);
    put_peering(&mut live, "cluster-01", "partner-east", terminated, 41);
    put_peering(
        &mut live,
        "cluster-01",
        "retired",
        (Role::Acceptor, "ACTIVE", true),
        42,
    );
    put_peering(
        &mut live,
        "cluster-02",
        "partner-west",
        (Role::Dialer, "ACTIVE", false),
        43,
    );
    live
}

fn text_of(plan: &Plan, color: bool) -> String {
    let mut out = Vec::new();
    text::render(plan, &mut out, text::Options { color }).expect("renders");
    String::from_utf8(out).expect("UTF-8")
}

fn markdown_of(plan: &Plan) -> String {
    let mut out = Vec::new();
    markdown::render(plan, &mut out).expect("renders");
    String::from_utf8(out).expect("UTF-8")
}

fn json_of(plan: &Plan) -> String {
    let mut out = Vec::new();
    json_renderer::render(plan, &mut out).expect("renders");
    String::from_utf8(out).expect("UTF-8")
}

#[test]
fn the_fixture_has_every_action() {
    let plan = every_action();
    for action in [
        Action::Create,
        Action::Update,
        Action::Delete,
        Action::Adopt,
        Action::Establish,
        Action::Reestablish,
    ] {
        assert!(
            plan.changes.iter().any(|change| change.action == action),
            "{action:?}"
        );
    }
    assert!(plan.changes.iter().any(|change| change.destructive));
}

/// A plan that meets other workspaces: a conflict, a take-over, a peering replaced for its
/// meta, a cluster it empties and an object marked without a workspace name.
fn between_workspaces() -> Plan {
    let mut desired = workspace(&["cluster-01", "cluster-02"]);
    let mut spec = peering("cluster-01", "cluster-02");
    spec.meta.insert("team".to_owned(), "payments".to_owned());
    desired.peerings.push(spec);
    let defaults =
        |name: &str| json!({ "Kind": "service-defaults", "Name": name, "Protocol": "http" });
    declare(&mut desired, "cluster-01", defaults("web"));
    declare(&mut desired, "cluster-01", defaults("api"));
    let mut live = live(&["cluster-01", "cluster-02"]);
    put_peering(
        &mut live,
        "cluster-01",
        "cluster-02",
        (Role::Acceptor, "ACTIVE", true),
        11,
    );
    put_peering(
        &mut live,
        "cluster-02",
        "cluster-01",
        (Role::Dialer, "ACTIVE", true),
        21,
    );
    put_live(
        &mut live,
        "cluster-01",
        marked_by(defaults("web"), Some("search")),
        5,
    );
    put_live(
        &mut live,
        "cluster-01",
        marked_by(defaults("api"), Some("billing")),
        6,
    );
    put_live(&mut live, "cluster-01", marked_by(defaults("old"), None), 7);
    put_live(&mut live, "cluster-02", marked(defaults("gone")), 8);
    let options = Options {
        take_over: ["billing".to_owned()].into(),
        ..Options::default()
    };
    plan_with(&desired, &live, &options)
}

#[test]
fn a_plan_between_workspaces_renders_its_conflicts_take_overs_and_warnings() {
    let plan = between_workspaces();
    let actions: Vec<Action> = plan.changes.iter().map(|change| change.action).collect();
    assert_eq!(
        actions,
        [
            Action::Replace,
            Action::TakeOver,
            Action::Conflict,
            Action::Delete
        ]
    );
    insta::assert_snapshot!("between_workspaces_text", text_of(&plan, false));
    insta::assert_snapshot!("between_workspaces_markdown", markdown_of(&plan));
}

#[test]
fn text_rendering() {
    insta::assert_snapshot!(text_of(&every_action(), false));
}

#[test]
fn markdown_rendering() {
    insta::assert_snapshot!(markdown_of(&every_action()));
}

#[test]
fn json_rendering() {
    insta::assert_snapshot!(json_of(&every_action()));
}

#[test]
fn an_empty_plan_says_the_clusters_match() {
    let plan = crate::plan::plan(&workspace(&["cluster-01"]), &live(&["cluster-01"]));
    assert_eq!(
        text_of(&plan, false),
        "No changes. The clusters match the files.\n"
    );
    assert!(markdown_of(&plan).contains("**No changes. The clusters match the files.**"));
}

#[test]
fn colour_is_used_only_when_asked_for() {
    let plan = every_action();
    assert!(!text_of(&plan, false).contains('\u{1b}'));
    let colored = text_of(&plan, true);
    assert!(colored.contains("\u{1b}[32m+"), "green additions");
    assert!(colored.contains("\u{1b}[31m-"), "red removals");
}

#[test]
fn the_json_rendering_reads_back_as_the_same_plan() {
    let plan = every_action();
    let json = json_of(&plan);
    let read: Plan = serde_json::from_str(&json).expect("reads back");
    assert_eq!(read, plan);
    assert!(json.contains("\"format_version\": 1"));
}

/// 1,500 changes on one cluster: 1,200 creates of large intentions, 299 deletes and a
/// destructive peering delete.
fn fifteen_hundred_changes() -> Plan {
    let mut desired = workspace(&["cluster-01"]);
    let sources: Vec<Value> = (0..10)
        .map(|i| json!({ "Name": format!("service-{i:03}-{}", "x".repeat(40)), "Action": "allow" }))
        .collect();
    for i in 0..1200 {
        let name = format!("dest-{i:04}");
        declare(
            &mut desired,
            "cluster-01",
            intentions(&name, json!(sources)),
        );
    }
    declare(&mut desired, "cluster-01", frontend("allow"));
    let mut live = live(&["cluster-01"]);
    for i in 0..299 {
        let retired = intentions(
            &format!("retired-{i:03}"),
            json!([{ "Name": "web", "Action": "allow" }]),
        );
        put_live(&mut live, "cluster-01", marked(retired), 100 + i);
    }
    put_live(&mut live, "cluster-01", marked(frontend("allow")), 99);
    let active = (Role::Acceptor, "ACTIVE", true);
    put_peering(&mut live, "cluster-01", "retired-peer", active, 5);
    crate::plan::plan(&desired, &live)
}

#[test]
fn markdown_over_the_limit_keeps_every_destructive_change_and_counts_the_rest() {
    let plan = fifteen_hundred_changes();
    assert_eq!(plan.changes.len(), 1500);
    let rendered = markdown_of(&plan);
    assert!(rendered.len() <= markdown::LIMIT, "{}", rendered.len());
    for change in plan.changes.iter().filter(|c| c.action == Action::Delete) {
        let line = format!("**cluster-01**: {} will be deleted", change.object);
        assert!(rendered.contains(&line), "{line} is missing");
    }
    assert!(rendered.contains("peering retired-peer will be deleted (destructive)"));
    let destructive_at = rendered.find("Destructive changes").expect("the section");
    let other_at = rendered.find("Other changes").expect("the section");
    assert!(destructive_at < other_at, "destructive changes come first");
    let shown = rendered.matches("<details>").count();
    assert_eq!(
        rendered.matches("</details>").count(),
        shown,
        "whole blocks only"
    );
    assert!(shown < 1200, "{shown}");
    assert!(
        rendered.contains(&format!(
            "**{} of 1200 other changes are not shown in detail**",
            1200 - shown
        )),
        "{}",
        &rendered[rendered.len().saturating_sub(600)..]
    );
    assert_eq!(rendered.matches("```").count() % 2, 0, "fences are closed");
}

#[test]
fn destructive_changes_are_never_collapsed() {
    let rendered = markdown_of(&every_action());
    let destructive = &rendered[rendered.find("Destructive changes").expect("the section")
        ..rendered.find("Other changes").expect("the section")];
    assert!(!destructive.contains("<details>"), "{destructive}");
    assert!(destructive.contains("peering retired will be deleted (destructive)"));
    assert!(destructive.contains("service-intentions/legacy will be deleted"));
}

/// Every property of every object in `schema` has a description (from a doc comment).
fn undocumented(schema: &Value, path: &str, out: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                for (name, property) in properties {
                    // `type` is the tag serde adds to `Object`; its values are the variants.
                    let tag = name == "type" && property.get("const").is_some();
                    if property.get("description").is_none() && !tag {
                        out.push(format!("{path}.{name}"));
                    }
                }
            }
            for (key, child) in map {
                undocumented(child, &format!("{path}/{key}"), out);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| undocumented(item, path, out)),
        _ => {}
    }
}

#[test]
fn the_plan_schema_documents_every_field() {
    let schema = serde_json::to_value(schemars::schema_for!(Plan)).expect("schema");
    let mut missing = Vec::new();
    undocumented(&schema, "", &mut missing);
    assert!(
        missing.is_empty(),
        "fields without a doc comment: {missing:?}"
    );
}

#[test]
fn a_pending_peering_with_nothing_to_change_renders_its_state_and_advice() {
    let mut desired = workspace(&["cluster-01"]);
    desired
        .peerings
        .push(acceptor_only("cluster-01", "partner-east"));
    let mut live = live(&["cluster-01"]);
    let pending = (Role::Acceptor, "PENDING", true);
    put_peering(&mut live, "cluster-01", "partner-east", pending, 5);
    let plan = plan(&desired, &live);
    insta::assert_snapshot!("pending_peering_text", text_of(&plan, false));
    insta::assert_snapshot!("pending_peering_markdown", markdown_of(&plan));
}

/// `examples/pr-comment.md` is the Markdown of the fixture plan: a sample of what a pull request
/// shows. `MESHPLAN_UPDATE_EXAMPLES=1 cargo test --lib sample_pull_request_comment` writes it.
#[test]
fn the_sample_pull_request_comment_in_examples_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/pr-comment.md");
    let rendered = markdown_of(&every_action());
    if std::env::var_os("MESHPLAN_UPDATE_EXAMPLES").is_some() {
        std::fs::write(&path, &rendered).expect("write the sample");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "examples/pr-comment.md is out of date: run \
         `MESHPLAN_UPDATE_EXAMPLES=1 cargo test --lib sample_pull_request_comment`"
    );
}

/// A plan of `cluster-01`'s `api` intentions, live as `before` (marked), declared as `after`.
fn intentions_plan(before: Value, after: Value) -> Plan {
    let mut desired = workspace(&["cluster-01"]);
    declare(&mut desired, "cluster-01", intentions("api", after));
    let mut live = live(&["cluster-01"]);
    put_live(
        &mut live,
        "cluster-01",
        marked(intentions("api", before)),
        9,
    );
    plan(&desired, &live)
}

#[test]
fn swapped_sources_are_no_change() {
    let web = json!({ "Name": "web", "Action": "allow" });
    let backend = json!({ "Name": "backend-service", "Peer": "cluster-02", "Action": "allow" });
    let plan = intentions_plan(json!([web.clone(), backend.clone()]), json!([backend, web]));
    assert!(plan.changes.is_empty(), "{}", text_of(&plan, false));
}

#[test]
fn a_replaced_source_reads_as_one_removed_and_one_added() {
    let plan = intentions_plan(
        json!([{ "Name": "payments", "Action": "allow" }, { "Name": "web", "Action": "deny" }]),
        json!([{ "Name": "checkout", "Action": "allow" }, { "Name": "web", "Action": "deny" }]),
    );
    insta::assert_snapshot!("replaced_source_text", text_of(&plan, false));
    insta::assert_snapshot!("replaced_source_markdown", markdown_of(&plan));
}

#[test]
fn a_changed_permission_reads_with_the_name_of_its_source() {
    let source = |methods: Value| {
        json!([{ "Name": "frontend", "Peer": "cluster-02", "Permissions": [
            { "Action": "allow", "HTTP": { "PathPrefix": "/api", "Methods": methods } },
            { "Action": "deny", "HTTP": { "PathPrefix": "/" } }
        ] }])
    };
    let plan = intentions_plan(source(json!(["GET"])), source(json!(["GET", "PUT"])));
    insta::assert_snapshot!("changed_permission_text", text_of(&plan, false));
}
