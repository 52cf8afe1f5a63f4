//! Refresh: read what every cluster holds into a [`Live`], with a fixed number of list calls.
//!
//! All clusters are read concurrently, and within a cluster all its calls run concurrently:
//! `GET /v1/agent/self` (datacenter and version), one `GET /v1/peerings`, and one
//! `GET /v1/config/<kind>` per kind of [`kinds_to_list`]. Never one call per entry, so the
//! number of requests does not grow with the number of entries.
//!
//! # Which kinds are listed, and why all of them
//! meshplan keeps no state of its own: what it owns is marked in the live objects
//! (`Meta["managed-by"] = "meshplan"`). An entry applied earlier whose kind the files no longer
//! name must still be found to be deleted, so every cluster lists every kind Consul CE knows
//! ([`kinds_to_list`]) plus any other kind its files name. That costs one request per kind
//! per cluster, about twenty, however many entries there are.
//!
//! A kind the agent refuses as unknown (an older Consul, or an Enterprise-only kind on CE:
//! `invalid config entry kind`, sent as 500 and not retried) is treated as empty and left out of
//! [`LiveCluster::kinds`], so the planner can tell "none live" from "not listed"; but when the
//! files declare an entry of that kind on the cluster, its refresh fails naming the kind and the
//! file, since such an entry could be neither compared nor written. Any other failure fails the
//! cluster's refresh.
//!
//! A `datacenter` in the files that differs from the agent's is an error: the files would be
//! applied to the wrong cluster.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use tokio::task::JoinSet;

use super::client::Client;
use super::config_entry::EntryList;
use super::error::Error;
use crate::model::entry::{EXPORTED_SERVICES, SERVICE_INTENTIONS};
use crate::model::workspace::Desired;
use crate::model::{DesiredEntry, EntryKey, Live, LiveCluster, kinds};

/// The kinds to list for a cluster whose files declare `desired` (if any): every kind a
/// workspace may manage ([`kinds::manageable`]: what Consul's `structs.AllConfigEntryKinds`
/// holds, but `bound-api-gateway`, which only Consul's controller writes; Enterprise-only kinds
/// included, which CE refuses and so are treated as empty there) and every other kind the files
/// name.
pub fn kinds_to_list(desired: Option<&BTreeMap<EntryKey, DesiredEntry>>) -> BTreeSet<String> {
    let mut kinds: BTreeSet<String> = kinds::manageable().map(str::to_owned).collect();
    kinds.extend(
        desired
            .into_iter()
            .flat_map(|entries| entries.keys().map(|key| key.kind.clone())),
    );
    kinds
}

/// One cluster's refresh failure.
#[derive(Debug, thiserror::Error)]
pub enum RefreshFailure {
    #[error(transparent)]
    Consul(#[from] Error),
    #[error(
        "cluster {cluster:?}: the files say datacenter {expected:?} but the agent at {address} is \
         in datacenter {actual:?}\nhint: check the cluster's `address` (or CONSUL_HTTP_ADDR); a \
         cluster's datacenter defaults to its name, so set `datacenter` where they differ"
    )]
    DatacenterMismatch {
        cluster: String,
        expected: String,
        actual: String,
        address: String,
    },
    #[error(transparent)]
    UnsupportedKind(#[from] UnsupportedKind),
}

impl RefreshFailure {
    /// The cluster that failed.
    pub fn cluster(&self) -> &str {
        match self {
            Self::Consul(error) => error.cluster(),
            Self::DatacenterMismatch { cluster, .. } => cluster,
            Self::UnsupportedKind(unsupported) => &unsupported.cluster,
        }
    }
}

/// The files declare an entry of a kind the agent does not know.
#[derive(Debug, thiserror::Error)]
#[error(
    "cluster {cluster:?}: the agent (Consul {version}) does not know config entry kind {kind:?}, \
     which `{file}` declares\nhint: Enterprise-only kinds need Consul Enterprise; newer kinds \
     need a newer Consul"
)]
pub struct UnsupportedKind {
    pub cluster: String,
    pub kind: String,
    /// The first file that declares an entry of the kind, relative to the workspace.
    pub file: String,
    /// The agent's Consul version.
    pub version: String,
}

