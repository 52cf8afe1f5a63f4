//! Cluster peering calls (consul-api.md §1): list, read, generate a token (acceptor), establish
//! (dialer) and delete.
//!
//! Only list, read and delete are retried. Generate-token invalidates the previous token on
//! every call and establish consumes a single-use secret (a resent establish whose first try
//! succeeded fails with 403), so those two are sent exactly once and an ambiguous failure is
//! for the caller to resolve by reading the peering.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::{Deserialize, Serialize, Serializer};

use super::client::{Client, Request};
use super::error::Error;
use super::permission::Access;
use crate::model::{LivePeering, PeeringState, Secret};

/// The body of `POST /v1/peering/token`. Consul refuses unknown keys, so absent settings are
/// left out rather than sent empty.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateToken<'a> {
    /// The acceptor's local name for the peering.
    pub peer_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<&'a str>,
    /// Used only when the peering is first created; later calls keep the first Meta.
    #[serde(skip_serializing_if = "is_empty_map")]
    pub meta: &'a BTreeMap<String, String>,
    /// Addresses the dialer should dial instead of the acceptor's servers.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub server_external_addresses: &'a [String],
}

/// The body of `POST /v1/peering/establish`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Establish<'a> {
    /// The dialer's local name for the peering.
    pub peer_name: &'a str,
    /// The token the acceptor generated; sent in the body, the only place Consul takes it.
    #[serde(rename = "PeeringToken", serialize_with = "expose")]
    pub token: &'a Secret,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<&'a str>,
    /// Replaces the peering's Meta (none sent means none kept).
    #[serde(skip_serializing_if = "is_empty_map")]
    pub meta: &'a BTreeMap<String, String>,
}

fn is_empty_map(map: &&BTreeMap<String, String>) -> bool {
    map.is_empty()
}

fn expose<S: Serializer>(token: &&Secret, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(token.expose())
}

/// A peering as Consul's JSON has it (`api.Peering`); unknown fields are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PeeringWire {
    #[serde(rename = "ID")]
    pub id: String,
    pub name: String,
    pub partition: Option<String>,
    pub deleted_at: Option<String>,
    pub meta: Option<BTreeMap<String, String>>,
    pub state: String,
    #[serde(rename = "PeerID")]
    pub peer_id: Option<String>,
    pub peer_server_name: Option<String>,
    pub peer_server_addresses: Option<Vec<String>>,
    pub stream_status: Option<StreamStatusWire>,
    pub create_index: u64,
    pub modify_index: u64,
    pub remote: Option<RemoteWire>,
}

/// `Peering.StreamStatus`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct StreamStatusWire {
    pub imported_services: Option<Vec<String>>,
    pub exported_services: Option<Vec<String>>,
    pub last_heartbeat: Option<String>,
    pub last_receive: Option<String>,
    pub last_send: Option<String>,
}

/// `Peering.Remote`: the other side's datacenter and partition, once known.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RemoteWire {
    pub partition: Option<String>,
    pub datacenter: Option<String>,
}

/// Go's zero time, which Consul sends for "never".
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

impl PeeringWire {
    /// The model's view of the peering.
    pub fn into_live(self) -> LivePeering {
        let stream = self.stream_status.unwrap_or_default();
        let count = |services: Option<Vec<String>>| services.map_or(0, |s| s.len());
        LivePeering {
            name: self.name,
            id: self.id,
            state: PeeringState::parse(&self.state),
            meta: self.meta.unwrap_or_default(),
            peer_id: self.peer_id.filter(|id| !id.is_empty()),
            peer_server_addresses: self.peer_server_addresses.unwrap_or_default(),
            remote_datacenter: self
                .remote
                .and_then(|remote| remote.datacenter)
                .filter(|dc| !dc.is_empty()),
            imported_services: count(stream.imported_services),
            exported_services: count(stream.exported_services),
            last_heartbeat: stream
                .last_heartbeat
                .filter(|time| !time.is_empty() && time != ZERO_TIME),
            modify_index: self.modify_index,
        }
    }
}

