//! Raw HTTP to the test agents, as an operator's script or another team would use it: for
//! setting up what meshplan then finds, and for checking what it did.

#![allow(
    dead_code,
    reason = "shared by every test module, and each module uses only part of it"
)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::consul::Cluster;

/// How often [`poll_until`] probes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// A client that only ever talks to the local agents, never through a proxy from the
/// environment.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

/// The response's JSON body (`null` when empty); panics with the status and body unless the
/// request succeeded. A successful body is never quoted: it may hold a peering token.
pub async fn success_json(response: reqwest::Response, what: &str) -> Value {
    let status = response.status();
    let body = response.text().await.expect("a response body");
    assert!(status.is_success(), "{what}: HTTP {status}: {body}");
    if body.trim().is_empty() {
        return Value::Null;
    }
    serde_json::from_str(&body).unwrap_or_else(|err| panic!("{what}: body is not JSON: {err}"))
}

/// `method path` on `agent` with the ACL `token` and an optional JSON body; its JSON answer,
/// or a panic naming the request.
pub async fn send_with_token(
    agent: &Cluster,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let mut request = client()
        .request(method.clone(), format!("{}{path}", agent.http_addr()))
        .header("X-Consul-Token", token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|err| panic!("{method} {path}: {err}"));
    success_json(response, &format!("{method} {path}")).await
}

/// Polls `probe` until it yields a value; panics after `timeout`, naming what was awaited.
pub async fn poll_until<T>(
    timeout: Duration,
    what: &str,
    mut probe: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting until {what}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// On an agent with ACLs on, a token that may read everything meshplan reads and write
/// peerings, but lacks `mesh:write` (so it cannot write exported-services).
pub async fn token_without_mesh_write(agent: &Cluster, management_token: &str) -> String {
    let rules = "agent_prefix \"\" { policy = \"read\" }\nnode_prefix \"\" { policy = \"read\" }\n\
                 service_prefix \"\" { policy = \"read\" }\npeering = \"write\"\nmesh = \"read\"";
    let put = async |path: &str, body: Value| {
        let response = client()
            .put(format!("{}{path}", agent.http_addr()))
            .header("X-Consul-Token", management_token)
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|err| panic!("PUT {path}: {err}"));
        success_json(response, &format!("PUT {path}")).await
    };
    let policy = put(
        "/v1/acl/policy",
        json!({"Name": "no-mesh-write", "Rules": rules}),
    )
    .await;
    let token = put(
        "/v1/acl/token",
        json!({"Description": "meshplan test", "Policies": [{"ID": policy["ID"]}]}),
    )
    .await;
    token["SecretID"].as_str().expect("a SecretID").to_owned()
}

/// The config entry as the agent holds it, `None` when absent.
pub async fn read_entry(agent: &Cluster, kind: &str, name: &str) -> Option<Value> {
    let url = format!("{}/v1/config/{kind}/{name}", agent.http_addr());
    let response = client().get(url).send().await.expect("GET the entry");
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return None;
    }
    Some(success_json(response, "read the entry").await)
}

/// The workspace named by the mark of `service-defaults/<name>` (`""` for a mark without a
/// name, `None` without a mark or without the entry).
pub async fn defaults_owner(agent: &Cluster, name: &str) -> Option<String> {
    let entry = read_entry(agent, "service-defaults", name).await?;
    let meta = &entry["Meta"];
    (meta["managed-by"] == "meshplan")
        .then(|| meta["meshplan-workspace"].as_str().unwrap_or("").to_owned())
}

/// Writes a config entry as an operator would, without meshplan.
pub async fn put_entry(agent: &Cluster, body: &Value) -> Value {
    let url = format!("{}/v1/config", agent.http_addr());
    let response = client()
        .put(url)
        .json(body)
        .send()
        .await
        .expect("PUT /v1/config");
    success_json(response, "write the entry").await
}
