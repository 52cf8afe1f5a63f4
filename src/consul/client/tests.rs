//! The client's plumbing against a scripted responder: retries, the token header, query
//! strings, error texts, and that no token ever shows.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::json;

use super::*;
use crate::consul::fake::{self, Canned};
use crate::consul::{Establish, GenerateToken};
use crate::model::{EntryKey, Secret, TlsSpec, TokenSource};

const CANARY: &str = "canary-token-5e1f0c2a";

fn spec(name: &str, address: &str) -> ClusterSpec {
    ClusterSpec {
        name: name.into(),
        address: Some(address.into()),
        token: TokenSource::Env("TEST_TOKEN".into()),
        datacenter: "dc1".to_owned(),
        partition: None,
        entries_dir: PathBuf::from(name),
        tls: None,
    }
}

fn canary_env() -> Env {
    Env::from_vars([("TEST_TOKEN", CANARY)])
}

fn quick() -> ClientOptions {
    ClientOptions {
        retry: RetryPolicy::immediate(3),
        ..ClientOptions::default()
    }
}

async fn client_for(responses: Vec<Canned>) -> (Client, fake::Received) {
    let (address, received) = fake::serve_tcp(responses).await;
    let client = Client::with_options(
        &spec("c1", &address),
        &canary_env(),
        Path::new("/"),
        quick(),
    )
    .expect("a client");
    (client, received)
}

fn request_lines(received: &fake::Received) -> Vec<String> {
    received
        .all()
        .iter()
        .map(|r| r.lines().next().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn reads_are_retried_on_503_and_every_attempt_is_counted() {
    let (client, received) = client_for(vec![
        (503, "No cluster leader"),
        (200, "\"127.0.0.1:8300\""),
    ])
    .await;
    assert_eq!(
        client.leader().await.ok().as_deref(),
        Some("127.0.0.1:8300")
    );
    assert_eq!(client.requests_sent(), 2);
    assert_eq!(received.all().len(), 2);
}

#[tokio::test]
async fn cas_writes_are_sent_once_even_on_503() {
    let (client, received) = client_for(vec![(503, "No cluster leader"), (200, "true")]).await;
    let body = json!({"Kind": "exported-services", "Name": "default", "Services": []});
    let result = client.write_entry(&body, 12).await;
    assert_eq!(result.err().and_then(|e| e.status()), Some(503));
    assert_eq!(client.requests_sent(), 1);
    assert_eq!(
        request_lines(&received),
        vec!["PUT /v1/config?cas=12 HTTP/1.1"]
    );
}

#[tokio::test]
async fn establish_and_generate_token_are_never_resent() {
    let (client, _) = client_for(vec![(500, "failed to exchange peering secret")]).await;
    let meta = BTreeMap::new();
    let token = Secret::new(CANARY);
    let establish = Establish {
        peer_name: "cluster-01",
        token: &token,
        partition: None,
        meta: &meta,
    };
    assert!(client.establish(&establish).await.is_err());
    let generate = GenerateToken {
        peer_name: "cluster-02",
        partition: None,
        meta: &meta,
        server_external_addresses: &[],
    };
    assert!(client.generate_token(&generate).await.is_err());
    assert_eq!(client.requests_sent(), 2);
}

#[tokio::test]
async fn peering_deletes_are_idempotent_and_retried() {
    let (client, _) = client_for(vec![(503, "x"), (200, "")]).await;
    assert!(client.delete_peering("cluster-02").await.is_ok());
    assert_eq!(client.requests_sent(), 2);
}

#[tokio::test]
async fn the_token_goes_only_in_the_consul_header() {
    let (client, received) = client_for(vec![(200, "[]")]).await;
    client.list_peerings().await.expect("a list");
    let request = received.all().concat();
    let header = format!("x-consul-token: {CANARY}");
    assert!(request.to_ascii_lowercase().contains(&header), "{request}");
    assert!(!request.lines().next().unwrap_or_default().contains(CANARY));
}

#[tokio::test]
async fn partition_is_sent_only_when_set() {
    let (address, received) = fake::serve_tcp(vec![(200, "[]")]).await;
    let plain = Client::with_options(
        &spec("c1", &address),
        &canary_env(),
        Path::new("/"),
        quick(),
    )
    .expect("a client");
    plain.list_peerings().await.expect("a list");
    let mut with_partition = spec("c1", &address);
    with_partition.partition = Some("payments".into());
    let partitioned = Client::with_options(&with_partition, &canary_env(), Path::new("/"), quick())
        .expect("a client");
    partitioned.list_peerings().await.expect("a list");
    // Only the request line matters here: the stand-in server's reply is no agent/self body.
    let _ = partitioned.agent_self().await;
    assert_eq!(
        request_lines(&received),
        vec![
            "GET /v1/peerings HTTP/1.1",
            "GET /v1/peerings?partition=payments HTTP/1.1",
            "GET /v1/agent/self HTTP/1.1",
        ]
    );
}

#[tokio::test]
async fn path_segments_are_percent_encoded_and_the_prefix_kept() {
    let (address, received) = fake::serve_tcp(vec![(404, "Config entry not found")]).await;
    let spec = spec("c1", &format!("http://{address}/consul"));
    let client =
        Client::with_options(&spec, &canary_env(), Path::new("/"), quick()).expect("a client");
    assert!(matches!(
        client.read_entry("service-defaults", "a b/c").await,
        Ok(None)
    ));
    assert_eq!(
        request_lines(&received),
        vec!["GET /consul/v1/config/service-defaults/a%20b%2Fc?consistent= HTTP/1.1"]
    );
}

#[tokio::test]
async fn a_403_names_cluster_request_consul_message_and_likely_permission() {
    let message = "Permission denied: token with AccessorID 'a1' lacks permission 'mesh:write'";
    let (client, _) = client_for(vec![(403, message)]).await;
    let body = json!({"Kind": "exported-services", "Name": "default"});
    let text = client
        .write_entry(&body, 12)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        text.lines().next(),
        Some(format!("cluster \"c1\": PUT /v1/config?cas=12: HTTP 403: {message}").as_str())
    );
    let hint = text.lines().nth(1).unwrap_or_default();
    assert!(
        hint.starts_with("hint: ") && hint.contains("`mesh:write`"),
        "{hint}"
    );
    assert!(hint.contains("environment variable `TEST_TOKEN`"), "{hint}");
}

#[tokio::test]
async fn a_consumed_peering_token_is_reported_as_not_an_acl_problem() {
    let message = "a new peering token must be generated: invalid peering establishment secret";
    let (client, _) = client_for(vec![(403, message)]).await;
    let meta = BTreeMap::new();
    let token = Secret::new("peering-canary");
    let body = Establish {
        peer_name: "cluster-01",
        token: &token,
        partition: None,
        meta: &meta,
    };
    let text = client
        .establish(&body)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        text.contains("POST /v1/peering/establish: HTTP 403"),
        "{text}"
    );
    assert!(text.contains("not an ACL problem"), "{text}");
    assert!(!text.contains("peering-canary"), "{text}");
}

