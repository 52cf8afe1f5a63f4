//! The pure part of an import: what it decides to write from a workspace and the clusters as
//! read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::*;
use crate::model::{
    ClusterSpec, ConfigEntry, DesiredEntry, Document, LiveCluster, LiveEntry, LivePeering,
    PeeringState, TokenSource,
};

fn cluster(name: &str) -> ClusterSpec {
    ClusterSpec {
        name: name.into(),
        address: None,
        token: TokenSource::Default,
        datacenter: name.into(),
        partition: None,
        entries_dir: PathBuf::from(name),
        tls: None,
    }
}

fn peering(name: &str, id: &str, dials: Option<&str>) -> LivePeering {
    LivePeering {
        name: name.into(),
        id: id.into(),
        state: PeeringState::Active,
        meta: BTreeMap::from([("owner".into(), "ops".into())]),
        peer_id: dials.map(str::to_owned),
        peer_server_addresses: dials
            .map(|_| vec!["127.0.0.1:8503".into()])
            .unwrap_or_default(),
        remote_datacenter: None,
        imported_services: 0,
        exported_services: 0,
        last_heartbeat: None,
        modify_index: 1,
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn live_entry(body: Value) -> (EntryKey, LiveEntry) {
    let body = object(body);
    let kind = body["Kind"].as_str().unwrap_or_default().to_owned();
    let key = crate::consul::entry_key(&kind, &body);
    (key, LiveEntry::new(&body, 7))
}

/// Two clusters peered with each other; `a` also accepts `partner-x` (elsewhere), holds an
/// entry another workspace owns, one the files declare (with `Partition = "default"`) in a
/// JSON file, and one new one.
fn world() -> (Desired, Live) {
    let declared = Document {
        kind: "service-defaults".into(),
        name: "web".into(),
        namespace: None,
        partition: Some("default".into()),
        body: Map::new(),
    };
    let desired = Desired {
        root: PathBuf::from("/ws"),
        workspace: "mine".into(),
        clusters: BTreeMap::from([("a".into(), cluster("a")), ("b".into(), cluster("b"))]),
        entries: BTreeMap::from([(
            "a".into(),
            BTreeMap::from([(
                ConfigEntry::Other(declared.clone()).key(),
                DesiredEntry {
                    entry: ConfigEntry::Other(declared),
                    files: vec![PathBuf::from("a/defaults/web.json")],
                },
            )]),
        )]),
        ..Desired::default()
    };
    let mut a = LiveCluster::default();
    a.peerings.insert("b".into(), peering("b", "id-a-b", None));
    a.peerings
        .insert("partner-x".into(), peering("partner-x", "id-a-x", None));
    a.entries.extend([
        live_entry(json!({"Kind": "service-defaults", "Name": "web", "Protocol": "http"})),
        live_entry(
            json!({"Kind": "service-defaults", "Name": "api", "Protocol": "grpc",
                          "Hash": 3, "ModifyIndex": 7}),
        ),
        live_entry(
            json!({"Kind": "service-defaults", "Name": "db", "Protocol": "tcp",
                          "Meta": {"managed-by": "meshplan", "meshplan-workspace": "theirs"}}),
        ),
    ]);
    let mut b = LiveCluster::default();
    b.peerings
        .insert("a".into(), peering("a", "id-b-a", Some("id-a-b")));
    let live = Live {
        clusters: BTreeMap::from([("a".into(), a), ("b".into(), b)]),
    };
    (desired, live)
}

fn import(clusters: &[&str]) -> Import {
    let (desired, live) = world();
    let file = WorkspaceFile {
        path: Path::new("meshplan.hcl"),
        format: Format::Hcl,
        text: "workspace = \"mine\"\n",
    };
    let request = Request {
        clusters: clusters.iter().map(|&c| c.to_owned()).collect(),
        kinds: BTreeSet::from(["service-defaults".to_owned()]),
        format: EntryFormat::Hcl,
    };
    plan(&desired, &file, &live, &request).expect("the workspace file parses")
}

#[test]
fn the_two_sides_of_a_peering_make_one_block_and_a_foreign_side_a_one_sided_one() {
    let import = import(&["a"]);
    assert_eq!(import.peerings, 2);
    let text = &import.workspace_file.as_ref().unwrap().text;
    assert_eq!(text.matches("peering {").count(), 2, "{text}");
    assert!(
        text.contains("  acceptor = \"a\"\n  dialer   = \"b\"\n  meta     = { owner = \"ops\" }\n"),
        "{text}"
    );
    assert!(text.contains("  dialer    = \"partner-x\"\n"), "{text}");
    assert!(
        text.contains("  token_out = \"tokens/partner-x.token\"\n"),
        "{text}"
    );
}

#[test]
fn declared_entries_are_rewritten_in_their_file_and_format_and_others_are_left_out() {
    let import = import(&["a"]);
    let paths: Vec<&Path> = import.files.iter().map(|f| f.path.as_path()).collect();
    assert_eq!(
        paths,
        [
            Path::new("a/api-defaults.hcl"),
            Path::new("a/defaults/web.json")
        ]
    );
    assert_eq!(
        import.files[0].text,
        "Kind     = \"service-defaults\"\nName     = \"api\"\nProtocol = \"grpc\"\n"
    );
    assert!(
        import.files[1].text.starts_with('{'),
        "{}",
        import.files[1].text
    );
    assert!(
        import
            .notes
            .iter()
            .any(|n| n.contains("service-defaults/db on `a` belongs to workspace `theirs`")),
        "{:?}",
        import.notes
    );
}

#[test]
fn only_the_named_clusters_are_written() {
    let import = import(&["b"]);
    assert!(import.files.is_empty());
    // The peering has a side on b, so it is imported; a's other peering is not.
    assert_eq!(import.peerings, 1);
}
