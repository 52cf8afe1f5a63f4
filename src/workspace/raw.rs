//! The workspace file (`meshplan.hcl` or `meshplan.toml`) as written: one serde model for both
//! formats, checked for shape only. `resolve` turns it into [`crate::model::Desired`].
//!
//! These types are also the source of `schemas/meshplan.schema.json`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::model::exported_services::one_or_many;

/// The workspace file: clusters and the peerings between them.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWorkspace {
    /// The workspace's name. Everything meshplan writes is marked with it, and meshplan deletes
    /// only objects that carry it, so several workspaces can share a cluster.
    pub workspace: Option<String>,
    /// Globs, relative to the workspace, of files and folders that are not config entries
    /// (`docs/**`, `schemas/**`).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// The Consul clusters this workspace manages, by name.
    #[serde(default)]
    pub cluster: BTreeMap<String, RawCluster>,
    /// Peerings between two clusters, or between one of ours and a cluster managed elsewhere.
    #[serde(default, deserialize_with = "one_or_many")]
    #[schemars(with = "Vec<RawPeering>")]
    pub peering: Vec<RawPeering>,
}

/// How to reach one Consul cluster.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCluster {
    /// HTTP API address: `https://host:8501`, `http://host:8500`, `host:port` or
    /// `unix:///path/to.sock`. Default: `CONSUL_HTTP_ADDR`, then `http://127.0.0.1:8500`.
    pub address: Option<String>,
    /// Name of the environment variable that holds the ACL token.
    pub token_env: Option<String>,
    /// Path of a file that holds the ACL token (relative to the workspace).
    pub token_file: Option<String>,
    /// The agent's datacenter; checked against the agent before anything is planned. Default:
    /// the cluster's name.
    pub datacenter: Option<String>,
    /// Consul Enterprise admin partition for every request to this cluster.
    pub partition: Option<String>,
    /// Folder of this cluster's config entries, relative to the workspace. Default: the
    /// cluster's name.
    pub entries: Option<String>,
    /// TLS for the HTTPS API. `CONSUL_CACERT`, `CONSUL_CLIENT_CERT`, `CONSUL_CLIENT_KEY` and
    /// `CONSUL_TLS_SERVER_NAME` apply to fields left out.
    pub tls: Option<RawTls>,
}

/// TLS settings of one cluster's HTTPS API.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTls {
    /// PEM file of the CA(s) to trust instead of the system roots.
    pub ca_file: Option<String>,
    /// PEM client certificate, for agents that verify incoming HTTPS clients.
    pub cert_file: Option<String>,
    /// PEM private key of `cert_file`.
    pub key_file: Option<String>,
    /// The name to verify the server's certificate against, when it differs from the address.
    pub server_name: Option<String>,
    /// Verify the server's certificate (default true). `false` is for tests only.
    pub verify: Option<bool>,
}

/// A peering: the acceptor generates a token, the dialer establishes with it.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPeering {
    /// The side that generates the peering token.
    pub acceptor: String,
    /// The side that dials the acceptor with the token.
    pub dialer: String,
    /// The peering's name on the acceptor. Default: the dialer's name.
    pub name_on_acceptor: Option<String>,
    /// The peering's name on the dialer. Default: the acceptor's name.
    pub name_on_dialer: Option<String>,
    /// Peer the acceptor's admin partition instead of the default one (Consul Enterprise).
    pub acceptor_partition: Option<String>,
    /// Peer the dialer's admin partition instead of the default one (Consul Enterprise).
    pub dialer_partition: Option<String>,
    /// Metadata stored on the peering (both sides). `managed-by` is meshplan's own.
    #[serde(default)]
    pub meta: BTreeMap<String, String>,
    /// Addresses the dialer should use to reach the acceptor's servers (NAT, load balancer).
    #[serde(default)]
    pub server_external_addresses: Vec<String>,
    /// When only the acceptor is ours: write the peering token here (mode 0600) for the team
    /// that manages the dialer. Relative to the workspace.
    pub token_out: Option<String>,
    /// When only the dialer is ours: establish with the peering token in this file. Relative
    /// to the workspace.
    pub token_file: Option<String>,
}
