//! The `exported-services` config entry: which local services a partition makes available to
//! which peers, admin partitions and sameness groups.
//!
//! It is typed (other kinds stay plain documents) because meshplan reasons about it: consumers
//! name peerings of the workspace, several files contribute services to the one entry, and
//! mistakes are cheaper to report offline than as Consul's HTTP 500. The structs mirror Consul
//! 1.22.7 (`agent/structs/config_entry_exports.go`, `api/config_entry_exports.go`) field for
//! field, so their JSON is a ready `PUT /v1/config` body.
//!
//! This module also owns the few pieces both typed kinds share: list fields that accept a single
//! value (`one_or_many`), object fields that accept a one-element list
//! (`object_or_singleton`), fields the server computes ([`ServerComputed`]) and the `Meta`
//! limits (`meta_problems`).

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, IgnoredAny, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::meta::Meta;
use super::path::Path;
use super::problem::Problem;

/// An `exported-services` config entry: the services of one admin partition that other
/// partitions and cluster peers may discover and call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ExportedServices {
    /// The config entry kind; always `exported-services`.
    pub kind: ExportedServicesKind,
    /// The admin partition whose services are exported: `default` in Consul Community Edition;
    /// in Consul Enterprise the partition's name (Consul derives the entry's partition from it).
    #[serde(deserialize_with = "weak_text")]
    pub name: String,
    /// Consul Enterprise: the admin partition the entry belongs to; it must equal `Name`. Omit
    /// it with Consul Community Edition, which rejects the key even when it is empty.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub partition: Option<String>,
    /// Read-only, Consul Enterprise: the entry applies to a whole partition, so Consul always
    /// sets this to `default`. Accepted so a read entry can be written back; never sent.
    #[serde(default, skip_serializing)]
    pub namespace: ServerComputed<String>,
    /// The services to export, each with the consumers allowed to use it. A service is
    /// exported to nobody unless it is listed here.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub services: Vec<ExportedService>,
    /// Free-form key/value metadata (at most 64 pairs, keys up to 128 bytes, values up to 512).
    /// meshplan marks what it manages with `managed-by = "meshplan"`.
    #[serde(default, skip_serializing_if = "Meta::is_empty")]
    pub meta: Meta,
    /// Read-only: a hash of the entry that Consul computes on every write. Accepted so a read
    /// entry can be written back; never sent.
    #[serde(default, skip_serializing)]
    pub hash: ServerComputed<u64>,
    /// Read-only: the Raft index at which the entry was created. Accepted so a read entry can
    /// be written back; never sent.
    #[serde(default, skip_serializing)]
    pub create_index: ServerComputed<u64>,
    /// Read-only: the Raft index of the entry's last change. Accepted so a read entry can be
    /// written back; never sent.
    #[serde(default, skip_serializing)]
    pub modify_index: ServerComputed<u64>,
}

/// The kind of an exported-services config entry.
// A one-value enum rather than a string, so that the JSON schema shows it as a constant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ExportedServicesKind {
    #[default]
    #[serde(rename = "exported-services")]
    ExportedServices,
}

/// One exported service and its consumers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ExportedService {
    /// The name of the service to export, or `*` for every service of the namespace.
    #[serde(deserialize_with = "weak_text")]
    pub name: String,
    /// The namespace the service is in (Consul Enterprise; `*` for all namespaces, which
    /// requires `Name = "*"`). Consul Community Edition stores it as empty.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub namespace: Option<String>,
    /// Who may consume the service: each consumer names exactly one of a cluster peer, an
    /// admin partition or a sameness group.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub consumers: Vec<ServiceConsumer>,
}

/// A downstream consumer of an exported service: one of `Peer`, `Partition` or
/// `SamenessGroup`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ServiceConsumer {
    /// An admin partition of this datacenter to export to (Consul Enterprise).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub partition: Option<String>,
    /// A cluster peer to export to, by the name this cluster gave the peering (`PeerName`
    /// when the peering was made). Consul does not check that the peering exists.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub peer: Option<String>,
    /// A sameness group to export to (Consul Enterprise).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub sameness_group: Option<String>,
}

