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
        let text = Value::Object(body.clone()).to_string();
        let (_, entry) = Self::from_text(&text).expect("a JSON object reads as a live entry");
        Self {
            modify_index,
            ..entry
        }
    }

    /// The entry Consul returned as `text` (one JSON object), and what names it; its
    /// `ModifyIndex` is the one it is stored at. Only the members that name it, its index and
    /// its `Meta` are decoded here; one of another type than Consul gives it counts as absent.
    ///
    /// # Errors
    /// When `text` is not a JSON object.
    pub fn from_text(text: &str) -> serde_json::Result<(Naming, Self)> {
        let head: Head = serde_json::from_str(text)?;
        let meta = head.meta.as_ref().and_then(Value::as_object);
        let owner =
            Owner::from_meta(|key| meta.and_then(|meta| meta.get(key)).and_then(Value::as_str));
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
    /// The first `Meta`, in whatever spelling.
    meta: Option<Value>,
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
        let text = |value: Value| match value {
            Value::String(text) => Some(text),
            _ => None,
        };
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key.0.as_ref() {
                "Name" => head.naming.name = text(map.next_value()?),
                "Namespace" => head.naming.namespace = text(map.next_value()?),
                "Partition" => head.naming.partition = text(map.next_value()?),
                "ModifyIndex" => head.modify_index = map.next_value::<Value>()?.as_u64(),
                key if head.meta.is_none() && super::normalize::folds_to(key, "meta") => {
                    head.meta = Some(map.next_value()?);
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
