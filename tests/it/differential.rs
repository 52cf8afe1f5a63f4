//! Consul is the oracle: every config-entry file of the corpus is written with the real
//! `consul config write` to one agent and with `meshplan apply` to another, both agents must
//! then hold the same entries, and `meshplan plan` must find nothing to change. Files Consul
//! refuses must be refused by meshplan too.
//!
//! The corpus: the entry files of every workspace in `tests/cases/good` and `examples` (as
//! `workspace::load` finds them; TOML files are left out, since `consul config write` does not
//! read TOML), and `tests/corpus/<kind>/`, files that use each construct of Consul's dialect for
//! each kind Consul CE knows, in HCL and JSON. Files under a `refused/` folder, and the
//! Enterprise-only workspace, are files Consul CE refuses.
//!
//! Two agents for the whole corpus: files are applied in batches, one batch per workspace
//! folder (or corpus kind) with no entry twice in a batch, and both agents are emptied between
//! batches. meshplan's batch workspace declares a peering for every peer the corpus names:
//! meshplan refuses entries naming a peer the workspace does not know, where Consul accepts
//! them (deliberately stricter).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use meshplan::model::MARK_KEYS;
use meshplan::workspace::{self, tree};
use serde_json::{Map, Value};
use tempfile::TempDir;

use crate::support::cli::{cluster_block, meshplan, write};
use crate::support::consul::{Cluster, consul_binary, start_clusters};
use crate::support::http::{client as http, success_json};

/// The kinds Consul CE stores, in the order entries are written: what others depend on first.
/// Deleted in the reverse order.
const WRITE_ORDER: [&str; 16] = [
    "proxy-defaults",
    "service-defaults",
    "mesh",
    "jwt-provider",
    "service-resolver",
    "service-splitter",
    "service-router",
    "api-gateway",
    "file-system-certificate",
    "inline-certificate",
    "http-route",
    "tcp-route",
    "ingress-gateway",
    "terminating-gateway",
    "exported-services",
    "service-intentions",
];

/// Workspaces of `tests/cases/good` that only Consul Enterprise can hold.
const ENTERPRISE_CASES: [&str; 1] = ["enterprise"];

/// One entry file of the corpus.
#[derive(Debug, Clone)]
struct EntryFile {
    path: PathBuf,
    /// The path relative to the repository, as reports show it.
    shown: String,
    kind: String,
    name: String,
    format: &'static str,
    /// The files applied together: a workspace folder's cluster, or a corpus kind.
    group: String,
    refused: bool,
    /// The entry as written, for the peers it names.
    json: Value,
}

#[tokio::test]
async fn consul_and_meshplan_store_the_same_for_every_file_of_the_corpus() {
    let files = corpus();
    let accepted: Vec<&EntryFile> = files.iter().filter(|file| !file.refused).collect();
    let peers: BTreeSet<String> = accepted.iter().flat_map(|file| peers(&file.json)).collect();
    let agents = start_clusters(&["consul-cli", "meshplan"]).await;
    let (by_consul, by_meshplan) = (&agents[0], &agents[1]);
    let dir = TempDir::new().expect("a temp dir");
    let mut failures = Vec::new();
    let mut counts: BTreeMap<(String, &str, bool), usize> = BTreeMap::new();

    for batch in batches(&accepted) {
        let what = format!(
            "batch of {}",
            batch
                .iter()
                .map(|f| f.shown.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        workspace_for(dir.path(), by_meshplan, &peers, &batch);
        let applied = meshplan(&["apply", "--auto-approve"], dir.path(), &[]);
        if applied.code != Some(0) {
            failures.push(format!("{what}: meshplan apply failed:\n{applied}"));
        }
        for file in &batch {
            if let Err(why) = consul_config_write(by_consul, &file.path) {
                failures.push(format!(
                    "{}: consul config write refused it: {why}",
                    file.shown
                ));
            }
        }
        let theirs = every_entry(by_consul).await;
        let ours = every_entry(by_meshplan).await;
        for file in &batch {
            let key = (file.kind.clone(), file.name.clone());
            match (theirs.get(&key), ours.get(&key)) {
                (Some(a), Some(b)) if a == b => {
                    *counts
                        .entry((file.kind.clone(), file.format, false))
                        .or_default() += 1;
                }
                (a, b) => failures.push(format!(
                    "{}: {}/{} differs\nconsul config write: {}\nmeshplan apply: {}",
                    file.shown,
                    file.kind,
                    file.name,
                    shown(a),
                    shown(b)
                )),
            }
        }
        let planned = meshplan(&["plan", "--detailed-exitcode"], dir.path(), &[]);
        if planned.code != Some(0) {
            failures.push(format!("{what}: plan after apply is not empty:\n{planned}"));
        }
        empty(by_consul).await;
        empty(by_meshplan).await;
    }

    for file in files.iter().filter(|file| file.refused) {
        let consul = consul_config_write(by_consul, &file.path);
        workspace_for(dir.path(), by_meshplan, &peers, &[file]);
        let planned = meshplan(&["plan"], dir.path(), &[]);
        let copied = format!("00-{}", file.path.file_name().unwrap().to_string_lossy());
        match (consul, planned.code) {
            (Err(_), Some(1)) if !planned.stderr.contains(&copied) => failures.push(format!(
                "{}: meshplan refused it without naming the file:\n{planned}",
                file.shown
            )),
            (Err(_), Some(1)) => {
                *counts
                    .entry((file.kind.clone(), file.format, true))
                    .or_default() += 1;
            }
            (Ok(()), _) => failures.push(format!(
                "{}: expected to be refused, but consul config write accepted it",
                file.shown
            )),
            (Err(_), _) => failures.push(format!(
                "{}: Consul refuses it, meshplan plan did not:\n{planned}",
                file.shown
            )),
        }
        empty(by_consul).await;
    }

    #[allow(
        clippy::print_stdout,
        reason = "the counts are this test's report (--nocapture)"
    )]
    {
        println!("{}", report(&counts));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let compared: usize = counts.iter().filter(|(k, _)| !k.2).map(|(_, n)| n).sum();
    assert!(compared >= 50, "only {compared} files compared");
}

/// Every file of the corpus, in a stable order.
fn corpus() -> Vec<EntryFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for parent in ["tests/cases/good", "examples"] {
        for case in sorted_dirs(&root.join(parent)) {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            let Ok(desired) = workspace::load(&case) else {
                continue;
            };
            let refused = ENTERPRISE_CASES.contains(&name.as_str());
            for (cluster, entries) in &desired.entries {
                let rels: BTreeSet<&PathBuf> = entries.values().flat_map(|e| &e.files).collect();
                for rel in rels {
                    let group = format!("{parent}/{name}/{cluster}");
                    files.extend(entry_file(root, &case.join(rel), group, refused));
                }
            }
        }
    }
    for kind in sorted_dirs(&root.join("tests/corpus")) {
        let group = kind.strip_prefix(root).unwrap().display().to_string();
        for path in sorted_files(&kind) {
            files.extend(entry_file(root, &path, group.clone(), false));
        }
        for path in sorted_files(&kind.join("refused")) {
            files.extend(entry_file(root, &path, group.clone(), true));
        }
    }
    files
}

