//! The common case of a plan, told cheaply: an entry of a modelled kind that this workspace
//! owns and that Consul holds exactly as meshplan wrote it.
//!
//! Comparing an entry the general way (`plan::entries`) serializes the declared entry, decodes
//! the live one, normalises both as JSON values and compares them: most of a plan's time, for
//! a verdict of "unchanged" on nearly every entry. Here the live entry's text is read into
//! borrowed, typed fields and compared with the declared entry field by field. It answers only
//! "yes, unchanged": the live entry holds what meshplan would write (its mark included) and
//! nothing else but what Consul adds to every such entry (`Precedence` and `Type = "consul"`
//! on sources, `Hash`, `CreateIndex`, `ModifyIndex`), in the same order. Anything else, an
//! unknown member, another order, a field the shape here leaves out (permissions, JWT,
//! namespaces, partitions, sameness groups), or text with escapes, is "cannot tell": the
//! general comparison decides, and shows what differs. So a wrong answer here could only be a
//! missed change where both sides differ in what normalising ignores, which is why each check
//! is an exact match and a test holds every "yes" against the general comparison.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::model::exported_services::ExportedServices;
use crate::model::service_intentions::{IntentionAction, ServiceIntentions};
use crate::model::{ConfigEntry, LiveEntry, MANAGED_BY_KEY, MANAGED_BY_VALUE, Meta, WORKSPACE_KEY};

/// Whether `live` holds exactly what meshplan writes for `declared` in `workspace` (see the
/// module); `false` when it differs or this cannot tell.
pub fn holds(declared: &ConfigEntry, workspace: &str, live: &LiveEntry) -> bool {
    let text = live.text();
    match declared {
        ConfigEntry::ServiceIntentions(declared) => serde_json::from_str(text)
            .is_ok_and(|stored: StoredIntentions<'_>| stored.holds(declared, workspace)),
        ConfigEntry::ExportedServices(declared) => serde_json::from_str(text)
            .is_ok_and(|stored: StoredExports<'_>| stored.holds(declared, workspace)),
        ConfigEntry::Other(_) => false,
    }
}

/// A `service-intentions` entry as Consul stores one meshplan wrote without the fields left to
/// the general comparison.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct StoredIntentions<'a> {
    // What Consul adds to every entry is accepted, whatever its value, and not compared.
    kind: &'a str,
    name: &'a str,
    #[serde(default, borrow)]
    sources: Vec<StoredSource<'a>>,
    #[serde(default, borrow)]
    meta: BTreeMap<&'a str, &'a str>,
    #[serde(default, rename = "Hash")]
    _hash: IgnoredAny,
    #[serde(default, rename = "CreateIndex")]
    _create_index: IgnoredAny,
    #[serde(default, rename = "ModifyIndex")]
    _modify_index: IgnoredAny,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct StoredSource<'a> {
    name: &'a str,
    #[serde(default)]
    peer: Option<&'a str>,
    #[serde(default)]
    action: Option<&'a str>,
    #[serde(default)]
    description: Option<&'a str>,
    #[serde(default, rename = "Type")]
    source_type: Option<&'a str>,
    #[serde(default, rename = "Precedence")]
    _precedence: IgnoredAny,
}

impl StoredIntentions<'_> {
    fn holds(&self, declared: &ServiceIntentions, workspace: &str) -> bool {
        let plain =
            declared.partition.is_none() && declared.namespace.is_none() && declared.jwt.is_none();
        plain
            && self.kind == crate::model::entry::SERVICE_INTENTIONS
            && self.name == declared.name
            && self.sources.len() == declared.sources.len()
            && self
                .sources
                .iter()
                .zip(&declared.sources)
                .all(|(stored, declared)| {
                    let action = declared.action.map(|action| match action {
                        IntentionAction::Allow => "allow",
                        IntentionAction::Deny => "deny",
                    });
                    declared.permissions.is_empty()
                        && declared.extras.is_none()
                        && stored.name == declared.name
                        && text(stored.peer) == text(declared.peer.as_deref())
                        && action.is_some()
                        && stored.action == action
                        && text(stored.description) == text(declared.description.as_deref())
                        && stored.source_type.is_none_or(|kind| kind == "consul")
                })
            && marked(&declared.meta, workspace, &self.meta)
    }
}

/// An `exported-services` entry as Consul stores one meshplan wrote without the fields left to
/// the general comparison.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct StoredExports<'a> {
    kind: &'a str,
    name: &'a str,
    #[serde(default, borrow)]
    services: Vec<StoredService<'a>>,
    #[serde(default, borrow)]
    meta: BTreeMap<&'a str, &'a str>,
    #[serde(default, rename = "Hash")]
    _hash: IgnoredAny,
    #[serde(default, rename = "CreateIndex")]
    _create_index: IgnoredAny,
    #[serde(default, rename = "ModifyIndex")]
    _modify_index: IgnoredAny,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct StoredService<'a> {
    name: &'a str,
    /// Community Edition stores `""` whatever was sent.
    #[serde(default)]
    namespace: Option<&'a str>,
    #[serde(default, borrow)]
    consumers: Vec<StoredConsumer<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct StoredConsumer<'a> {
    #[serde(default)]
    peer: Option<&'a str>,
}

