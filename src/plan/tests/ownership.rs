//! Ownership between workspaces: what each mark allows a plan to do, for entries and peerings.

use serde_json::json;

use super::*;
use crate::plan::{Options, plan_with};

fn defaults(name: &str) -> Value {
    json!({ "Kind": "service-defaults", "Name": name, "Protocol": "http" })
}

/// `defaults(name)` as Consul returns it, marked by `owner` (`Some("")`: unmarked; `None`: the
/// mark without a workspace name).
fn live_defaults(name: &str, owner: Option<&str>) -> Value {
    let mut body = defaults(name);
    body["ModifyIndex"] = 5.into();
    match owner {
        Some("") => body,
        owner => marked_by(body, owner),
    }
}

fn take_over(workspace: &str) -> Options {
    Options {
        take_over: [workspace.to_owned()].into(),
        ..Options::default()
    }
}

#[test]
fn a_declared_entry_another_workspace_owns_is_a_conflict_that_writes_nothing() {
    let mut desired = workspace(&["cluster-01"]);
    declare(&mut desired, "cluster-01", defaults("web"));
    let mut live = live(&["cluster-01"]);
    put_live(
        &mut live,
        "cluster-01",
        live_defaults("web", Some("payments")),
        5,
    );
    check(
        &desired,
        &live,
        "cluster-01 conflict service-defaults/web cas=5 changed=[Meta.meshplan-workspace]",
    );
    let plan = plan(&desired, &live);
    let change = &plan.changes[0];
    assert_eq!(change.body, None);
    assert!(!change.writes());
    assert!(!plan.has_changes());
    assert!(
        change
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("`payments`"))
    );
    let refusals = plan.refusals();
    assert_eq!(refusals.len(), 1);
    assert!(refusals[0].starts_with("cluster-01: service-defaults/web: owned by workspace"));
}

#[test]
fn take_over_hands_a_declared_entry_to_this_workspace_and_marks_it() {
    let mut desired = workspace(&["cluster-01"]);
    declare(&mut desired, "cluster-01", defaults("web"));
    let mut live = live(&["cluster-01"]);
    put_live(
        &mut live,
        "cluster-01",
        live_defaults("web", Some("payments")),
        5,
    );
    let plan = plan_with(&desired, &live, &take_over("payments"));
    let change = &plan.changes[0];
    assert_eq!(change.action, Action::TakeOver);
    assert_eq!(change.modify_index, 5);
    let body = change.body.as_ref().expect("a body");
    assert_eq!(body["Meta"]["meshplan-workspace"], json!(WORKSPACE));
    assert!(plan.refusals().is_empty());
    // Taking over from one workspace does not take over from another.
    let plan = plan_with(&desired, &live, &take_over("search"));
    assert_eq!(plan.changes[0].action, Action::Conflict);
}

#[test]
fn another_workspaces_undeclared_entries_and_peerings_are_never_touched() {
    let desired = workspace(&["cluster-01"]);
    let mut live = live(&["cluster-01"]);
    put_live(
        &mut live,
        "cluster-01",
        live_defaults("web", Some("payments")),
        5,
    );
    let theirs = BTreeMap::from([
        (MANAGED_BY_KEY.to_owned(), MANAGED_BY_VALUE.to_owned()),
        (WORKSPACE_KEY.to_owned(), "payments".to_owned()),
    ]);
    put_peering_with_meta(
        &mut live,
        "cluster-01",
        "cluster-09",
        (Role::Acceptor, "ACTIVE"),
        theirs,
        3,
    );
    check(&desired, &live, "");
    let plan = plan(&desired, &live);
    assert!(plan.emptied.is_empty() && plan.unclaimed.is_empty());
}

#[test]
fn an_entry_marked_without_a_workspace_name_is_adopted_when_declared_and_never_deleted() {
    let mut desired = workspace(&["cluster-01"]);
    declare(&mut desired, "cluster-01", defaults("web"));
    let mut live = live(&["cluster-01"]);
    put_live(&mut live, "cluster-01", live_defaults("web", None), 5);
    put_live(&mut live, "cluster-01", live_defaults("api", None), 6);
    check(
        &desired,
        &live,
        "cluster-01 adopt service-defaults/web cas=5 changed=[Meta.meshplan-workspace]",
    );
    let plan = plan(&desired, &live);
    assert!(
        plan.changes[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("without a workspace name"))
    );
    assert_eq!(
        plan.unclaimed,
        [Unclaimed {
            cluster: "cluster-01".into(),
            object: "service-defaults/api".into()
        }]
    );
}

