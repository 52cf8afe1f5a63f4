//! `status`: each declared peering as both of its sides report it (state, imported and exported
//! service counts, last heartbeat, receive and send, and how old they are) and each cluster's
//! reachability and drift (how many changes a plan would write), for people and for monitoring.
//!
//! [`observe`] does the I/O: each cluster is read on its own (the refresh a plan does, then
//! `GET /v1/peering/:name` for each declared side, which carries the whole stream status), so
//! a cluster that cannot be read is one row saying so while the others are still reported.
//! [`assess`] is pure: observations in, [`Status`] out, with the [`Status::problems`] that make
//! `status --check` fail.
//!
//! # Compatibility
//! The JSON form carries `format_version` ([`FORMAT_VERSION`]) with the plan format's policy
//! (`render::json`): fields may be added; removing, renaming or changing one bumps it.

mod observe;
pub mod text;
pub mod time;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub use observe::observe;

use crate::consul::PeeringWire;
use crate::model::{Desired, Live, LiveCluster, PeeringSide};
use crate::plan::{self, Action};

/// The version of the JSON form.
pub const FORMAT_VERSION: u32 = 1;

/// A heartbeat older than this is a problem by default: Consul's own timeout for a peering
/// stream's incoming heartbeats (sent every 15 s) is 2 minutes.
pub const DEFAULT_MAX_HEARTBEAT_AGE: u64 = 120;

/// What one cluster gave, or why it could not be read.
#[derive(Debug, Clone)]
pub struct ClusterSeen {
    /// The agent's address, as the person running meshplan configured it.
    pub address: String,
    pub read: Result<ClusterRead, String>,
}

/// A cluster's refresh, and each declared peering side on it as `GET /v1/peering/:name` gave it
/// (by local name; absent when there is no such peering).
#[derive(Debug, Clone)]
pub struct ClusterRead {
    pub live: LiveCluster,
    pub peerings: BTreeMap<String, PeeringWire>,
}

/// Every cluster of a workspace as observed, at one instant.
#[derive(Debug, Clone)]
pub struct Observed {
    pub clusters: BTreeMap<String, ClusterSeen>,
    /// When the clusters were read, in seconds since the Unix epoch.
    pub now: i64,
}

/// The workspace's peerings and clusters, and what is wrong with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub format_version: u32,
    pub workspace: String,
    /// A heartbeat older than this many seconds is a problem.
    pub max_heartbeat_age_seconds: u64,
    /// Declared peerings, in the files' order.
    pub peerings: Vec<PeeringStatus>,
    /// Clusters in name order.
    pub clusters: Vec<ClusterStatus>,
    /// Why `--check` fails, one sentence each; empty when all is well.
    pub problems: Vec<String>,
}

/// One declared peering: its two sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeeringStatus {
    pub acceptor: SideStatus,
    pub dialer: SideStatus,
}

/// One side of a peering, as its cluster reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SideStatus {
    pub cluster: String,
    /// The peering's name on this side.
    pub peering: String,
    /// Whether the cluster is one of the workspace's (else nothing is known about this side).
    pub ours: bool,
    /// `ACTIVE`, `PENDING`, `ESTABLISHING`, `FAILING`, `DELETING`, `TERMINATED`, or `MISSING`
    /// when the cluster has no such peering; `null` when the side was not read.
    pub state: Option<String>,
    pub imported_services: Option<usize>,
    pub exported_services: Option<usize>,
    pub last_heartbeat: Option<Stamp>,
    pub last_receive: Option<Stamp>,
    pub last_send: Option<Stamp>,
}

/// A time from a stream status and its age when the clusters were read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stamp {
    /// As Consul wrote it (RFC 3339).
    pub at: String,
    /// Seconds; `null` when Consul's text is not a time meshplan can read.
    pub age_seconds: Option<u64>,
}

/// One cluster: whether it could be read, and how far it drifted from the files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterStatus {
    pub name: String,
    pub address: String,
    pub reachable: bool,
    /// Why it could not be read: the error, with its `hint:` lines (such as the ACL permission
    /// a 403 points at).
    pub error: Option<String>,
    pub datacenter: Option<String>,
    pub version: Option<String>,
    /// How many changes a plan would write here; `null` when it could not be planned (it, or a
    /// cluster it peers with, could not be read).
    pub changes: Option<usize>,
    /// Objects the files declare that another workspace owns; `null` as for `changes`.
    pub conflicts: Option<usize>,
}

