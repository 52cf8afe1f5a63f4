//! Planner tests in rust-analyzer's `check(input, expect)` style: each builds a `Desired` and a
//! `Live` in code, plans, and compares a one-line-per-change digest of the plan.
//!
//! - `entries`: config-entry actions.
//! - `peerings`: peering actions.
//! - `order`: the order of changes.
//! - `ownership`: what each workspace's mark allows.
//! - `drift`: writing the plan's bodies through a simulated Consul gives an empty plan.

mod drift;
mod entries;
mod order;
mod ownership;
mod peerings;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::{Map, Value};

use super::{Action, Emptied, Object, Plan, Unclaimed, plan};
use crate::model::{
    ClusterSpec, ConfigEntry, Desired, DesiredEntry, Document, Live, LiveCluster, LiveEntry,
    LivePeering, MANAGED_BY_KEY, MANAGED_BY_VALUE, PeeringSide, PeeringSpec, PeeringState,
    TokenSource, WORKSPACE_KEY,
};

/// The workspace every test plans for.
pub(crate) const WORKSPACE: &str = "ws";

/// The kinds every test cluster was "listed" for.
const KINDS: [&str; 5] = [
    "exported-services",
    "service-intentions",
    "service-defaults",
    "proxy-defaults",
    "jwt-provider",
];

/// Plans and compares the digest of the plan with `expect` (one line per change, trimmed).
#[track_caller]
fn check(desired: &Desired, live: &Live, expect: &str) {
    let plan = plan(desired, live);
    let expect: Vec<&str> = expect
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let actual = digest(&plan);
    assert_eq!(actual, expect, "\n{}", actual.join("\n"));
}

/// One line per change: `cluster action object [cas N] [destructive] [changed: ...] [why: ...]`.
fn digest(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .map(|change| {
            let mut line = format!(
                "{} {} {} cas={}",
                change.cluster,
                change.action.verb(),
                change.object,
                change.modify_index
            );
            if change.destructive {
                line.push_str(" destructive");
            }
            if !change.changed.is_empty() {
                line.push_str(&format!(" changed=[{}]", change.changed.join(", ")));
            }
            if let (Object::Peering(_), Some(reason)) = (&change.object, &change.reason)
                && change.action == Action::Reestablish
            {
                line.push_str(&format!(" why=[{reason}]"));
            }
            line
        })
        .collect()
}

/// A workspace with these clusters and nothing else.
pub(crate) fn workspace(clusters: &[&str]) -> Desired {
    let clusters = clusters
        .iter()
        .map(|name| {
            let spec = ClusterSpec {
                name: (*name).to_owned(),
                address: None,
                token: TokenSource::Default,
                datacenter: (*name).to_owned(),
                partition: None,
                entries_dir: PathBuf::from(name),
                tls: None,
            };
            ((*name).to_owned(), spec)
        })
        .collect();
    Desired {
        root: PathBuf::from("."),
        workspace: WORKSPACE.to_owned(),
        clusters,
        ..Desired::default()
    }
}

/// A config entry from its JSON, typed for the two typed kinds.
pub(crate) fn config_entry(json: Value) -> ConfigEntry {
    let member = |key: &str| {
        json.as_object()
            .and_then(|map| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_owned)
    };
    let kind = member("kind").expect("a kind");
    let name = member("name").expect("a name");
    match kind.as_str() {
        "exported-services" => ConfigEntry::ExportedServices(
            serde_json::from_value(json).expect("valid exported-services"),
        ),
        "service-intentions" => ConfigEntry::ServiceIntentions(
            serde_json::from_value(json).expect("valid service-intentions"),
        ),
        _ => {
            let Value::Object(body) = json else {
                panic!("an object")
            };
            ConfigEntry::Other(Document {
                kind,
                name,
                namespace: None,
                partition: None,
                body,
            })
        }
    }
}

/// Declares `json` on `cluster`.
pub(crate) fn declare(desired: &mut Desired, cluster: &str, json: Value) {
    let entry = config_entry(json);
    desired
        .entries
        .entry(cluster.to_owned())
        .or_default()
        .insert(
            entry.key(),
            DesiredEntry {
                entry,
                files: vec![PathBuf::from(format!("{cluster}/entry.hcl"))],
            },
        );
}

/// Read clusters with no peerings and no entries, listed for [`KINDS`].
pub(crate) fn live(clusters: &[&str]) -> Live {
    let clusters = clusters
        .iter()
        .map(|name| {
            let cluster = LiveCluster {
                datacenter: "dc1".to_owned(),
                version: "1.22.0".to_owned(),
                kinds: KINDS.iter().map(|kind| (*kind).to_owned()).collect(),
                ..LiveCluster::default()
            };
            ((*name).to_owned(), cluster)
        })
        .collect();
    Live { clusters }
}

