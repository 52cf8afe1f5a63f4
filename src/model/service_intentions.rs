//! The `service-intentions` config entry: which sources (local services, services of cluster
//! peers, partitions or sameness groups) may call one destination service, at L4 (`Action`) or
//! L7 (`Permissions`).
//!
//! It is typed (other kinds stay plain documents) because meshplan reasons about it: sources
//! name peerings of the workspace, several files contribute sources to the one entry, and
//! mistakes are cheaper to report offline than as Consul's HTTP 500. The structs mirror Consul
//! 1.22.7 (`agent/structs/config_entry_intentions.go`, `api/config_entry_intentions.go`) field
//! for field, so their JSON is a ready `PUT /v1/config` body. The L7 permission and JWT types
//! live in the `permission` submodule.

mod permission;

use std::collections::BTreeMap;
use std::marker::PhantomData;

use compact_str::CompactString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::exported_services::{
    META_VALUE_MAX_LEN, ServerComputed, WILDCARD, canonical_from, empty_key_problem, meta_problems,
    non_empty, object_or_singleton, one_or_many, weak_optional_text, weak_text,
};
use super::meta::Meta;
use super::path::Path;
use super::problem::Problem;

pub use permission::{
    IntentionHttpHeaderPermission, IntentionHttpPermission, IntentionJwtClaimVerification,
    IntentionJwtProvider, IntentionJwtRequirement, IntentionPermission,
};

/// A `service-intentions` config entry: every intention whose destination is one service (or
/// `*`, all services of the namespace).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ServiceIntentions {
    /// The config entry kind; always `service-intentions`.
    pub kind: ServiceIntentionsKind,
    /// The destination service these intentions protect, or `*` for every service of the
    /// namespace (partial wildcards such as `web-*` are not allowed).
    #[serde(deserialize_with = "weak_text")]
    pub name: String,
    /// Consul Enterprise: the admin partition of the destination. Omit it with Consul Community
    /// Edition, which rejects the key even when it is empty.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub partition: Option<String>,
    /// Consul Enterprise: the namespace of the destination, or `*` for all namespaces. Omit it
    /// with Consul Community Edition, which rejects the key even when it is empty.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub namespace: Option<String>,
    /// The sources allowed or denied to call the destination; at least one. Consul stores them
    /// sorted by precedence (exact names before `*`).
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sources: Vec<SourceIntention>,
    /// JSON Web Token requirements that apply to every request to the destination, whatever its
    /// source. Each provider must exist as a `jwt-provider` config entry.
    #[serde(
        rename = "JWT",
        default,
        deserialize_with = "object_or_singleton",
        skip_serializing_if = "Option::is_none"
    )]
    pub jwt: Option<IntentionJwtRequirement>,
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

/// The kind of a service-intentions config entry.
// A one-value enum rather than a string, so that the JSON schema shows it as a constant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ServiceIntentionsKind {
    #[default]
    #[serde(rename = "service-intentions")]
    ServiceIntentions,
}

/// Whether an intention (or one L7 permission) lets matching traffic through. Consul accepts
/// the lowercase spellings only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IntentionAction {
    /// Let matching traffic through.
    Allow,
    /// Refuse matching traffic.
    Deny,
}

/// One source of a `service-intentions` entry: a service (or `*`) in this cluster, in another
/// admin partition, in a cluster peer or in a sameness group.
// The source as written and as sent; meshplan keeps it as `SourceIntention`. (A comment, not
// documentation: the JSON schema shows the documentation.)
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
#[schemars(rename = "SourceIntention")]
pub struct SourceIntentionFields {
    /// The source service's name, or `*` for every service (partial wildcards are not allowed).
    #[serde(deserialize_with = "weak_text")]
    pub name: String,
    /// The cluster peer the source service runs in, by the name this cluster gave the peering.
    /// Consul does not check that the peering exists. Excludes `Partition` and `SamenessGroup`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub peer: Option<String>,
    /// Consul Enterprise: the admin partition of the source service. Excludes `Peer` and
    /// `SamenessGroup`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub partition: Option<String>,
    /// Consul Enterprise: the namespace of the source service, or `*`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub namespace: Option<String>,
    /// Consul Enterprise: the sameness group the source service belongs to. Excludes `Peer` and
    /// `Partition`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub sameness_group: Option<String>,
    /// L4 intention: `allow` or `deny` every connection from the source. Required unless
    /// `Permissions` are given, and must be omitted when they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<IntentionAction>,
    /// L7 intention: HTTP rules evaluated in order, the first match deciding. Needs the
    /// destination's protocol to be `http`, `http2` or `grpc` (service-defaults or
    /// proxy-defaults), and a destination that is not `*`.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub permissions: Vec<IntentionPermission>,
    /// Read-only: the order in which Consul applies intentions (higher first), recomputed on
    /// every write from how exact the source and destination names are. Accepted so a read
    /// entry can be written back; never sent.
    #[serde(default, skip_serializing)]
    pub precedence: ServerComputed<i64>,
    /// The source's type; `consul` (the default and the only value Consul accepts).
    #[serde(
        rename = "Type",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    #[schemars(extend("enum" = ["consul"]))]
    pub source_type: Option<String>,
    /// A human-readable description of the intention, at most 512 bytes. Consul stores it
    /// without interpreting it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub description: Option<String>,
    /// Legacy (intentions from before Consul 1.9): the intention's old ID. Must be omitted;
    /// Consul clears it on write.
    #[serde(rename = "LegacyID", default, skip_serializing)]
    pub legacy_id: Legacy<String>,
    /// Legacy (intentions from before Consul 1.9): per-intention metadata. Must be omitted; use
    /// the entry's `Meta`.
    #[serde(default, skip_serializing)]
    pub legacy_meta: Legacy<BTreeMap<String, String>>,
    /// Legacy (intentions from before Consul 1.9): creation time (RFC 3339). Must be omitted;
    /// Consul clears it on write.
    #[serde(default, skip_serializing)]
    pub legacy_create_time: Legacy<String>,
    /// Legacy (intentions from before Consul 1.9): last update time (RFC 3339). Must be
    /// omitted; Consul clears it on write.
    #[serde(default, skip_serializing)]
    pub legacy_update_time: Legacy<String>,
}