impl Status {
    /// Whether `--check` passes.
    pub fn healthy(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The status of `desired`'s peerings and clusters from `observed`; a heartbeat older than
/// `max_heartbeat_age` seconds is a problem.
pub fn assess(desired: &Desired, observed: &Observed, max_heartbeat_age: u64) -> Status {
    let mut live = Live::default();
    for (name, seen) in &observed.clusters {
        if let Ok(read) = &seen.read {
            live.clusters.insert(name.clone(), read.live.clone());
        }
    }
    let plan = plan::plan(desired, &live);
    let mut problems = Vec::new();

    let peerings: Vec<PeeringStatus> = desired
        .peerings
        .iter()
        .map(|spec| PeeringStatus {
            acceptor: side(&spec.acceptor, observed),
            dialer: side(&spec.dialer, observed),
        })
        .collect();
    for peering in &peerings {
        for side in [&peering.acceptor, &peering.dialer] {
            problems.extend(side_problem(side, max_heartbeat_age));
        }
    }

    let clusters: Vec<ClusterStatus> = desired
        .clusters
        .keys()
        .map(|name| {
            let seen = observed.clusters.get(name);
            let read = seen.and_then(|seen| seen.read.as_ref().ok());
            let planned = peers_of(desired, name)
                .iter()
                .all(|peer| live.clusters.contains_key(peer));
            let counted = |conflict: bool| {
                planned.then(|| {
                    plan.changes_on(name)
                        .filter(|change| {
                            if conflict {
                                change.action == Action::Conflict
                            } else {
                                change.writes()
                            }
                        })
                        .count()
                })
            };
            ClusterStatus {
                name: name.clone(),
                address: seen.map(|seen| seen.address.clone()).unwrap_or_default(),
                reachable: read.is_some(),
                error: seen.and_then(|seen| seen.read.as_ref().err()).cloned(),
                datacenter: read.map(|read| read.live.datacenter.clone()),
                version: read.map(|read| read.live.version.clone()),
                changes: counted(false),
                conflicts: counted(true),
            }
        })
        .collect();
    for cluster in &clusters {
        if let Some(error) = &cluster.error {
            let first = error.lines().next().unwrap_or_default();
            problems.push(format!("cluster {} cannot be read: {first}", cluster.name));
        }
        match (cluster.changes, cluster.conflicts) {
            (Some(0), Some(0)) | (None, _) | (_, None) => {}
            (Some(changes), Some(conflicts)) => problems.push(format!(
                "cluster {} drifted: {}{}",
                cluster.name,
                count(changes, "change"),
                if conflicts > 0 {
                    format!(", {}", count(conflicts, "conflict"))
                } else {
                    String::new()
                }
            )),
        }
    }
    Status {
        format_version: FORMAT_VERSION,
        workspace: desired.workspace.clone(),
        max_heartbeat_age_seconds: max_heartbeat_age,
        peerings,
        clusters,
        problems,
    }
}

/// `cluster` and every cluster of the workspace it peers with: what must be read to plan it.
fn peers_of(desired: &Desired, cluster: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::from([cluster.to_owned()]);
    for peering in &desired.peerings {
        let sides: Vec<&PeeringSide> = peering.our_sides().collect();
        if sides.iter().any(|side| side.cluster == cluster) {
            names.extend(sides.iter().map(|side| side.cluster.clone()));
        }
    }
    names
}

/// One side as its cluster reported it.
fn side(spec: &PeeringSide, observed: &Observed) -> SideStatus {
    let mut status = SideStatus {
        cluster: spec.cluster.clone(),
        peering: spec.peer_name.clone(),
        ours: spec.ours,
        state: None,
        imported_services: None,
        exported_services: None,
        last_heartbeat: None,
        last_receive: None,
        last_send: None,
    };
    let read = observed
        .clusters
        .get(&spec.cluster)
        .and_then(|seen| seen.read.as_ref().ok());
    let Some(read) = read.filter(|_| spec.ours) else {
        return status;
    };
    let Some(wire) = read.peerings.get(&spec.peer_name) else {
        status.state = Some("MISSING".to_owned());
        return status;
    };
    let stream = wire.stream_status.clone().unwrap_or_default();
    let stamp = |time: Option<String>| {
        time.filter(|time| !time.is_empty() && !time.starts_with("0001-01-01"))
            .map(|at| Stamp {
                age_seconds: time::unix_seconds(&at)
                    .map(|then| u64::try_from(observed.now - then).unwrap_or(0)),
                at,
            })
    };
    status.state = Some(wire.state.clone());
    status.imported_services = Some(stream.imported_services.map_or(0, |s| s.len()));
    status.exported_services = Some(stream.exported_services.map_or(0, |s| s.len()));
    status.last_heartbeat = stamp(stream.last_heartbeat);
    status.last_receive = stamp(stream.last_receive);
    status.last_send = stamp(stream.last_send);
    status
}

/// What is wrong with a side that was read: not ACTIVE, or a heartbeat too old.
fn side_problem(side: &SideStatus, max_heartbeat_age: u64) -> Option<String> {
    let state = side.state.as_deref()?;
    let name = format!("peering {} on cluster {}", side.peering, side.cluster);
    if state != "ACTIVE" {
        return Some(format!("{name} is {state}"));
    }
    let age = side.last_heartbeat.as_ref()?.age_seconds?;
    (age > max_heartbeat_age).then(|| {
        format!(
            "{name}: last heartbeat {} ago (more than {})",
            time::short(age),
            time::short(max_heartbeat_age)
        )
    })
}

/// `1 change`, `3 changes`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests;
