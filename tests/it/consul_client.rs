//! The Consul client against real agents: check-and-set writes and deletes, lists by kind, the
//! request count of a refresh, the datacenter check, a peering made with generate-token and
//! establish, and a 403 that names the missing permission without showing the token.
//!
//! Clients get an empty environment, so no `CONSUL_*` variable of the developer's shell leaks
//! in; each test starts its own agents.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use meshplan::consul::{
    Client, ClientOptions, Env, Error, Establish, GenerateToken, RefreshFailure, refresh,
};
use meshplan::model::{ClusterSpec, Desired, LivePeering, Owner, PeeringState, TokenSource};
use serde_json::{Value, json};

use crate::support::consul::{Cluster, start_clusters};
use crate::support::http::{POLL_INTERVAL, token_without_mesh_write};
use crate::support::proxy::{Action, Proxy};

/// Peerings usually turn ACTIVE within a couple of seconds; right after start-up the dialer's
/// sync loop may add 5 s (see the harness).
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(45);

/// Generate-token answers 500 for a short while after start-up (consul-api.md §1.10).
const TOKEN_ATTEMPTS: u32 = 20;

const MANAGEMENT_TOKEN: &str = "6a3f2c1e-8b4d-4e5f-9a7b-1c2d3e4f5a6b";

// ---------------------------------------------------------------------------------------------
// Config entries with check-and-set
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn write_with_cas_zero_creates_and_a_second_cas_zero_is_refused() {
    let agent = Cluster::start("cluster-01").await;
    let client = client(&agent);
    let entry = service_defaults("web", "tcp");

    assert!(client.write_entry(&entry, 0).await.expect("create"));
    assert!(
        !client
            .write_entry(&service_defaults("web", "http"), 0)
            .await
            .expect("second create"),
        "cas=0 must refuse an entry that exists"
    );
    let live = client
        .read_entry("service-defaults", "web")
        .await
        .expect("read");
    assert_eq!(
        live.map(|e| e.body()["Protocol"].clone()),
        Some(json!("tcp"))
    );
}

#[tokio::test]
async fn write_with_a_stale_cas_is_refused() {
    let agent = Cluster::start("cluster-01").await;
    let client = client(&agent);
    let (first, second) = created_then_updated(&client).await;
    assert!(
        !client
            .write_entry(&service_defaults("web", "grpc"), first)
            .await
            .expect("stale update"),
        "a write naming an old ModifyIndex must be refused"
    );
    assert_eq!(
        modify_index(&client, "service-defaults", "web").await,
        second
    );
}

#[tokio::test]
async fn delete_with_cas_refuses_a_stale_index_and_deletes_with_the_current_one() {
    let agent = Cluster::start("cluster-01").await;
    let client = client(&agent);
    let (first, current) = created_then_updated(&client).await;

    assert!(
        !client
            .delete_entry("service-defaults", "web", first)
            .await
            .expect("stale delete")
    );
    assert!(
        client
            .read_entry("service-defaults", "web")
            .await
            .expect("read")
            .is_some()
    );
    assert!(
        client
            .delete_entry("service-defaults", "web", current)
            .await
            .expect("delete")
    );
    assert!(
        client
            .read_entry("service-defaults", "web")
            .await
            .expect("read")
            .is_none()
    );
}

