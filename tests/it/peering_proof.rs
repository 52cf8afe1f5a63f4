//! Proof, over raw HTTP and without meshplan, that two dev agents on one host can peer and
//! share a service: the scenario meshplan automates. When this fails, the harness or Consul is
//! at fault, not meshplan. The second test shows that the final check can fail.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::consul::{Cluster, start_clusters};
use crate::support::http::{POLL_INTERVAL, client as http, poll_until, success_json};

const SERVICE: &str = "frontend-service";

/// Generate-token answers 500 for a short while after start-up (consul-api.md 1.10).
const TOKEN_ATTEMPTS: u32 = 10;
const TOKEN_RETRY_DELAY: Duration = Duration::from_millis(500);

/// Peerings usually turn ACTIVE within 100 ms, but up to about 5 s right after start-up: the
/// dialer's peering sync loop is rate-limited (see `Cluster::start`).
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(30);

/// Imports usually arrive within 20 ms of the export.
const IMPORT_TIMEOUT: Duration = Duration::from_secs(30);

/// Long enough for an export to have propagated had there been one.
const NO_IMPORT_WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn exported_service_becomes_visible_on_the_peer() {
    let [exporter, importer] = peered_clusters().await;
    register_service(&exporter).await;
    export_service(&exporter, importer.name()).await;

    let instances = poll_until(IMPORT_TIMEOUT, "the peer imports the service", async || {
        Some(imported_instances(&importer, exporter.name()).await).filter(|i| !i.is_empty())
    })
    .await;

    assert_eq!(instances.len(), 1, "one instance imported: {instances:#?}");
    assert_eq!(instances[0]["Service"]["Service"], SERVICE);
    assert_eq!(instances[0]["Service"]["PeerName"], exporter.name());
}

#[tokio::test]
async fn service_without_export_stays_invisible_on_the_peer() {
    let [exporter, importer] = peered_clusters().await;
    register_service(&exporter).await;
    assert_eq!(
        local_instances(&exporter).await.len(),
        1,
        "the service is registered where it runs"
    );

    let deadline = Instant::now() + NO_IMPORT_WAIT;
    while Instant::now() < deadline {
        let instances = imported_instances(&importer, exporter.name()).await;
        assert!(
            instances.is_empty(),
            "the peer imported a service nobody exported: {instances:#?}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Starts `cluster-01` and `cluster-02` and peers them, `cluster-01` accepting; both sides name
/// the peering after the other cluster.
async fn peered_clusters() -> [Cluster; 2] {
    let clusters = start_clusters(&["cluster-01", "cluster-02"]).await;
    let Ok([acceptor, dialer]) = <[Cluster; 2]>::try_from(clusters) else {
        unreachable!("two names give two clusters")
    };
    let token = generate_token(&acceptor, dialer.name()).await;
    establish(&dialer, acceptor.name(), &token).await;
    for (cluster, peer) in [(&acceptor, &dialer), (&dialer, &acceptor)] {
        let what = format!(
            "peering {:?} on {:?} is ACTIVE",
            peer.name(),
            cluster.name()
        );
        poll_until(ACTIVE_TIMEOUT, &what, async || {
            (peering_state(cluster, peer.name()).await == "ACTIVE").then_some(())
        })
        .await;
    }
    [acceptor, dialer]
}

/// The peering token; never printed, it is a secret.
async fn generate_token(acceptor: &Cluster, peer: &str) -> String {
    let mut attempt = 1;
    let response = loop {
        let response = http()
            .post(url(acceptor, "/v1/peering/token"))
            .json(&json!({ "PeerName": peer }))
            .send()
            .await
            .expect("POST /v1/peering/token");
        if response.status() != StatusCode::INTERNAL_SERVER_ERROR || attempt == TOKEN_ATTEMPTS {
            break response;
        }
        attempt += 1;
        tokio::time::sleep(TOKEN_RETRY_DELAY).await;
    };
    let body = success_json(response, "generate a peering token").await;
    body["PeeringToken"]
        .as_str()
        .expect("a PeeringToken in the response")
        .to_owned()
}

async fn establish(dialer: &Cluster, peer: &str, token: &str) {
    let response = http()
        .post(url(dialer, "/v1/peering/establish"))
        .json(&json!({ "PeerName": peer, "PeeringToken": token }))
        .send()
        .await
        .expect("POST /v1/peering/establish");
    success_json(response, "establish the peering").await;
}

/// The peering's `State`, or the HTTP status when there is no peering to read.
async fn peering_state(cluster: &Cluster, peer: &str) -> String {
    let response = http()
        .get(url(cluster, &format!("/v1/peering/{peer}")))
        .send()
        .await
        .expect("GET /v1/peering/:name");
    if !response.status().is_success() {
        return response.status().to_string();
    }
    let peering: Value = response.json().await.expect("a peering as JSON");
    peering["State"].as_str().unwrap_or_default().to_owned()
}

async fn register_service(cluster: &Cluster) {
    let service =
        json!({ "Name": SERVICE, "ID": "frontend-1", "Address": "127.0.0.1", "Port": 8080 });
    let response = http()
        .put(url(cluster, "/v1/agent/service/register"))
        .json(&service)
        .send()
        .await
        .expect("PUT /v1/agent/service/register");
    success_json(response, "register the service").await;
}

async fn export_service(cluster: &Cluster, consumer: &str) {
    let entry = json!({
        "Kind": "exported-services",
        "Name": "default",
        "Services": [{ "Name": SERVICE, "Consumers": [{ "Peer": consumer }] }],
    });
    let response = http()
        .put(url(cluster, "/v1/config"))
        .json(&entry)
        .send()
        .await
        .expect("PUT /v1/config");
    assert_eq!(success_json(response, "export the service").await, true);
}

/// Instances of the service that `cluster` imports from its peer `peer`.
async fn imported_instances(cluster: &Cluster, peer: &str) -> Vec<Value> {
    health_service(cluster, Some(peer)).await
}

async fn local_instances(cluster: &Cluster) -> Vec<Value> {
    health_service(cluster, None).await
}

async fn health_service(cluster: &Cluster, peer: Option<&str>) -> Vec<Value> {
    let mut request = http().get(url(cluster, &format!("/v1/health/service/{SERVICE}")));
    if let Some(peer) = peer {
        request = request.query(&[("peer", peer)]);
    }
    let response = request.send().await.expect("GET /v1/health/service/:name");
    let body = success_json(response, "list the service's instances").await;
    serde_json::from_value(body).expect("a JSON array of instances")
}

fn url(cluster: &Cluster, path: &str) -> String {
    format!("{}{path}", cluster.http_addr())
}