#[tokio::test]
async fn a_generate_token_reply_that_cannot_be_parsed_is_not_quoted() {
    let (client, _) = client_for(vec![(
        200,
        "{\"PeeringToken\": 12, \"Secret\": \"peering-canary\"}",
    )])
    .await;
    let meta = BTreeMap::new();
    let body = GenerateToken {
        peer_name: "cluster-02",
        partition: None,
        meta: &meta,
        server_external_addresses: &[],
    };
    let text = client
        .generate_token(&body)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        text.contains("POST /v1/peering/token: unexpected response"),
        "{text}"
    );
    assert!(!text.contains("peering-canary"), "{text}");
}

#[tokio::test]
async fn list_entries_returns_keys_modify_indexes_and_the_list_index() {
    let body = r#"[{"Kind":"service-defaults","Name":"web","Protocol":"http","CreateIndex":5,"ModifyIndex":9}]"#;
    let (client, _) = client_for(vec![(200, body)]).await;
    let (entries, index) = client
        .list_entries("service-defaults")
        .await
        .expect("a list");
    assert_eq!(index, 77);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].0.name, "web");
    assert_eq!(entries[0].1.modify_index, 9);
}

#[tokio::test]
async fn an_unknown_kind_is_recognised_and_not_retried() {
    let (client, _) = client_for(vec![(
        500,
        "invalid config entry kind: control-plane-request-limit",
    )])
    .await;
    let err = client
        .list_entries("control-plane-request-limit")
        .await
        .err();
    assert!(err.is_some_and(|e| e.is_unknown_kind()));
    assert_eq!(client.requests_sent(), 1);
}

#[tokio::test]
async fn a_refused_connection_names_the_address_and_is_retried() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let spec = spec("c1", &format!("127.0.0.1:{port}"));
    let client =
        Client::with_options(&spec, &canary_env(), Path::new("/"), quick()).expect("a client");
    let err = client.list_peerings().await.err();
    let text = err.as_ref().map(ToString::to_string).unwrap_or_default();
    let expected =
        format!("cluster \"c1\": GET /v1/peerings: cannot connect to http://127.0.0.1:{port}: ");
    assert!(text.starts_with(&expected), "{text}");
    assert!(matches!(
        err,
        Some(Error::Transport {
            failure: TransportFailure::Connect,
            ..
        })
    ));
    assert_eq!(client.requests_sent(), 3);
}