/// The file at `path`, when it is HCL or JSON (what `consul config write` reads).
fn entry_file(root: &Path, path: &Path, group: String, refused: bool) -> Option<EntryFile> {
    let format = match path.extension()?.to_str()? {
        "hcl" => "hcl",
        "json" => "json",
        _ => return None,
    };
    let text = std::fs::read_to_string(path).expect("a corpus file is readable");
    let node = tree::parse(tree::Format::for_entry_file(path)?, &text)
        .unwrap_or_else(|_| panic!("{} parses", path.display()));
    let json = node.to_json();
    let field = |name: &str| {
        json.as_object()
            .and_then(|map| map.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)))
            .and_then(|(_, value)| value.as_str())
            .map(str::to_owned)
    };
    let kind = field("Kind").expect("an entry file has a Kind");
    let name = if kind == "mesh" {
        "mesh".to_owned()
    } else {
        field("Name").unwrap_or_default()
    };
    Some(EntryFile {
        path: path.to_path_buf(),
        shown: path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string(),
        kind,
        name,
        format,
        group,
        refused,
        json,
    })
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.expect("a folder entry").path()).collect())
        .unwrap_or_default();
    dirs.retain(|path| path.is_dir());
    dirs.sort();
    dirs
}

fn sorted_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.expect("a folder entry").path()).collect())
        .unwrap_or_default();
    files.retain(|path| path.is_file());
    files.sort();
    files
}

/// Every peer name the entry mentions (`Peer`, `peer_name`, at any depth).
fn peers(value: &Value) -> Vec<String> {
    match value {
        Value::Object(map) => map
            .iter()
            .flat_map(|(key, value)| {
                let folded = key.replace('_', "").to_ascii_lowercase();
                match value.as_str() {
                    Some(peer) if folded == "peer" || folded == "peername" => {
                        vec![peer.to_owned()]
                    }
                    _ => peers(value),
                }
            })
            .collect(),
        Value::Array(items) => items.iter().flat_map(peers).collect(),
        _ => Vec::new(),
    }
}

/// The accepted files, group by group, split so that no batch holds one entry twice (the
/// parts of an entry merged from several files are each an entry file of their own), each in
/// write order.
fn batches<'a>(files: &[&'a EntryFile]) -> Vec<Vec<&'a EntryFile>> {
    let mut groups: BTreeMap<&str, Vec<Vec<&EntryFile>>> = BTreeMap::new();
    for &file in files {
        let batches = groups.entry(file.group.as_str()).or_default();
        match batches
            .iter_mut()
            .find(|batch| batch.iter().all(|other| key(other) != key(file)))
        {
            Some(batch) => batch.push(file),
            None => batches.push(vec![file]),
        }
    }
    let mut all: Vec<Vec<&EntryFile>> = groups.into_values().flatten().collect();
    for batch in &mut all {
        batch.sort_by_key(|file| rank(&file.kind));
    }
    all
}

fn key(file: &EntryFile) -> (&str, &str) {
    (&file.kind, &file.name)
}

