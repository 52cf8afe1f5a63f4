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

#[test]
fn markdown_over_the_limit_is_cut_at_a_change_boundary_with_a_note() {
    let mut desired = workspace(&["cluster-01"]);
    let mut big_sources = Vec::new();
    for i in 0..40 {
        big_sources.push(
            json!({ "Name": format!("service-{i:03}-{}", "x".repeat(40)), "Action": "allow" }),
        );
    }
    for i in 0..60 {
        declare(
            &mut desired,
            "cluster-01",
            intentions(&format!("dest-{i:03}"), json!(big_sources)),
        );
    }
    let plan = crate::plan::plan(&desired, &live(&["cluster-01"]));
    let rendered = markdown_of(&plan);
    assert!(rendered.len() <= markdown::LIMIT, "{}", rendered.len());
    let shown = rendered.matches("<details>").count();
    assert_eq!(
        rendered.matches("</details>").count(),
        shown,
        "whole blocks only"
    );
    assert!(shown > 0 && shown < 60, "{shown}");
    let left_out = 60 - shown;
    assert!(
        rendered.contains(&format!("**{left_out} of 60 changes are not shown**")),
        "{}",
        &rendered[rendered.len().saturating_sub(400)..]
    );
    assert!(rendered.contains("Run `meshplan plan` locally"));
    assert_eq!(rendered.matches("```").count() % 2, 0, "fences are closed");
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