#[cfg(unix)]
#[tokio::test]
async fn unix_socket_addresses_are_dialled() {
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("consul.sock");
    let received = fake::serve_unix(&socket, vec![(200, "\"10.0.0.1:8300\"")]).await;
    let spec = spec("c1", &format!("unix://{}", socket.display()));
    let client =
        Client::with_options(&spec, &canary_env(), Path::new("/"), quick()).expect("a client");
    assert_eq!(client.leader().await.ok().as_deref(), Some("10.0.0.1:8300"));
    assert_eq!(
        request_lines(&received),
        vec!["GET /v1/status/leader HTTP/1.1"]
    );
}

#[test]
fn the_address_falls_back_to_consul_http_addr_then_the_default() {
    let mut spec = spec("c1", "unused");
    spec.address = None;
    let env = Env::from_vars([
        ("TEST_TOKEN", CANARY),
        (env::HTTP_ADDR, "https://consul.example:8501"),
    ]);
    let client = Client::new(&spec, &env, Path::new("/")).expect("a client");
    assert_eq!(client.address().to_string(), "https://consul.example:8501");
    let client = Client::new(&spec, &canary_env(), Path::new("/")).expect("a client");
    assert_eq!(client.address().to_string(), "http://127.0.0.1:8500");
}

#[test]
fn a_server_name_becomes_the_url_host_and_the_address_is_kept_for_errors() {
    let mut spec = spec("c1", "https://10.0.0.5:8501");
    spec.tls = Some(TlsSpec {
        server_name: Some("server.dc1.consul".into()),
        ..TlsSpec::default()
    });
    let client = Client::new(&spec, &canary_env(), Path::new("/")).expect("a client");
    assert_eq!(client.base.as_str(), "https://server.dc1.consul:8501/");
    assert_eq!(client.address().to_string(), "https://10.0.0.5:8501");
}

