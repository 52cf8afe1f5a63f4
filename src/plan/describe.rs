//! What changed in an entry, said by name: `source backend-service (peer cluster-02): Action
//! allow → deny`, `+ source web`, `- consumer cluster-03 of service api`.
//!
//! The sets of the two typed kinds (intention sources, exported services and their consumers)
//! are matched by the identity Consul keys them by (`model::normalize`'s `*_IDENTITY`), so an
//! added or removed element reads as such instead of shifting every position after it. Ordered
//! lists (permissions, routes) and every other kind are compared position by position, by path.
//! Both sides are canonical forms (`model::normalize`), so set elements are in identity order.

use serde_json::{Map, Value};

use crate::model::Path;
use crate::model::entry::{EXPORTED_SERVICES, SERVICE_INTENTIONS};
use crate::model::normalize::{
    CONSUMER_IDENTITY, SERVICE_IDENTITY, SOURCE_IDENTITY, folds_to, identity,
};

/// Values longer than this are shortened in descriptions; the diff beneath shows them whole.
const SHOWN_VALUE: usize = 60;

/// The differences between `before` and `after` (canonical entries of `kind`, without the
/// ownership mark: adopts and take-overs say that themselves), in document order.
pub fn differences(kind: &str, before: &Value, after: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let (Some(before), Some(after)) = (before.as_object(), after.as_object()) else {
        leaf("", Some(before), Some(after), &mut out);
        return out;
    };
    let set = match kind {
        SERVICE_INTENTIONS => Some("sources"),
        EXPORTED_SERVICES => Some("services"),
        _ => None,
    };
    for key in keys(before, after) {
        let (old, new) = (member(before, key), member(after, key));
        match set {
            Some("sources") if folds_to(key, "sources") => sources(old, new, &mut out),
            Some("services") if folds_to(key, "services") => services(old, new, &mut out),
            _ => walk(&Path::root().key(key), old, new, &mut out),
        }
    }
    out
}

fn sources(before: Option<&Value>, after: Option<&Value>, out: &mut Vec<String>) {
    for (old, new) in matched(before, after, &SOURCE_IDENTITY) {
        let label = source_label(old.or(new).unwrap_or(&Value::Null));
        element(&label, "", old, new, out);
    }
}

fn services(before: Option<&Value>, after: Option<&Value>, out: &mut Vec<String>) {
    for (old, new) in matched(before, after, &SERVICE_IDENTITY) {
        let service = old.or(new).unwrap_or(&Value::Null);
        let label = service_label(service);
        let (Some(old_map), Some(new_map)) = (
            old.and_then(Value::as_object),
            new.and_then(Value::as_object),
        ) else {
            element(&label, "", old, new, out);
            continue;
        };
        let of = format!(" of {label}");
        for key in keys(old_map, new_map) {
            let (o, n) = (member(old_map, key), member(new_map, key));
            if folds_to(key, "consumers") {
                for (old, new) in matched(o, n, &CONSUMER_IDENTITY) {
                    let consumer = consumer_label(old.or(new).unwrap_or(&Value::Null));
                    element(&consumer, &of, old, new, out);
                }
            } else {
                let mut changes = Vec::new();
                walk(&Path::root().key(key), o, n, &mut changes);
                out.extend(changes.into_iter().map(|c| format!("{label}: {c}")));
            }
        }
    }
}

/// One set element: added (`+ label`), removed (`- label`), or its field changes.
fn element(
    label: &str,
    suffix: &str,
    old: Option<&Value>,
    new: Option<&Value>,
    out: &mut Vec<String>,
) {
    match (old, new) {
        (None, Some(_)) => out.push(format!("+ {label}{suffix}")),
        (Some(_), None) => out.push(format!("- {label}{suffix}")),
        (old, new) => {
            let mut changes = Vec::new();
            walk(&Path::root(), old, new, &mut changes);
            out.extend(
                changes
                    .into_iter()
                    .map(|change| format!("{label}{suffix}: {change}")),
            );
        }
    }
}

/// The elements of two identity-sorted lists, paired by identity (`None`: absent on that side).
fn matched<'a>(
    before: Option<&'a Value>,
    after: Option<&'a Value>,
    fields: &[&str],
) -> Vec<(Option<&'a Value>, Option<&'a Value>)> {
    let list = |value: Option<&'a Value>| -> Vec<&'a Value> {
        match value {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(other) => vec![other],
            None => Vec::new(),
        }
    };
    let (before, after) = (list(before), list(after));
    let mut pairs: Vec<(Option<&Value>, Option<&Value>)> = Vec::new();
    for old in &before {
        let id = identity(old, fields);
        let new = after
            .iter()
            .find(|new| identity(new, fields) == id)
            .copied();
        pairs.push((Some(*old), new));
    }
    for new in &after {
        let id = identity(new, fields);
        if !before.iter().any(|old| identity(old, fields) == id) {
            pairs.push((None, Some(*new)));
        }
    }
    pairs
}