/// The canonical (PascalCase) name of an `exported-services` field for any spelling Consul
/// accepts: field names match case-insensitively, plus the snake_case aliases Consul declares.
/// `None` when the key is no field of this kind (serde then reports it as unknown).
pub fn canonical_key(key: &str) -> Option<&'static str> {
    canonical_from(FIELDS, ALIASES, key)
}

/// Every field name of every struct of the kind, `Kind` and the read-only fields included.
const FIELDS: &[&str] = &[
    "Kind",
    "Name",
    "Partition",
    "Namespace",
    "Services",
    "Meta",
    "Hash",
    "CreateIndex",
    "ModifyIndex",
    "Consumers",
    "Peer",
    "SamenessGroup",
];

/// Consul's `alias` tags for this kind. `PeerName` is deliberately absent: Consul rejects it.
const ALIASES: &[(&str, &str)] = &[("peer_name", "Peer"), ("sameness_group", "SamenessGroup")];

/// Looks `key` up case-insensitively among `fields`, then among the `aliases`, the way Consul's
/// decoder (mapstructure with its key-translation hook) does.
pub(crate) fn canonical_from(
    fields: &[&'static str],
    aliases: &[(&str, &'static str)],
    key: &str,
) -> Option<&'static str> {
    let field = fields.iter().find(|field| field.eq_ignore_ascii_case(key));
    let alias = || {
        aliases
            .iter()
            .find(|(alias, _)| alias.eq_ignore_ascii_case(key))
            .map(|(_, field)| field)
    };
    field.or_else(alias).copied()
}

impl ExportedServices {
    /// Every problem Consul's validation would report on write (it stops at the first), plus
    /// duplicate services and consumers that name nobody, which Consul accepts but are mistakes.
    pub fn validate(&self) -> Vec<Problem> {
        let root = Path::root();
        let mut problems: Vec<Problem> = self.name_problem().into_iter().collect();
        problems.extend(empty_key_problem(&root, "Partition", &self.partition));
        problems.extend(meta_problems(&root.key("Meta"), &self.meta));
        for (i, service) in self.services.iter().enumerate() {
            service.problems(&root.key("Services").index(i), &mut problems);
        }
        problems.extend(self.duplicate_service_problems());
        problems
    }

    /// Consul CE requires `default`; Consul Enterprise takes the partition from the name. A
    /// name that disagrees with `Partition` would put the entry into another partition than the
    /// one meshplan addresses.
    fn name_problem(&self) -> Option<Problem> {
        let path = Path::root().key("Name");
        let name = &self.name;
        match non_empty(&self.partition) {
            None if name != "default" => {
                let message = r#"exported-services Name must be "default""#;
                let help = format!(
                    r#"also set Partition = "{name}" (Consul Enterprise), or use "default""#
                );
                Some(Problem::value(path, message).with_help(help))
            }
            Some(partition) if name != partition => {
                let message = format!(
                    r#"exported-services Name must be the name of its partition, "{partition}""#
                );
                let help = format!(r#"set Name = "{partition}""#);
                Some(Problem::value(path, message).with_help(help))
            }
            _ => None,
        }
    }

    /// The same service exported twice is accepted by Consul, but the second export of it is
    /// almost certainly a merge mistake (two files exporting one service). Looked up in order
    /// rather than hashed: hashing each service's names was about half of checking the entry.
    fn duplicate_service_problems(&self) -> Vec<Problem> {
        let mut first_seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        let mut problems = Vec::new();
        for (i, service) in self.services.iter().enumerate() {
            let namespace = non_empty(&service.namespace).unwrap_or("default");
            match first_seen.get(&(service.name.as_str(), namespace)) {
                Some(first) => problems.push(
                    Problem::value(
                        Path::root().key("Services").index(i),
                        format!("service {:?} is exported more than once", service.name),
                    )
                    .with_help(format!(
                        "it is first exported at Services[{first}]; list all its consumers there"
                    )),
                ),
                None => {
                    first_seen.insert((service.name.as_str(), namespace), i);
                }
            }
        }
        problems
    }
}

impl ExportedService {
    fn problems(&self, path: &Path, problems: &mut Vec<Problem>) {
        if self.name.is_empty() {
            problems.push(
                Problem::value(path.key("Name"), "service name cannot be empty")
                    .with_help(r#"name a service, or use "*" for all services"#),
            );
        } else if non_empty(&self.namespace) == Some(WILDCARD) && self.name != WILDCARD {
            problems.push(
                Problem::value(
                    path.key("Name"),
                    "service name must be wildcard if namespace is wildcard",
                )
                .with_help(r#"use Name = "*", or name the service's namespace"#),
            );
        }
        if self.consumers.is_empty() {
            problems.push(
                Problem::value(path.clone(), "must have at least one consumer")
                    .with_help(r#"add Consumers = [{ Peer = "<peer name>" }]"#),
            );
        }
        for (j, consumer) in self.consumers.iter().enumerate() {
            problems.extend(consumer.problems(&path.key("Consumers").index(j)));
        }
    }
}

impl ServiceConsumer {
    fn problems(&self, path: &Path) -> Vec<Problem> {
        let named = [&self.peer, &self.partition, &self.sameness_group];
        let mut problems = match named
            .iter()
            .filter(|value| non_empty(value).is_some())
            .count()
        {
            0 => vec![
                Problem::value(
                    path.clone(),
                    "a consumer must name a Peer, a Partition or a SamenessGroup",
                )
                .with_help(r#"add Peer = "<peer name>""#),
            ],
            1 => Vec::new(),
            _ => vec![
                Problem::value(
                    path.clone(),
                    "must define at most one of Peer, Partition, or SamenessGroup",
                )
                .with_help("split it into one consumer for each"),
            ],
        };
        if non_empty(&self.partition) == Some(WILDCARD) {
            problems.push(Problem::value(
                path.key("Partition"),
                "exporting to all partitions (wildcard) is not supported",
            ));
        }
        if non_empty(&self.peer) == Some(WILDCARD) {
            problems.push(Problem::value(
                path.key("Peer"),
                "exporting to all peers (wildcard) is not supported",
            ));
        }
        problems
    }
}

/// Consul's wildcard for names, namespaces, partitions and peers.
pub(crate) const WILDCARD: &str = "*";

/// The most pairs a `Meta` map may hold.
const META_MAX_PAIRS: usize = 64;
/// The longest `Meta` key, in bytes.
const META_KEY_MAX_LEN: usize = 128;
/// The longest `Meta` value (and intention `Description`), in bytes.
pub(crate) const META_VALUE_MAX_LEN: usize = 512;

/// Consul's limits on config entry `Meta`, which it measures in bytes.
pub(crate) fn meta_problems(path: &Path, meta: &Meta) -> Vec<Problem> {
    let mut problems = Vec::new();
    if meta.len() > META_MAX_PAIRS {
        problems.push(
            Problem::value(
                path.clone(),
                format!("Meta exceeds maximum element count {META_MAX_PAIRS}"),
            )
            .with_help(format!("it has {} pairs", meta.len())),
        );
    }
    for (key, value) in meta.iter() {
        if key.len() > META_KEY_MAX_LEN {
            problems.push(Problem::key(
                path.key(key),
                format!("Meta key {key:?} exceeds maximum length {META_KEY_MAX_LEN}"),
            ));
        }
        if value.len() > META_VALUE_MAX_LEN {
            problems.push(
                Problem::value(
                    path.key(key),
                    format!(
                        "Meta value for key {key:?} exceeds maximum length {META_VALUE_MAX_LEN}"
                    ),
                )
                .with_help(format!("it is {} bytes long", value.len())),
            );
        }
    }
    problems
}

/// An Enterprise-only key (`Partition`, `Namespace`) written as `""`: Consul Enterprise reads it
/// as the default, but Consul Community Edition rejects the key itself, so omitting it is right
/// for both.
pub(crate) fn empty_key_problem(path: &Path, key: &str, value: &Option<String>) -> Option<Problem> {
    (value.as_deref() == Some("")).then(|| {
        Problem::key(path.key(key), format!("{key} is empty")).with_help(format!(
            "omit {key} for the default; Consul Community Edition rejects the key even when empty"
        ))
    })
}

/// An optional string as Consul sees it: Go has no "absent", so an empty string is unset.
pub(crate) fn non_empty(value: &Option<impl AsRef<str>>) -> Option<&str> {
    value
        .as_ref()
        .map(AsRef::as_ref)
        .filter(|value| !value.is_empty())
}

/// A field that Consul computes on the server (`Hash`, `CreateIndex`, `Precedence`, ...).
///
/// It is accepted on input, whatever its value, so that what `GET /v1/config` or
/// `consul config read` returns can be pasted into a file; it is never kept, never sent and
/// never compared (all values are equal), so it cannot cause drift. `T` is the type Consul
/// gives the field and only shapes the JSON schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerComputed<T>(PhantomData<T>);

impl<'de, T> Deserialize<'de> for ServerComputed<T> {
    /// Read in full, not skipped (`IgnoredAny`): serde_json skips text without decoding it, so
    /// a lone surrogate or a number out of range there would pass, where Consul refuses it.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(deserializer)?;
        Ok(Self(PhantomData))
    }
}

impl<T: JsonSchema> JsonSchema for ServerComputed<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// Text as Consul's decoder reads it (mapstructure, weakly typed): a number or a bool written
/// where text is expected is stored as its text (`42` as `"42"`, `1.5` as `"1.5"`, `true` as
/// `"1"`), so a file saying `Name = 42` and the entry Consul made of it compare equal. Anything
/// else is refused as "expected a string", as before.
pub(crate) struct WeakText(pub String);

impl<'de> Deserialize<'de> for WeakText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WeakTextVisitor).map(WeakText)
    }
}

struct WeakTextVisitor;

impl Visitor<'_> for WeakTextVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<String, E> {
        Ok(value.to_owned())
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<String, E> {
        Ok(value)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<String, E> {
        Ok(if value { "1" } else { "0" }.to_owned())
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<String, E> {
        Ok(value.to_string())
    }
}

/// A text field of the modelled kinds, read as [`WeakText`].
pub(crate) fn weak_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    WeakText::deserialize(deserializer).map(|text| text.0)
}

/// An optional text field of the modelled kinds, read as [`WeakText`]; `null` is absent.
pub(crate) fn weak_optional_text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Option::<WeakText>::deserialize(deserializer).map(|text| text.map(|text| text.0))
}

/// Deserializes a list that may also be written as its single element, as Consul's decoder
/// allows: an HCL file with one `Sources { ... }` block yields an object, not a list, and
/// `Methods = "GET"` a string. `null` is an empty list. The JSON schema stays a plain array
/// (schemars takes it from the field type, not from `deserialize_with`).
pub(crate) fn one_or_many<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_any(OneOrMany(PhantomData))
}

struct OneOrMany<T>(PhantomData<T>);

impl<T> OneOrMany<T> {
    fn one<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<T>, D::Error>
    where
        T: Deserialize<'de>,
    {
        T::deserialize(deserializer).map(|one| vec![one])
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrMany<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list, or a single element in place of a one-element list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // As long as the input says the list is, when it says (a parsed HCL or TOML file's
        // tree does; as serde does, no more than a mebibyte ahead). Otherwise (JSON) grown by
        // doubling from one element: `Vec`'s own growth starts at four, and most of these lists
        // hold one or two (an intention's sources, a service's consumers), so half of the
        // memory of each was allocated for nothing: a tenth of what loading thousands of
        // intention files touches.
        let most = (1 << 20) / std::mem::size_of::<T>().max(1);
        let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(most));
        while let Some(element) = seq.next_element()? {
            if list.len() == list.capacity() {
                list.reserve_exact(list.len().max(1));
            }
            list.push(element);
        }
        Ok(list)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Self::one(MapAccessDeserializer::new(map))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Self::one(value.into_deserializer())
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        Self::one(value.into_deserializer())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
}

/// Deserializes an optional object that may also be written as a one-element list of it, as
/// Consul's decoder allows (HCL repeated-block syntax). `null` is absent.
pub(crate) fn object_or_singleton<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_any(ObjectOrSingleton(PhantomData))
}