#[test]
fn deleting_every_entry_the_workspace_owns_on_a_cluster_is_refused_unless_allowed() {
    let mut desired = workspace(&["cluster-01", "cluster-02"]);
    declare(&mut desired, "cluster-02", defaults("kept"));
    let mut live = live(&["cluster-01", "cluster-02"]);
    put_live(
        &mut live,
        "cluster-01",
        live_defaults("web", Some(WORKSPACE)),
        5,
    );
    put_live(
        &mut live,
        "cluster-01",
        live_defaults("api", Some(WORKSPACE)),
        6,
    );
    put_live(
        &mut live,
        "cluster-02",
        live_defaults("kept", Some(WORKSPACE)),
        7,
    );
    put_live(
        &mut live,
        "cluster-02",
        live_defaults("gone", Some(WORKSPACE)),
        8,
    );
    let plan = plan(&desired, &live);
    assert_eq!(plan.summary.delete, 3);
    assert_eq!(
        plan.emptied,
        [Emptied {
            cluster: "cluster-01".into(),
            deletes: 2,
            allowed: false
        }]
    );
    assert_eq!(plan.refusals().len(), 1);
    let allowed = Options {
        allow_delete_all: true,
        ..Options::default()
    };
    let plan = plan_with(&desired, &live, &allowed);
    assert!(plan.emptied[0].allowed);
    assert!(plan.refusals().is_empty());
}

#[test]
fn a_peering_side_another_workspace_owns_is_a_conflict_until_taken_over_by_replacement() {
    let mut desired = workspace(&["cluster-01", "cluster-02"]);
    desired.peerings.push(peering("cluster-01", "cluster-02"));
    let mut live = live(&["cluster-01", "cluster-02"]);
    let theirs = BTreeMap::from([
        (MANAGED_BY_KEY.to_owned(), MANAGED_BY_VALUE.to_owned()),
        (WORKSPACE_KEY.to_owned(), "payments".to_owned()),
        ("owner".to_owned(), "platform".to_owned()),
    ]);
    put_peering_with_meta(
        &mut live,
        "cluster-01",
        "cluster-02",
        (Role::Acceptor, "ACTIVE"),
        theirs.clone(),
        11,
    );
    put_peering_with_meta(
        &mut live,
        "cluster-02",
        "cluster-01",
        (Role::Dialer, "ACTIVE"),
        theirs,
        21,
    );
    check(
        &desired,
        &live,
        "cluster-01 conflict peering cluster-02 cas=11",
    );
    let plan = plan_with(&desired, &live, &take_over("payments"));
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].action, Action::Replace);
    assert!(plan.changes[0].destructive);
    let Object::Peering(peering) = &plan.changes[0].object else {
        panic!("a peering")
    };
    assert_eq!(
        peering.meta.get(WORKSPACE_KEY).map(String::as_str),
        Some(WORKSPACE)
    );
}

#[test]
fn a_changed_peering_meta_forces_a_destructive_replacement() {
    let mut desired = workspace(&["cluster-01", "cluster-02"]);
    let mut spec = peering("cluster-01", "cluster-02");
    spec.meta = BTreeMap::from([("owner".to_owned(), "payments".to_owned())]);
    desired.peerings.push(spec);
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
    check(
        &desired,
        &live,
        "cluster-01 replace peering cluster-02 cas=11 destructive",
    );
    let plan = plan(&desired, &live);
    let reason = plan.changes[0].reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains(r#"{owner = "platform"}"#) && reason.contains("forces replacement"),
        "{reason}"
    );
}

#[test]
fn an_adopted_peering_shows_its_missing_mark_and_its_meta_is_not_compared() {
    let mut desired = workspace(&["cluster-01", "cluster-02"]);
    desired.peerings.push(peering("cluster-01", "cluster-02"));
    let mut live = live(&["cluster-01", "cluster-02"]);
    let unnamed = BTreeMap::from([(MANAGED_BY_KEY.to_owned(), MANAGED_BY_VALUE.to_owned())]);
    put_peering_with_meta(
        &mut live,
        "cluster-01",
        "cluster-02",
        (Role::Acceptor, "ACTIVE"),
        unnamed,
        11,
    );
    put_peering(
        &mut live,
        "cluster-02",
        "cluster-01",
        (Role::Dialer, "ACTIVE", false),
        21,
    );
    check(
        &desired,
        &live,
        "cluster-01 adopt peering cluster-02 cas=11
         cluster-02 adopt peering cluster-01 cas=21",
    );
    let plan = plan(&desired, &live);
    assert!(!plan.has_changes());
    let reasons: Vec<&str> = plan
        .changes
        .iter()
        .filter_map(|c| c.reason.as_deref())
        .collect();
    assert!(reasons[0].contains("no workspace name"), "{}", reasons[0]);
    assert!(
        reasons[1].contains("without meshplan's mark"),
        "{}",
        reasons[1]
    );
}

#[test]
fn a_peering_marked_without_a_workspace_name_is_never_deleted_but_listed() {
    let desired = workspace(&["cluster-01"]);
    let mut live = live(&["cluster-01"]);
    let unnamed = BTreeMap::from([(MANAGED_BY_KEY.to_owned(), MANAGED_BY_VALUE.to_owned())]);
    put_peering_with_meta(
        &mut live,
        "cluster-01",
        "old",
        (Role::Acceptor, "ACTIVE"),
        unnamed,
        3,
    );
    check(&desired, &live, "");
    assert_eq!(
        plan(&desired, &live).unclaimed,
        [Unclaimed {
            cluster: "cluster-01".into(),
            object: "peering old".into()
        }]
    );
}