/// Field changes below `path`: `Action: allow → deny`, `Permissions[0].HTTP.Methods: ["GET"] →
/// ["GET","PUT"]`, `JWT: added ...`.
fn walk(path: &Path, before: Option<&Value>, after: Option<&Value>, out: &mut Vec<String>) {
    match (before, after) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            for key in keys(a, b) {
                walk(&path.key(key), member(a, key), member(b, key), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() == b.len() => {
            for (i, (a, b)) in a.iter().zip(b).enumerate() {
                walk(&path.index(i), Some(a), Some(b), out);
            }
        }
        (a, b) if a != b => leaf(&path.to_string(), a, b, out),
        _ => {}
    }
}

fn leaf(path: &str, before: Option<&Value>, after: Option<&Value>, out: &mut Vec<String>) {
    let what = match (before, after) {
        (None, Some(value)) => format!("added {}", shown(value)),
        (Some(_), None) => "removed".to_owned(),
        (Some(a), Some(b)) => format!("{} → {}", shown(a), shown(b)),
        (None, None) => return,
    };
    out.push(if path.is_empty() {
        what
    } else {
        format!("{path}: {what}")
    });
}

/// A value as a reviewer reads it: strings bare, the rest as compact JSON, long ones shortened.
fn shown(value: &Value) -> String {
    let text = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    if text.chars().count() <= SHOWN_VALUE {
        return text;
    }
    let short: String = text.chars().take(SHOWN_VALUE).collect();
    format!("{short}…")
}

/// The keys of both objects, `before`'s first, each once (matched in folded form).
fn keys<'a>(before: &'a Map<String, Value>, after: &'a Map<String, Value>) -> Vec<&'a str> {
    let mut keys: Vec<&str> = before.keys().map(String::as_str).collect();
    for key in after.keys() {
        if !keys.iter().any(|known| same_key(known, key)) {
            keys.push(key);
        }
    }
    keys
}

fn member<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(other, _)| same_key(other, key))
        .map(|(_, value)| value)
}

fn same_key(a: &str, b: &str) -> bool {
    crate::model::normalize::fold_key(a) == crate::model::normalize::fold_key(b)
}

/// `source web`, `source backend-service (peer cluster-02)`, with namespace, partition and
/// sameness group when set.
fn source_label(source: &Value) -> String {
    let id = identity(source, &SOURCE_IDENTITY);
    let mut label = format!("source {}", id[0]);
    qualify(
        &mut label,
        &[
            ("peer", &id[1]),
            ("namespace", &id[2]),
            ("partition", &id[3]),
            ("sameness group", &id[4]),
        ],
    );
    label
}

/// `service api`, with its namespace when set.
fn service_label(service: &Value) -> String {
    let id = identity(service, &SERVICE_IDENTITY);
    let mut label = format!("service {}", id[0]);
    qualify(&mut label, &[("namespace", &id[1])]);
    label
}

/// `consumer cluster-03`, `consumer partition payments`, `consumer sameness group east`.
fn consumer_label(consumer: &Value) -> String {
    let id = identity(consumer, &CONSUMER_IDENTITY);
    match (id[0].as_str(), id[1].as_str(), id[2].as_str()) {
        (peer, _, _) if !peer.is_empty() => format!("consumer {peer}"),
        (_, partition, _) if !partition.is_empty() => format!("consumer partition {partition}"),
        (_, _, group) => format!("consumer sameness group {group}"),
    }
}

/// Appends ` (peer x, namespace y)` for the qualifiers that are set.
fn qualify(label: &mut String, qualifiers: &[(&str, &String)]) {
    let set: Vec<String> = qualifiers
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name} {value}"))
        .collect();
    if !set.is_empty() {
        label.push_str(&format!(" ({})", set.join(", ")));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::normalize::canonical;

    fn intentions(sources: Value) -> Value {
        canonical(
            SERVICE_INTENTIONS,
            &json!({ "Kind": "service-intentions", "Name": "api", "Sources": sources }),
        )
    }

    fn exports(services: Value) -> Value {
        canonical(
            EXPORTED_SERVICES,
            &json!({ "Kind": "exported-services", "Name": "default", "Services": services }),
        )
    }

    #[test]
    fn sources_are_matched_by_identity_not_position() {
        let before = intentions(json!([
            { "Name": "backend-service", "Peer": "cluster-02", "Action": "allow" },
            { "Name": "web", "Action": "allow" }
        ]));
        let after = intentions(json!([
            { "Name": "admin", "Action": "allow" },
            { "Name": "backend-service", "Peer": "cluster-02", "Action": "deny" }
        ]));
        assert_eq!(
            differences(SERVICE_INTENTIONS, &before, &after),
            [
                "source backend-service (peer cluster-02): Action: allow → deny",
                "- source web",
                "+ source admin",
            ]
        );
    }

    #[test]
    fn a_changed_permission_names_its_source_and_its_position() {
        let source = |methods: Value| {
            intentions(json!([{ "Name": "web", "Permissions": [
                { "Action": "allow", "HTTP": { "PathPrefix": "/api", "Methods": methods } }
            ] }]))
        };
        assert_eq!(
            differences(
                SERVICE_INTENTIONS,
                &source(json!(["GET"])),
                &source(json!(["GET", "PUT"]))
            ),
            [r#"source web: Permissions[0].HTTP.Methods: ["GET"] → ["GET","PUT"]"#]
        );
    }

    #[test]
    fn consumers_read_as_added_and_removed_of_their_service() {
        let before = exports(json!([
            { "Name": "api", "Consumers": [{ "Peer": "cluster-02" }, { "Peer": "cluster-03" }] }
        ]));
        let after = exports(json!([
            { "Name": "api", "Consumers": [{ "Peer": "cluster-02" }] },
            { "Name": "web", "Consumers": [{ "Peer": "cluster-02" }] }
        ]));
        assert_eq!(
            differences(EXPORTED_SERVICES, &before, &after),
            ["- consumer cluster-03 of service api", "+ service web"]
        );
    }

    #[test]
    fn other_kinds_read_by_path() {
        let before = json!({ "Kind": "service-defaults", "Name": "web", "Protocol": "tcp",
            "Meta": { "team": "a" } });
        let after = json!({ "Kind": "service-defaults", "Name": "web", "Protocol": "http" });
        assert_eq!(
            differences("service-defaults", &before, &after),
            ["Protocol: tcp → http", "Meta: removed"]
        );
    }
}
