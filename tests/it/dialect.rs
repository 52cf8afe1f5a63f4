//! Consul's HCL dialect, checked against Consul itself: every `.hcl` entry file of the HCL1
//! fixtures is written once with the real `consul config write` (which reads it with HCL1) and
//! once by meshplan (loaded by `workspace::load`, written through meshplan's client) to a
//! second agent; both agents must then hold the same entry.
//!
//! Compared as `GET /v1/config/<kind>/<name>` returns them, without the indexes and `Hash`
//! Consul adds and without meshplan's ownership mark in `Meta`.

use std::path::{Path, PathBuf};
use std::process::Command;

use meshplan::consul::{Client, Env};
use meshplan::model::{
    Desired, EntryKey, MANAGED_BY_KEY, MANAGED_BY_VALUE, MARK_KEYS, TokenSource, WORKSPACE_KEY,
};
use meshplan::workspace;
use serde_json::{Map, Value, json};

use crate::support::consul::{Cluster, consul_binary, start_clusters};
use crate::support::http::{client as http, success_json};

/// Fixtures whose entry files use HCL1 syntax that HCL2 refuses, or reads otherwise.
const CASES: [&str; 5] = [
    "consul-docs-rest-access",
    "consul-docs-router",
    "hcl1-heredoc",
    "hcl1-opaque-config",
    "hcl1-repeated-blocks",
];

#[tokio::test]
async fn consul_and_meshplan_read_hcl1_entry_files_alike() {
    let agents = start_clusters(&["consul-cli", "meshplan"]).await;
    let (by_consul, by_meshplan) = (&agents[0], &agents[1]);
    let mut differences = Vec::new();
    let mut compared = 0;
    for case in CASES {
        let dir = case_dir(case);
        let desired = workspace::load(&dir).unwrap_or_else(|_| panic!("{case} loads"));
        let keys = write_with_meshplan(&desired, by_meshplan).await;
        for file in hcl_files_in_write_order(&dir) {
            consul_config_write(by_consul, &file);
        }
        for key in &keys {
            let theirs = read_entry(by_consul, key).await;
            let ours = read_entry(by_meshplan, key).await;
            compared += 1;
            if theirs != ours {
                differences.push(format!(
                    "{case}: {}/{}:\nconsul config write: {theirs:#}\nmeshplan: {ours:#}",
                    key.kind, key.name
                ));
            }
        }
        // Cases share service names; what depends on service-defaults goes first.
        for key in keys.iter().rev() {
            delete_entry(by_consul, key).await;
            delete_entry(by_meshplan, key).await;
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n\n"));
    assert!(compared >= 9, "only {compared} entries compared");
}

fn case_dir(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases/good")
        .join(case)
}

/// The case's `.hcl` entry files, service-defaults first: routers and L7 intentions need the
/// protocol they set.
fn hcl_files_in_write_order(dir: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir.join("cluster-01")).expect("cluster-01 is readable");
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable folder entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "hcl"))
        .collect();
    files.sort_by_key(|path| {
        let text = std::fs::read_to_string(path).expect("an entry file is readable");
        (!text.contains("\"service-defaults\""), path.clone())
    });
    files
}

fn consul_config_write(agent: &Cluster, file: &Path) {
    let output = Command::new(consul_binary())
        .args(["config", "write"])
        .arg(format!("-http-addr={}", agent.http_addr()))
        .arg(file)
        .env_remove("CONSUL_HTTP_TOKEN")
        .env_remove("CONSUL_HTTP_ADDR")
        .output()
        .expect("consul runs");
    assert!(
        output.status.success(),
        "consul config write {}: {}{}",
        file.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Writes every entry of `desired` (one cluster) to `agent`, marked as `meshplan apply` marks
/// it, service-defaults first; returns their keys.
async fn write_with_meshplan(desired: &Desired, agent: &Cluster) -> Vec<EntryKey> {
    let (_, spec) = desired.clusters.iter().next().expect("one cluster");
    let mut spec = spec.clone();
    spec.address = Some(agent.http_addr());
    spec.token = TokenSource::Default;
    spec.tls = None;
    spec.datacenter = agent.name().to_owned();
    let no_env = Env::from_vars(Vec::<(String, String)>::new());
    let client = Client::new(&spec, &no_env, &desired.root).expect("a client");
    let mut entries: Vec<_> = desired.entries.values().flat_map(|e| e.values()).collect();
    entries.sort_by_key(|entry| entry.entry.key().kind != "service-defaults");
    let mut keys = Vec::new();
    for entry in entries {
        let mut body = entry.entry.to_json();
        let meta = body
            .as_object_mut()
            .expect("an entry is an object")
            .entry("Meta")
            .or_insert_with(|| json!({}));
        meta[MANAGED_BY_KEY] = json!(MANAGED_BY_VALUE);
        meta[WORKSPACE_KEY] = json!(desired.workspace);
        let written = client.write_entry(&body, 0).await;
        assert!(matches!(written, Ok(true)), "{body:#}: {written:?}");
        keys.push(entry.entry.key());
    }
    keys
}

async fn delete_entry(agent: &Cluster, key: &EntryKey) {
    let url = format!("{}/v1/config/{}/{}", agent.http_addr(), key.kind, key.name);
    let response = http().delete(&url).send().await.expect("Consul answers");
    success_json(response, &url).await;
}

/// The entry as Consul returns it, without what Consul adds and without meshplan's mark.
async fn read_entry(agent: &Cluster, key: &EntryKey) -> Value {
    let url = format!("{}/v1/config/{}/{}", agent.http_addr(), key.kind, key.name);
    let response = http().get(&url).send().await.expect("Consul answers");
    let mut entry = success_json(response, &url).await;
    let map = entry.as_object_mut().expect("an entry is an object");
    for added in ["CreateIndex", "ModifyIndex", "Hash"] {
        map.remove(added);
    }
    if let Some(Value::Object(meta)) = map.get_mut("Meta") {
        MARK_KEYS.iter().for_each(|mark| {
            meta.remove(*mark);
        });
    }
    if map
        .get("Meta")
        .is_some_and(|meta| meta == &Value::Object(Map::new()))
    {
        map.remove("Meta");
    }
    entry
}
