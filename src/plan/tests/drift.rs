//! No false drift: every body the plan would PUT, stored and read back the way Consul does it
//! (consul-api.md §2.3–2.4), plans as no change. The simulation is written independently of
//! `model::normalize`, from Consul's documented behaviour.

use proptest::prelude::*;
use serde_json::json;

use super::*;

/// What Consul CE stores and returns for a PUT of `body` (at raft index `index`).
fn consul_write(body: &Value, index: u64) -> Value {
    let mut stored = body.clone();
    let map = stored.as_object_mut().expect("an object");
    match map.get("Kind").and_then(Value::as_str) {
        Some("service-intentions") => intentions_write(map),
        Some("exported-services") => {
            let services = map.get_mut("Services").and_then(Value::as_array_mut);
            for service in services.into_iter().flatten() {
                service.as_object_mut().map(|s| s.remove("Namespace"));
            }
        }
        Some("service-defaults") => {
            *map = pascal_keys(std::mem::take(map));
            for empty in ["Expose", "MeshGateway", "TransparentProxy"] {
                map.entry(empty).or_insert_with(|| json!({}));
            }
        }
        _ => {}
    }
    map.insert("Hash".to_owned(), json!(18_000_000_000_000_000_000_u64));
    map.insert("CreateIndex".to_owned(), json!(index));
    map.insert("ModifyIndex".to_owned(), json!(index));
    stored
}

/// Keys as Consul prints them: `mesh_gateway` and `meshgateway`-like spellings come back
/// PascalCase (user-data `Meta` kept as is).
fn pascal_keys(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter()
        .map(|(key, value)| {
            let pascal: String = key
                .split('_')
                .map(|word| {
                    let mut chars = word.chars();
                    chars.next().map_or_else(String::new, |first| {
                        first.to_uppercase().chain(chars).collect()
                    })
                })
                .collect();
            let value = match value {
                Value::Object(inner) if pascal != "Meta" => Value::Object(pascal_keys(inner)),
                other => other,
            };
            (pascal, value)
        })
        .collect()
}

fn intentions_write(map: &mut Map<String, Value>) {
    let destination_exact = map.get("Name").and_then(Value::as_str) != Some("*");
    let Some(Value::Array(sources)) = map.get_mut("Sources") else {
        return;
    };
    for source in sources.iter_mut() {
        let source_exact = source.get("Name").and_then(Value::as_str) != Some("*");
        let precedence = match (destination_exact, source_exact) {
            (true, true) => 9,
            (true, false) => 8,
            (false, true) => 6,
            (false, false) => 5,
        };
        let source = source.as_object_mut().expect("a source object");
        source.insert("Precedence".to_owned(), json!(precedence));
        source.insert("Type".to_owned(), json!("consul"));
        let permissions = source.get_mut("Permissions").and_then(Value::as_array_mut);
        for permission in permissions.into_iter().flatten() {
            let methods = permission
                .get_mut("HTTP")
                .and_then(|http| http.get_mut("Methods"))
                .and_then(Value::as_array_mut);
            for method in methods.into_iter().flatten() {
                *method = json!(method.as_str().unwrap_or_default().to_uppercase());
            }
        }
    }
    // Go's sort.SliceStable, highest precedence first.
    sources.sort_by_key(|source| std::cmp::Reverse(source["Precedence"].as_i64()));
}

/// Applies every write of `plan` to `live` through the simulated Consul.
fn apply(plan: &Plan, live: &mut Live) {
    for (index, change) in (100..).zip(&plan.changes) {
        if let Some(body) = &change.body {
            put_live(live, &change.cluster, consul_write(body, index), index);
        }
    }
}

