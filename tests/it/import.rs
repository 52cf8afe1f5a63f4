//! `meshplan import` against real Consul agents: an estate made by hand (raw HTTP, as an
//! operator or `consul config write` would) is imported into a workspace without entries, in
//! HCL, TOML and JSON. Each import plans as adoptions only, with every adopted entry's content
//! unchanged; applying one of them leaves all three planning empty, the entries' content and the
//! peering IDs as they were. Every HCL file written is also written with the real
//! `consul config write` to an agent of its own, which must then hold the same entry.
//! `--dry-run` writes nothing, importing again refuses to replace files without `--force`, and
//! another workspace's entry is left out.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::cli::{assert_exit, cluster_block, meshplan, write};
use crate::support::consul::{Cluster, consul_binary, start_clusters};
use crate::support::http::{client as http, poll_until, put_entry, read_entry, success_json};

const ACTIVE_TIMEOUT: Duration = Duration::from_secs(60);

/// The kinds the estate has, all imported.
const KINDS: [&str; 5] = [
    "exported-services",
    "service-intentions",
    "service-defaults",
    "mesh",
    "jwt-provider",
];

/// The head of the workspace file, with comments and alignment the import must keep.
fn workspace_file(clusters: &[&Cluster]) -> String {
    let mut text =
        String::from("# The estate, adopted.\nworkspace = \"estate\"   # names what we own\n\n");
    for cluster in clusters {
        text.push_str(&cluster_block(cluster));
        text.push('\n');
    }
    text.push_str("# peerings follow");
    text
}

/// cluster-01's entries: L7 permissions with headers, JWT, wildcards, several peers, text
/// with `${` and `%{`, a service-defaults and a mesh entry.
fn estate_01() -> Vec<Value> {
    vec![
        json!({"Kind": "service-defaults", "Name": "api", "Protocol": "http",
               "Meta": {"owner": "team-a"}}),
        json!({"Kind": "mesh", "TransparentProxy": {"MeshDestinationsOnly": true},
               "Peering": {"PeerThroughMeshGateways": false}}),
        json!({"Kind": "jwt-provider", "Name": "okta", "Issuer": "https://okta.example",
               "JSONWebKeySet": {"Remote": {"URI": "https://okta.example/keys",
                                             "FetchAsynchronously": true}}}),
        json!({
            "Kind": "service-intentions", "Name": "api",
            "JWT": {"Providers": [{"Name": "okta", "VerifyClaims": [
                {"Path": ["perms", "role"], "Value": "admin ${role} %{x}"}]}]},
            "Sources": [
                {"Name": "web", "Permissions": [
                    {"Action": "allow", "HTTP": {
                        "PathPrefix": "/v1/", "Methods": ["GET", "POST"],
                        "Header": [
                            {"Name": "x-team", "Exact": "a \"quoted\" \\ value"},
                            {"Name": "x-debug", "Present": true, "Invert": true},
                            {"Name": "x-env", "Regex": "^(prod|stage)$"}
                        ]}},
                    {"Action": "deny", "HTTP": {"PathExact": "/admin"}}
                ]},
                {"Name": "backend", "Peer": "cluster-02", "Action": "allow",
                 "Description": "from the other region\nsecond line"},
                {"Name": "billing", "Peer": "partner", "Action": "deny",
                 "Description": "cost ${unclosed and 100% {literal} ü"},
                {"Name": "*", "Action": "deny"}
            ],
            "Meta": {"owner": "team-a", "ticket": "OPS-1"}
        }),
        json!({"Kind": "service-intentions", "Name": "*",
               "Sources": [{"Name": "*", "Action": "deny", "Description": "deny by default"}]}),
        json!({"Kind": "exported-services", "Name": "default", "Services": [
            {"Name": "api", "Consumers": [{"Peer": "cluster-02"}, {"Peer": "partner-west"}]},
            {"Name": "web", "Consumers": [{"Peer": "cluster-02"}]}
        ]}),
    ]
}

/// cluster-02's entries.
fn estate_02() -> Vec<Value> {
    vec![json!({"Kind": "service-intentions", "Name": "billing",
                "Sources": [{"Name": "api", "Peer": "cluster-01", "Action": "allow"}]})]
}

