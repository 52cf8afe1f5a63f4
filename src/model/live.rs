//! The live state: what the clusters hold, as read by one refresh. Built by `consul::refresh`,
//! compared with [`super::Desired`] by `plan`.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::entry::EntryKey;
use super::ownership::Owner;

/// Every cluster of the workspace, as read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Live {
    pub clusters: BTreeMap<String, LiveCluster>,
}

/// One cluster, as read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveCluster {
    /// The agent's datacenter.
    pub datacenter: String,
    /// The agent's Consul version (`1.22.7`).
    pub version: String,
    /// Peerings by their local name, DELETING and TERMINATED ones included.
    pub peerings: BTreeMap<String, LivePeering>,
    /// Config entries of the listed kinds, as Consul returned them.
    pub entries: BTreeMap<EntryKey, LiveEntry>,
    /// The kinds that were listed. An entry of a kind not listed is unknown, not absent.
    pub kinds: BTreeSet<String>,
    /// The listed kinds whose list Consul filtered by the token's ACLs: an entry of such a kind
    /// missing from [`LiveCluster::entries`] may exist all the same.
    pub filtered: BTreeSet<String>,
}

/// A config entry as Consul returned it.
///
/// Kept as the JSON text Consul sent, and decoded where it is read ([`LiveEntry::body`]): a
/// plan reads each entry once, and a decoded JSON object takes about ten times the memory of
/// its text (with thousands of entries per cluster, most of what a plan holds).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEntry {
    /// The whole entry, server-added fields (`Hash`, `CreateIndex`, ...) included.
    text: Box<str>,
    /// The index that check-and-set writes and deletes must name.
    pub modify_index: u64,
    owner: Owner,
}

/// The members of a live entry that name it, as Consul returned them (absent when missing or
/// not text).
#[derive(Debug, Default)]
pub struct Naming {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub partition: Option<String>,
}

impl LiveEntry {
    /// The entry `body`, stored at `modify_index`.
    pub fn new(body: &Map<String, Value>, modify_index: u64) -> Self {
        let meta = body
            .iter()
            .find(|(key, _)| super::normalize::folds_to(key, "meta"))
            .and_then(|(_, meta)| meta.as_object());
        Self {
            text: Value::Object(body.clone()).to_string().into_boxed_str(),
            modify_index,
            owner: Owner::from_meta(|key| {
                meta.and_then(|meta| meta.get(key)).and_then(Value::as_str)
            }),
        }
    }

    /// The entry Consul returned as `text` (one JSON object), and what names it; its
    /// `ModifyIndex` is the one it is stored at. Only the members that name it, its index and
    /// its `Meta` are decoded here.
    ///
    /// # Errors
    /// When `text` is not a JSON object, or one of those members has the wrong type.
    pub fn from_text(text: &str) -> serde_json::Result<(Naming, Self)> {
        let head: Head = serde_json::from_str(text)?;
        let meta = head.meta.unwrap_or_default();
        let owner = Owner::from_meta(|key| meta.get(key).and_then(|value| value.as_deref()));
        let entry = Self {
            text: text.into(),
            modify_index: head.modify_index.unwrap_or_default(),
            owner,
        };
        Ok((head.naming, entry))
    }

    /// The whole entry as Consul sent it: a JSON object.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The whole entry, decoded afresh.
    pub fn body(&self) -> Map<String, Value> {
        serde_json::from_str(&self.text).expect("a live entry's text is a JSON object")
    }

    /// Who owns this entry, as the mark in its `Meta` says (Consul matches the key `Meta` in
    /// any case, so any spelling counts).
    pub fn owner(&self) -> &Owner {
        &self.owner
    }
}

/// The members of a live entry [`LiveEntry::from_text`] decodes; the others are skipped.
#[derive(Default)]
struct Head {
    naming: Naming,
    modify_index: Option<u64>,
    /// `Meta`, in whatever spelling; values that are not text are `None`.
    meta: Option<BTreeMap<String, Option<String>>>,
}

impl<'de> Deserialize<'de> for Head {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(HeadVisitor)
    }
}

struct HeadVisitor;

impl<'de> Visitor<'de> for HeadVisitor {
    type Value = Head;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a config entry")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Head, A::Error> {
        let mut head = Head::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key.0.as_ref() {
                "Name" => head.naming.name = map.next_value::<Text>()?.0,
                "Namespace" => head.naming.namespace = map.next_value::<Text>()?.0,
                "Partition" => head.naming.partition = map.next_value::<Text>()?.0,
                "ModifyIndex" => head.modify_index = map.next_value::<Option<u64>>()?,
                key if super::normalize::folds_to(key, "meta") => {
                    head.meta = map
                        .next_value::<Option<BTreeMap<String, Text>>>()?
                        .map(|meta| meta.into_iter().map(|(k, v)| (k, v.0)).collect());
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(head)
    }
}

/// A member's key, borrowed from the text unless it holds an escape.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// A value that counts only when it is text, as `Value::as_str` reads it.
struct Text(Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self(match Value::deserialize(deserializer)? {
            Value::String(text) => Some(text),
            _ => None,
        }))
    }
}

/// One side's view of a peering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivePeering {
    pub name: String,
    pub id: String,
    pub state: PeeringState,
    pub meta: BTreeMap<String, String>,
    /// The other side's ID for this peering; set on the dialer once established.
    pub peer_id: Option<String>,
    /// Set only on the dialing side: the acceptor's servers it dials.
    pub peer_server_addresses: Vec<String>,
    /// The other side's datacenter, once known.
    pub remote_datacenter: Option<String>,
    pub imported_services: usize,
    pub exported_services: usize,
    pub last_heartbeat: Option<String>,
    pub modify_index: u64,
}

impl LivePeering {
    /// Whether this side dialed (established) the peering rather than accepting it.
    pub fn is_dialer(&self) -> bool {
        !self.peer_server_addresses.is_empty()
    }

    /// Who owns this side, as its mark says.
    pub fn owner(&self) -> Owner {
        Owner::from_meta(|key| self.meta.get(key).map(String::as_str))
    }
}

/// A peering's state as Consul reports it. `Active` and `Failing` are computed by the server
/// at read time from its stream tracker; the acceptor shows `Pending` whenever no stream is
/// connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeeringState {
    Pending,
    Establishing,
    Active,
    Failing,
    Deleting,
    /// The other side deleted its half; this half stays until deleted here.
    Terminated,
    /// A state this version of meshplan does not know.
    Other(String),
}

impl PeeringState {
    pub fn parse(state: &str) -> Self {
        match state {
            "PENDING" => Self::Pending,
            "ESTABLISHING" => Self::Establishing,
            "ACTIVE" => Self::Active,
            "FAILING" => Self::Failing,
            "DELETING" => Self::Deleting,
            "TERMINATED" => Self::Terminated,
            other => Self::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Pending => "PENDING",
            Self::Establishing => "ESTABLISHING",
            Self::Active => "ACTIVE",
            Self::Failing => "FAILING",
            Self::Deleting => "DELETING",
            Self::Terminated => "TERMINATED",
            Self::Other(other) => other,
        }
    }
}