struct ObjectOrSingleton<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOrSingleton<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object, or a list of exactly one object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Some)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let Some(one) = seq.next_element()? else {
            return Err(de::Error::invalid_length(0, &self));
        };
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(2, &self));
        }
        Ok(Some(one))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::entry::EXPORTED_SERVICES;

    fn entry(value: serde_json::Value) -> ExportedServices {
        serde_json::from_value(value).expect("valid exported-services entry")
    }

    fn paths(problems: &[Problem]) -> Vec<String> {
        problems
            .iter()
            .map(|problem| problem.path.to_string())
            .collect()
    }

    /// The single problem `validate` finds; panics when there are none or several.
    fn only_problem(value: serde_json::Value) -> Problem {
        let problems = entry(value).validate();
        assert_eq!(problems.len(), 1, "{problems:#?}");
        problems.into_iter().next().expect("one problem")
    }

    const DOCS_EXAMPLE: &str = r#"{
        "Kind": "exported-services",
        "Name": "default",
        "Services": [
            {
                "Name": "web",
                "Namespace": "default",
                "Consumers": [{ "Peer": "cluster-02" }, { "Partition": "team-a" }]
            },
            { "Name": "api", "Consumers": [{ "SamenessGroup": "product-group" }] }
        ],
        "Meta": { "managed-by": "meshplan" }
    }"#;

    #[test]
    fn the_consul_docs_example_round_trips_unchanged() {
        let parsed: ExportedServices = serde_json::from_str(DOCS_EXAMPLE).expect("parses");
        let expected: serde_json::Value = serde_json::from_str(DOCS_EXAMPLE).expect("json");
        assert_eq!(serde_json::to_value(&parsed).expect("serializes"), expected);
        assert_eq!(
            parsed.services[0].consumers[0].peer.as_deref(),
            Some("cluster-02")
        );
        assert!(parsed.validate().is_empty());
    }

    #[test]
    fn kind_serializes_as_the_constant_entry_uses() {
        let value = serde_json::to_value(ExportedServices::default()).expect("serializes");
        assert_eq!(value["Kind"], EXPORTED_SERVICES);
    }

    #[test]
    fn a_get_response_with_server_computed_fields_is_accepted_and_they_are_not_sent_back() {
        let read = entry(json!({
            "Kind": "exported-services", "Name": "default", "Partition": "default",
            "Namespace": "default",
            "Services": [{ "Name": "web", "Consumers": [{ "Peer": "cluster-02" }] }],
            "Hash": 18_446_744_073_709_551_615_u64, "CreateIndex": 12, "ModifyIndex": 40
        }));
        let written = serde_json::to_value(&read).expect("serializes");
        assert_eq!(
            written,
            json!({
                "Kind": "exported-services", "Name": "default", "Partition": "default",
                "Services": [{ "Name": "web", "Consumers": [{ "Peer": "cluster-02" }] }]
            })
        );
        assert_eq!(
            read,
            entry(written),
            "server-computed fields never cause a difference"
        );
    }

    #[test]
    fn serialization_omits_partition_and_namespace_when_they_are_none() {
        let value = serde_json::to_value(entry(json!({
            "Kind": "exported-services", "Name": "default",
            "Services": [{ "Name": "web", "Consumers": [{ "Peer": "p" }] }]
        })))
        .expect("serializes");
        assert_eq!(value.get("Partition"), None);
        assert_eq!(value.get("Namespace"), None);
        assert_eq!(value["Services"][0].get("Namespace"), None);
        assert_eq!(value.get("Meta"), None, "empty maps are omitted");
    }

    #[test]
    fn a_single_object_is_accepted_in_place_of_a_list() {
        let parsed = entry(json!({
            "Kind": "exported-services", "Name": "default",
            "Services": { "Name": "web", "Consumers": { "Peer": "cluster-02" } }
        }));
        assert_eq!(parsed.services.len(), 1);
        assert_eq!(
            parsed.services[0].consumers[0].peer.as_deref(),
            Some("cluster-02")
        );
    }

    #[test]
    fn null_lists_are_empty_and_unknown_keys_inside_a_single_object_are_still_rejected() {
        let parsed =
            entry(json!({ "Kind": "exported-services", "Name": "default", "Services": null }));
        assert!(parsed.services.is_empty());
        let error = serde_json::from_value::<ExportedServices>(json!({
            "Kind": "exported-services", "Name": "default",
            "Services": { "Name": "web", "Bogus": 1 }
        }))
        .expect_err("unknown key");
        assert!(
            error.to_string().contains("unknown field `Bogus`"),
            "{error}"
        );
    }

    #[test]
    fn unknown_keys_and_other_kinds_are_rejected() {
        let unknown = json!({ "Kind": "exported-services", "Name": "default", "PeerName": "x" });
        assert!(serde_json::from_value::<ExportedServices>(unknown).is_err());
        let other = json!({ "Kind": "service-intentions", "Name": "default" });
        assert!(serde_json::from_value::<ExportedServices>(other).is_err());
    }

    #[test]
    fn canonical_key_matches_any_case_and_the_snake_case_aliases() {
        assert_eq!(canonical_key("services"), Some("Services"));
        assert_eq!(canonical_key("SAMENESSGROUP"), Some("SamenessGroup"));
        assert_eq!(canonical_key("peer_name"), Some("Peer"));
        assert_eq!(canonical_key("Peer_Name"), Some("Peer"));
        assert_eq!(canonical_key("sameness_group"), Some("SamenessGroup"));
        assert_eq!(canonical_key("createindex"), Some("CreateIndex"));
        assert_eq!(
            canonical_key("PeerName"),
            None,
            "Consul does not accept PeerName"
        );
        assert_eq!(canonical_key("Sources"), None, "a field of another kind");
        assert_eq!(canonical_key("bogus"), None);
    }

    #[test]
    fn canonical_key_knows_exactly_the_fields_of_the_schema() {
        let schema = serde_json::to_value(schemars::schema_for!(ExportedServices)).expect("schema");
        let mut names = property_names(&schema);
        names.sort_unstable();
        names.dedup();
        let mut fields = FIELDS.to_vec();
        fields.sort_unstable();
        assert_eq!(names, fields);
    }

    /// Every property name anywhere in a JSON schema.
    pub(crate) fn property_names(schema: &serde_json::Value) -> Vec<&str> {
        match schema {
            serde_json::Value::Object(map) => {
                let own = map
                    .get("properties")
                    .and_then(|p| p.as_object())
                    .into_iter()
                    .flat_map(|p| p.keys());
                own.map(String::as_str)
                    .chain(map.values().flat_map(property_names))
                    .collect()
            }
            serde_json::Value::Array(items) => items.iter().flat_map(property_names).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn the_schema_shows_kind_as_a_constant_and_lists_as_plain_arrays() {
        let schema = serde_json::to_value(schemars::schema_for!(ExportedServices)).expect("schema");
        let text = schema.to_string();
        assert!(text.contains(r#""exported-services""#), "{text}");
        assert_eq!(schema["properties"]["Services"]["type"], "array", "{text}");
        assert!(
            schema["properties"]["Name"]["description"].is_string(),
            "fields are documented"
        );
    }

    #[test]
    fn name_must_be_default_without_a_partition() {
        let problem = only_problem(json!({
            "Kind": "exported-services", "Name": "payments",
            "Services": [{ "Name": "web", "Consumers": [{ "Peer": "p" }] }]
        }));
        assert_eq!(problem.path.to_string(), "Name");
        assert_eq!(
            problem.message,
            r#"exported-services Name must be "default""#
        );
        assert!(problem.help.is_some());
    }

    #[test]
    fn name_must_be_the_partition_when_a_partition_is_set() {
        let ok = entry(json!({
            "Kind": "exported-services", "Name": "payments", "Partition": "payments",
            "Services": [{ "Name": "web", "Consumers": [{ "Peer": "p" }] }]
        }));
        assert!(ok.validate().is_empty());
        let problem = only_problem(json!({
            "Kind": "exported-services", "Name": "default", "Partition": "payments",
            "Services": [{ "Name": "web", "Consumers": [{ "Peer": "p" }] }]
        }));
        assert_eq!(problem.path.to_string(), "Name");
        assert_eq!(problem.help.as_deref(), Some(r#"set Name = "payments""#));
    }

    #[test]
    fn an_empty_partition_key_is_reported_at_the_key() {
        let problems = entry(json!({
            "Kind": "exported-services", "Name": "default", "Partition": "",
            "Services": [{ "Name": "web", "Consumers": [{ "Peer": "p" }] }]
        }))
        .validate();
        assert_eq!(paths(&problems), ["Partition"]);
        assert!(problems[0].at_key);
    }

    #[test]
    fn service_rules_are_reported_with_consuls_paths() {
        let problems = entry(json!({
            "Kind": "exported-services", "Name": "default",
            "Services": [
                { "Name": "", "Consumers": [{ "Peer": "p" }] },
                { "Name": "web", "Namespace": "*", "Consumers": [{ "Peer": "p" }] },
                { "Name": "api" }
            ]
        }))
        .validate();
        assert_eq!(
            paths(&problems),
            ["Services[0].Name", "Services[1].Name", "Services[2]"]
        );
        assert_eq!(problems[0].message, "service name cannot be empty");
        assert_eq!(
            problems[1].message,
            "service name must be wildcard if namespace is wildcard"
        );
        assert_eq!(problems[2].message, "must have at least one consumer");
    }

    #[test]
    fn consumer_rules_are_all_reported() {
        let problems = entry(json!({
            "Kind": "exported-services", "Name": "default",
            "Services": [{ "Name": "web", "Consumers": [
                {},
                { "Peer": "p", "Partition": "a" },
                { "Peer": "*" },
                { "Partition": "*" },
                { "Peer": "p", "SamenessGroup": "" }
            ] }]
        }))
        .validate();
        assert_eq!(
            paths(&problems),
            [
                "Services[0].Consumers[0]",
                "Services[0].Consumers[1]",
                "Services[0].Consumers[2].Peer",
                "Services[0].Consumers[3].Partition",
            ]
        );
        assert_eq!(
            problems[0].message,
            "a consumer must name a Peer, a Partition or a SamenessGroup"
        );
        assert_eq!(
            problems[1].message,
            "must define at most one of Peer, Partition, or SamenessGroup"
        );
        assert_eq!(
            problems[2].message,
            "exporting to all peers (wildcard) is not supported"
        );
        assert_eq!(
            problems[3].message,
            "exporting to all partitions (wildcard) is not supported"
        );
    }

    #[test]
    fn a_service_exported_twice_is_reported_at_the_second() {
        let problems = entry(json!({
            "Kind": "exported-services", "Name": "default",
            "Services": [
                { "Name": "web", "Consumers": [{ "Peer": "a" }] },
                { "Name": "web", "Namespace": "other", "Consumers": [{ "Peer": "a" }] },
                { "Name": "web", "Namespace": "default", "Consumers": [{ "Peer": "b" }] }
            ]
        }))
        .validate();
        assert_eq!(paths(&problems), ["Services[2]"]);
        assert_eq!(
            problems[0].message,
            r#"service "web" is exported more than once"#
        );
        assert!(
            problems[0]
                .help
                .as_deref()
                .is_some_and(|help| help.contains("Services[0]"))
        );
    }

    #[test]
    fn meta_limits_are_checked_in_bytes() {
        let mut meta: Meta = (0..65).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        meta.insert("k".repeat(129), "v".to_owned());
        meta.insert("long".to_owned(), "é".repeat(257));
        let problems = meta_problems(&Path::root().key("Meta"), &meta);
        let paths = paths(&problems);
        assert_eq!(paths[0], "Meta");
        assert_eq!(problems[0].message, "Meta exceeds maximum element count 64");
        assert!(
            problems
                .iter()
                .any(|p| p.at_key && p.message.contains("exceeds maximum length 128"))
        );
        assert!(paths.contains(&"Meta.long".to_owned()));
        assert!(
            meta_problems(
                &Path::root(),
                &Meta::from([("a".repeat(128), "b".repeat(512))])
            )
            .is_empty()
        );
    }

    #[test]
    fn an_object_field_accepts_a_list_of_exactly_one() {
        #[derive(Debug, Deserialize)]
        struct Holder {
            #[serde(default, deserialize_with = "object_or_singleton")]
            inner: Option<ServiceConsumer>,
        }
        let one: Holder =
            serde_json::from_value(json!({ "inner": [{ "Peer": "p" }] })).expect("one");
        assert_eq!(one.inner.and_then(|c| c.peer).as_deref(), Some("p"));
        let object: Holder =
            serde_json::from_value(json!({ "inner": { "Peer": "p" } })).expect("object");
        assert!(object.inner.is_some());
        assert!(serde_json::from_value::<Holder>(json!({ "inner": [{}, {}] })).is_err());
        assert!(serde_json::from_value::<Holder>(json!({ "inner": [] })).is_err());
    }
}