#[test]
fn an_unset_token_env_is_a_config_error_naming_the_cluster_and_variable() {
    let text = Client::new(
        &spec("c1", "127.0.0.1:8500"),
        &Env::default(),
        Path::new("/"),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert_eq!(
        text,
        "cluster \"c1\": environment variable `TEST_TOKEN` named by `token_env` is not set"
    );
}

#[test]
fn credentials_in_an_address_are_masked() {
    assert_eq!(
        without_credentials("http://u:pw@consul:8500/x@y"),
        "http://****@consul:8500/x@y"
    );
    assert_eq!(without_credentials("u:pw@consul:8500"), "****@consul:8500");
    assert_eq!(
        without_credentials("https://consul:8501"),
        "https://consul:8501"
    );
}

#[test]
fn an_unknown_scheme_is_a_config_error() {
    let text = Client::new(
        &spec("c1", "ftp://consul:21"),
        &canary_env(),
        Path::new("/"),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(text.contains("unknown protocol scheme `ftp`"), "{text}");
}

/// Every error this client can produce, and the client itself, printed both ways: none may
/// contain the token.
#[tokio::test]
async fn no_error_and_no_debug_output_ever_contains_the_token() {
    let mut shown = Vec::new();
    let mut show_error = |err: &Error| shown.push(format!("{err}\n{err:?}"));

    // A proxy echoing the token in its error page: redacted.
    let (client, _) = client_for(vec![(403, "ACL not found"), (502, CANARY)]).await;
    for err in [
        client.list_peerings().await.err(),
        client.write_entry(&json!({}), 0).await.err(),
    ]
    .into_iter()
    .flatten()
    {
        show_error(&err);
    }
    show_error(&client.decode_error(
        &Reply {
            method: Method::GET,
            path: "/v1/peerings".into(),
            index: None,
            filtered: false,
            body: Zeroizing::new(Vec::new()),
        },
        "bad".into(),
    ));
    // Connection refused.
    let refused = Client::with_options(
        &spec("c1", "127.0.0.1:1"),
        &canary_env(),
        Path::new("/"),
        quick(),
    )
    .expect("a client");
    if let Err(err) = refused.leader().await {
        show_error(&err);
    }
    // Configuration errors, with the token in the environment.
    let mut bad_tls = spec("c1", "https://consul:8501");
    bad_tls.tls = Some(TlsSpec {
        cert_file: Some("c.pem".into()),
        ..TlsSpec::default()
    });
    for spec in [
        spec("c1", "ftp://x"),
        spec("c1", format!("http://u:{CANARY}@consul").as_str()),
        bad_tls,
    ] {
        if let Err(err) = Client::new(&spec, &canary_env(), Path::new("/")) {
            show_error(&err);
        }
    }
    let mut empty = spec("c1", "127.0.0.1:8500");
    empty.token = TokenSource::Env("EMPTY".into());
    if let Err(err) = Client::new(&empty, &Env::from_vars([("EMPTY", "")]), Path::new("/")) {
        show_error(&err);
    }
    shown_client(&client, &mut shown);

    assert_eq!(shown.len(), 9, "every case produced its error: {shown:#?}");
    for text in &shown {
        assert!(!text.contains(CANARY), "the token leaked into: {text}");
    }
}

fn shown_client(client: &Client, shown: &mut Vec<String>) {
    shown.push(format!("{client:?}"));
}

// ---------------------------------------------------------------------------------------------
// Enterprise request shapes. Consul CE cannot run Enterprise requests, so these hold the URLs
// and bodies to what Consul's source reads:
// - `agent/config_endpoint.go`: a config-entry list parses `ns` with wildcards (`*`: every
//   namespace); a read and a delete parse `ns` and `partition` for the entry; a write decodes
//   the body's `Namespace` and `Partition` and only fills empty ones from the query
//   (`EnterpriseMeta.Merge`).
// - `agent/http_ce.go`: CE refuses any `ns` (and any `partition`) with a 400, so nothing
//   Enterprise-only is sent to a cluster without a partition or namespace setting.
// - `api/peering.go`: peerings are scoped by partition (query and the body's `Partition`),
//   never by namespace.
// - `api/health.go`: service health takes `ns` and `partition` from the query options.
// ---------------------------------------------------------------------------------------------

/// A client of an Enterprise cluster, as `CONSUL_PARTITION` and `CONSUL_NAMESPACE` make one.
async fn enterprise_client(responses: Vec<Canned>) -> (Client, fake::Received) {
    let (address, received) = fake::serve_tcp(responses).await;
    let env = Env::from_vars([
        ("TEST_TOKEN", CANARY),
        (env::PARTITION, "payments"),
        (env::NAMESPACE, "team-a"),
    ]);
    let client = Client::with_options(&spec("c1", &address), &env, Path::new("/"), quick())
        .expect("a client");
    (client, received)
}

fn key(name: &str, namespace: Option<&str>, partition: Option<&str>) -> EntryKey {
    EntryKey {
        kind: "service-intentions".to_owned(),
        name: name.to_owned(),
        namespace: namespace.map(str::to_owned),
        partition: partition.map(str::to_owned),
    }
}

/// The body of the `index`th request the fake received.
fn body_of(received: &fake::Received, index: usize) -> serde_json::Value {
    let request = &received.all()[index];
    let (_, body) = request.split_once("\r\n\r\n").expect("a body");
    serde_json::from_str(body).expect("a JSON body")
}

#[tokio::test]
async fn a_ce_cluster_gets_no_namespace_or_partition_parameter() {
    let entry = r#"{"Kind": "service-intentions", "Name": "web", "ModifyIndex": 3}"#;
    let (client, received) = client_for(vec![
        (200, "[]"),
        (200, entry),
        (200, "true"),
        (200, "true"),
    ])
    .await;
    assert!(!client.is_enterprise());
    client
        .list_entries("service-intentions")
        .await
        .expect("a list");
    client
        .read_entry("service-intentions", "web")
        .await
        .expect("a read");
    let body = json!({"Kind": "service-intentions", "Name": "web"});
    client.write_entry(&body, 0).await.expect("a write");
    client
        .delete_entry("service-intentions", "web", 3)
        .await
        .expect("a delete");
    assert_eq!(
        request_lines(&received),
        vec![
            "GET /v1/config/service-intentions?consistent= HTTP/1.1",
            "GET /v1/config/service-intentions/web?consistent= HTTP/1.1",
            "PUT /v1/config?cas=0 HTTP/1.1",
            "DELETE /v1/config/service-intentions/web?cas=3 HTTP/1.1",
        ]
    );
}

#[tokio::test]
async fn enterprise_entry_requests_name_the_entrys_namespace_and_partition() {
    let entry = r#"{"Kind": "service-intentions", "Name": "web", "ModifyIndex": 3}"#;
    let (client, received) = enterprise_client(vec![
        (200, "[]"),
        (200, entry),
        (200, entry),
        (200, "true"),
        (200, "true"),
        (200, "true"),
    ])
    .await;
    assert!(client.is_enterprise());
    assert_eq!(client.namespace(), Some("team-a"));
    client
        .list_entries("service-intentions")
        .await
        .expect("a list");
    // An entry that names no namespace is in `default`, not in CONSUL_NAMESPACE's.
    let plain = key("web", None, None);
    client.read_entry_at(&plain).await.expect("a read");
    let elsewhere = key("web", Some("team-b"), Some("billing"));
    client.read_entry_at(&elsewhere).await.expect("a read");
    let body = json!({"Kind": "service-intentions", "Name": "web", "Namespace": "team-b"});
    client.write_entry(&body, 5).await.expect("a write");
    client.delete_entry_at(&plain, 7).await.expect("a delete");
    client
        .delete_entry_at(&elsewhere, 8)
        .await
        .expect("a delete");
    assert_eq!(
        request_lines(&received),
        vec![
            "GET /v1/config/service-intentions?consistent=&partition=payments&ns=* HTTP/1.1",
            "GET /v1/config/service-intentions/web?consistent=&partition=payments&ns=default HTTP/1.1",
            "GET /v1/config/service-intentions/web?consistent=&partition=billing&ns=team-b HTTP/1.1",
            "PUT /v1/config?cas=5&partition=payments&ns=team-b HTTP/1.1",
            "DELETE /v1/config/service-intentions/web?cas=7&partition=payments&ns=default HTTP/1.1",
            "DELETE /v1/config/service-intentions/web?cas=8&partition=billing&ns=team-b HTTP/1.1",
        ]
    );
    // The body keeps its own Namespace: Consul reads it before the query.
    assert_eq!(body_of(&received, 3), body);
}

#[tokio::test]
async fn entries_declared_in_namespaces_are_listed_across_namespaces() {
    let (client, received) = client_for(vec![(200, "[]")]).await;
    client
        .list_entries_in("exported-services", true)
        .await
        .expect("a list");
    client
        .list_entries_in("exported-services", false)
        .await
        .expect("a list");
    assert_eq!(
        request_lines(&received),
        vec![
            "GET /v1/config/exported-services?consistent=&ns=* HTTP/1.1",
            "GET /v1/config/exported-services?consistent= HTTP/1.1",
        ]
    );
}

#[tokio::test]
async fn enterprise_peerings_are_partitioned_and_never_namespaced() {
    let (client, received) = enterprise_client(vec![
        (200, "[]"),
        (200, r#"{"PeeringToken": "opaque"}"#),
        (200, "{}"),
        (200, "[]"),
    ])
    .await;
    client.list_peerings().await.expect("a list");
    let meta = BTreeMap::new();
    let request = GenerateToken {
        peer_name: "cluster-02",
        partition: client.partition(),
        meta: &meta,
        server_external_addresses: &[],
    };
    client.generate_token(&request).await.expect("a token");
    client.delete_peering("cluster-02").await.expect("a delete");
    client
        .health_service("web", Some("cluster-02"))
        .await
        .expect("the instances");
    assert_eq!(
        request_lines(&received),
        vec![
            "GET /v1/peerings?partition=payments HTTP/1.1",
            "POST /v1/peering/token?partition=payments HTTP/1.1",
            "DELETE /v1/peering/cluster-02?partition=payments HTTP/1.1",
            "GET /v1/health/service/web?peer=cluster-02&partition=payments&ns=team-a HTTP/1.1",
        ]
    );
    assert_eq!(
        body_of(&received, 1),
        json!({"PeerName": "cluster-02", "Partition": "payments"})
    );
}

/// A server that accepts connections and never answers: a frozen agent.
async fn frozen() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    address
}

#[tokio::test]
async fn a_frozen_agent_gets_no_more_requests_after_a_few_timeouts() {
    let address = frozen().await;
    let options = ClientOptions {
        retry: RetryPolicy::immediate(4),
        ..ClientOptions::default()
    };
    let client = Client::with_options(
        &spec("c1", &address),
        &canary_env(),
        Path::new("/"),
        options,
    )
    .expect("a client")
    .within(Duration::from_millis(400), &options);
    let started = std::time::Instant::now();
    let first = client.list_peerings().await;
    assert!(
        matches!(first, Err(Error::Unanswered { failures: 3, .. })),
        "{first:?}"
    );
    assert_eq!(client.requests_sent(), 3, "the fourth attempt is not sent");
    let later = client.read_entry("service-defaults", "web").await;
    assert!(matches!(later, Err(Error::Unanswered { .. })), "{later:?}");
    assert_eq!(client.requests_sent(), 3);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "each request waited at most a quarter of the total: {:?}",
        started.elapsed()
    );
    let text = later.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("stopped answering"), "{text}");
}