/// (kind, name) of an entry body.
fn key_of(entry: &Value) -> (String, String) {
    let kind = entry["Kind"].as_str().expect("a Kind").to_owned();
    let name = entry["Name"].as_str().unwrap_or(&kind).to_owned();
    (kind, name)
}

/// An entry as read, without what Consul computes and without meshplan's mark.
fn content(mut entry: Value) -> Value {
    let map = entry.as_object_mut().expect("an entry is an object");
    for key in ["CreateIndex", "ModifyIndex", "Hash"] {
        map.remove(key);
    }
    if let Some(Value::Object(meta)) = map.get_mut("Meta") {
        meta.remove("managed-by");
        meta.remove("meshplan-workspace");
        if meta.is_empty() {
            map.remove("Meta");
        }
    }
    entry
}

async fn read(agent: &Cluster, entry: &Value) -> Value {
    let (kind, name) = key_of(entry);
    let read = read_entry(agent, &kind, &name).await;
    content(read.unwrap_or_else(|| panic!("{kind}/{name} on {}", agent.name())))
}

async fn peering_ids(agent: &Cluster) -> Vec<(String, String, String)> {
    let url = format!("{}/v1/peerings", agent.http_addr());
    let response = http().get(url).send().await.expect("GET /v1/peerings");
    let peerings = success_json(response, "list peerings").await;
    let mut ids: Vec<(String, String, String)> = peerings
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| {
            let field = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
            (field("Name"), field("ID"), field("PeerID"))
        })
        .collect();
    ids.sort();
    ids
}