/// The refresh failed for one or more clusters; each failure is reported.
#[derive(Debug)]
pub struct RefreshError {
    /// In cluster name order.
    pub failures: Vec<RefreshFailure>,
}

impl fmt::Display for RefreshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.failures.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for RefreshError {}

/// Reads every cluster of `clients` (workspace name, client) concurrently.
///
/// # Errors
/// Every cluster whose calls failed or whose datacenter differs from the files'; the clusters
/// that could be read are then not returned, since a plan needs all of them.
pub async fn refresh(
    clients: &[(String, Client)],
    desired: &Desired,
) -> Result<Live, RefreshError> {
    let mut live = read(clients, desired).await.finish(desired)?;
    read_filtered_out(&mut live, clients, desired).await?;
    Ok(live)
}

/// Reads, one by one, the entries the files declare that a list filtered by the token's ACLs
/// left out ([`LiveCluster::filtered`]): Consul drops what a token may not read from a list
/// without a word, and planning from such a list would create what exists. Each read finds the
/// entry, finds none, or fails with 403 and the permission the token lacks.
///
/// # Errors
/// Every cluster where such a read failed, in cluster name order.
pub async fn read_filtered_out(
    live: &mut Live,
    clients: &[(String, Client)],
    desired: &Desired,
) -> Result<(), RefreshError> {
    let mut failures = Vec::new();
    for (name, client) in clients {
        let (Some(cluster), Some(declared)) =
            (live.clusters.get_mut(name), desired.entries.get(name))
        else {
            continue;
        };
        let missing: Vec<&EntryKey> = declared
            .keys()
            .filter(|key| cluster.filtered.contains(&key.kind))
            .filter(|key| !cluster.entries.contains_key(*key))
            .collect();
        for key in missing {
            match client.read_entry_at(key).await {
                Ok(Some(entry)) => {
                    cluster.entries.insert(key.clone(), entry);
                }
                Ok(None) => {}
                Err(error) => {
                    failures.push(error.into());
                    break;
                }
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(RefreshError { failures })
    }
}

/// Every cluster read, before the kinds the files declare are checked against what each agent
/// listed. Reading needs only the workspace file (the clusters, and the kinds to list), so
/// `meshplan plan` reads the clusters while the entry files load, and finishes with the entries.
pub struct Read {
    /// By workspace cluster name: the cluster and the lists asked of it, or why it failed.
    clusters: BTreeMap<String, Result<(LiveCluster, Listing), RefreshFailure>>,
}

/// Reads every cluster of `clients` concurrently, listing the kinds [`kinds_to_list`] names for
/// the entries `desired` holds so far (across namespaces where they declare namespaces).
pub async fn read(clients: &[(String, Client)], desired: &Desired) -> Read {
    let mut tasks = JoinSet::new();
    for (name, client) in clients {
        let expected = desired
            .clusters
            .get(name)
            .map_or_else(|| name.clone(), |spec| spec.datacenter.clone());
        let listing = Listing::for_files(desired.entries.get(name));
        let (name, client) = (name.clone(), client.clone());
        tasks.spawn(async move {
            let result = refresh_cluster(&name, &client, expected, listing.clone()).await;
            (name, result.map(|cluster| (cluster, listing)))
        });
    }
    let mut clusters = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (name, result) = crate::task::joined(joined).await;
        clusters.insert(name, result);
    }
    Read { clusters }
}

impl Read {
    /// Whether every list the files of `desired` need on a cluster read here was made there:
    /// always, unless they declare a kind outside [`kinds::manageable`] or entries in a
    /// namespace of an Enterprise server, which a read made before the entry files were loaded
    /// did not know to list.
    pub fn lists_every_kind_of(&self, desired: &Desired) -> bool {
        self.clusters.iter().all(|(name, read)| match read {
            Ok((cluster, listed)) => {
                let needed = Listing::for_files(desired.entries.get(name));
                needed.kinds.is_subset(&listed.kinds)
                    && (!needed.across_namespaces
                        || listed.across_namespaces
                        || !is_enterprise(&cluster.version))
            }
            Err(_) => true,
        })
    }

    /// The clusters read, once every kind the files of `desired` declare is known to the agent
    /// that must hold it.
    ///
    /// # Errors
    /// Every cluster that could not be read, and every one that refused a kind the files
    /// declare there, in cluster name order.
    pub fn finish(self, desired: &Desired) -> Result<Live, RefreshError> {
        let mut live = Live::default();
        let mut failures = Vec::new();
        for (name, read) in self.clusters {
            let declared = declared_kinds(desired.entries.get(&name));
            match read {
                Ok((cluster, _)) => match unsupported(&name, &cluster, declared) {
                    Some(unsupported) => failures.push(unsupported.into()),
                    None => {
                        live.clusters.insert(name, cluster);
                    }
                },
                Err(failure) => failures.push(failure),
            }
        }
        if failures.is_empty() {
            Ok(live)
        } else {
            Err(RefreshError { failures })
        }
    }
}

/// Each kind the files declare on a cluster, with the first file that declares it.
fn declared_kinds(declared: Option<&BTreeMap<EntryKey, DesiredEntry>>) -> BTreeMap<String, String> {
    let mut kinds = BTreeMap::new();
    for (key, entry) in declared.into_iter().flatten() {
        kinds.entry(key.kind.clone()).or_insert_with(|| {
            entry
                .files
                .first()
                .map(|file| file.display().to_string())
                .unwrap_or_default()
        });
    }
    kinds
}

/// A kind the files declare (kind → file) that the agent refused to list: entries of that kind
/// could be neither compared nor written, and planning without them would lose them without a
/// word.
fn unsupported(
    name: &str,
    cluster: &LiveCluster,
    declared: BTreeMap<String, String>,
) -> Option<UnsupportedKind> {
    let (kind, file) = declared
        .into_iter()
        .find(|(kind, _)| !cluster.kinds.contains(kind))?;
    Some(UnsupportedKind {
        cluster: name.to_owned(),
        kind,
        file,
        version: cluster.version.clone(),
    })
}

/// The config-entry lists one cluster's refresh makes.
#[derive(Debug, Clone)]
struct Listing {
    kinds: BTreeSet<String>,
    /// Whether the files declare entries in namespaces there (`ns=*`).
    across_namespaces: bool,
}

impl Listing {
    /// The lists a cluster whose files declare `declared` (if any) needs.
    fn for_files(declared: Option<&BTreeMap<EntryKey, DesiredEntry>>) -> Self {
        Self {
            kinds: kinds_to_list(declared),
            // Entries declared in a namespace: list every namespace to find those owned there.
            across_namespaces: declared
                .into_iter()
                .flat_map(BTreeMap::keys)
                .any(|key| key.namespace.is_some()),
        }
    }
}

/// Whether the agent is Consul Enterprise (its version carries `+ent`).
fn is_enterprise(version: &str) -> bool {
    version.contains("+ent")
}

/// One cluster: its datacenter checked against `expected`, every list of `listing` made.
async fn refresh_cluster(
    name: &str,
    client: &Client,
    expected: String,
    listing: Listing,
) -> Result<LiveCluster, RefreshFailure> {
    let (agent, peerings, lists) = if listing.across_namespaces {
        // Namespaced entries in the files: only an Enterprise server can be listed across
        // namespaces (CE answers `ns=*` with 400). On CE the lists stay in the default namespace
        // and the plan's checks refuse the namespaced entries at their file and line.
        let agent = client.agent_self().await?;
        let listing = Listing {
            across_namespaces: is_enterprise(&agent.version),
            ..listing
        };
        let mut lists = JoinSet::new();
        start_lists(&mut lists, client, listing.kinds, listing.across_namespaces);
        let (peerings, lists) = tokio::try_join!(client.list_peerings(), finish_lists(lists))?;
        (agent, peerings, lists)
    } else {
        // The lists that take an agent longest to answer go out with agent/self, the others
        // once it has answered. Sent all at once, every connection was made before any request
        // was written (20 ms and more on two busy cores), so the agents began their longest
        // answers late: a plan of 3 clusters x 1,000 entries took about 6 ms longer.
        let (long, short): (BTreeSet<String>, BTreeSet<String>) = listing
            .kinds
            .into_iter()
            .partition(|kind| LONG_LISTS.contains(&kind.as_str()));
        let mut lists = JoinSet::new();
        start_lists(&mut lists, client, long, false);
        let agent = async {
            let agent = client.agent_self().await?;
            start_lists(&mut lists, client, short, false);
            Ok(agent)
        };
        let (agent, peerings) = tokio::try_join!(agent, client.list_peerings())?;
        (agent, peerings, finish_lists(lists).await?)
    };
    if expected != agent.datacenter {
        return Err(RefreshFailure::DatacenterMismatch {
            cluster: name.to_owned(),
            expected,
            actual: agent.datacenter,
            address: client.address().to_string(),
        });
    }
    let mut cluster = LiveCluster {
        datacenter: agent.datacenter,
        version: agent.version,
        peerings: peerings.into_iter().map(|p| (p.name.clone(), p)).collect(),
        ..LiveCluster::default()
    };
    for (kind, ((entries, _index), filtered)) in lists {
        if filtered {
            cluster.filtered.insert(kind.clone());
        }
        cluster.kinds.insert(kind);
        cluster.entries.extend(entries);
    }
    tracing::info!(
        cluster = name,
        datacenter = %cluster.datacenter,
        version = %cluster.version,
        peerings = cluster.peerings.len(),
        entries = cluster.entries.len(),
        "read the cluster"
    );
    Ok(cluster)
}

/// The kinds whose lists an agent takes longest to answer: those of the entries meshplan
/// models, which grow with the number of services a cluster exports and admits (one
/// `service-intentions` entry per destination, every exported service in `exported-services`).
/// Consul hashes and encodes every entry of a list before it answers: on three dev agents
/// holding 1,000 of each, these two lists are nearly all the CPU the agents spend on a refresh.
const LONG_LISTS: [&str; 2] = [SERVICE_INTENTIONS, EXPORTED_SERVICES];

/// Lists being made on one cluster, each kind on its own task.
type ListTasks = JoinSet<(String, Result<(EntryList, bool), Error>)>;

/// Starts the list of every kind of `kinds` on `tasks`.
fn start_lists(
    tasks: &mut ListTasks,
    client: &Client,
    kinds: BTreeSet<String>,
    across_namespaces: bool,
) {
    for kind in kinds {
        let client = client.clone();
        tasks.spawn(async move {
            let listed = client.list_entries_seen(&kind, across_namespaces).await;
            (kind, listed)
        });
    }
}

/// The lists of `tasks`, as they end; kinds the agent does not know are left out.
async fn finish_lists(mut tasks: ListTasks) -> Result<Vec<(String, (EntryList, bool))>, Error> {
    let mut lists = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match crate::task::joined(joined).await {
            (kind, Ok(list)) => lists.push((kind, list)),
            (_, Err(err)) if err.is_unknown_kind() => {}
            (_, Err(err)) => return Err(err),
        }
    }
    Ok(lists)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::model::{ConfigEntry, Document};

    fn desired_entry(kind: &str, name: &str) -> (EntryKey, DesiredEntry) {
        let document = Document {
            kind: kind.into(),
            name: name.into(),
            namespace: None,
            partition: None,
            body: serde_json::Map::new(),
        };
        let entry = ConfigEntry::Other(document);
        (
            entry.key(),
            DesiredEntry {
                entry,
                files: vec![PathBuf::from("x.hcl")],
            },
        )
    }

    #[test]
    fn every_manageable_kind_is_listed_even_when_the_files_name_none() {
        let kinds = kinds_to_list(None);
        assert_eq!(kinds.len(), kinds::manageable().count());
        assert!(kinds.contains("exported-services") && kinds.contains("service-intentions"));
    }

    #[test]
    fn kinds_the_files_name_are_added_once() {
        let entries = BTreeMap::from([
            desired_entry("service-defaults", "web"),
            desired_entry("some-future-kind", "x"),
            desired_entry("some-future-kind", "y"),
        ]);
        let kinds = kinds_to_list(Some(&entries));
        assert_eq!(kinds.len(), kinds::manageable().count() + 1);
        assert!(kinds.contains("some-future-kind"));
    }

    #[test]
    fn the_kinds_are_distinct_and_never_the_controller_owned_one() {
        let distinct: BTreeSet<&str> = kinds::manageable().collect();
        assert_eq!(distinct.len(), kinds::manageable().count());
        assert!(!distinct.contains("bound-api-gateway"));
    }
}
