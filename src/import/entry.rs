//! A live config entry as a person would have written it: without what Consul adds on read or
//! write, and without meshplan's own ownership mark.
//!
//! Consul adds `CreateIndex`, `ModifyIndex` and `Hash`; on intention sources `Precedence`,
//! `Type = "consul"` and the legacy fields; in Community Edition it shows `Namespace` and
//! `Partition` as `""` or `"default"`; and it shows Go zero values of structs and strings
//! (`"Expose": {}`, `"Mode": ""`). All of those are left out: writing the entry without them
//! stores the same entry. `false` and `0` are kept, since on Consul's pointer fields they are a
//! setting, not an absence. Keys keep Consul's spelling and order, which is its documented one.

use serde_json::{Map, Value};

use crate::model::MARK_KEYS;
use crate::model::entry::{EXPORTED_SERVICES, SERVICE_INTENTIONS};

/// Top-level fields the server computes.
const SERVER_FIELDS: [&str; 3] = ["CreateIndex", "ModifyIndex", "Hash"];

/// Intention-source fields the server computes or clears on write.
const SOURCE_SERVER_FIELDS: [&str; 5] = [
    "Precedence",
    "LegacyID",
    "LegacyMeta",
    "LegacyCreateTime",
    "LegacyUpdateTime",
];

/// Maps whose keys and values are user data: kept as they are, but for the mark in `Meta`.
const USER_MAPS: [&str; 3] = ["Meta", "Config", "Arguments"];

/// `body` (an entry of `kind` as Consul returned it) as a file would say it.
pub fn clean(kind: &str, mut body: Map<String, Value>) -> Map<String, Value> {
    body.retain(|key, _| !SERVER_FIELDS.contains(&key.as_str()));
    drop_default_tenancy(&mut body);
    if let Some(Value::Object(meta)) = body.get_mut("Meta") {
        meta.retain(|key, _| !MARK_KEYS.contains(&key.as_str()));
    }
    if kind == SERVICE_INTENTIONS {
        for source in objects(&mut body, "Sources") {
            source.retain(|key, value| {
                let default_type = key == "Type" && value == "consul";
                !(default_type || SOURCE_SERVER_FIELDS.contains(&key.as_str()))
            });
            drop_default_tenancy(source);
        }
    } else if kind == EXPORTED_SERVICES {
        for service in objects(&mut body, "Services") {
            drop_default_tenancy(service);
            for consumer in objects(service, "Consumers") {
                drop_default_tenancy(consumer);
            }
        }
    }
    drop_empty_members(&mut body);
    body
}

/// The objects in the list `map[key]`.
fn objects<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> impl Iterator<Item = &'a mut Map<String, Value>> {
    map.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

/// `Namespace` and `Partition` that are empty or `default`: how Community Edition shows "none".
fn drop_default_tenancy(map: &mut Map<String, Value>) {
    map.retain(|key, value| {
        !(matches!(key.as_str(), "Namespace" | "Partition")
            && value
                .as_str()
                .is_some_and(|v| v.is_empty() || v.eq_ignore_ascii_case("default")))
    });
}

/// Drops members that are `null`, `""`, `[]` or `{}` (after their own members are dropped), at
/// any depth, but never inside user data maps.
fn drop_empty_members(map: &mut Map<String, Value>) {
    for (key, value) in map.iter_mut() {
        if USER_MAPS.contains(&key.as_str()) {
            continue;
        }
        match value {
            Value::Object(inner) => drop_empty_members(inner),
            Value::Array(items) => {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    drop_empty_members(item);
                }
            }
            _ => {}
        }
    }
    map.retain(|_, value| !is_empty(value));
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn what_consul_adds_is_left_out_and_settings_are_kept() {
        let live = object(json!({
            "Kind": "service-intentions", "Name": "api", "Namespace": "", "Partition": "default",
            "Sources": [
                {"Name": "web", "Action": "allow", "Precedence": 9, "Type": "consul",
                 "Namespace": "default", "LegacyMeta": {}},
                {"Name": "ext", "Action": "deny", "Precedence": 9, "Type": "other"}
            ],
            "Meta": {"managed-by": "meshplan", "meshplan-workspace": "a", "owner": "x", "e": ""},
            "Hash": 1, "CreateIndex": 2, "ModifyIndex": 3
        }));
        let expected = json!({
            "Kind": "service-intentions", "Name": "api",
            "Sources": [
                {"Name": "web", "Action": "allow"},
                {"Name": "ext", "Action": "deny", "Type": "other"}
            ],
            "Meta": {"owner": "x", "e": ""}
        });
        assert_eq!(Value::Object(clean(SERVICE_INTENTIONS, live)), expected);
    }

    #[test]
    fn zero_structs_go_and_pointer_settings_stay() {
        let live = object(json!({
            "Kind": "mesh", "TransparentProxy": {"MeshDestinationsOnly": true},
            "Peering": {"PeerThroughMeshGateways": false}, "MeshGateway": {"Mode": ""},
            "Config": {"empty": {}}, "Meta": {"managed-by": "meshplan"}
        }));
        let expected = json!({
            "Kind": "mesh", "TransparentProxy": {"MeshDestinationsOnly": true},
            "Peering": {"PeerThroughMeshGateways": false}, "Config": {"empty": {}}
        });
        assert_eq!(Value::Object(clean("mesh", live)), expected);
    }

    #[test]
    fn exported_services_lose_the_default_namespace() {
        let live = object(json!({
            "Kind": "exported-services", "Name": "default",
            "Services": [{"Name": "web", "Namespace": "", "Consumers": [{"Peer": "b", "Partition": ""}]}]
        }));
        let expected = json!({
            "Kind": "exported-services", "Name": "default",
            "Services": [{"Name": "web", "Consumers": [{"Peer": "b"}]}]
        });
        assert_eq!(Value::Object(clean(EXPORTED_SERVICES, live)), expected);
    }
}