/// One source of a `service-intentions` entry, as meshplan keeps it: the fields most sources
/// set, their texts held inline up to 24 bytes (service and peer names rarely need more), and
/// the others in [`SourceExtras`], allocated only for a source that sets one. Sources are most
/// of what a loaded workspace holds; this takes about half the memory of
/// [`SourceIntentionFields`], the same source as written and sent, through which it is read
/// and serialized (so the JSON, the schema and the error paths are that struct's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "SourceIntentionFields", into = "SourceIntentionFields")]
pub struct SourceIntention {
    pub name: CompactString,
    pub peer: Option<CompactString>,
    pub action: Option<IntentionAction>,
    pub permissions: Vec<IntentionPermission>,
    pub description: Option<CompactString>,
    pub extras: Option<Box<SourceExtras>>,
}

/// The fields of a source that few sources set (see [`SourceIntentionFields`] for each).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceExtras {
    pub partition: Option<String>,
    pub namespace: Option<String>,
    pub sameness_group: Option<String>,
    pub source_type: Option<String>,
    pub legacy_id: Legacy<String>,
    pub legacy_meta: Legacy<BTreeMap<String, String>>,
    pub legacy_create_time: Legacy<String>,
    pub legacy_update_time: Legacy<String>,
}

/// The extras of a source that sets none.
static NO_EXTRAS: SourceExtras = SourceExtras {
    partition: None,
    namespace: None,
    sameness_group: None,
    source_type: None,
    legacy_id: Legacy::UNSET,
    legacy_meta: Legacy::UNSET,
    legacy_create_time: Legacy::UNSET,
    legacy_update_time: Legacy::UNSET,
};

impl SourceIntention {
    /// The fields few sources set; all unset when the source sets none.
    pub fn extras(&self) -> &SourceExtras {
        self.extras.as_deref().unwrap_or(&NO_EXTRAS)
    }
}

impl From<SourceIntentionFields> for SourceIntention {
    fn from(fields: SourceIntentionFields) -> Self {
        let extras = SourceExtras {
            partition: fields.partition,
            namespace: fields.namespace,
            sameness_group: fields.sameness_group,
            source_type: fields.source_type,
            legacy_id: fields.legacy_id,
            legacy_meta: fields.legacy_meta,
            legacy_create_time: fields.legacy_create_time,
            legacy_update_time: fields.legacy_update_time,
        };
        Self {
            name: fields.name.into(),
            peer: fields.peer.map(CompactString::from),
            action: fields.action,
            permissions: fields.permissions,
            description: fields.description.map(CompactString::from),
            extras: (extras != NO_EXTRAS).then(|| Box::new(extras)),
        }
    }
}

impl From<SourceIntention> for SourceIntentionFields {
    fn from(source: SourceIntention) -> Self {
        let extras = source
            .extras
            .map_or_else(SourceExtras::default, |extras| *extras);
        Self {
            name: source.name.into(),
            peer: source.peer.map(String::from),
            partition: extras.partition,
            namespace: extras.namespace,
            sameness_group: extras.sameness_group,
            action: source.action,
            permissions: source.permissions,
            precedence: ServerComputed::default(),
            source_type: extras.source_type,
            description: source.description.map(String::from),
            legacy_id: extras.legacy_id,
            legacy_meta: extras.legacy_meta,
            legacy_create_time: extras.legacy_create_time,
            legacy_update_time: extras.legacy_update_time,
        }
    }
}

impl JsonSchema for SourceIntention {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        SourceIntentionFields::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        SourceIntentionFields::json_schema(generator)
    }
}

/// A legacy field of an intention source (`LegacyID`, `LegacyMeta`, `LegacyCreateTime`,
/// `LegacyUpdateTime`, from intentions made before Consul 1.9). Consul rejects `LegacyMeta`
/// and clears the others on write, so a file that sets one is refused
/// ([`ServiceIntentions::validate`]). All that is kept is whether it is set: the value is read
/// and checked against `T`, the type Consul gives the field, then dropped, since it is never
/// sent nor compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Legacy<T> {
    set: bool,
    value_type: PhantomData<T>,
}