#[tokio::test]
async fn list_by_kind_returns_every_entry_with_its_modify_index() {
    let agent = Cluster::start("cluster-01").await;
    let client = client(&agent);
    for name in ["api", "web"] {
        assert!(
            client
                .write_entry(&intentions(name), 0)
                .await
                .expect("create")
        );
    }

    let (entries, index) = client
        .list_entries("service-intentions")
        .await
        .expect("a list");
    let names: Vec<&str> = entries.iter().map(|(key, _)| key.name.as_str()).collect();
    assert_eq!(names, ["api", "web"]);
    for (key, entry) in &entries {
        assert_eq!(key.kind, "service-intentions");
        assert_eq!(
            (key.namespace.as_deref(), key.partition.as_deref()),
            (None, None)
        );
        assert!(entry.modify_index > 0);
        assert_eq!(entry.body()["ModifyIndex"], json!(entry.modify_index));
        assert!(index >= entry.modify_index);
    }
    let (none, _) = client
        .list_entries("exported-services")
        .await
        .expect("an empty list");
    assert!(none.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Refresh
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn refresh_makes_the_same_number_of_requests_per_cluster_whatever_the_entry_count() {
    let agents = start_clusters(&["cluster-01", "cluster-02"]).await;
    let desired = desired(&agents);
    // One agent/self, one peering list and one list per kind, the refused Enterprise kind
    // included: nothing per entry.
    let expected = (2 + meshplan::model::kinds::manageable().count()) as u64;

    let empty = clients(&agents);
    let live = refresh(&empty, &desired).await.expect("a refresh");
    for (name, client) in &empty {
        assert_eq!(
            client.requests_sent(),
            expected,
            "requests to {name} with no entries"
        );
        let cluster = &live.clusters[name];
        assert_eq!(cluster.datacenter, *name);
        assert!(cluster.entries.is_empty());
    }

    for agent in &agents {
        let writer = client(agent);
        for i in 0..20 {
            let entry = intentions(&format!("svc-{i:02}"));
            assert!(writer.write_entry(&entry, 0).await.expect("create"));
        }
    }
    let full = clients(&agents);
    let live = refresh(&full, &desired).await.expect("a refresh");
    for (name, client) in &full {
        assert_eq!(
            client.requests_sent(),
            expected,
            "requests to {name} with 20 entries"
        );
        let cluster = &live.clusters[name];
        assert_eq!(cluster.entries.len(), 20);
        assert!(cluster.entries.values().all(|entry| entry.modify_index > 0));
        assert!(cluster.kinds.contains("service-intentions"));
        assert!(
            !cluster.kinds.contains("control-plane-request-limit"),
            "an Enterprise-only kind refused by CE is not listed: {:?}",
            cluster.kinds
        );
        assert!(!cluster.version.is_empty());
    }
}

#[tokio::test]
async fn a_datacenter_that_differs_from_the_agents_is_an_error_naming_the_cluster() {
    let agent = Cluster::start("cluster-01").await;
    let mut desired = desired(std::slice::from_ref(&agent));
    if let Some(spec) = desired.clusters.get_mut("cluster-01") {
        spec.datacenter = "dc-east".into();
    }

    let err = refresh(&clients(std::slice::from_ref(&agent)), &desired)
        .await
        .expect_err("a datacenter mismatch");
    assert!(matches!(
        err.failures.as_slice(),
        [RefreshFailure::DatacenterMismatch { .. }]
    ));
    let text = err.to_string();
    assert!(
        text.starts_with(
            "cluster \"cluster-01\": the files say datacenter \"dc-east\" but the agent at \
             http://127.0.0.1:"
        ),
        "{text}"
    );
    assert!(text.contains("is in datacenter \"cluster-01\""), "{text}");
}

#[tokio::test]
async fn the_long_lists_go_out_with_agent_self_and_the_others_once_it_has_answered() {
    let agent = Cluster::start("cluster-01").await;
    let proxy = Proxy::start(agent.http_port()).await;
    const HELD: Duration = Duration::from_millis(400);
    // Each request's arrival, and agent/self's answer held back.
    let arrivals: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    proxy.set_rule({
        let arrivals = Arc::clone(&arrivals);
        move |seen| {
            let path = seen.path.split('?').next().unwrap_or_default().to_owned();
            let held = path == "/v1/agent/self";
            arrivals
                .lock()
                .expect("arrivals")
                .push((path, Instant::now()));
            if held {
                Action::Delay(HELD)
            } else {
                Action::Forward
            }
        }
    });
    let spec = ClusterSpec {
        address: Some(proxy.http_addr()),
        ..spec(&agent, TokenSource::Default)
    };
    let client = Client::new(&spec, &Env::default(), Path::new(".")).expect("a client");
    let desired = desired(std::slice::from_ref(&agent));

    refresh(&[("cluster-01".to_owned(), client)], &desired)
        .await
        .expect("a refresh");

    let arrivals = arrivals.lock().expect("arrivals").clone();
    let asked = |path: &str| {
        arrivals
            .iter()
            .find(|(seen, _)| seen == path)
            .map(|(_, at)| *at)
            .unwrap_or_else(|| panic!("{path} was not asked for: {arrivals:?}"))
    };
    let agent_self = asked("/v1/agent/self");
    for long in ["service-intentions", "exported-services"] {
        let at = asked(&format!("/v1/config/{long}"));
        assert!(
            at.saturating_duration_since(agent_self) < HELD,
            "{long} waited for agent/self"
        );
    }
    let short: Vec<_> = arrivals
        .iter()
        .filter(|(path, _)| {
            path.starts_with("/v1/config/")
                && !path.ends_with("/service-intentions")
                && !path.ends_with("/exported-services")
        })
        .collect();
    assert!(short.len() > 10, "{arrivals:?}");
    for (path, at) in short {
        assert!(
            at.duration_since(agent_self) >= HELD,
            "{path} was asked for before agent/self answered"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Peering
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn generate_token_and_establish_make_a_peering_that_is_active_on_both_sides() {
    let agents = start_clusters(&["cluster-01", "cluster-02"]).await;
    let (acceptor, dialer) = (client(&agents[0]), client(&agents[1]));
    let meta = BTreeMap::from([("managed-by".to_owned(), "meshplan".to_owned())]);

    let token = generate_token(&acceptor, "cluster-02", &meta).await;
    dialer
        .establish(&Establish {
            peer_name: "cluster-01",
            token: &token,
            partition: None,
            meta: &meta,
        })
        .await
        .expect("establish");

    let on_acceptor = wait_for_active(&acceptor, "cluster-02").await;
    let on_dialer = wait_for_active(&dialer, "cluster-01").await;
    assert!(!on_acceptor.is_dialer() && on_dialer.is_dialer());
    assert!(on_acceptor.owner() == Owner::Unnamed && on_dialer.owner() == Owner::Unnamed);
    assert_eq!(on_dialer.remote_datacenter.as_deref(), Some("cluster-01"));
    let listed = dialer.list_peerings().await.expect("a list");
    assert_eq!(
        listed.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["cluster-01"]
    );

    dialer.delete_peering("cluster-01").await.expect("delete");
    dialer
        .delete_peering("cluster-01")
        .await
        .expect("a second delete is fine too");
    let state = dialer
        .read_peering("cluster-01")
        .await
        .expect("read")
        .map(|p| p.state);
    assert!(
        matches!(state, None | Some(PeeringState::Deleting)),
        "{state:?}"
    );
}

#[tokio::test]
async fn reading_a_peering_that_does_not_exist_gives_none() {
    let agent = Cluster::start("cluster-01").await;
    assert_eq!(
        client(&agent).read_peering("nobody").await.expect("read"),
        None
    );
}

// ---------------------------------------------------------------------------------------------
// ACLs
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_403_names_the_likely_permission_and_never_the_token() {
    // One attribute per line: the harness reads the management token with hcl-rs, which does
    // not take Consul's comma-separated one-line blocks.
    let acl = format!(
        "acl {{\n  enabled = true\n  default_policy = \"deny\"\n  \
         tokens {{\n    initial_management = \"{MANAGEMENT_TOKEN}\"\n  }}\n}}"
    );
    let agent = Cluster::start_with("cluster-01", &[&acl]).await;
    let limited = token_without_mesh_write(&agent, MANAGEMENT_TOKEN).await;
    let client = client_with_token(&agent, &limited);

    let err = client
        .write_entry(
            &json!({"Kind": "exported-services", "Name": "default", "Services": []}),
            0,
        )
        .await
        .expect_err("mesh:write is missing");
    let text = err.to_string();
    assert_eq!(err.status(), Some(403), "{text}");
    assert!(
        text.starts_with(
            "cluster \"cluster-01\": PUT /v1/config?cas=0: HTTP 403: Permission denied"
        ),
        "{text}"
    );
    assert!(text.contains("lacks permission 'mesh:write'"), "{text}");
    let hint = text
        .lines()
        .find(|line| line.starts_with("hint: "))
        .unwrap_or_default();
    assert!(
        hint.contains("`mesh:write`") && hint.contains("`CLUSTER_TOKEN`"),
        "{text}"
    );

    let unknown = client_with_token(&agent, "00000000-1111-2222-3333-444444444444");
    let err = unknown.list_peerings().await.expect_err("an unknown token");
    let unknown_text = err.to_string();
    assert!(
        unknown_text.contains("HTTP 403: ACL not found"),
        "{unknown_text}"
    );
    assert!(
        unknown_text.contains("does not know the ACL token"),
        "{unknown_text}"
    );

    for shown in [
        text,
        format!("{err:?}"),
        unknown_text,
        format!("{client:?}"),
    ] {
        assert!(!shown.contains(&limited), "the token leaked into: {shown}");
        assert!(
            !shown.contains("00000000-1111"),
            "the token leaked into: {shown}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_client_without_keep_alive_closes_each_connection_once_its_reply_is_read() {
    let agent = Cluster::start("cluster-01").await;
    let proxy = Proxy::start(agent.http_port()).await;
    let through_proxy = |keep_alive| {
        let spec = ClusterSpec {
            address: Some(proxy.http_addr()),
            ..spec(&agent, TokenSource::Default)
        };
        let options = ClientOptions {
            keep_alive,
            ..ClientOptions::default()
        };
        Client::with_options(&spec, &Env::default(), Path::new("."), options).expect("a client")
    };

    list_three_times(&through_proxy(true)).await;
    assert_eq!(
        proxy.answers().len(),
        1,
        "one connection, kept for the next requests"
    );

    list_three_times(&through_proxy(false)).await;
    assert_eq!(proxy.seen().len(), 6);
    assert_eq!(
        proxy.answers().len(),
        1 + 3,
        "a new connection for each request"
    );
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Lists one kind three times, one request after the other.
async fn list_three_times(client: &Client) {
    for _ in 0..3 {
        client
            .list_entries("service-defaults")
            .await
            .expect("a list");
    }
}

fn spec(agent: &Cluster, token: TokenSource) -> ClusterSpec {
    ClusterSpec {
        name: agent.name().to_owned(),
        address: Some(agent.http_addr()),
        token,
        datacenter: agent.name().to_owned(),
        partition: None,
        entries_dir: PathBuf::from(agent.name()),
        tls: None,
    }
}

fn client(agent: &Cluster) -> Client {
    Client::new(
        &spec(agent, TokenSource::Default),
        &Env::default(),
        Path::new("."),
    )
    .expect("a client")
}

fn client_with_token(agent: &Cluster, token: &str) -> Client {
    let spec = spec(agent, TokenSource::Env("CLUSTER_TOKEN".into()));
    Client::new(
        &spec,
        &Env::from_vars([("CLUSTER_TOKEN", token)]),
        Path::new("."),
    )
    .expect("a client")
}

fn clients(agents: &[Cluster]) -> Vec<(String, Client)> {
    agents
        .iter()
        .map(|agent| (agent.name().to_owned(), client(agent)))
        .collect()
}

/// A workspace naming `agents` and no entries.
fn desired(agents: &[Cluster]) -> Desired {
    Desired {
        clusters: agents
            .iter()
            .map(|agent| (agent.name().to_owned(), spec(agent, TokenSource::Default)))
            .collect(),
        ..Desired::default()
    }
}

fn service_defaults(name: &str, protocol: &str) -> Value {
    json!({"Kind": "service-defaults", "Name": name, "Protocol": protocol})
}

fn intentions(destination: &str) -> Value {
    json!({
        "Kind": "service-intentions",
        "Name": destination,
        "Sources": [{"Name": "frontend", "Action": "allow"}],
        "Meta": {"managed-by": "meshplan"},
    })
}

/// Creates `service-defaults/web` (tcp), then updates it (http) with check-and-set; the
/// ModifyIndex after each write.
async fn created_then_updated(client: &Client) -> (u64, u64) {
    let created = client.write_entry(&service_defaults("web", "tcp"), 0).await;
    assert!(created.expect("create"));
    let first = modify_index(client, "service-defaults", "web").await;
    let updated = client
        .write_entry(&service_defaults("web", "http"), first)
        .await;
    assert!(updated.expect("update"));
    let second = modify_index(client, "service-defaults", "web").await;
    assert!(second > first);
    (first, second)
}

async fn modify_index(client: &Client, kind: &str, name: &str) -> u64 {
    let entry = client.read_entry(kind, name).await.expect("read");
    entry.map(|e| e.modify_index).expect("the entry exists")
}

/// Generate-token, retried on the 500s Consul answers while it finishes starting up.
async fn generate_token(
    acceptor: &Client,
    peer_name: &str,
    meta: &BTreeMap<String, String>,
) -> meshplan::model::Secret {
    let body = GenerateToken {
        peer_name,
        partition: None,
        meta,
        server_external_addresses: &[],
    };
    let mut last: Option<Error> = None;
    for _ in 0..TOKEN_ATTEMPTS {
        match acceptor.generate_token(&body).await {
            Ok(token) => return token,
            Err(err) if err.status() == Some(500) => last = Some(err),
            Err(err) => panic!("generate-token: {err}"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("generate-token kept failing: {last:?}")
}

async fn wait_for_active(client: &Client, name: &str) -> LivePeering {
    let deadline = Instant::now() + ACTIVE_TIMEOUT;
    loop {
        let peering = client.read_peering(name).await.expect("read the peering");
        match peering {
            Some(peering) if peering.state == PeeringState::Active => return peering,
            other if Instant::now() >= deadline => {
                panic!(
                    "peering {name:?} on {:?} is not ACTIVE: {other:?}",
                    client.cluster()
                )
            }
            _ => tokio::time::sleep(POLL_INTERVAL).await,
        }
    }
}
