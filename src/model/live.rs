//! The live state: what the clusters hold, as read by one refresh. Built by `consul::refresh`,
//! compared with [`super::Desired`] by `plan`.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::entry::EntryKey;
use super::ownership::{MANAGED_BY_KEY, Owner, WORKSPACE_KEY};

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
#[derive(Clone)]
pub struct LiveEntry {
    /// The text the entry was read from: a list's whole body, shared by each of its entries
    /// rather than copied entry by entry.
    source: Arc<String>,
    /// Where in `source` the whole entry is, server-added fields (`Hash`, `CreateIndex`, ...)
    /// included.
    span: Range<usize>,
    /// The index that check-and-set writes and deletes must name.
    pub modify_index: u64,
    owner: Owner,
}

impl PartialEq for LiveEntry {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
            && self.modify_index == other.modify_index
            && self.owner == other.owner
    }
}

impl std::fmt::Debug for LiveEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveEntry")
            .field("text", &self.text())
            .field("modify_index", &self.modify_index)
            .field("owner", &self.owner)
            .finish()
    }
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
        let source = Arc::new(text.to_owned());
        let head: Head<'_> = serde_json::from_str(&source)?;
        Ok(Self::from_head(Arc::clone(&source), 0..text.len(), head))
    }

    /// Each entry of `body`, the text of a list of entries (`null` when there are none), and
    /// what names it, as [`LiveEntry::from_text`] reads one.
    ///
    /// The list is read in one pass: each entry is decoded where it lies, and its text ends
    /// where the decoder stopped. Splitting the list into entries first read every byte of it
    /// twice, a fifth of the CPU a plan spends on the lists it reads.
    ///
    /// # Errors
    /// When `body` is not JSON, or not a list of objects.
    pub fn list(body: String) -> serde_json::Result<Vec<(Naming, Self)>> {
        let source = Arc::new(body);
        let text = source.as_str();
        let mut entries = Vec::new();
        let mut at = after_whitespace(text, 0);
        if text[at..].starts_with("null") {
            at += "null".len();
        } else {
            if text.as_bytes().get(at) != Some(&b'[') {
                return Err(de::Error::custom("expected a list of config entries"));
            }
            at = after_whitespace(text, at + 1);
            if text.as_bytes().get(at) == Some(&b']') {
                at += 1;
            } else {
                loop {
                    let mut stream =
                        serde_json::Deserializer::from_str(&text[at..]).into_iter::<Head<'_>>();
                    let head = stream
                        .next()
                        .unwrap_or_else(|| Err(de::Error::custom("the list ends early")))?;
                    let span = at..at + stream.byte_offset();
                    at = after_whitespace(text, span.end);
                    entries.push(Self::from_head(Arc::clone(&source), span, head));
                    match text.as_bytes().get(at) {
                        Some(b',') => at = after_whitespace(text, at + 1),
                        Some(b']') => {
                            at += 1;
                            break;
                        }
                        _ => return Err(de::Error::custom("expected `,` or `]` after an entry")),
                    }
                }
            }
        }
        if after_whitespace(text, at) != text.len() {
            return Err(de::Error::custom("trailing characters after the list"));
        }
        Ok(entries)
    }

    /// The entry at `span` of `source`, whose members `head` holds.
    fn from_head(source: Arc<String>, span: Range<usize>, head: Head<'_>) -> (Naming, Self) {
        let owner = head.meta.map_or(Owner::Nobody, owner_of);
        let modify_index = head.modify_index.unwrap_or_default();
        let entry = Self {
            source,
            span,
            modify_index,
            owner,
        };
        (head.naming, entry)
    }

    /// The whole entry as Consul sent it: a JSON object.
    pub fn text(&self) -> &str {
        &self.source[self.span.clone()]
    }

    /// The whole entry, decoded afresh.
    pub fn body(&self) -> Map<String, Value> {
        serde_json::from_str(self.text()).expect("a live entry's text is a JSON object")
    }

    /// Who owns this entry, as the mark in its `Meta` says (Consul matches the key `Meta` in
    /// any case, so any spelling counts).
    pub fn owner(&self) -> &Owner {
        &self.owner
    }
}

/// The first position at or after `at` in `text` that is not JSON whitespace.
fn after_whitespace(text: &str, at: usize) -> usize {
    text.as_bytes()
        .get(at..)
        .and_then(|rest| {
            rest.iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        })
        .map_or(text.len(), |skipped| at + skipped)
}

