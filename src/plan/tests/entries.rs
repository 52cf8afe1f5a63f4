//! Config-entry actions: each appears exactly when it should.

use serde_json::json;

use super::*;

fn intentions(action: &str) -> Value {
    json!({
        "Kind": "service-intentions",
        "Name": "frontend-service",
        "Sources": [{ "Name": "backend-service", "Peer": "cluster-02", "Action": action }]
    })
}

/// Consul's answer for `intentions(action)` with the mark.
fn read_back(action: &str) -> Value {
    json!({
        "Kind": "service-intentions",
        "Name": "frontend-service",
        "Sources": [{ "Name": "backend-service", "Action": action, "Precedence": 9,
                      "Type": "consul", "Peer": "cluster-02" }],
        "Meta": { "managed-by": "meshplan", "meshplan-workspace": "ws" },
        "Hash": 1234, "CreateIndex": 10, "ModifyIndex": 12
    })
}

#[test]
fn a_declared_entry_that_is_absent_is_created_with_cas_0() {
    let mut desired = workspace(&["cluster-01"]);
    declare(&mut desired, "cluster-01", intentions("allow"));
    check(
        &desired,
        &live(&["cluster-01"]),
        "cluster-01 create service-intentions/frontend-service cas=0",
    );
}

#[test]
fn the_create_body_is_the_entry_plus_the_mark() {
    let mut desired = workspace(&["cluster-01"]);
    let mut entry = intentions("allow");
    entry["Meta"] = json!({ "team": "web" });
    declare(&mut desired, "cluster-01", entry.clone());
    let plan = plan(&desired, &live(&["cluster-01"]));
    entry["Meta"]["managed-by"] = "meshplan".into();
    entry["Meta"]["meshplan-workspace"] = "ws".into();
    assert_eq!(plan.changes[0].body.as_ref(), Some(&entry));
    assert_eq!(plan.changes[0].before, None);
    assert!(plan.changes[0].changed.is_empty());
}

#[test]
fn an_entry_read_back_after_writing_is_no_change() {
    let mut desired = workspace(&["cluster-01"]);
    declare(&mut desired, "cluster-01", intentions("allow"));
    let mut live = live(&["cluster-01"]);
    put_live(&mut live, "cluster-01", read_back("allow"), 12);
    check(&desired, &live, "");
    assert!(!plan(&desired, &live).has_changes());
}

#[test]
fn a_managed_entry_that_differs_is_updated_with_the_changed_fields() {
    let mut desired = workspace(&["cluster-01"]);
    declare(&mut desired, "cluster-01", intentions("deny"));
    let mut live = live(&["cluster-01"]);
    put_live(&mut live, "cluster-01", read_back("allow"), 12);
    check(
        &desired,
        &live,
        "cluster-01 update service-intentions/frontend-service cas=12 changed=[Sources[0].Action]",
    );
    let change = &plan(&desired, &live).changes[0];
    assert_eq!(
        change.before.as_ref().map(|b| &b["Sources"][0]["Action"]),
        Some(&json!("allow"))
    );
    assert_eq!(
        change.after.as_ref().map(|a| &a["Sources"][0]["Action"]),
        Some(&json!("deny"))
    );
}

#[test]
fn an_unmarked_entry_with_the_same_content_is_adopted_and_the_write_adds_the_mark() {
    let mut desired = workspace(&["cluster-01"]);
    declare(&mut desired, "cluster-01", intentions("allow"));
    let mut live = live(&["cluster-01"]);
    let mut unmarked = read_back("allow");
    unmarked.as_object_mut().map(|map| map.remove("Meta"));
    put_live(&mut live, "cluster-01", unmarked, 7);
    check(
        &desired,
        &live,
        "cluster-01 adopt service-intentions/frontend-service cas=7 changed=[Meta]",
    );
    let body = plan(&desired, &live).changes[0].body.clone();
    assert_eq!(
        body.map(|b| b["Meta"]["managed-by"].clone()),
        Some(json!("meshplan"))
    );
}

#[test]
fn an_unmarked_entry_with_other_content_is_adopted_with_the_diff() {
    let mut desired = workspace(&["cluster-01"]);
    declare(&mut desired, "cluster-01", intentions("allow"));
    let mut live = live(&["cluster-01"]);
    let mut other = read_back("deny");
    other["Meta"] = json!({ "managed-by": "terraform" });
    put_live(&mut live, "cluster-01", other, 7);
    check(
        &desired,
        &live,
        "cluster-01 adopt service-intentions/frontend-service cas=7 \
         changed=[Meta.managed-by, Meta.meshplan-workspace, Sources[0].Action]",
    );
}

