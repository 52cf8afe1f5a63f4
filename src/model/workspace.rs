//! The desired state: clusters, peerings and config entries as the workspace files declare them,
//! with defaults applied and cross-checks done.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::entry::{ConfigEntry, EntryKey};

/// Everything a workspace declares.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Desired {
    /// The workspace folder; relative paths in the files are resolved against it.
    pub root: PathBuf,
    /// The workspace's name: what meshplan writes is marked with it, and only objects marked
    /// with it are ever deleted (`model::ownership`).
    pub workspace: String,
    /// Globs (relative to `root`) of files and folders that hold no config entries.
    pub ignore: Vec<String>,
    /// Clusters by their name in the workspace.
    pub clusters: BTreeMap<String, ClusterSpec>,
    pub peerings: Vec<PeeringSpec>,
    /// Config entries per cluster name, merged across files.
    pub entries: BTreeMap<String, BTreeMap<EntryKey, DesiredEntry>>,
}

/// How to reach one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpec {
    pub name: String,
    /// `http(s)://host:port`, `host:port` or `unix:///path`; `None` means Consul's own default
    /// (`CONSUL_HTTP_ADDR`, then `127.0.0.1:8500`).
    pub address: Option<String>,
    pub token: TokenSource,
    /// Checked against the agent's datacenter on every refresh, so that files are never
    /// applied to the wrong cluster. Defaults to the cluster's name.
    pub datacenter: String,
    /// Consul Enterprise admin partition for all requests to this cluster.
    pub partition: Option<String>,
    /// Folder of this cluster's config entries, relative to the workspace root.
    pub entries_dir: PathBuf,
    pub tls: Option<TlsSpec>,
}

/// Where a cluster's ACL token comes from. The token itself is read only when a client is
/// built, so offline commands never need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// Consul's client conventions: `CONSUL_HTTP_TOKEN_FILE`, then `CONSUL_HTTP_TOKEN`.
    Default,
    /// The name of an environment variable.
    Env(String),
    /// A file whose trimmed content is the token.
    File(PathBuf),
}

/// TLS settings for the HTTPS API; absent fields fall back to `CONSUL_CACERT` and friends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSpec {
    pub ca_file: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub server_name: Option<String>,
    /// `false` turns certificate verification off (like `CONSUL_HTTP_SSL_VERIFY=false`).
    pub verify: Option<bool>,
}

/// One peering between an acceptor (which generates the token) and a dialer (which establishes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeeringSpec {
    pub acceptor: PeeringSide,
    pub dialer: PeeringSide,
    pub meta: BTreeMap<String, String>,
    /// Only the acceptor is ours: write the token here (mode 0600) for the other team.
    pub token_out: Option<PathBuf>,
    /// Whether the `token_out` file existed when the workspace was loaded. Read at the edge, so
    /// that the planner stays pure: a PENDING acceptor of this workspace without it has lost its
    /// token, and the plan generates a new one.
    pub token_out_exists: bool,
    /// Only the dialer is ours: establish with the token in this file.
    pub token_file: Option<PathBuf>,
    /// Addresses the dialer should use instead of the acceptor's servers (NAT, load balancer).
    pub server_external_addresses: Vec<String>,
}

/// One side of a peering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeeringSide {
    /// The cluster's name in the workspace (or, for a side that is not ours, the name the
    /// workspace gives the other party).
    pub cluster: String,
    /// The name this side gives the peering locally: what its exported-services consumers,
    /// intention sources and `?peer=` queries use. Defaults to the other side's cluster name.
    pub peer_name: String,
    pub partition: Option<String>,
    /// Whether this side is a cluster of the workspace (and so managed by meshplan).
    pub ours: bool,
}

impl PeeringSpec {
    /// The sides of this peering that are clusters of the workspace.
    pub fn our_sides(&self) -> impl Iterator<Item = &PeeringSide> {
        [&self.acceptor, &self.dialer]
            .into_iter()
            .filter(|side| side.ours)
    }
}

/// A config entry as declared, with the files that declared (parts of) it.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredEntry {
    pub entry: ConfigEntry,
    /// Files relative to the workspace root, in the order their parts were merged.
    pub files: Vec<PathBuf>,
}
