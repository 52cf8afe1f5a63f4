//! Live-state triggers: Consul's blocking queries wake the loop when a cluster changes.
//!
//! For each cluster of the workspace, one follower per list that refresh reads: the peering
//! list and each config-entry kind of [`kinds_to_list`]. Each follower long-polls its list
//! (`?index=<last X-Consul-Index>&wait=<wait>`) and sends [`Trigger::Live`] when the index
//! moves; the reconcile it wakes decides from fresh state, so a wake-up with nothing to do
//! (an idempotent write, meshplan's own apply) costs one refresh and writes nothing. Under
//! `--no-heal`, a `Live` reconcile only reports, as a resync does.
//!
//! Index rules (Consul's blocking-query docs): the first call asks with index 0 and only
//! learns the index; an index that goes backwards (a snapshot restore, a rebuilt cluster)
//! counts as a change and the next call starts again from 0.
//!
//! Faults: a follower whose call fails waits a capped, doubling, jittered delay and tries
//! again; a cluster is reported down ([`Reachability`]) when its first follower fails and back
//! when all of them are. A kind the agent does not know (Enterprise-only kinds on CE) is not followed.
//!
//! The followers are the only requests an idle watcher sends, besides the resync timer: no
//! polling loop. They are rebuilt when the clusters or their kinds change, and stop (aborted)
//! when [`LiveWatch`] is dropped, which the loop does when it ends.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::trigger::{self, Trigger};
use crate::consul::{Client, Listed, kinds_to_list};
use crate::model::{ClusterSpec, Desired};

/// How long each blocking query waits before Consul answers anyway.
pub const WAIT: Duration = Duration::from_secs(300);

/// What the followers follow: each cluster's spec and lists. Equal plans mean nothing to
/// restart.
type Followed = BTreeMap<String, (ClusterSpec, BTreeSet<Listed>)>;

/// The followers of every cluster; dropping it stops them.
pub struct LiveWatch {
    followed: Followed,
    tasks: JoinSet<()>,
    tx: mpsc::UnboundedSender<Trigger>,
    max_backoff: Duration,
    reachability: Arc<Reachability>,
}

impl LiveWatch {
    /// No followers yet; [`LiveWatch::follow`] starts them. Their failures and recoveries go
    /// to `reachability`.
    pub fn new(
        tx: mpsc::UnboundedSender<Trigger>,
        max_backoff: Duration,
        reachability: Arc<Reachability>,
    ) -> Self {
        Self {
            followed: Followed::new(),
            tasks: JoinSet::new(),
            tx,
            max_backoff,
            reachability,
        }
    }

    /// Follows the clusters of `desired` through `clients`, restarting every follower when the
    /// clusters, their addresses or their kinds changed since the last call.
    pub fn follow(&mut self, desired: &Desired, clients: &BTreeMap<String, Client>) {
        let followed = followed(desired);
        if followed == self.followed {
            return;
        }
        self.tasks.abort_all();
        for (name, (_, lists)) in &followed {
            let Some(client) = clients.get(name) else {
                continue;
            };
            let health = Arc::new(Health::new(
                name,
                lists.len(),
                Arc::clone(&self.reachability),
            ));
            for listed in lists {
                let follower = Follower {
                    client: client.clone(),
                    listed: listed.clone(),
                    tx: self.tx.clone(),
                    health: Arc::clone(&health),
                    max_backoff: self.max_backoff,
                };
                self.tasks.spawn(follower.run());
            }
        }
        self.followed = followed;
    }

    /// Stops every follower (a standby follows nothing).
    pub fn stop(&mut self) {
        self.tasks.abort_all();
        self.followed.clear();
    }
}

fn followed(desired: &Desired) -> Followed {
    desired
        .clusters
        .iter()
        .map(|(name, spec)| {
            let mut lists: BTreeSet<Listed> = kinds_to_list(desired.entries.get(name))
                .into_iter()
                .map(Listed::Entries)
                .collect();
            lists.insert(Listed::Peerings);
            (name.clone(), (spec.clone(), lists))
        })
        .collect()
}

/// One long-poll loop over one list of one cluster.
struct Follower {
    client: Client,
    listed: Listed,
    tx: mpsc::UnboundedSender<Trigger>,
    health: Arc<Health>,
    max_backoff: Duration,
}