/// The owner a live entry's `Meta` names.
///
/// Read through its two mark members alone, borrowed from the text; a `Meta` that does not
/// read that way (not an object, a member repeated, a mark that is not text) is decoded whole
/// and looked up, as every `Meta` once was.
fn owner_of(meta: &RawValue) -> Owner {
    #[derive(serde::Deserialize)]
    struct Mark<'a> {
        #[serde(rename = "managed-by", borrow)]
        managed_by: Option<Cow<'a, str>>,
        #[serde(rename = "meshplan-workspace", borrow)]
        workspace: Option<Cow<'a, str>>,
    }
    if let Ok(mark) = serde_json::from_str::<Mark<'_>>(meta.get()) {
        return Owner::from_meta(|key| match key {
            MANAGED_BY_KEY => mark.managed_by.as_deref(),
            WORKSPACE_KEY => mark.workspace.as_deref(),
            _ => None,
        });
    }
    let meta: Value = serde_json::from_str(meta.get()).unwrap_or_default();
    let meta = meta.as_object();
    Owner::from_meta(|key| meta.and_then(|meta| meta.get(key)).and_then(Value::as_str))
}

/// The members of a live entry [`LiveEntry::from_text`] decodes; the others are skipped.
#[derive(Default)]
struct Head<'de> {
    naming: Naming,
    modify_index: Option<u64>,
    /// The first `Meta`, in whatever spelling.
    meta: Option<&'de RawValue>,
}

impl<'de> Deserialize<'de> for Head<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(HeadVisitor)
    }
}

struct HeadVisitor;

impl<'de> Visitor<'de> for HeadVisitor {
    type Value = Head<'de>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a config entry")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Head<'de>, A::Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A list as splitting it into entries first, then reading each, reads it.
    fn split_then_read(body: &str) -> serde_json::Result<Vec<(Naming, LiveEntry)>> {
        serde_json::from_str::<Option<Vec<&RawValue>>>(body)?
            .unwrap_or_default()
            .into_iter()
            .map(|entry| LiveEntry::from_text(entry.get()))
            .collect()
    }

    #[test]
    fn a_list_read_in_one_pass_reads_as_split_into_entries_first() {
        let bodies = [
            "null",
            " null \n",
            "[]",
            " [ \t\r\n ] ",
            r#"[{"Kind":"mesh","Name":"mesh","ModifyIndex":3}]"#,
            "[\n    {\n        \"Kind\": \"service-intentions\",\n        \"Name\": \"web\",\n        \
             \"Sources\": [\n            {\"Name\": \"a\", \"Action\": \"allow\"}\n        ],\n        \
             \"Meta\": {\"managed-by\": \"meshplan\", \"meshplan-workspace\": \"ws\"}\n    },\n    \
             {\"Kind\": \"service-intentions\", \"Name\": \"api\", \"ModifyIndex\": 9}\n]\n",
            r#"[{"Name":"a,]}[{","Meta":{"x":"]"}},{"Name":"b\"],"}]"#,
            r#"[{"Name":"caf\u00e9","Nested":[[{}],{"a":[]}]} , {"Name":"é"}]"#,
            // What Consul never sends, refused alike.
            "",
            "[",
            "[{}",
            "[{},]",
            "[{} {}]",
            "[{}]]",
            "[{}] x",
            "[1]",
            "[{}, 1]",
            "[null]",
            "{}",
            "nul",
            "nullx",
            "[{\"Name\": }]",
        ];
        for body in bodies {
            let one_pass = LiveEntry::list(body.to_owned());
            let split = split_then_read(body);
            match (one_pass, split) {
                (Ok(one_pass), Ok(split)) => {
                    assert_eq!(one_pass.len(), split.len(), "{body}");
                    for ((naming, entry), (expected_naming, expected)) in
                        one_pass.iter().zip(&split)
                    {
                        assert_eq!(entry, expected, "{body}");
                        assert_eq!(naming.name, expected_naming.name, "{body}");
                        assert_eq!(naming.namespace, expected_naming.namespace, "{body}");
                        assert_eq!(naming.partition, expected_naming.partition, "{body}");
                    }
                }
                (Err(_), Err(_)) => {}
                (one_pass, split) => panic!(
                    "{body:?}: read in one pass {}, split first {}",
                    one_pass.is_ok(),
                    split.is_ok()
                ),
            }
        }
    }
}
