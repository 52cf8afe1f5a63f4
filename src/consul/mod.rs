//! The Consul HTTP client: the only module that talks to Consul.
//!
//! One [`Client`] per cluster, built from the workspace's [`crate::model::ClusterSpec`] with
//! Consul's own client conventions as fallbacks (`CONSUL_HTTP_ADDR`, `CONSUL_HTTP_TOKEN`, ...,
//! captured once in an [`Env`]). Typed calls cover what meshplan needs: peerings, config entries
//! with check-and-set, the agent's identity and service health, and sessions and KV locks for
//! `watch --lock`. [`refresh()`] reads every cluster
//! into a [`crate::model::Live`] with a fixed number of list calls.
//!
//! # Invariants
//! - ACL tokens go only in the `X-Consul-Token` header (marked sensitive), peering tokens only
//!   in the establish body. No error, `Debug` output or URL holds either.
//! - Only idempotent calls are retried (GETs and the peering delete). Establish, generate-token
//!   and check-and-set writes and deletes are sent once; see [`mod@retry`].
//! - Every error names the cluster, the request and Consul's message ([`Error`]).
//! - Nothing here reads `std::env` except [`Env::from_process`], nor any file but those the
//!   settings name (token, CA, client certificate and key).

mod address;
mod agent;
mod blocking;
mod client;
mod config_entry;
mod env;
mod error;
#[cfg(test)]
mod fake;
mod kv;
mod peering;
mod permission;
pub mod refresh;
pub mod retry;
mod server_name;
mod session;
mod tls;
mod token;

pub use address::{Address, DEFAULT_ADDRESS};
pub use agent::AgentInfo;
pub use blocking::Listed;
pub use client::{Client, ClientOptions};
pub use config_entry::{EntryList, entry_key};
pub use env::Env;
pub use error::{ConfigProblem, Error, TransportFailure};
pub use kv::KeyHolder;
pub use peering::{Establish, GenerateToken, PeeringWire, RemoteWire, StreamStatusWire};
pub use refresh::{RefreshError, RefreshFailure, kinds_to_list, refresh};
pub use retry::RetryPolicy;
pub use session::SessionSpec;
pub(crate) use token::warn_if_readable_by_others;

/// Decoders of Consul's response bodies, each what the matching [`Client`] call does with the
/// body of a successful reply; public so that they can be fuzzed without an agent.
pub mod decode {
    pub use super::config_entry::{entry_list, entry_read};
    pub use super::peering::{peering_list, peering_read};
}

/// Names of Consul's client environment variables, for callers that document or check them.
pub mod vars {
    pub use super::env::{
        CACERT, CAPATH, CLIENT_CERT, CLIENT_KEY, HTTP_ADDR, HTTP_SSL, HTTP_SSL_VERIFY, HTTP_TOKEN,
        HTTP_TOKEN_FILE, NAMESPACE, PARTITION, TLS_SERVER_NAME,
    };
}
