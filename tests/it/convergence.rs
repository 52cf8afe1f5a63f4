//! Convergence on real clusters: random valid workspaces of two peered clusters (service-defaults,
//! service-resolver, exported-services, service-intentions with L4 and L7 permissions), written
//! as HCL and JSON files in turn, are applied; the plan after apply must be empty. Then random
//! edits made behind meshplan's back (a field changed, an entry deleted, a source added) must
//! show in the plan as exactly the edited objects, and applying again must leave nothing to do.
//!
//! The cases come from a seeded generator, so every run tries the same workspaces; two agents
//! serve every case, each case applying over what the previous one left (deleting what it no
//! longer declares). There is no shrinking: the failure message shows the workspace and the plan.

use std::collections::BTreeSet;
use std::path::Path;

use proptest::prelude::*;
use proptest::sample::{Index, subsequence};
use proptest::strategy::ValueTree;
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::cli::{Run, cluster_block, meshplan, write};
use crate::support::consul::{Cluster, start_clusters};
use crate::support::http::{client, put_entry, read_entry, success_json};
use crate::support::proptest_cases;

/// The services every case draws from; sources of intentions are drawn from them too.
const SERVICES: [&str; 4] = ["web", "api", "db", "cache"];

/// Each service's protocol whenever a case declares its service-defaults. A protocol never
/// turns from `http` to `tcp` between cases: while the live intentions hold L7 permissions, Consul
/// refuses that write, and meshplan writes before it deletes, so it refuses the plan; such a
/// move takes two applies.
const PROTOCOLS: [&str; 4] = ["http", "http", "tcp", "tcp"];

/// The name the workspace marks what it owns with.
const WORKSPACE: &str = "converge";

/// A service on one cluster: which entries the files declare for it.
#[derive(Debug, Clone)]
struct ServiceSpec {
    /// `service-defaults` with the service's protocol (`PROTOCOLS`).
    defaults: bool,
    /// `service-resolver` with this `ConnectTimeout` in seconds, or none.
    resolver: Option<u32>,
    /// Exported to the other cluster.
    exported: bool,
    /// `service-intentions` with these sources, or none.
    sources: Option<Vec<SourceSpec>>,
}

/// One source of an intention.
#[derive(Debug, Clone)]
struct SourceSpec {
    service: &'static str,
    /// From the other cluster, through the peering.
    from_peer: bool,
    allow: bool,
    /// L7 permissions instead of an action; only where the service's protocol is `http`.
    l7: bool,
}

/// One case: what each cluster's folder declares, and the out-of-band edits made afterwards.
#[derive(Debug, Clone)]
struct Case {
    clusters: [Vec<Option<ServiceSpec>>; 2],
    /// Which owned entries are edited (distinct ones) and which edit each gets.
    edits: Vec<(Index, Index)>,
}

fn source() -> impl Strategy<Value = Vec<SourceSpec>> {
    (
        subsequence(SERVICES.to_vec(), 1..=3).prop_shuffle(),
        prop::collection::vec((any::<bool>(), any::<bool>(), any::<bool>()), 3),
    )
        .prop_map(|(names, flags)| {
            names
                .into_iter()
                .zip(flags)
                .map(|(service, (from_peer, allow, l7))| SourceSpec {
                    service,
                    from_peer,
                    allow,
                    l7,
                })
                .collect()
        })
}

fn service() -> impl Strategy<Value = ServiceSpec> {
    (
        any::<bool>(),
        prop::option::of(1u32..30),
        any::<bool>(),
        prop::option::of(source()),
    )
        .prop_map(|(defaults, resolver, exported, sources)| ServiceSpec {
            defaults,
            resolver,
            exported,
            sources,
        })
}

fn case() -> impl Strategy<Value = Case> {
    let cluster = || prop::collection::vec(prop::option::weighted(0.6, service()), SERVICES.len());
    (
        cluster(),
        cluster(),
        prop::collection::vec((any::<Index>(), any::<Index>()), 1..=3),
    )
        .prop_map(|(a, b, edits)| Case {
            clusters: [a, b],
            edits,
        })
}

/// A config entry the workspace declares on a cluster.
#[derive(Debug, Clone)]
struct Declared {
    cluster: usize,
    kind: &'static str,
    name: String,
    body: Value,
    /// The service's protocol, for the edits an entry can take without Consul refusing them.
    protocol: Option<&'static str>,
}

