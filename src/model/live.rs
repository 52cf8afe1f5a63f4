//! The live state: what the clusters hold, as read by one refresh. Built by `consul::refresh`,
//! compared with [`super::Desired`] by `plan`.

use std::collections::{BTreeMap, BTreeSet};

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
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEntry {
    /// The whole entry, server-added fields (`Hash`, `CreateIndex`, ...) included.
    pub body: Map<String, Value>,
    /// The index that check-and-set writes and deletes must name.
    pub modify_index: u64,
}

impl LiveEntry {
    /// Who owns this entry, as the mark in its `Meta` says (Consul matches the key `Meta` in
    /// any case, so any spelling counts).
    pub fn owner(&self) -> Owner {
        let meta = self
            .body
            .iter()
            .find(|(key, _)| super::normalize::folds_to(key, "meta"))
            .and_then(|(_, meta)| meta.as_object());
        Owner::from_meta(|key| meta.and_then(|meta| meta.get(key)).and_then(Value::as_str))
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