/// Decodes the body of `GET /v1/peerings` (`null` when there are none).
///
/// # Errors
/// A body that is not JSON, or not a list of peerings.
pub fn peering_list(body: &[u8]) -> serde_json::Result<Vec<LivePeering>> {
    let peerings: Option<Vec<PeeringWire>> = serde_json::from_slice(body)?;
    Ok(peerings
        .unwrap_or_default()
        .into_iter()
        .map(PeeringWire::into_live)
        .collect())
}

/// Decodes the body of `GET /v1/peering/:name`.
///
/// # Errors
/// A body that is not JSON, or not a peering.
pub fn peering_read(body: &[u8]) -> serde_json::Result<PeeringWire> {
    serde_json::from_slice(body)
}

#[derive(Deserialize)]
struct TokenReply {
    #[serde(rename = "PeeringToken")]
    peering_token: String,
}

impl Client {
    /// `GET /v1/peerings`: every peering of the cluster (of its partition), DELETING and
    /// TERMINATED ones included.
    ///
    /// # Errors
    /// As for every call; a 403 means the token lacks `peering:read`.
    pub async fn list_peerings(&self) -> Result<Vec<LivePeering>, Error> {
        let request = Request::get(&["peerings"], Access::PeeringRead).partitioned();
        let reply = self.execute(request).await?;
        peering_list(&reply.body).map_err(|err| self.decode_error(&reply, err.to_string()))
    }

    /// `GET /v1/peering/:name`; `None` when there is no such peering (404). Always answered by
    /// the leader. Poll this to wait for ACTIVE: blocking queries do not wake for it.
    ///
    /// # Errors
    /// As for every call, except that 404 is `Ok(None)`.
    pub async fn read_peering(&self, name: &str) -> Result<Option<LivePeering>, Error> {
        Ok(self
            .read_peering_wire(name)
            .await?
            .map(PeeringWire::into_live))
    }