/// The entries `case` declares, in both clusters; `names` are the clusters' names.
fn declared(case: &Case, names: [&str; 2]) -> Vec<Declared> {
    let mut entries = Vec::new();
    for (cluster, services) in case.clusters.iter().enumerate() {
        let peer = names[1 - cluster];
        let mut exported = Vec::new();
        for ((service, protocol), spec) in SERVICES.iter().zip(PROTOCOLS).zip(services) {
            let Some(spec) = spec else { continue };
            let protocol = spec.defaults.then_some(protocol);
            let mut push = |kind, body| {
                entries.push(Declared {
                    cluster,
                    kind,
                    name: (*service).to_owned(),
                    body,
                    protocol,
                });
            };
            if let Some(protocol) = protocol {
                push(
                    "service-defaults",
                    json!({"Kind": "service-defaults", "Name": service, "Protocol": protocol}),
                );
            }
            if let Some(seconds) = spec.resolver {
                push(
                    "service-resolver",
                    json!({"Kind": "service-resolver", "Name": service,
                           "ConnectTimeout": format!("{seconds}s")}),
                );
            }
            if let Some(sources) = &spec.sources {
                let http = protocol == Some("http");
                let sources: Vec<Value> = sources
                    .iter()
                    .map(|source| intention_source(source, peer, http))
                    .collect();
                push(
                    "service-intentions",
                    json!({"Kind": "service-intentions", "Name": service, "Sources": sources}),
                );
            }
            if spec.exported {
                exported.push(json!({"Name": service, "Consumers": [{"Peer": peer}]}));
            }
        }
        if !exported.is_empty() {
            entries.push(Declared {
                cluster,
                kind: "exported-services",
                name: "default".to_owned(),
                body: json!({"Kind": "exported-services", "Name": "default", "Services": exported}),
                protocol: None,
            });
        }
    }
    entries
}

fn intention_source(source: &SourceSpec, peer: &str, http: bool) -> Value {
    let action = if source.allow { "allow" } else { "deny" };
    let mut body = json!({"Name": source.service});
    if source.from_peer {
        body["Peer"] = json!(peer);
    }
    if source.l7 && http {
        body["Permissions"] = json!([{
            "Action": action,
            "HTTP": {"PathPrefix": format!("/{}", source.service), "Methods": ["GET"]}
        }]);
    } else {
        body["Action"] = json!(action);
    }
    body
}

/// Writes the workspace for `entries` into `dir` (replacing the clusters' folders), HCL and
/// JSON files in turn; returns every file's text, for failure messages.
fn write_workspace(dir: &Path, agents: &[Cluster], entries: &[Declared]) -> String {
    let mut shown = format!(
        "workspace = \"{WORKSPACE}\"\n{}{}\npeering {{\n  acceptor = \"{}\"\n  dialer   = \"{}\"\n}}\n",
        cluster_block(&agents[0]),
        cluster_block(&agents[1]),
        agents[0].name(),
        agents[1].name(),
    );
    write(dir, "meshplan.hcl", &shown);
    shown.insert_str(0, "--- meshplan.hcl\n");
    for agent in agents {
        let folder = dir.join(agent.name());
        if folder.exists() {
            std::fs::remove_dir_all(&folder).expect("remove the cluster's folder");
        }
        std::fs::create_dir_all(&folder).expect("create the cluster's folder");
    }
    for (n, entry) in entries.iter().enumerate() {
        let (ext, text) = if n % 2 == 0 {
            ("hcl", hcl::to_string(&entry.body).expect("HCL from JSON"))
        } else {
            (
                "json",
                serde_json::to_string_pretty(&entry.body).expect("JSON"),
            )
        };
        let rel = format!(
            "{}/{}-{}.{ext}",
            agents[entry.cluster].name(),
            entry.kind,
            entry.name
        );
        write(dir, &rel, &text);
        shown.push_str(&format!("--- {rel}\n{text}\n"));
    }
    shown
}

/// An object of a plan or of an edit: (cluster, kind or `peering`, name).
type Key = (String, String, String);

/// The objects the JSON plan of `run` changes.
fn changed(run: &Run) -> BTreeSet<Key> {
    let plan: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|err| panic!("the plan is not JSON ({err}):\n{run}"));
    plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|change| {
            let object = &change["object"];
            let kind = match object["type"].as_str() {
                Some("entry") => object["kind"].as_str().expect("a kind").to_owned(),
                other => other.unwrap_or("?").to_owned(),
            };
            (
                change["cluster"].as_str().expect("a cluster").to_owned(),
                kind,
                object["name"].as_str().unwrap_or("?").to_owned(),
            )
        })
        .collect()
}