async fn generate_token(acceptor: &Cluster, peer: &str) -> String {
    let url = format!("{}/v1/peering/token", acceptor.http_addr());
    // The leader may still be settling right after start: retry a server error a few times.
    for _ in 0..10 {
        let response = http()
            .post(&url)
            .json(&json!({"PeerName": peer}))
            .send()
            .await
            .expect("POST /v1/peering/token");
        if response.status() == StatusCode::INTERNAL_SERVER_ERROR {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        let body = success_json(response, "generate a peering token").await;
        return body["PeeringToken"].as_str().expect("a token").to_owned();
    }
    panic!("no peering token from {}", acceptor.name());
}

async fn peer(acceptor: &Cluster, dialer: &Cluster, name_on_acceptor: &str, name_on_dialer: &str) {
    let token = generate_token(acceptor, name_on_acceptor).await;
    let url = format!("{}/v1/peering/establish", dialer.http_addr());
    let response = http()
        .post(url)
        .json(&json!({"PeerName": name_on_dialer, "PeeringToken": token}))
        .send()
        .await
        .expect("POST /v1/peering/establish");
    success_json(response, "establish the peering").await;
    for (agent, name) in [(acceptor, name_on_acceptor), (dialer, name_on_dialer)] {
        let what = format!("peering {name} on {} is ACTIVE", agent.name());
        poll_until(ACTIVE_TIMEOUT, &what, async || {
            let url = format!("{}/v1/peering/{name}", agent.http_addr());
            let response = http().get(url).send().await.ok()?;
            let body: Value = response.json().await.ok()?;
            (body["State"] == "ACTIVE").then_some(())
        })
        .await;
    }
}

/// `consul config write FILE` against `agent`.
fn consul_config_write(agent: &Cluster, file: &Path) {
    let output = Command::new(consul_binary())
        .args(["config", "write"])
        .arg(format!("-http-addr=127.0.0.1:{}", agent.http_port()))
        .arg(file)
        .env_remove("CONSUL_HTTP_TOKEN")
        .env_remove("CONSUL_HTTP_ADDR")
        .output()
        .expect("consul runs");
    assert!(
        output.status.success(),
        "consul config write {}:\n{}\n{}{}",
        file.display(),
        std::fs::read_to_string(file).unwrap_or_default(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn import_args(format: &str) -> Vec<&str> {
    let mut args = vec![
        "import",
        "--cluster",
        "cluster-01",
        "--cluster",
        "cluster-02",
    ];
    for kind in KINDS {
        args.extend(["--kind", kind]);
    }
    args.extend(["--format", format]);
    args
}

/// Every entry file under `dir`'s cluster folders, relative to `dir`, sorted.
fn entry_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for cluster in ["cluster-01", "cluster-02"] {
        let Ok(listing) = std::fs::read_dir(dir.join(cluster)) else {
            continue;
        };
        for entry in listing {
            let path = entry.expect("a folder entry").path();
            files.push(path.strip_prefix(dir).expect("under dir").to_path_buf());
        }
    }
    files.sort();
    files
}

/// The plan's changes as JSON, asserting it succeeded.
fn plan_json(dir: &Path) -> Vec<Value> {
    let run = meshplan(&["plan", "--format", "json"], dir, &[]);
    assert_exit(&run, 0);
    let plan: Value = serde_json::from_str(&run.stdout).expect("a JSON plan");
    plan["changes"].as_array().cloned().unwrap_or_default()
}

/// An adopt's `after` without the mark it adds: what the files say, to compare with `before`.
fn unmarked(mut after: Value) -> Value {
    if let Some(Value::Object(meta)) = after.get_mut("Meta") {
        meta.remove("managed-by");
        meta.remove("meshplan-workspace");
        if meta.is_empty() {
            after.as_object_mut().map(|map| map.remove("Meta"));
        }
    }
    after
}

#[tokio::test]
async fn an_estate_made_by_hand_imports_plans_as_adoptions_and_applies_to_nothing() {
    let agents = start_clusters(&["cluster-01", "cluster-02", "partner"]).await;
    let [one, two, partner] = &agents[..] else {
        unreachable!("three names give three agents")
    };
    // Both sides in the workspace; cluster-01 dials a cluster managed elsewhere; and a token
    // cluster-01 generated that nobody used yet.
    peer(one, two, "cluster-02", "cluster-01").await;
    peer(partner, one, "cluster-01", "partner").await;
    generate_token(one, "partner-west").await;
    let (estate_01, estate_02) = (estate_01(), estate_02());
    for entry in &estate_01 {
        put_entry(one, entry).await;
    }
    for entry in &estate_02 {
        put_entry(two, entry).await;
    }
    // Another workspace's entry is left out, with a note.
    let theirs = json!({"Kind": "service-defaults", "Name": "ledger", "Protocol": "http",
                        "Meta": {"managed-by": "meshplan", "meshplan-workspace": "other"}});
    put_entry(two, &theirs).await;
    let mut originals = Vec::new();
    for entry in &estate_01 {
        originals.push((one, read(one, entry).await));
    }
    for entry in &estate_02 {
        originals.push((two, read(two, entry).await));
    }
    let ids_before = (peering_ids(one).await, peering_ids(two).await);

    let head = workspace_file(&[one, two]);
    let mut workspaces = Vec::new();
    for format in ["hcl", "toml", "json"] {
        let dir = TempDir::new().expect("a temp dir");
        write(dir.path(), "meshplan.hcl", &head);

        let dry = meshplan(
            &[&import_args(format)[..], &["--dry-run"]].concat(),
            dir.path(),
            &[],
        );
        assert_exit(&dry, 0);
        assert!(
            entry_files(dir.path()).is_empty(),
            "--dry-run wrote files\n{dry}"
        );
        let unchanged = std::fs::read_to_string(dir.path().join("meshplan.hcl")).unwrap();
        assert_eq!(unchanged, head, "--dry-run edited the workspace file");
        assert!(
            dry.stdout
                .contains(&format!("==> cluster-01/api-intentions.{format} <==")),
            "{dry}"
        );
        assert!(dry.stdout.contains("peering {"), "{dry}");

        let run = meshplan(&import_args(format), dir.path(), &[]);
        assert_exit(&run, 0);
        assert!(
            run.stderr
                .contains("token_out = \"tokens/partner-west.token\""),
            "{run}"
        );
        assert!(
            run.stderr.contains("token_file = \"tokens/partner.token\""),
            "{run}"
        );
        let text = std::fs::read_to_string(dir.path().join("meshplan.hcl")).unwrap();
        assert!(
            text.starts_with(&head),
            "the workspace file was not kept as it was:\n{text}"
        );
        assert_eq!(text.matches("peering {").count(), 3, "{text}");
        let expected: Vec<PathBuf> = [
            "cluster-01/all-services-intentions",
            "cluster-01/api-defaults",
            "cluster-01/api-intentions",
            "cluster-01/exported-services",
            "cluster-01/mesh",
            "cluster-01/okta-jwt-provider",
            "cluster-02/billing-intentions",
        ]
        .iter()
        .map(|stem| PathBuf::from(format!("{stem}.{format}")))
        .collect();
        assert_eq!(entry_files(dir.path()), expected);
        for file in &expected {
            let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
            for added in [
                "CreateIndex",
                "ModifyIndex",
                "Hash",
                "Precedence",
                "managed-by",
            ] {
                assert!(
                    !text.contains(added),
                    "{added} in {}:\n{text}",
                    file.display()
                );
            }
        }

        let changes = plan_json(dir.path());
        // 7 entries, and 4 peering sides (2 + 1 + 1).
        assert_eq!(changes.len(), 11, "{changes:#?}");
        for change in &changes {
            assert_eq!(change["action"], "adopt", "{change:#}");
            if let (Some(before), Some(after)) = (change.get("before"), change.get("after"))
                && !before.is_null()
            {
                assert_eq!(&unmarked(after.clone()), before, "adopting changes content");
            }
        }
        workspaces.push(dir);
    }

    let hcl = workspaces[0].path();
    assert!(
        std::fs::read_to_string(hcl.join("cluster-01/api-intentions.hcl"))
            .unwrap()
            .contains("HTTP {"),
        "blocks where Consul's docs use them"
    );
    // The real `consul config write` stores from each HCL file what the estate holds.
    let ordered = {
        let mut files = entry_files(hcl);
        let rank = |p: &PathBuf| {
            let name = p.display().to_string();
            !(name.contains("defaults") || name.contains("jwt-provider"))
        };
        files.sort_by_key(|p| (rank(p), p.clone()));
        files
    };
    for file in &ordered {
        consul_config_write(partner, &hcl.join(file));
    }
    for (_, original) in &originals {
        assert_eq!(
            &read(partner, original).await,
            original,
            "consul config write"
        );
    }

    let applied = meshplan(&["apply", "--auto-approve"], hcl, &[]);
    assert_exit(&applied, 0);
    for dir in &workspaces {
        let run = meshplan(&["plan", "--detailed-exitcode"], dir.path(), &[]);
        assert_exit(&run, 0);
    }
    for (agent, original) in &originals {
        assert_eq!(
            &read(agent, original).await,
            original,
            "apply changed content"
        );
    }
    assert_eq!((peering_ids(one).await, peering_ids(two).await), ids_before);

    // Importing again would replace every entry file: refused whole, then done with --force.
    let before: Vec<String> = entry_files(hcl)
        .iter()
        .map(|f| std::fs::read_to_string(hcl.join(f)).unwrap())
        .collect();
    std::fs::write(hcl.join("cluster-01/mesh.hcl"), "Kind = \"mesh\"\n").unwrap();
    let refused = meshplan(&import_args("hcl"), hcl, &[]);
    assert_exit(&refused, 1);
    for file in entry_files(hcl) {
        assert!(
            refused.stderr.contains(&file.display().to_string()),
            "{refused}"
        );
    }
    let mesh = std::fs::read_to_string(hcl.join("cluster-01/mesh.hcl")).unwrap();
    assert_eq!(mesh, "Kind = \"mesh\"\n", "a refused import wrote");
    let forced = meshplan(&[&import_args("hcl")[..], &["--force"]].concat(), hcl, &[]);
    assert_exit(&forced, 0);
    let after: Vec<String> = entry_files(hcl)
        .iter()
        .map(|f| std::fs::read_to_string(hcl.join(f)).unwrap())
        .collect();
    assert_eq!(after, before, "--force writes the same files again");
    let text = std::fs::read_to_string(hcl.join("meshplan.hcl")).unwrap();
    assert_eq!(
        text.matches("peering {").count(),
        3,
        "declared peerings are not added again"
    );
}

/// Entries as Consul returns them, compared field by field in the test above; this keeps the
/// helper honest about what it strips.
#[test]
fn content_strips_only_what_consul_and_meshplan_add() {
    let read = json!({"Kind": "mesh", "Hash": 1, "CreateIndex": 2, "ModifyIndex": 3,
                      "Meta": {"managed-by": "meshplan", "meshplan-workspace": "w", "a": "b"}});
    let expected = json!({"Kind": "mesh", "Meta": {"a": "b"}});
    assert_eq!(content(read), expected);
}
