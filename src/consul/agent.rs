//! Agent-level reads: the leader, the agent's own datacenter and version, and service health
//! (the one endpoint that honours `?peer=`, consul-api.md §3).

use serde::Deserialize;
use serde_json::Value;

use super::client::{Client, Namespace, Request};
use super::error::Error;
use super::permission::Access;

/// What `GET /v1/agent/self` says about the agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentInfo {
    pub datacenter: String,
    /// Without the prerelease (`1.22.0` for a `1.22.0-dev` build), with `+ent` on Enterprise.
    pub version: String,
    pub node_name: String,
    /// Whether the agent is a server.
    pub server: bool,
    /// The git revision Consul was built from.
    pub revision: String,
    /// The agent's admin partition (Enterprise); `None` on CE.
    pub partition: Option<String>,
}

#[derive(Deserialize)]
struct AgentSelfWire {
    #[serde(rename = "Config")]
    config: AgentConfigWire,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AgentConfigWire {
    datacenter: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    node_name: String,
    #[serde(default)]
    server: bool,
    #[serde(default)]
    revision: String,
    #[serde(default)]
    partition: Option<String>,
}

impl AgentInfo {
    /// Decodes the body of `GET /v1/agent/self`. Public, as the other body decoders in
    /// [`crate::consul::decode`], so that what Consul may send can be fuzzed without an agent.
    ///
    /// # Errors
    /// A body that is not JSON, or has no `Config.Datacenter` string.
    pub fn from_agent_self(body: &[u8]) -> serde_json::Result<Self> {
        let config = serde_json::from_slice::<AgentSelfWire>(body)?.config;
        Ok(AgentInfo {
            datacenter: config.datacenter,
            version: config.version,
            node_name: config.node_name,
            server: config.server,
            revision: config.revision,
            partition: config.partition.filter(|p| !p.is_empty()),
        })
    }
}

impl Client {
    /// `GET /v1/status/leader`: the leader's `host:port`, `""` while there is none.
    ///
    /// # Errors
    /// As for every call: see [`Error`].
    pub async fn leader(&self) -> Result<String, Error> {
        let reply = self
            .execute(Request::get(&["status", "leader"], Access::None))
            .await?;
        self.decode(&reply)
    }

    /// `GET /v1/agent/self`: the agent's datacenter, version and node.
    ///
    /// # Errors
    /// As for every call; a 403 means the token lacks `agent:read` on the agent's node.
    pub async fn agent_self(&self) -> Result<AgentInfo, Error> {
        let reply = self
            .execute(Request::get(&["agent", "self"], Access::AgentRead))
            .await?;
        AgentInfo::from_agent_self(&reply.body)
            .map_err(|err| self.decode_error(&reply, err.to_string()))
    }

    /// `GET /v1/health/service/:service[?peer=]`: the service's instances with their node and
    /// checks, as Consul returns them; with `peer`, those imported from that peer (named as
    /// this cluster names it). Never 404: unknown services and peers give `[]`.
    ///
    /// # Errors
    /// As for every call. ACLs filter the result rather than refuse it.
    pub async fn health_service(
        &self,
        service: &str,
        peer: Option<&str>,
    ) -> Result<Vec<Value>, Error> {
        let access = Access::HealthRead {
            service: service.to_owned(),
        };
        let mut request = Request::get(&["health", "service", service], access)
            .partitioned()
            .namespace(Namespace::Cluster);
        if let Some(peer) = peer {
            request = request.query("peer", peer);
        }
        let reply = self.execute(request).await?;
        let instances: Option<Vec<Value>> = self.decode(&reply)?;
        Ok(instances.unwrap_or_default())
    }
}