impl Follower {
    async fn run(self) {
        let mut known: Option<u64> = None;
        let mut ask = 0;
        let mut backoff = Duration::ZERO;
        loop {
            match self.client.wait_for_change(&self.listed, ask, WAIT).await {
                Ok(index) => {
                    backoff = Duration::ZERO;
                    self.health.up(&self.listed);
                    if known.is_some_and(|known| known != index) {
                        tracing::debug!(cluster = self.client.cluster(), list = %self.listed, index, "changed");
                        if self.tx.send(Trigger::Live).is_err() {
                            return;
                        }
                    }
                    ask = next_index(ask, index);
                    known = Some(index);
                }
                Err(error) if error.is_unknown_kind() => {
                    self.health.up(&self.listed);
                    return;
                }
                Err(error) => {
                    self.health.down(&self.listed, &error);
                    backoff = (backoff * 2).clamp(Duration::from_secs(1), self.max_backoff);
                    tokio::time::sleep(trigger::jittered(backoff)).await;
                }
            }
        }
    }
}

/// The index to ask with next: `index`, or 0 (answered at once) when it went backwards.
fn next_index(asked: u64, index: u64) -> u64 {
    if index < asked { 0 } else { index }
}

/// Which clusters cannot be reached, shared by the followers and the reconciles so that an
/// outage is logged once when it starts and once when it ends, whoever notices.
#[derive(Default)]
pub struct Reachability {
    down: Mutex<BTreeSet<String>>,
}

impl Reachability {
    /// `cluster` failed with `error`: logged if it was not down already.
    pub fn down(&self, cluster: &str, error: &dyn std::fmt::Display) {
        let Ok(mut down) = self.down.lock() else {
            return;
        };
        if down.insert(cluster.to_owned()) {
            tracing::warn!(
                cluster,
                "cluster {cluster:?} cannot be reached; the other clusters carry on and it is \
                 retried with backoff: {error}"
            );
        } else {
            tracing::debug!(
                cluster,
                "cluster {cluster:?} still cannot be reached: {error}"
            );
        }
    }

    /// `cluster` answered: logged if it was down.
    pub fn up(&self, cluster: &str) {
        let Ok(mut down) = self.down.lock() else {
            return;
        };
        if down.remove(cluster) {
            tracing::info!(cluster, "cluster {cluster:?} is reachable again");
        }
    }
}

/// One cluster's followers: down when the first fails, back when all are, and logged once
/// when all have started.
struct Health {
    cluster: String,
    state: Mutex<HealthState>,
    reachability: Arc<Reachability>,
}

struct HealthState {
    /// Lists not answered yet since the start.
    starting: usize,
    failing: BTreeSet<Listed>,
}

impl Health {
    fn new(cluster: &str, lists: usize, reachability: Arc<Reachability>) -> Self {
        Self {
            cluster: cluster.to_owned(),
            state: Mutex::new(HealthState {
                starting: lists,
                failing: BTreeSet::new(),
            }),
            reachability,
        }
    }

    fn up(&self, listed: &Listed) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if state.failing.remove(listed) && state.failing.is_empty() {
            self.reachability.up(&self.cluster);
        }
        if state.starting > 0 {
            state.starting -= 1;
            if state.starting == 0 {
                tracing::info!(cluster = %self.cluster, "cluster {:?}: following its live state", self.cluster);
            }
        }
    }

    fn down(&self, listed: &Listed, error: &crate::consul::Error) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if state.failing.is_empty() {
            self.reachability
                .down(&self.cluster, &format_args!("{listed}: {error}"));
        }
        state.failing.insert(listed.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_that_goes_backwards_restarts_at_0() {
        assert_eq!(next_index(0, 17), 17);
        assert_eq!(next_index(17, 17), 17);
        assert_eq!(next_index(17, 20), 20);
        assert_eq!(next_index(17, 5), 0);
    }

    #[test]
    fn the_cluster_is_logged_once_down_and_once_back() {
        let reachability = Arc::new(Reachability::default());
        let health = Health::new("cluster-01", 2, Arc::clone(&reachability));
        let peerings = Listed::Peerings;
        let web = Listed::Entries("service-defaults".to_owned());
        health.up(&peerings);
        health.up(&web);
        let error = crate::consul::Error::Decode {
            cluster: "cluster-01".to_owned(),
            method: reqwest::Method::GET,
            path: "/v1/peerings".to_owned(),
            reason: "test".to_owned(),
        };
        health.down(&peerings, &error);
        health.down(&web, &error);
        assert_eq!(health.state.lock().unwrap().failing.len(), 2);
        let down = || reachability.down.lock().unwrap().contains("cluster-01");
        assert!(down());
        health.up(&peerings);
        assert_eq!(health.state.lock().unwrap().failing.len(), 1);
        assert!(down(), "down until every list is back");
        health.up(&web);
        assert!(health.state.lock().unwrap().failing.is_empty());
        assert!(!down());
    }
}