impl StoredExports<'_> {
    fn holds(&self, declared: &ExportedServices, workspace: &str) -> bool {
        declared.partition.is_none()
            && self.kind == crate::model::entry::EXPORTED_SERVICES
            && self.name == declared.name
            && self.services.len() == declared.services.len()
            && self
                .services
                .iter()
                .zip(&declared.services)
                .all(|(stored, declared)| {
                    declared.namespace.is_none()
                        && text(stored.namespace).is_empty()
                        && stored.name == declared.name
                        && stored.consumers.len() == declared.consumers.len()
                        && stored.consumers.iter().zip(&declared.consumers).all(
                            |(stored, declared)| {
                                declared.partition.is_none()
                                    && declared.sameness_group.is_none()
                                    && !text(stored.peer).is_empty()
                                    && text(stored.peer) == text(declared.peer.as_deref())
                            },
                        )
                })
            && marked(&declared.meta, workspace, &self.meta)
    }
}

/// Absent text as Consul omits it: empty.
fn text(value: Option<&str>) -> &str {
    value.unwrap_or_default()
}

/// Whether `stored` is exactly `declared` with meshplan's mark naming `workspace`, as meshplan
/// writes `Meta` (the files may not set the mark's keys themselves).
fn marked(declared: &Meta, workspace: &str, stored: &BTreeMap<&str, &str>) -> bool {
    let mark = [
        (MANAGED_BY_KEY, MANAGED_BY_VALUE),
        (WORKSPACE_KEY, workspace),
    ];
    stored.len() == declared.len() + mark.len()
        && mark
            .iter()
            .all(|(key, value)| stored.get(key) == Some(value))
        && declared
            .iter()
            .all(|(key, value)| stored.get(key) == Some(&value))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::model::normalize::{lift_singletons, normalized, same};
    use crate::plan::tests::{WORKSPACE, config_entry, marked};

    /// What the general comparison says: the declared entry, marked, against the live one.
    fn general(declared: &ConfigEntry, live: &LiveEntry) -> bool {
        let kind = declared.key().kind;
        let before = normalized(&kind, Value::Object(live.body()));
        let mut after = normalized(&kind, marked(declared.to_json()));
        lift_singletons(&mut after, &before);
        same(&after, &before)
    }

    fn live(stored: &Value) -> LiveEntry {
        LiveEntry::new(stored.as_object().expect("an object"), 3)
    }

    /// A change to a stored entry: what it is, how it is made, and whether the entry still
    /// holds the declared one after it.
    type Edit = (&'static str, fn(&mut Value), bool);

    /// Each variant of `stored` made by `edits`, with whether it still holds `declared`.
    #[track_caller]
    fn check(declared: &Value, stored: &Value, edits: &[Edit]) {
        let declared = config_entry(declared.clone());
        assert!(holds(&declared, WORKSPACE, &live(stored)), "as stored");
        assert!(general(&declared, &live(stored)), "as stored, in general");
        for (what, edit, expected) in edits {
            let mut variant = stored.clone();
            edit(&mut variant);
            let variant = live(&variant);
            let told = holds(&declared, WORKSPACE, &variant);
            assert_eq!(told, *expected, "{what}");
            assert!(
                !told || general(&declared, &variant),
                "{what}: held, but differs"
            );
        }
    }

    #[test]
    fn intentions_hold_only_exactly_as_consul_stores_what_meshplan_wrote() {
        let declared = json!({"Kind": "service-intentions", "Name": "web", "Meta": {"team": "a"},
            "Sources": [{"Name": "api", "Peer": "p", "Action": "allow", "Description": "d"},
                        {"Name": "*", "Action": "deny", "Description": ""}]});
        // As a Consul 1.22 agent returns it.
        let stored = json!({"Kind": "service-intentions", "Name": "web",
            "Sources": [{"Name": "api", "Action": "allow", "Precedence": 9, "Type": "consul",
                         "Peer": "p", "Description": "d"},
                        {"Name": "*", "Action": "deny", "Precedence": 8, "Type": "consul"}],
            "Meta": {"team": "a", "managed-by": "meshplan", "meshplan-workspace": "ws"},
            "Hash": 5272107015346750731u64, "CreateIndex": 138, "ModifyIndex": 140});
        check(
            &declared,
            &stored,
            &[
                ("another name", |v| v["Name"] = json!("api"), false),
                (
                    "another kind",
                    |v| v["Kind"] = json!("service-defaults"),
                    false,
                ),
                (
                    "a source renamed",
                    |v| v["Sources"][0]["Name"] = json!("x"),
                    false,
                ),
                (
                    "another peer",
                    |v| v["Sources"][0]["Peer"] = json!("q"),
                    false,
                ),
                (
                    "no peer",
                    |v| _ = v["Sources"][0].as_object_mut().unwrap().remove("Peer"),
                    false,
                ),
                (
                    "another action",
                    |v| v["Sources"][1]["Action"] = json!("allow"),
                    false,
                ),
                (
                    "another description",
                    |v| v["Sources"][0]["Description"] = json!("e"),
                    false,
                ),
                (
                    "a described wildcard",
                    |v| v["Sources"][1]["Description"] = json!("e"),
                    false,
                ),
                (
                    "an empty description",
                    |v| v["Sources"][1]["Description"] = json!(""),
                    true,
                ),
                (
                    "another type",
                    |v| v["Sources"][0]["Type"] = json!("other"),
                    false,
                ),
                (
                    "no type",
                    |v| _ = v["Sources"][0].as_object_mut().unwrap().remove("Type"),
                    true,
                ),
                (
                    "another precedence",
                    |v| v["Sources"][0]["Precedence"] = json!(1),
                    true,
                ),
                (
                    "a source more",
                    |v| {
                        let more = json!({"Name": "db", "Action": "deny", "Type": "consul"});
                        v["Sources"].as_array_mut().unwrap().push(more);
                    },
                    false,
                ),
                (
                    "a source less",
                    |v| _ = v["Sources"].as_array_mut().unwrap().pop(),
                    false,
                ),
                (
                    "sources in another order",
                    |v| v["Sources"].as_array_mut().unwrap().reverse(),
                    false,
                ),
                (
                    "permissions",
                    |v| {
                        v["Sources"][0]["Permissions"] =
                            json!([{"Action": "allow", "HTTP": {"PathPrefix": "/"}}]);
                    },
                    false,
                ),
                (
                    "a source namespace",
                    |v| v["Sources"][0]["Namespace"] = json!("default"),
                    false,
                ),
                (
                    "a meta value changed",
                    |v| v["Meta"]["team"] = json!("b"),
                    false,
                ),
                (
                    "a meta key more",
                    |v| v["Meta"]["owner"] = json!("b"),
                    false,
                ),
                (
                    "a meta key less",
                    |v| _ = v["Meta"].as_object_mut().unwrap().remove("team"),
                    false,
                ),
                (
                    "another workspace",
                    |v| v["Meta"]["meshplan-workspace"] = json!("other"),
                    false,
                ),
                (
                    "no meta",
                    |v| _ = v.as_object_mut().unwrap().remove("Meta"),
                    false,
                ),
                (
                    "a member more",
                    |v| v["JWT"] = json!({"Providers": [{"Name": "okta"}]}),
                    false,
                ),
                ("a namespace", |v| v["Namespace"] = json!("default"), false),
                (
                    "an escape",
                    |v| v["Sources"][0]["Name"] = json!("a\"pi"),
                    false,
                ),
            ],
        );
    }

    #[test]
    fn exports_hold_only_exactly_as_consul_stores_what_meshplan_wrote() {
        let declared = json!({"Kind": "exported-services", "Name": "default",
            "Services": [{"Name": "a", "Consumers": [{"Peer": "p"}]},
                         {"Name": "b", "Consumers": [{"Peer": "p"}, {"Peer": "q"}]}]});
        // As a Consul 1.22 agent returns it, but one service's namespace, as older ones do.
        let stored = json!({"Kind": "exported-services", "Name": "default",
            "Services": [{"Name": "a", "Consumers": [{"Peer": "p"}]},
                         {"Name": "b", "Namespace": "", "Consumers": [{"Peer": "p"}, {"Peer": "q"}]}],
            "Meta": {"managed-by": "meshplan", "meshplan-workspace": "ws"},
            "Hash": 15871178292616172528u64, "CreateIndex": 12, "ModifyIndex": 12});
        check(
            &declared,
            &stored,
            &[
                ("another name", |v| v["Name"] = json!("other"), false),
                (
                    "a service renamed",
                    |v| v["Services"][0]["Name"] = json!("c"),
                    false,
                ),
                (
                    "a service namespace",
                    |v| v["Services"][0]["Namespace"] = json!("team"),
                    false,
                ),
                (
                    "another peer",
                    |v| v["Services"][1]["Consumers"][1]["Peer"] = json!("r"),
                    false,
                ),
                (
                    "a consumer less",
                    |v| {
                        _ = v["Services"][1]["Consumers"].as_array_mut().unwrap().pop();
                    },
                    false,
                ),
                (
                    "a partition consumer",
                    |v| {
                        v["Services"][0]["Consumers"][0] = json!({"Partition": "p"});
                    },
                    false,
                ),
                (
                    "a service more",
                    |v| {
                        v["Services"]
                            .as_array_mut()
                            .unwrap()
                            .push(json!({"Name": "c"}));
                    },
                    false,
                ),
                (
                    "services in another order",
                    |v| v["Services"].as_array_mut().unwrap().reverse(),
                    false,
                ),
                ("a meta key more", |v| v["Meta"]["team"] = json!("a"), false),
                ("a partition", |v| v["Partition"] = json!("default"), false),
            ],
        );
    }
}