fn rank(kind: &str) -> usize {
    WRITE_ORDER
        .iter()
        .position(|known| *known == kind)
        .unwrap_or(WRITE_ORDER.len())
}

/// Makes `dir` meshplan's workspace for `files` on `agent`: one cluster, an external peering
/// for every peer of the corpus, and the files in the cluster's folder.
fn workspace_for(dir: &Path, agent: &Cluster, peers: &BTreeSet<String>, files: &[&EntryFile]) {
    let mut text = format!("workspace = \"differential\"\n{}", cluster_block(agent));
    for peer in peers {
        text.push_str(&format!(
            "peering {{\n  acceptor  = \"{}\"\n  dialer    = \"{peer}\"\n  token_out = \"tokens/{peer}.token\"\n}}\n",
            agent.name()
        ));
    }
    write(dir, "meshplan.hcl", &text);
    let folder = dir.join(agent.name());
    if folder.exists() {
        std::fs::remove_dir_all(&folder).expect("empty the cluster folder");
    }
    for (index, file) in files.iter().enumerate() {
        let name = file.path.file_name().unwrap().to_string_lossy();
        let text = std::fs::read_to_string(&file.path).expect("a corpus file is readable");
        write(&folder, &format!("{index:02}-{name}"), &text);
    }
}

fn consul_config_write(agent: &Cluster, file: &Path) -> Result<(), String> {
    let output = Command::new(consul_binary())
        .args(["config", "write"])
        .arg(format!("-http-addr={}", agent.http_addr()))
        .arg(file)
        .env_remove("CONSUL_HTTP_TOKEN")
        .env_remove("CONSUL_HTTP_ADDR")
        .output()
        .expect("consul runs");
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Every entry `agent` holds, by kind and name, without what Consul adds (indexes, `Hash`, the
/// gateway controller's `Status`) and without meshplan's mark.
async fn every_entry(agent: &Cluster) -> BTreeMap<(String, String), Value> {
    let mut all = BTreeMap::new();
    for kind in WRITE_ORDER {
        let url = format!("{}/v1/config/{kind}", agent.http_addr());
        let response = http().get(&url).send().await.expect("Consul answers");
        let Value::Array(entries) = success_json(response, &url).await else {
            continue;
        };
        for mut entry in entries {
            let map = entry.as_object_mut().expect("an entry is an object");
            for added in ["CreateIndex", "ModifyIndex", "Hash", "Status"] {
                map.remove(added);
            }
            unmark(map);
            let name = map
                .get("Name")
                .and_then(Value::as_str)
                .unwrap_or("mesh")
                .to_owned();
            all.insert((kind.to_owned(), name), entry);
        }
    }
    all
}

fn unmark(map: &mut Map<String, Value>) {
    if let Some(Value::Object(meta)) = map.get_mut("Meta") {
        for mark in MARK_KEYS {
            meta.remove(mark);
        }
        if meta.is_empty() {
            map.remove("Meta");
        }
    }
}

/// Deletes every config entry of `agent`, dependents first; entries of one kind may depend on
/// each other (a resolver redirecting to another's subset), so it goes round until none is
/// left.
async fn empty(agent: &Cluster) {
    for _ in 0..5 {
        let entries = every_entry(agent).await;
        if entries.is_empty() {
            return;
        }
        for kind in WRITE_ORDER.iter().rev() {
            for (_, name) in entries.keys().filter(|(k, _)| k.as_str() == *kind) {
                let url = format!("{}/v1/config/{kind}/{name}", agent.http_addr());
                http().delete(&url).send().await.expect("Consul answers");
            }
        }
    }
    let left: Vec<_> = every_entry(agent).await.into_keys().collect();
    assert!(
        left.is_empty(),
        "entries left on {}: {left:?}",
        agent.name()
    );
}

fn shown(entry: Option<&Value>) -> String {
    entry.map_or_else(
        || "(absent)".to_owned(),
        |entry| serde_json::to_string_pretty(entry).expect("JSON"),
    )
}

/// Counts per kind and format: files compared, and files both refuse.
fn report(counts: &BTreeMap<(String, &'static str, bool), usize>) -> String {
    let kinds: BTreeSet<&String> = counts.keys().map(|(kind, _, _)| kind).collect();
    let mut lines = vec![format!(
        "{:<26} {:>8} {:>8} {:>12} {:>12}",
        "kind", "hcl", "json", "hcl refused", "json refused"
    )];
    for kind in kinds {
        let n = |format: &'static str, refused: bool| {
            counts
                .get(&(kind.clone(), format, refused))
                .copied()
                .unwrap_or(0)
        };
        lines.push(format!(
            "{kind:<26} {:>8} {:>8} {:>12} {:>12}",
            n("hcl", false),
            n("json", false),
            n("hcl", true),
            n("json", true)
        ));
    }
    let total = |refused: bool| -> usize {
        counts
            .iter()
            .filter(|(key, _)| key.2 == refused)
            .map(|(_, n)| n)
            .sum()
    };
    lines.push(format!(
        "{} files stored alike by consul config write and meshplan apply; {} refused by both",
        total(false),
        total(true)
    ));
    lines.join("\n")
}