#[test]
fn a_managed_entry_no_file_declares_is_deleted_with_its_index() {
    let desired = workspace(&["cluster-01"]);
    let mut live = live(&["cluster-01"]);
    put_live(&mut live, "cluster-01", read_back("allow"), 12);
    check(
        &desired,
        &live,
        "cluster-01 delete service-intentions/frontend-service cas=12",
    );
    let change = &plan(&desired, &live).changes[0];
    assert_eq!(change.body, None);
    assert_eq!(change.after, None);
    assert!(change.before.is_some());
}

#[test]
fn an_unmanaged_entry_no_file_declares_is_never_touched() {
    let desired = workspace(&["cluster-01"]);
    let mut live = live(&["cluster-01"]);
    let mut unmarked = read_back("allow");
    unmarked["Meta"] = json!({ "managed-by": "someone-else" });
    put_live(&mut live, "cluster-01", unmarked, 12);
    put_live(
        &mut live,
        "cluster-01",
        json!({ "Kind": "service-defaults", "Name": "web", "Protocol": "http" }),
        3,
    );
    check(&desired, &live, "");
}

#[test]
fn a_live_entry_of_a_kind_that_was_not_listed_is_never_deleted() {
    let desired = workspace(&["cluster-01"]);
    let mut live = live(&["cluster-01"]);
    put_live(
        &mut live,
        "cluster-01",
        marked(json!({ "Kind": "service-router", "Name": "web" })),
        3,
    );
    check(&desired, &live, "");
}

#[test]
fn a_declared_entry_of_a_kind_that_was_not_listed_is_unknown_not_absent() {
    let mut desired = workspace(&["cluster-01"]);
    declare(&mut desired, "cluster-01", intentions("allow"));
    let mut live = live(&["cluster-01"]);
    set_kinds(&mut live, "cluster-01", &["exported-services"]);
    check(&desired, &live, "");
}

#[test]
fn a_cluster_that_was_not_read_is_not_planned() {
    let mut desired = workspace(&["cluster-01", "cluster-02"]);
    declare(&mut desired, "cluster-02", intentions("allow"));
    let mut live = live(&["cluster-01", "cluster-03"]);
    put_live(&mut live, "cluster-03", read_back("allow"), 4);
    let plan = plan(&desired, &live);
    assert!(plan.changes.is_empty());
    assert_eq!(plan.clusters, ["cluster-01"]);
}

#[test]
fn other_kinds_compare_keys_case_insensitively_and_show_consuls_spelling() {
    let mut desired = workspace(&["cluster-01"]);
    let written = json!({ "kind": "service-defaults", "name": "web", "protocol": "http",
        "mesh_gateway": { "mode": "local" } });
    declare(&mut desired, "cluster-01", written);
    let mut live = live(&["cluster-01"]);
    let read = json!({ "Kind": "service-defaults", "Name": "web", "Protocol": "http",
        "MeshGateway": { "Mode": "local" }, "Expose": {}, "TransparentProxy": {},
        "Meta": { "managed-by": "meshplan", "meshplan-workspace": "ws" }, "CreateIndex": 3, "ModifyIndex": 3 });
    put_live(&mut live, "cluster-01", read.clone(), 3);
    check(&desired, &live, "");

    let mut changed = read;
    changed["Protocol"] = "tcp".into();
    put_live(&mut live, "cluster-01", changed, 4);
    check(
        &desired,
        &live,
        "cluster-01 update service-defaults/web cas=4 changed=[Protocol]",
    );
}

#[test]
fn default_namespace_and_partition_keys_match_absent_ones() {
    let mut desired = workspace(&["cluster-01"]);
    let mut entry = intentions("allow");
    entry["Namespace"] = "default".into();
    entry["Partition"] = "default".into();
    declare(&mut desired, "cluster-01", entry);
    let mut live = live(&["cluster-01"]);
    put_live(&mut live, "cluster-01", read_back("allow"), 12);
    check(&desired, &live, "");
}

#[test]
fn exported_services_lose_their_namespace_in_ce_without_drift() {
    let mut desired = workspace(&["cluster-01"]);
    declare(
        &mut desired,
        "cluster-01",
        json!({ "Kind": "exported-services", "Name": "default", "Services": [
            { "Name": "frontend-service", "Namespace": "default",
              "Consumers": [{ "Peer": "cluster-02" }] }
        ] }),
    );
    let mut live = live(&["cluster-01"]);
    put_live(
        &mut live,
        "cluster-01",
        json!({ "Kind": "exported-services", "Name": "default", "Services": [
            { "Name": "frontend-service", "Consumers": [{ "Peer": "cluster-02" }] }
        ], "Meta": { "managed-by": "meshplan", "meshplan-workspace": "ws" }, "Hash": 99, "CreateIndex": 5, "ModifyIndex": 6 }),
        6,
    );
    check(&desired, &live, "");
}