impl<T> Legacy<T> {
    const UNSET: Self = Self {
        set: false,
        value_type: PhantomData,
    };

    /// Whether the file sets the field: to any text, or to a map with at least one pair (an
    /// empty `LegacyMeta` is no metadata, and Consul accepts it).
    pub fn is_set(&self) -> bool {
        self.set
    }
}

impl<T> Default for Legacy<T> {
    fn default() -> Self {
        Self::UNSET
    }
}

/// Whether a legacy field's value sets it (see [`Legacy::is_set`]).
pub trait LegacyValue {
    fn sets(&self) -> bool;
}

impl LegacyValue for String {
    fn sets(&self) -> bool {
        true
    }
}

impl LegacyValue for BTreeMap<String, String> {
    fn sets(&self) -> bool {
        !self.is_empty()
    }
}

impl<'de, T: Deserialize<'de> + LegacyValue> Deserialize<'de> for Legacy<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Option::<T>::deserialize(deserializer)?;
        Ok(Self {
            set: value.is_some_and(|value| value.sets()),
            value_type: PhantomData,
        })
    }
}

impl<T: JsonSchema> JsonSchema for Legacy<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        Option::<T>::schema_name()
    }

    /// `T` or `null`, as read.
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        Option::<T>::json_schema(generator)
    }
}

/// The canonical (PascalCase) name of a `service-intentions` field for any spelling Consul
/// accepts: field names match case-insensitively, plus the snake_case aliases Consul declares.
/// `None` when the key is no field of this kind (serde then reports it as unknown).
pub fn canonical_key(key: &str) -> Option<&'static str> {
    canonical_from(FIELDS, ALIASES, key)
}

/// Every field name of every struct of the kind, `Kind` and the read-only fields included.
const FIELDS: &[&str] = &[
    // The entry.
    "Kind",
    "Name",
    "Partition",
    "Namespace",
    "Sources",
    "JWT",
    "Meta",
    "Hash",
    "CreateIndex",
    "ModifyIndex",
    // A source.
    "Peer",
    "SamenessGroup",
    "Action",
    "Permissions",
    "Precedence",
    "Type",
    "Description",
    "LegacyID",
    "LegacyMeta",
    "LegacyCreateTime",
    "LegacyUpdateTime",
    // A permission and its HTTP match.
    "HTTP",
    "PathExact",
    "PathPrefix",
    "PathRegex",
    "Header",
    "Methods",
    // A header match.
    "Present",
    "Exact",
    "Prefix",
    "Suffix",
    "Contains",
    "Regex",
    "Invert",
    "IgnoreCase",
    // JWT requirements.
    "Providers",
    "VerifyClaims",
    "Path",
    "Value",
];

/// Consul's `alias` tags for this kind.
const ALIASES: &[(&str, &str)] = &[
    ("sameness_group", "SamenessGroup"),
    ("legacy_id", "LegacyID"),
    ("legacy_meta", "LegacyMeta"),
    ("legacy_create_time", "LegacyCreateTime"),
    ("legacy_update_time", "LegacyUpdateTime"),
    ("path_exact", "PathExact"),
    ("path_prefix", "PathPrefix"),
    ("path_regex", "PathRegex"),
    ("ignore_case", "IgnoreCase"),
    ("verify_claims", "VerifyClaims"),
];