#[test]
fn the_seed_scenario_applied_and_read_back_plans_empty() {
    let mut desired = workspace(&["cluster-01"]);
    declare(
        &mut desired,
        "cluster-01",
        json!({ "Kind": "exported-services", "Name": "default",
        "Services": [{ "Name": "frontend-service", "Namespace": "default",
                       "Consumers": [{ "Peer": "cluster-02" }] }] }),
    );
    declare(
        &mut desired,
        "cluster-01",
        json!({ "Kind": "service-intentions",
        "Name": "frontend-service", "Sources": [
            { "Name": "*", "Action": "deny" },
            { "Name": "backend-service", "Peer": "cluster-02", "Action": "allow" },
            { "Name": "admin", "Permissions": [
                { "Action": "allow", "HTTP": { "PathPrefix": "/", "Methods": ["get", "post"] } }
            ] }
        ] }),
    );
    declare(
        &mut desired,
        "cluster-01",
        json!({ "kind": "service-defaults",
        "name": "frontend-service", "protocol": "http", "mesh_gateway": { "mode": "local" } }),
    );
    let mut live = live(&["cluster-01"]);
    let first = plan(&desired, &live);
    assert_eq!(first.summary.create, 3);
    apply(&first, &mut live);
    check(&desired, &live, "");
}

#[derive(Debug, Clone)]
struct SourceSpec {
    name: &'static str,
    peer: Option<&'static str>,
    l7: Option<Vec<&'static str>>,
    deny: bool,
}

fn source() -> impl Strategy<Value = SourceSpec> {
    let methods = prop::collection::vec(
        prop::sample::select(vec!["get", "Post", "PUT", "delete"]),
        0..3,
    );
    (
        prop::sample::select(vec!["web", "api", "db", "*"]),
        prop::option::of(prop::sample::select(vec!["cluster-02", "cluster-03"])),
        prop::option::of(methods),
        any::<bool>(),
    )
        .prop_map(|(name, peer, l7, deny)| SourceSpec {
            name,
            peer,
            l7,
            deny,
        })
}

fn source_json(spec: &SourceSpec) -> Value {
    let mut source = json!({ "Name": spec.name });
    if let Some(peer) = spec.peer {
        source["Peer"] = peer.into();
    }
    match &spec.l7 {
        Some(methods) => {
            let mut http = json!({ "PathPrefix": "/" });
            if !methods.is_empty() {
                http["Methods"] = json!(methods);
            }
            source["Permissions"] = json!([{ "Action": "allow", "HTTP": http }]);
        }
        None => source["Action"] = json!(if spec.deny { "deny" } else { "allow" }),
    }
    source
}

fn exports() -> impl Strategy<Value = Value> {
    let service = (
        prop::sample::select(vec!["web", "api", "*"]),
        any::<bool>(),
        prop::collection::vec(prop::sample::select(vec!["cluster-02", "cluster-03"]), 1..3),
    )
        .prop_map(|(name, namespace, peers)| {
            let consumers: Vec<Value> = peers.iter().map(|peer| json!({ "Peer": peer })).collect();
            let mut service = json!({ "Name": name, "Consumers": consumers });
            if namespace {
                service["Namespace"] = "default".into();
            }
            service
        });
    prop::collection::vec(service, 0..4).prop_map(
        |services| json!({ "Kind": "exported-services", "Name": "default", "Services": services }),
    )
}

proptest! {
    #[test]
    fn written_intentions_and_exports_read_back_as_no_change(
        destination in prop::sample::select(vec!["frontend", "*"]),
        sources in prop::collection::vec(source(), 1..6),
        exports in exports(),
        meta in prop::option::of(Just(json!({ "team": "web" }))),
    ) {
        let mut desired = workspace(&["cluster-01"]);
        let mut intentions = json!({ "Kind": "service-intentions", "Name": destination,
            "Sources": sources.iter().map(source_json).collect::<Vec<_>>() });
        if let Some(meta) = meta {
            intentions["Meta"] = meta;
        }
        declare(&mut desired, "cluster-01", intentions);
        declare(&mut desired, "cluster-01", exports);
        let mut live = live(&["cluster-01"]);
        let first = plan(&desired, &live);
        apply(&first, &mut live);
        let second = plan(&desired, &live);
        prop_assert!(second.changes.is_empty(), "{:#?}", second.changes);
    }
}
