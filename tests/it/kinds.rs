//! The table of Consul's fields (`meshplan::model::schema`) held to a real agent: an entry of
//! every kind, with its nested objects filled in, is written and read back, and every key the
//! agent returns, at every level, must be one the table knows there. A field Consul has and the
//! table lacks fails here. And keys the table refuses, Consul refuses too.

use meshplan::model::schema::{Field, Ty, check, fields_of, lookup};
use serde_json::{Value, json};

use crate::support::consul::{Cluster, consul_binary, start_clusters};
use crate::support::http::{client as http, success_json};

/// One entry per kind, written in this order (what routes need comes first), with as many
/// nested objects as a minimal valid entry can hold.
fn entries() -> Vec<Value> {
    vec![
        json!({"Kind": "service-defaults", "Name": "web", "Protocol": "http",
               "MeshGateway": {"Mode": "local"}, "TransparentProxy": {"OutboundListenerPort": 15001},
               "Expose": {"Checks": true, "Paths": [{"Path": "/health", "LocalPathPort": 8080, "ListenerPort": 21500}]},
               "UpstreamConfig": {"Defaults": {"ConnectTimeoutMs": 5000,
                   "Limits": {"MaxConnections": 10}, "PassiveHealthCheck": {"Interval": "10s", "MaxFailures": 3}},
                   "Overrides": [{"Name": "api", "Protocol": "http"}]},
               "EnvoyExtensions": [{"Name": "builtin/lua", "Arguments": {"ProxyType": "connect-proxy", "Listener": "inbound", "Script": "function envoy_on_request(h) end"}}],
               "Meta": {"team": "web"}}),
        json!({"Kind": "service-defaults", "Name": "api", "Protocol": "http"}),
        json!({"Kind": "proxy-defaults", "Name": "global", "Config": {"protocol": "http"},
               "MeshGateway": {"Mode": "local"}, "Expose": {"Checks": false},
               "TransparentProxy": {"DialedDirectly": true},
               "AccessLogs": {"Enabled": true, "Type": "stdout"}}),
        json!({"Kind": "service-resolver", "Name": "api", "ConnectTimeout": "5s",
               "Subsets": {"v1": {"Filter": "Service.Meta.version == v1"}},
               "Failover": {"*": {"Targets": [{"Service": "web"}]}},
               "LoadBalancer": {"Policy": "ring_hash", "RingHashConfig": {"MinimumRingSize": 1024},
                   "HashPolicies": [{"Field": "header", "FieldValue": "x-user"}]}}),
        json!({"Kind": "service-router", "Name": "web", "Routes": [{
               "Match": {"HTTP": {"PathPrefix": "/api", "Header": [{"Name": "x-a", "Present": true}],
                   "QueryParam": [{"Name": "q", "Exact": "1"}], "Methods": ["GET"]}},
               "Destination": {"Service": "api", "NumRetries": 3, "RequestTimeout": "2s",
                   "RequestHeaders": {"Add": {"x-b": "1"}}, "ResponseHeaders": {"Remove": ["x-c"]}}}]}),
        json!({"Kind": "service-splitter", "Name": "api", "Splits": [
               {"Weight": 90, "ServiceSubset": "v1", "RequestHeaders": {"Set": {"x": "1"}}},
               {"Weight": 10}]}),
        json!({"Kind": "ingress-gateway", "Name": "ingress",
               "TLS": {"Enabled": false, "TLSMinVersion": "TLSv1_2"},
               "Defaults": {"MaxConnections": 10, "PassiveHealthCheck": {"MaxFailures": 2}},
               "Listeners": [{"Port": 8080, "Protocol": "http",
                   "Services": [{"Name": "web", "Hosts": ["web.example.com"],
                       "RequestHeaders": {"Add": {"x": "1"}}}]}]}),
        json!({"Kind": "terminating-gateway", "Name": "terminating",
               "Services": [{"Name": "legacy", "CAFile": "/etc/ca.pem", "SNI": "legacy"}]}),
        json!({"Kind": "mesh", "TransparentProxy": {"MeshDestinationsOnly": true},
               "TLS": {"Incoming": {"TLSMinVersion": "TLSv1_2"}, "Outgoing": {"TLSMaxVersion": "TLSv1_3"}},
               "HTTP": {"SanitizeXForwardedClientCert": true,
                   "Incoming": {"RequestNormalization": {"InsecureDisablePathNormalization": false}}},
               "Peering": {"PeerThroughMeshGateways": false}}),
        json!({"Kind": "api-gateway", "Name": "api-gw", "Listeners": [{"Name": "http",
               "Port": 9090, "Protocol": "http", "TLS": {"MinVersion": "TLSv1_2"}}]}),
        json!({"Kind": "http-route", "Name": "web-route",
               "Parents": [{"Kind": "api-gateway", "Name": "api-gw", "SectionName": "http"}],
               "Rules": [{"Matches": [{"Path": {"Match": "prefix", "Value": "/"},
                       "Headers": [{"Match": "exact", "Name": "x", "Value": "y"}]}],
                   "Filters": {"Headers": [{"Add": {"x": "1"}}], "URLRewrite": {"Path": "/"},
                       "RetryFilter": {"NumRetries": 1}, "TimeoutFilter": {"RequestTimeout": "1s"}},
                   "Services": [{"Name": "web", "Weight": 1}]}],
               "Hostnames": ["web.example.com"]}),
        json!({"Kind": "tcp-route", "Name": "tcp-route",
               "Parents": [{"Kind": "api-gateway", "Name": "api-gw"}], "Services": [{"Name": "db"}]}),
        json!({"Kind": "file-system-certificate", "Name": "fs-cert",
               "Certificate": "/etc/cert.pem", "PrivateKey": "/etc/key.pem"}),
        json!({"Kind": "jwt-provider", "Name": "okta", "Issuer": "https://okta.example.com",
               "JSONWebKeySet": {"Remote": {"URI": "https://okta.example.com/keys",
                   "FetchAsynchronously": true, "RetryPolicy": {"NumRetries": 2,
                       "RetryPolicyBackOff": {"BaseInterval": "1s"}}}},
               "Locations": [{"Header": {"Name": "Authorization", "ValuePrefix": "Bearer "}}],
               "Forwarding": {"HeaderName": "x-jwt"}, "CacheConfig": {"Size": 10}, "ClockSkewSeconds": 30}),
    ]
}