impl ServiceIntentions {
    /// Every problem Consul's validation would report on write (it stops at the first), plus
    /// legacy fields that Consul would silently drop.
    pub fn validate(&self) -> Vec<Problem> {
        let root = Path::root();
        let mut problems = Vec::new();
        if self.name.is_empty() {
            problems.push(
                Problem::value(root.key("Name"), "Name is required")
                    .with_help(r#"name the destination service, or use "*" for all services"#),
            );
        }
        let names = Names {
            name: &self.name,
            namespace: &self.namespace,
            partition: &self.partition,
        };
        problems.extend(names.wildcard_problems(&root));
        problems.extend(empty_key_problem(&root, "Partition", &self.partition));
        problems.extend(empty_key_problem(&root, "Namespace", &self.namespace));
        if let Some(jwt) = &self.jwt {
            problems.extend(jwt.problems(&root.key("JWT")));
        }
        problems.extend(meta_problems(&root.key("Meta"), &self.meta));
        if self.sources.is_empty() {
            problems.push(
                Problem::value(root.clone(), "At least one source is required").with_help(
                    "add a source; to remove every intention of this destination, delete the entry",
                ),
            );
        }
        for (i, source) in self.sources.iter().enumerate() {
            source.problems(
                &root.key("Sources").index(i),
                self.has_wildcard_destination(),
                &mut problems,
            );
        }
        problems.extend(self.duplicate_source_problems());
        problems
    }

    /// Whether the destination is `*` (by name or namespace): L7 permissions need one service.
    fn has_wildcard_destination(&self) -> bool {
        self.name == WILDCARD || non_empty(&self.namespace) == Some(WILDCARD)
    }

    /// Consul refuses two sources for the same service (same name, namespace and partition,
    /// peer or sameness group): which one applies would be ambiguous. Sources are looked up
    /// in order rather than hashed: an entry has a few, and hashing each one's five names was
    /// a tenth of checking a loaded workspace.
    fn duplicate_source_problems(&self) -> Vec<Problem> {
        let mut first_seen: BTreeMap<SourceIdentity<'_>, usize> = BTreeMap::new();
        let mut problems = Vec::new();
        for (i, source) in self.sources.iter().enumerate() {
            let identity = self.identity(source);
            match first_seen.get(&identity) {
                Some(first) => problems.push(
                    Problem::value(
                        Path::root().key("Sources").index(i),
                        identity.duplicate_message(),
                    )
                    .with_help(format!(
                        "it is first defined at Sources[{first}]; keep one of the two"
                    )),
                ),
                None => {
                    first_seen.insert(identity, i);
                }
            }
        }
        problems
    }

    /// A source as Consul tells sources apart after normalizing: a source that names no peer or
    /// sameness group inherits the destination's namespace and partition (Consul Enterprise),
    /// and an absent namespace or partition is the default one.
    fn identity<'a>(&'a self, source: &'a SourceIntention) -> SourceIdentity<'a> {
        let extras = source.extras();
        let peer = non_empty(&source.peer);
        let sameness_group = non_empty(&extras.sameness_group);
        let local = peer.is_none() && sameness_group.is_none();
        let inherited = |own: &'a Option<String>, destination: &'a Option<String>| {
            let destination = non_empty(destination).filter(|value| local && *value != WILDCARD);
            non_empty(own).or(destination).unwrap_or("default")
        };
        SourceIdentity {
            name: &source.name,
            namespace: inherited(&extras.namespace, &self.namespace),
            partition: inherited(&extras.partition, &self.partition),
            peer,
            sameness_group,
        }
    }
}

/// What makes two sources of one entry the same source.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct SourceIdentity<'a> {
    name: &'a str,
    namespace: &'a str,
    partition: &'a str,
    peer: Option<&'a str>,
    sameness_group: Option<&'a str>,
}

impl SourceIdentity<'_> {
    fn duplicate_message(&self) -> String {
        let origin = match (self.peer, self.sameness_group) {
            (Some(peer), _) => format!(" of peer {peer:?}"),
            (None, Some(group)) => format!(" of sameness group {group:?}"),
            (None, None) => String::new(),
        };
        format!("source {:?}{origin} is defined more than once", self.name)
    }
}