/// Puts `body` on `cluster` as Consul returned it, at `modify_index`.
pub(crate) fn put_live(live: &mut Live, cluster: &str, body: Value, modify_index: u64) {
    let entry = config_entry(body.clone());
    let Value::Object(body) = body else {
        panic!("an object")
    };
    live.clusters
        .get_mut(cluster)
        .expect("a live cluster")
        .entries
        .insert(entry.key(), LiveEntry::new(&body, modify_index));
}

/// `json` with this workspace's ownership mark added to its `Meta`.
pub(crate) fn marked(json: Value) -> Value {
    marked_by(json, Some(WORKSPACE))
}

/// `json` with meshplan's mark naming `workspace` (none: the mark without a name) in `Meta`.
pub(crate) fn marked_by(mut json: Value, workspace: Option<&str>) -> Value {
    let meta = json
        .as_object_mut()
        .expect("an object")
        .entry("Meta")
        .or_insert_with(|| Value::Object(Map::new()));
    meta[MANAGED_BY_KEY] = MANAGED_BY_VALUE.into();
    if let Some(workspace) = workspace {
        meta[WORKSPACE_KEY] = workspace.into();
    }
    json
}

pub(crate) fn side(cluster: &str, peer_name: &str, ours: bool) -> PeeringSide {
    PeeringSide {
        cluster: cluster.to_owned(),
        peer_name: peer_name.to_owned(),
        partition: None,
        ours,
    }
}

/// A peering whose sides are both clusters of the workspace, with the default names.
pub(crate) fn peering(acceptor: &str, dialer: &str) -> PeeringSpec {
    PeeringSpec {
        acceptor: side(acceptor, dialer, true),
        dialer: side(dialer, acceptor, true),
        meta: BTreeMap::from([("owner".to_owned(), "platform".to_owned())]),
        token_out: None,
        token_out_exists: false,
        token_file: None,
        server_external_addresses: Vec::new(),
    }
}

/// Only the acceptor is ours; the token goes to `tokens/<dialer>.token`, which exists (a token
/// was handed over).
pub(crate) fn acceptor_only(acceptor: &str, dialer: &str) -> PeeringSpec {
    PeeringSpec {
        dialer: side(dialer, acceptor, false),
        token_out: Some(PathBuf::from(format!("tokens/{dialer}.token"))),
        token_out_exists: true,
        ..peering(acceptor, dialer)
    }
}

/// Only the dialer is ours; the token comes from `tokens/<acceptor>.token`.
pub(crate) fn dialer_only(acceptor: &str, dialer: &str) -> PeeringSpec {
    PeeringSpec {
        acceptor: side(acceptor, dialer, false),
        token_file: Some(PathBuf::from(format!("tokens/{acceptor}.token"))),
        ..peering(acceptor, dialer)
    }
}

/// How a live peering side looks.
#[derive(Clone, Copy)]
pub(crate) enum Role {
    Acceptor,
    Dialer,
}

/// Puts a peering side named `name` on `cluster`; `managed`: marked by this workspace, with
/// the meta [`peering`] declares.
pub(crate) fn put_peering(
    live: &mut Live,
    cluster: &str,
    name: &str,
    (role, state, managed): (Role, &str, bool),
    modify_index: u64,
) {
    let meta = if managed {
        BTreeMap::from([
            (MANAGED_BY_KEY.to_owned(), MANAGED_BY_VALUE.to_owned()),
            (WORKSPACE_KEY.to_owned(), WORKSPACE.to_owned()),
            ("owner".to_owned(), "platform".to_owned()),
        ])
    } else {
        BTreeMap::new()
    };
    put_peering_with_meta(live, cluster, name, (role, state), meta, modify_index);
}

/// Puts a peering side named `name` on `cluster` with exactly `meta`.
pub(crate) fn put_peering_with_meta(
    live: &mut Live,
    cluster: &str,
    name: &str,
    (role, state): (Role, &str),
    meta: BTreeMap<String, String>,
    modify_index: u64,
) {
    let peering = LivePeering {
        name: name.to_owned(),
        id: format!("id-{cluster}-{name}"),
        state: PeeringState::parse(state),
        meta,
        peer_id: matches!(role, Role::Dialer).then(|| "peer-id".to_owned()),
        peer_server_addresses: match role {
            Role::Dialer => vec!["10.0.0.1:8503".to_owned()],
            Role::Acceptor => Vec::new(),
        },
        remote_datacenter: None,
        imported_services: 0,
        exported_services: 0,
        last_heartbeat: None,
        modify_index,
    };
    live.clusters
        .get_mut(cluster)
        .expect("a live cluster")
        .peerings
        .insert(name.to_owned(), peering);
}

/// The kinds of the live clusters, for tests that narrow them.
fn set_kinds(live: &mut Live, cluster: &str, kinds: &[&str]) {
    live.clusters
        .get_mut(cluster)
        .expect("a live cluster")
        .kinds = kinds
        .iter()
        .map(|kind| (*kind).to_owned())
        .collect::<BTreeSet<_>>();
}