    /// `GET /v1/peering/:name` as Consul's JSON has it, with the whole stream status (last
    /// receive and send besides the heartbeat) that the model leaves out; `None` on 404.
    ///
    /// # Errors
    /// As for every call, except that 404 is `Ok(None)`.
    pub async fn read_peering_wire(&self, name: &str) -> Result<Option<PeeringWire>, Error> {
        let request = Request::get(&["peering", name], Access::PeeringRead).partitioned();
        match self.execute(request).await {
            Ok(reply) => peering_read(&reply.body)
                .map(Some)
                .map_err(|err| self.decode_error(&reply, err.to_string())),
            Err(err) if err.status() == Some(404) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// `POST /v1/peering/token` on the acceptor. Sent once, never retried.
    ///
    /// # Caveats
    /// Every call makes a new token and invalidates the previous unused one. On a TERMINATED
    /// acceptor peering Consul returns a token that can never be used (consul-api.md §1.5).
    ///
    /// # Errors
    /// As for every call; Consul reports most refusals (peering disabled, CA not ready, name
    /// taken by a dialer) as 500 with its reason. The token never appears in an error.
    pub async fn generate_token(&self, body: &GenerateToken<'_>) -> Result<Secret, Error> {
        let request = Request::once(Method::POST, &["peering", "token"], Access::PeeringWrite)
            .partitioned()
            .json(body);
        let reply = self.execute(request).await?;
        // serde's message could quote the body, and the body is the token.
        let token: TokenReply = serde_json::from_slice(&reply.body).map_err(|_| {
            self.decode_error(&reply, "no `PeeringToken` string in the reply".into())
        })?;
        let token = Secret::new(token.peering_token);
        if token.is_empty() {
            return Err(self.decode_error(&reply, "the `PeeringToken` is empty".into()));
        }
        Ok(token)
    }

    /// `POST /v1/peering/establish` on the dialer. Sent once, never retried.
    ///
    /// # Caveats
    /// A failed establish leaves a PENDING dialer peering behind, and a token works once: to
    /// retry, generate a new token (consul-api.md §1.6).
    ///
    /// # Errors
    /// As for every call. A 403 whose message says "a new peering token must be generated" is
    /// a used or superseded token, not an ACL problem, and the error's hint says so.
    pub async fn establish(&self, body: &Establish<'_>) -> Result<(), Error> {
        let request = Request::once(
            Method::POST,
            &["peering", "establish"],
            Access::PeeringWrite,
        )
        .partitioned()
        .json(body);
        self.execute(request).await.map(drop)
    }

    /// `DELETE /v1/peering/:name`. Idempotent in Consul (a missing or DELETING peering also
    /// gives 200), so it is retried. Deletion is asynchronous: the peering shows DELETING until
    /// it is gone, and the other side turns TERMINATED.
    ///
    /// # Errors
    /// As for every call; a 403 means the token lacks `peering:write`.
    pub async fn delete_peering(&self, name: &str) -> Result<(), Error> {
        let request = Request::idempotent(Method::DELETE, &["peering", name], Access::PeeringWrite)
            .partitioned();
        self.execute(request).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::model::Owner;

    use super::*;

    #[test]
    fn generate_token_leaves_out_what_is_not_set() {
        let meta = BTreeMap::new();
        let body = GenerateToken {
            peer_name: "cluster-02",
            partition: None,
            meta: &meta,
            server_external_addresses: &[],
        };
        assert_eq!(
            serde_json::to_value(&body).ok(),
            Some(json!({"PeerName": "cluster-02"}))
        );
    }

    #[test]
    fn establish_sends_the_token_in_the_body_but_debug_hides_it() {
        let meta = BTreeMap::from([("managed-by".to_owned(), "meshplan".to_owned())]);
        let token = Secret::new("canary-peering-token");
        let body = Establish {
            peer_name: "cluster-01",
            token: &token,
            partition: Some("default"),
            meta: &meta,
        };
        assert_eq!(
            serde_json::to_value(&body).ok(),
            Some(json!({
                "PeerName": "cluster-01",
                "PeeringToken": "canary-peering-token",
                "Partition": "default",
                "Meta": {"managed-by": "meshplan"},
            }))
        );
        assert!(!format!("{body:?}").contains("canary-peering-token"));
    }

    #[test]
    fn a_dialer_peering_maps_to_the_model() {
        let wire: PeeringWire = serde_json::from_value(json!({
            "ID": "a1", "Name": "cluster-01", "State": "ACTIVE",
            "Meta": {"managed-by": "meshplan"},
            "PeerID": "b2", "PeerServerAddresses": ["127.0.0.1:8503"],
            "StreamStatus": {"ImportedServices": ["web"], "ExportedServices": null,
                             "LastHeartbeat": "2025-01-01T00:00:00Z",
                             "LastReceive": "0001-01-01T00:00:00Z", "LastSend": null},
            "CreateIndex": 10, "ModifyIndex": 12,
            "Remote": {"Partition": "default", "Datacenter": "dc1"}
        }))
        .expect("a peering");
        let live = wire.into_live();
        assert_eq!(live.state, PeeringState::Active);
        assert!(live.is_dialer() && live.owner() == Owner::Unnamed);
        assert_eq!(live.peer_id.as_deref(), Some("b2"));
        assert_eq!(live.remote_datacenter.as_deref(), Some("dc1"));
        assert_eq!((live.imported_services, live.exported_services), (1, 0));
        assert_eq!(live.last_heartbeat.as_deref(), Some("2025-01-01T00:00:00Z"));
        assert_eq!(live.modify_index, 12);
    }

    #[test]
    fn a_fresh_acceptor_peering_has_no_remote_and_no_heartbeat() {
        let wire: PeeringWire = serde_json::from_value(json!({
            "ID": "a1", "Name": "cluster-02", "State": "PENDING",
            "StreamStatus": {"LastHeartbeat": "0001-01-01T00:00:00Z"},
            "Remote": {"Partition": "", "Datacenter": ""}
        }))
        .expect("a peering");
        let live = wire.into_live();
        assert_eq!(live.state, PeeringState::Pending);
        assert!(!live.is_dialer() && live.owner() == Owner::Nobody);
        assert_eq!(live.remote_datacenter, None);
        assert_eq!(live.last_heartbeat, None);
    }
}