impl SourceIntention {
    fn problems(&self, path: &Path, destination_is_wildcard: bool, problems: &mut Vec<Problem>) {
        if self.name.is_empty() {
            problems.push(
                Problem::value(path.key("Name"), "Name is required")
                    .with_help(r#"name the source service, or use "*" for all services"#),
            );
        }
        let extras = self.extras();
        let names = Names {
            name: &self.name,
            namespace: &extras.namespace,
            partition: &extras.partition,
        };
        problems.extend(names.wildcard_problems(path));
        problems.extend(self.wildcard_origin_problems(path));
        problems.extend(empty_key_problem(path, "Partition", &extras.partition));
        problems.extend(empty_key_problem(path, "Namespace", &extras.namespace));
        problems.extend(self.origin_problems(path));
        if self
            .description
            .as_ref()
            .is_some_and(|text| text.len() > META_VALUE_MAX_LEN)
        {
            problems.push(Problem::value(
                path.key("Description"),
                format!("Description exceeds maximum length {META_VALUE_MAX_LEN}"),
            ));
        }
        problems.extend(self.legacy_problems(path));
        problems.extend(self.action_problems(path, destination_is_wildcard));
        if non_empty(&extras.source_type).is_some_and(|kind| kind != "consul") {
            problems.push(
                Problem::value(path.key("Type"), "Type must be set to 'consul'")
                    .with_help(r#"remove Type, or set Type = "consul""#),
            );
        }
        for (j, permission) in self.permissions.iter().enumerate() {
            problems.extend(permission.problems(&path.key("Permissions").index(j)));
        }
    }

    /// A peer or sameness group cannot be `*`; a source name of `*` from a peer is fine.
    fn wildcard_origin_problems(&self, path: &Path) -> Vec<Problem> {
        let mut problems = Vec::new();
        if non_empty(&self.peer).is_some_and(|peer| peer.contains(WILDCARD)) {
            problems.push(Problem::value(
                path.key("Peer"),
                "cannot use wildcard '*' in peer",
            ));
        }
        if non_empty(&self.extras().sameness_group).is_some_and(|group| group.contains(WILDCARD)) {
            problems.push(Problem::value(
                path.key("SamenessGroup"),
                "cannot use wildcard '*' in sameness group",
            ));
        }
        problems
    }

    /// `Peer`, `Partition` and `SamenessGroup` each say where the source runs; at most one may.
    fn origin_problems(&self, path: &Path) -> Vec<Problem> {
        let extras = self.extras();
        let (peer, partition, group) = (
            non_empty(&self.peer),
            non_empty(&extras.partition),
            non_empty(&extras.sameness_group),
        );
        let mut problems = Vec::new();
        if peer.is_some() && partition.is_some() {
            problems.push(Problem::key(
                path.key("Peer"),
                "cannot set Peer and Partition at the same time",
            ));
        }
        if group.is_some() && partition.is_some() {
            problems.push(Problem::key(
                path.key("SamenessGroup"),
                "cannot set SamenessGroup and Partition at the same time",
            ));
        }
        if group.is_some() && peer.is_some() {
            problems.push(Problem::key(
                path.key("SamenessGroup"),
                "cannot set SamenessGroup and Peer at the same time",
            ));
        }
        problems
    }

    /// Consul rejects `LegacyMeta` and silently clears the other legacy fields on write; either
    /// way what the file says is not what Consul would store.
    fn legacy_problems(&self, path: &Path) -> Vec<Problem> {
        let extras = self.extras();
        let present = [
            ("LegacyID", extras.legacy_id.is_set()),
            ("LegacyMeta", extras.legacy_meta.is_set()),
            ("LegacyCreateTime", extras.legacy_create_time.is_set()),
            ("LegacyUpdateTime", extras.legacy_update_time.is_set()),
        ];
        let problem = |key: &str| {
            Problem::key(path.key(key), format!("{key} must be omitted"))
                .with_help("legacy fields come from intentions made before Consul 1.9; remove it")
        };
        present
            .into_iter()
            .filter(|(_, set)| *set)
            .map(|(key, _)| problem(key))
            .collect()
    }

    /// L4 (`Action`) and L7 (`Permissions`) exclude each other, and L7 needs one destination.
    fn action_problems(&self, path: &Path, destination_is_wildcard: bool) -> Vec<Problem> {
        let mut problems = Vec::new();
        match (self.action, self.permissions.is_empty()) {
            (None, true) => problems.push(
                Problem::value(path.clone(), "Action must be set to 'allow' or 'deny'")
                    .with_help(r#"add Action = "allow" or Action = "deny", or L7 Permissions"#),
            ),
            (Some(_), false) => problems.push(
                Problem::key(
                    path.key("Action"),
                    "Action must be omitted if Permissions are specified",
                )
                .with_help("each permission has its own Action; remove this one"),
            ),
            _ => {}
        }
        if destination_is_wildcard && !self.permissions.is_empty() {
            problems.push(
                Problem::key(
                    path.key("Permissions"),
                    "Permissions cannot be specified on intentions with wildcarded destinations",
                )
                .with_help("name one destination service, or use Action instead"),
            );
        }
        problems
    }
}

/// A name with its namespace and partition, checked for wildcards as Consul does for both the
/// destination and each source.
struct Names<'a> {
    name: &'a str,
    namespace: &'a Option<String>,
    partition: &'a Option<String>,
}

impl Names<'_> {
    /// `*` must be the whole name or namespace; an exact name cannot sit in all namespaces; no
    /// partition may be `*`.
    fn wildcard_problems(&self, path: &Path) -> Vec<Problem> {
        let namespace = non_empty(self.namespace).unwrap_or("default");
        let mut problems = Vec::new();
        if namespace != WILDCARD && namespace.contains(WILDCARD) {
            problems.push(partial_wildcard(path.key("Namespace")));
        }
        if self.name != WILDCARD && self.name.contains(WILDCARD) {
            problems.push(partial_wildcard(path.key("Name")));
        } else if !self.name.is_empty() && self.name != WILDCARD && namespace == WILDCARD {
            problems.push(
                Problem::value(
                    path.key("Name"),
                    "exact value cannot follow wildcard namespace",
                )
                .with_help(r#"use Name = "*" with Namespace = "*", or name the namespace"#),
            );
        }
        if non_empty(self.partition).is_some_and(|partition| partition.contains(WILDCARD)) {
            problems.push(Problem::value(
                path.key("Partition"),
                "cannot use wildcard '*' in partition",
            ));
        }
        problems
    }
}

fn partial_wildcard(path: Path) -> Problem {
    Problem::value(
        path,
        "wildcard character '*' cannot be used with partial values",
    )
    .with_help(r#"use exactly "*" for all, or a full name"#)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::model::entry::SERVICE_INTENTIONS;

    fn entry(value: Value) -> ServiceIntentions {
        serde_json::from_value(value).expect("valid service-intentions entry")
    }

    /// An entry for destination `web` with the given sources.
    fn with_sources(sources: Value) -> ServiceIntentions {
        entry(json!({ "Kind": "service-intentions", "Name": "web", "Sources": sources }))
    }

    fn paths(problems: &[Problem]) -> Vec<String> {
        problems
            .iter()
            .map(|problem| problem.path.to_string())
            .collect()
    }

    fn messages(problems: &[Problem]) -> Vec<&str> {
        problems
            .iter()
            .map(|problem| problem.message.as_str())
            .collect()
    }

    /// Consul's docs example "REST access", plus a peer source and JWT, as JSON.
    const DOCS_EXAMPLE: &str = r#"{
        "Kind": "service-intentions",
        "Name": "api",
        "Sources": [
            {
                "Name": "admin-dashboard",
                "Permissions": [
                    {
                        "Action": "allow",
                        "HTTP": {
                            "PathPrefix": "/v2",
                            "Methods": ["GET", "PUT", "POST", "DELETE", "HEAD"]
                        }
                    }
                ]
            },
            {
                "Name": "report-generator",
                "Permissions": [
                    {
                        "Action": "allow",
                        "HTTP": { "PathPrefix": "/v2/widgets", "Methods": ["GET"] }
                    },
                    {
                        "Action": "deny",
                        "HTTP": {
                            "PathRegex": "/v2/.*",
                            "Header": [
                                { "Name": "x-debug", "Present": true },
                                {
                                    "Name": "x-env", "Exact": "Prod",
                                    "IgnoreCase": true, "Invert": true
                                },
                                { "Name": "user-agent", "Contains": "curl" }
                            ]
                        },
                        "JWT": { "Providers": [{
                            "Name": "okta",
                            "VerifyClaims": [{ "Path": ["perms", "role"], "Value": "admin" }]
                        }] }
                    }
                ]
            },
            {
                "Name": "backend-service", "Peer": "cluster-02", "Action": "allow",
                "Description": "from the peer"
            },
            { "Name": "*", "Action": "deny" }
        ],
        "JWT": { "Providers": [{ "Name": "okta" }] },
        "Meta": { "managed-by": "meshplan" }
    }"#;

    #[test]
    fn the_consul_docs_example_round_trips_unchanged() {
        let parsed: ServiceIntentions = serde_json::from_str(DOCS_EXAMPLE).expect("parses");
        let expected: Value = serde_json::from_str(DOCS_EXAMPLE).expect("json");
        assert_eq!(serde_json::to_value(&parsed).expect("serializes"), expected);
        assert!(parsed.validate().is_empty(), "{:#?}", parsed.validate());
        let header = &parsed.sources[1].permissions[1]
            .http
            .as_ref()
            .expect("http")
            .header[1];
        assert!(header.ignore_case && header.invert);
    }

    #[test]
    fn kind_serializes_as_the_constant_entry_uses() {
        let value = serde_json::to_value(ServiceIntentions::default()).expect("serializes");
        assert_eq!(value["Kind"], SERVICE_INTENTIONS);
    }

    #[test]
    fn a_get_response_with_server_computed_fields_is_accepted_and_they_are_not_sent_back() {
        let read = entry(json!({
            "Kind": "service-intentions", "Name": "frontend-service",
            "Sources": [{
                "Name": "backend-service", "Peer": "cluster-02", "Action": "allow",
                "Precedence": 9, "Type": "consul"
            }],
            "Hash": 18_446_744_073_709_551_615_u64, "CreateIndex": 30, "ModifyIndex": 31
        }));
        assert!(read.validate().is_empty());
        let written = serde_json::to_value(&read).expect("serializes");
        assert_eq!(
            written,
            json!({
                "Kind": "service-intentions", "Name": "frontend-service",
                "Sources": [{
                    "Name": "backend-service", "Peer": "cluster-02", "Action": "allow",
                    "Type": "consul"
                }]
            })
        );
    }

    #[test]
    fn serialization_omits_partition_and_namespace_when_they_are_none() {
        let value = serde_json::to_value(with_sources(json!([{ "Name": "a", "Action": "allow" }])))
            .expect("json");
        for key in ["Partition", "Namespace", "JWT", "Meta"] {
            assert_eq!(value.get(key), None, "{key}");
        }
        for key in [
            "Partition",
            "Namespace",
            "Permissions",
            "LegacyMeta",
            "Type",
        ] {
            assert_eq!(value["Sources"][0].get(key), None, "{key}");
        }
        let enterprise = entry(json!({
            "Kind": "service-intentions", "Name": "web", "Partition": "ap1", "Namespace": "ns1",
            "Sources": [{ "Name": "a", "Namespace": "ns2", "Action": "allow" }]
        }));
        let value = serde_json::to_value(enterprise).expect("json");
        assert_eq!(
            (value["Partition"].as_str(), value["Namespace"].as_str()),
            (Some("ap1"), Some("ns1"))
        );
        assert_eq!(value["Sources"][0]["Namespace"], "ns2");
    }

    #[test]
    fn single_objects_and_values_are_accepted_in_place_of_lists() {
        let parsed = with_sources(json!({
            "Name": "a",
            "Permissions": {
                "Action": "allow",
                "HTTP": { "Methods": "GET", "Header": { "Name": "x", "Present": true } },
                "JWT": {
                    "Providers": {
                        "Name": "okta",
                        "VerifyClaims": { "Path": "role", "Value": "admin" }
                    }
                }
            }
        }));
        let permission = &parsed.sources[0].permissions[0];
        let http = permission.http.as_ref().expect("http");
        assert_eq!(
            (http.methods.as_slice(), http.header.len()),
            (["GET".to_owned()].as_slice(), 1)
        );
        let provider = &permission.jwt.as_ref().expect("jwt").providers[0];
        assert_eq!(provider.verify_claims[0].path, ["role"]);
        assert!(parsed.validate().is_empty(), "{:#?}", parsed.validate());
    }

    #[test]
    fn object_fields_accept_a_one_element_list() {
        let parsed = with_sources(json!([{
            "Name": "a",
            "Permissions": [{ "Action": "deny", "HTTP": [{ "PathExact": "/x" }] }]
        }]));
        assert_eq!(
            parsed.sources[0].permissions[0]
                .http
                .as_ref()
                .and_then(|h| h.path_exact.as_deref()),
            Some("/x")
        );
    }

    #[test]
    fn actions_are_lowercase_only_and_unknown_keys_are_rejected() {
        let upper = json!({
            "Kind": "service-intentions", "Name": "web",
            "Sources": [{ "Name": "a", "Action": "Allow" }]
        });
        assert!(serde_json::from_value::<ServiceIntentions>(upper).is_err());
        let unknown = json!({
            "Kind": "service-intentions", "Name": "web",
            "Sources": [{ "Name": "a", "SourceName": "b" }]
        });
        assert!(serde_json::from_value::<ServiceIntentions>(unknown).is_err());
    }

    #[test]
    fn canonical_key_matches_any_case_and_the_snake_case_aliases() {
        assert_eq!(canonical_key("sources"), Some("Sources"));
        assert_eq!(canonical_key("jwt"), Some("JWT"));
        assert_eq!(canonical_key("Http"), Some("HTTP"));
        assert_eq!(canonical_key("legacyid"), Some("LegacyID"));
        assert_eq!(canonical_key("path_exact"), Some("PathExact"));
        assert_eq!(canonical_key("PATH_PREFIX"), Some("PathPrefix"));
        assert_eq!(canonical_key("path_regex"), Some("PathRegex"));
        assert_eq!(canonical_key("ignore_case"), Some("IgnoreCase"));
        assert_eq!(canonical_key("verify_claims"), Some("VerifyClaims"));
        assert_eq!(canonical_key("sameness_group"), Some("SamenessGroup"));
        assert_eq!(canonical_key("legacy_id"), Some("LegacyID"));
        assert_eq!(canonical_key("legacy_meta"), Some("LegacyMeta"));
        assert_eq!(
            canonical_key("legacy_create_time"),
            Some("LegacyCreateTime")
        );
        assert_eq!(
            canonical_key("legacy_update_time"),
            Some("LegacyUpdateTime")
        );
        assert_eq!(
            canonical_key("peer_name"),
            None,
            "an alias of exported-services only"
        );
        assert_eq!(canonical_key("Consumers"), None, "a field of another kind");
        assert_eq!(canonical_key("source_name"), None);
    }

    #[test]
    fn canonical_key_knows_exactly_the_fields_of_the_schema() {
        let schema =
            serde_json::to_value(schemars::schema_for!(ServiceIntentions)).expect("schema");
        let mut names = crate::model::exported_services::tests::property_names(&schema);
        names.sort_unstable();
        names.dedup();
        let mut fields = FIELDS.to_vec();
        fields.sort_unstable();
        assert_eq!(names, fields);
    }

    #[test]
    fn the_schema_shows_constants_and_plain_arrays() {
        let schema =
            serde_json::to_value(schemars::schema_for!(ServiceIntentions)).expect("schema");
        let text = schema.to_string();
        assert!(text.contains(r#""service-intentions""#), "{text}");
        assert!(text.contains(r#""consul""#), "{text}");
        assert_eq!(schema["properties"]["Sources"]["type"], "array", "{text}");
    }

    #[test]
    fn entry_level_rules_are_reported() {
        let problems = entry(json!({
            "Kind": "service-intentions", "Name": "", "Namespace": "",
            "JWT": { "Providers": [{ "Name": "" }] }
        }))
        .validate();
        assert_eq!(
            paths(&problems),
            ["Name", "Namespace", "JWT.Providers[0].Name", ""]
        );
        assert_eq!(
            messages(&problems),
            [
                "Name is required",
                "Namespace is empty",
                "JWT provider name is required",
                "At least one source is required"
            ]
        );
    }

    #[test]
    fn wildcards_must_be_whole_values() {
        let problems = entry(json!({
            "Kind": "service-intentions", "Name": "web-*", "Namespace": "ns*",
            "Sources": [
                { "Name": "a*", "Action": "allow" },
                { "Name": "b", "Namespace": "*", "Action": "allow" },
                { "Name": "c", "Partition": "*", "Action": "allow" },
                { "Name": "*", "Peer": "*", "Action": "allow" },
                { "Name": "*", "SamenessGroup": "g*", "Action": "allow" },
                { "Name": "*", "Peer": "cluster-02", "Action": "allow" }
            ]
        }))
        .validate();
        assert_eq!(
            paths(&problems),
            [
                "Namespace",
                "Name",
                "Sources[0].Name",
                "Sources[1].Name",
                "Sources[2].Partition",
                "Sources[3].Peer",
                "Sources[4].SamenessGroup",
            ]
        );
        assert_eq!(
            problems[0].message,
            "wildcard character '*' cannot be used with partial values"
        );
        assert_eq!(
            problems[3].message,
            "exact value cannot follow wildcard namespace"
        );
        assert_eq!(problems[5].message, "cannot use wildcard '*' in peer");
    }

    #[test]
    fn source_rules_are_all_reported_with_consuls_paths() {
        let problems = with_sources(json!([
            { "Name": "", "Action": "allow" },
            { "Name": "b" },
            {
                "Name": "c", "Action": "deny",
                "Permissions": [{ "Action": "allow", "HTTP": { "PathPrefix": "/" } }]
            },
            { "Name": "d", "Action": "allow", "Type": "external" },
            { "Name": "e", "Action": "allow", "Description": "x".repeat(513) }
        ]))
        .validate();
        assert_eq!(
            paths(&problems),
            [
                "Sources[0].Name",
                "Sources[1]",
                "Sources[2].Action",
                "Sources[3].Type",
                "Sources[4].Description"
            ]
        );
        assert_eq!(
            messages(&problems),
            [
                "Name is required",
                "Action must be set to 'allow' or 'deny'",
                "Action must be omitted if Permissions are specified",
                "Type must be set to 'consul'",
                "Description exceeds maximum length 512",
            ]
        );
        assert!(problems[2].at_key);
    }

    #[test]
    fn peer_partition_and_sameness_group_exclude_each_other() {
        let problems = with_sources(json!([
            { "Name": "a", "Peer": "p", "Partition": "ap", "Action": "allow" },
            { "Name": "b", "SamenessGroup": "g", "Partition": "ap", "Action": "allow" },
            { "Name": "c", "SamenessGroup": "g", "Peer": "p", "Action": "allow" }
        ]))
        .validate();
        assert_eq!(
            paths(&problems),
            [
                "Sources[0].Peer",
                "Sources[1].SamenessGroup",
                "Sources[2].SamenessGroup"
            ]
        );
        assert_eq!(
            messages(&problems),
            [
                "cannot set Peer and Partition at the same time",
                "cannot set SamenessGroup and Partition at the same time",
                "cannot set SamenessGroup and Peer at the same time",
            ]
        );
        assert!(problems.iter().all(|problem| problem.at_key));
    }

    #[test]
    fn legacy_fields_must_be_omitted() {
        let problems = with_sources(json!([{
            "Name": "a", "Action": "allow", "LegacyID": "1a2b", "LegacyMeta": { "k": "v" },
            "LegacyCreateTime": "2020-01-01T00:00:00Z", "LegacyUpdateTime": "2020-01-01T00:00:00Z"
        }]))
        .validate();
        assert_eq!(
            paths(&problems),
            [
                "Sources[0].LegacyID",
                "Sources[0].LegacyMeta",
                "Sources[0].LegacyCreateTime",
                "Sources[0].LegacyUpdateTime"
            ]
        );
        assert_eq!(problems[0].message, "LegacyID must be omitted");
        assert!(
            problems
                .iter()
                .all(|problem| problem.at_key && problem.help.is_some())
        );
    }

    #[test]
    fn permissions_are_refused_on_a_wildcard_destination() {
        let problems = entry(json!({
            "Kind": "service-intentions", "Name": "*",
            "Sources": [{
                "Name": "a",
                "Permissions": [{ "Action": "allow", "HTTP": { "PathPrefix": "/" } }]
            }]
        }))
        .validate();
        assert_eq!(paths(&problems), ["Sources[0].Permissions"]);
        assert_eq!(
            problems[0].message,
            "Permissions cannot be specified on intentions with wildcarded destinations"
        );
    }

    #[test]
    fn duplicate_sources_are_reported_at_the_later_one() {
        let problems = entry(json!({
            "Kind": "service-intentions", "Name": "web", "Namespace": "ns1",
            "Sources": [
                { "Name": "a", "Action": "allow" },
                { "Name": "a", "Peer": "p", "Action": "allow" },
                { "Name": "a", "Namespace": "ns1", "Action": "deny" },
                { "Name": "a", "Peer": "p", "Namespace": "default", "Action": "deny" },
                { "Name": "a", "SamenessGroup": "g", "Action": "allow" },
                { "Name": "a", "SamenessGroup": "g", "Action": "allow" },
                { "Name": "a", "Namespace": "ns2", "Action": "allow" }
            ]
        }))
        .validate();
        assert_eq!(paths(&problems), ["Sources[2]", "Sources[3]", "Sources[5]"]);
        assert_eq!(
            messages(&problems),
            [
                r#"source "a" is defined more than once"#,
                r#"source "a" of peer "p" is defined more than once"#,
                r#"source "a" of sameness group "g" is defined more than once"#,
            ]
        );
        assert!(
            problems[0]
                .help
                .as_deref()
                .is_some_and(|help| help.contains("Sources[0]"))
        );
    }
}