/// Makes edit number `which` of those `entry` can take, behind meshplan's back: a field
/// changed, the entry deleted, or a source or service added. Edits Consul would refuse are not
/// offered (deleting the protocol L7 permissions rely on).
async fn edit(agent: &Cluster, entry: &Declared, which: Index) -> String {
    let mut live = read_entry(agent, entry.kind, &entry.name)
        .await
        .unwrap_or_else(|| panic!("{}/{} is live", entry.kind, entry.name));
    let object = live.as_object_mut().expect("an object");
    for key in ["CreateIndex", "ModifyIndex", "Hash"] {
        object.remove(key);
    }
    let deletable = entry.kind != "service-defaults" || entry.protocol == Some("tcp");
    let edits = if deletable { 2 } else { 1 };
    if which.index(edits) == 1 {
        let url = format!(
            "{}/v1/config/{}/{}",
            agent.http_addr(),
            entry.kind,
            entry.name
        );
        let response = client().delete(url).send().await.expect("DELETE the entry");
        success_json(response, "delete the entry").await;
        return "deleted".to_owned();
    }
    let what = match entry.kind {
        "service-defaults" => {
            let protocol = if live["Protocol"] == "http" {
                "http2"
            } else {
                "http"
            };
            live["Protocol"] = json!(protocol);
            format!("Protocol = {protocol}")
        }
        "service-resolver" => {
            live["ConnectTimeout"] = json!("42s");
            "ConnectTimeout = 42s".to_owned()
        }
        "service-intentions" => {
            let sources = live["Sources"].as_array_mut().expect("Sources");
            sources.push(json!({"Name": "intruder", "Action": "deny"}));
            "a source added".to_owned()
        }
        "exported-services" => {
            let services = live["Services"].as_array_mut().expect("Services");
            services.push(json!({"Name": "intruder", "Consumers": [{"Peer": "elsewhere"}]}));
            "a service added".to_owned()
        }
        other => unreachable!("no edit for {other}"),
    };
    put_entry(agent, &live).await;
    what
}

#[tokio::test]
async fn random_workspaces_converge_and_out_of_band_edits_show_exactly() {
    let config = proptest_cases(16);
    let cases = config.cases;
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let strategy = case();
    let agents = start_clusters(&["conv-01", "conv-02"]).await;
    let names = [agents[0].name(), agents[1].name()];
    let dir = TempDir::new().expect("a temp dir");
    let apply = ["apply", "--auto-approve", "--allow-delete-all"];

    for number in 1..=cases {
        let case = strategy.new_tree(&mut runner).expect("a case").current();
        let entries = declared(&case, names);
        let shown = write_workspace(dir.path(), &agents, &entries);
        let context = |what: &str, run: &Run| {
            format!(
                "case {number} of {cases}: {what}\n{case:#?}\n=== workspace\n{shown}=== run\n{run}"
            )
        };

        let applied = meshplan(&apply, dir.path(), &[]);
        assert_eq!(
            applied.code,
            Some(0),
            "{}",
            context("apply failed", &applied)
        );
        let planned = meshplan(&["plan", "--detailed-exitcode"], dir.path(), &[]);
        assert_eq!(
            planned.code,
            Some(0),
            "{}",
            context("the plan after apply is not empty", &planned)
        );

        let mut edited = BTreeSet::new();
        let mut made = Vec::new();
        let mut candidates: Vec<&Declared> = entries.iter().collect();
        for (pick, which) in &case.edits {
            if candidates.is_empty() {
                break;
            }
            let entry = candidates.remove(pick.index(candidates.len()));
            let agent = &agents[entry.cluster];
            let what = edit(agent, entry, *which).await;
            made.push(format!(
                "{}: {}/{}: {what}",
                agent.name(),
                entry.kind,
                entry.name
            ));
            edited.insert((
                agent.name().to_owned(),
                entry.kind.to_owned(),
                entry.name.clone(),
            ));
        }
        let planned = meshplan(&["plan", "--format", "json"], dir.path(), &[]);
        assert_eq!(
            planned.code,
            Some(0),
            "{}",
            context("plan failed", &planned)
        );
        assert_eq!(
            changed(&planned),
            edited,
            "{}",
            context(
                &format!("the plan changes other objects than those edited: {made:#?}"),
                &planned
            )
        );

        let applied = meshplan(&apply, dir.path(), &[]);
        assert_eq!(
            applied.code,
            Some(0),
            "{}",
            context("apply after the edits failed", &applied)
        );
        let planned = meshplan(&["plan", "--detailed-exitcode"], dir.path(), &[]);
        assert_eq!(
            planned.code,
            Some(0),
            "{}",
            context("the plan after healing the edits is not empty", &planned)
        );
    }
}