#[tokio::test]
async fn every_key_a_real_agent_returns_is_in_the_table() {
    let agents = start_clusters(&["kinds"]).await;
    let agent = &agents[0];
    let mut unknown = Vec::new();
    let mut kinds = Vec::new();
    let mut all = entries();
    all.push(inline_certificate());
    for entry in all {
        let kind = entry["Kind"].as_str().unwrap().to_owned();
        assert_eq!(
            check(&kind, &entry),
            vec![],
            "the table accepts the {kind} entry"
        );
        put(agent, &entry).await;
        let name = entry.get("Name").and_then(Value::as_str).unwrap_or("mesh");
        let stored = get(agent, &kind, name).await;
        let fields = fields_of(&kind).unwrap_or_else(|| panic!("a table for {kind}"));
        keys_unknown_to(fields, &stored, &kind, &mut unknown);
        kinds.push(kind);
    }
    assert!(
        unknown.is_empty(),
        "keys missing from the table:\n{}",
        unknown.join("\n")
    );
    assert!(kinds.len() >= 15, "{kinds:?}");
}

#[tokio::test]
async fn keys_the_table_refuses_consul_refuses_too() {
    let agents = start_clusters(&["kinds-refused"]).await;
    let agent = &agents[0];
    let refused = [
        json!({"Kind": "service-defaults", "Name": "web", "Protocl": "http"}),
        json!({"Kind": "service-resolver", "Name": "api",
               "LoadBalancer": {"Policy": "ring_hash", "RingHashConfig": {"MaxRingSise": 8}}}),
        json!({"Kind": "mesh", "TLS": {"Incoming": {"CipherSuits": []}}}),
        json!({"Kind": "proxy-defaults", "Name": "global", "mesh_gateway": {"mode": "local"},
               "Expose": {"paths": [{"path": "/h", "local_path_port": 1, "listener_port": 2, "protocl": "http"}]}}),
    ];
    for entry in refused {
        let kind = entry["Kind"].as_str().unwrap();
        assert_eq!(
            check(kind, &entry).len(),
            1,
            "the table refuses one key of {entry}"
        );
        let response = http()
            .put(format!("{}/v1/config", agent.http_addr()))
            .json(&entry)
            .send()
            .await
            .expect("the agent answers");
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert_eq!(status.as_u16(), 400, "{entry}: {body}");
        assert!(body.contains("invalid config key"), "{entry}: {body}");
    }
}

/// An inline-certificate entry: Consul parses the certificate and key, so they are real ones,
/// made by `consul tls ca create`.
fn inline_certificate() -> Value {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let status = std::process::Command::new(consul_binary())
        .args(["tls", "ca", "create"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("consul runs");
    assert!(status.success(), "consul tls ca create");
    let read = |file: &str| std::fs::read_to_string(dir.path().join(file)).expect("a PEM file");
    json!({"Kind": "inline-certificate", "Name": "inline-cert",
           "Certificate": read("consul-agent-ca.pem"),
           "PrivateKey": read("consul-agent-ca-key.pem")})
}

async fn put(agent: &Cluster, entry: &Value) {
    let response = http()
        .put(format!("{}/v1/config", agent.http_addr()))
        .json(entry)
        .send()
        .await
        .expect("the agent answers");
    success_json(response, &format!("writing {entry}")).await;
}

async fn get(agent: &Cluster, kind: &str, name: &str) -> Value {
    let response = http()
        .get(format!("{}/v1/config/{kind}/{name}", agent.http_addr()))
        .send()
        .await
        .expect("the agent answers");
    success_json(response, &format!("reading {kind}/{name}")).await
}

/// Every key of `value`, read as an object with `fields`, that the table does not know, as
/// `kind: path`.
fn keys_unknown_to(fields: &'static [Field], value: &Value, at: &str, out: &mut Vec<String>) {
    let Value::Object(object) = value else {
        return;
    };
    for (key, value) in object {
        let path = format!("{at}.{key}");
        match lookup(fields, key) {
            Some(field) => values_unknown_to(field.ty, value, &path, out),
            None if at.contains('.') || key != "Kind" => out.push(path),
            None => {}
        }
    }
}

fn values_unknown_to(ty: Ty, value: &Value, at: &str, out: &mut Vec<String>) {
    match (ty, value) {
        (Ty::Struct(fields), _) => keys_unknown_to(fields, value, at, out),
        (Ty::List(item), Value::Array(items)) => {
            for (index, value) in items.iter().enumerate() {
                values_unknown_to(*item, value, &format!("{at}[{index}]"), out);
            }
        }
        (Ty::Map(item), Value::Object(object)) => {
            for (key, value) in object {
                values_unknown_to(*item, value, &format!("{at}.{key}"), out);
            }
        }
        _ => {}
    }
}
