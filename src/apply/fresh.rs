//! Is a saved plan still true? [`check_fresh`] re-reads every object a plan writes and compares
//! it with what the plan saw, so that the CLI can refuse a stale plan whole, writing nothing.
//!
//! Why it is needed although every write carries `cas`: Consul answers `true` to a PUT that
//! changes nothing *without checking* `cas` (consul-api.md §2.1), and a CAS delete of a missing
//! entry also returns `true`. A saved plan could then "succeed" against objects that moved, and
//! peerings have no `cas` at all.
//!
//! Peering sides are compared on existence, role, ownership mark, `ModifyIndex` and state. The
//! one move that is not staleness: a side the plan saw DELETING that is now gone (that is where
//! it was going).

use std::fmt;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::consul::Client;
use crate::model::{EntryKey, LivePeering};
use crate::plan::{Change, Object, Plan, SeenPeering};
use std::collections::BTreeMap;

/// How many reads run at once.
const READS_AT_ONCE: usize = 16;

/// An object that moved since the plan was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub cluster: String,
    /// `service-intentions/web`, `peering cluster-02`.
    pub object: String,
    /// What moved: `ModifyIndex 12 → 15`, `now exists`, `gone`, or why it could not be read.
    pub moved: String,
}

impl fmt::Display for Stale {
    /// `cluster-01: service-intentions/web: ModifyIndex 12 → 15`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.cluster, self.object, self.moved)
    }
}

/// Re-reads every object `plan` writes, concurrently, and compares it with what the plan saw.
///
/// # Errors
/// Every object that moved, in plan order; an object that cannot be read (or whose cluster has
/// no client) counts as moved, since the plan cannot be shown to still hold.
pub async fn check_fresh(
    plan: &Plan,
    clients: &BTreeMap<String, Client>,
) -> Result<(), Vec<Stale>> {
    let semaphore = Arc::new(Semaphore::new(READS_AT_ONCE));
    let mut tasks = JoinSet::new();
    let probes = plan.changes.iter().filter(|c| c.writes()).flat_map(probes);
    for (order, probe) in probes.enumerate() {
        let client = clients.get(&probe.cluster).cloned();
        let semaphore = Arc::clone(&semaphore);
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            (order, probe.check(client).await)
        });
    }
    let mut stale = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        if let (order, Some(moved)) = crate::task::joined(joined).await {
            stale.insert(order, moved);
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(stale.into_values().collect())
    }
}

/// One object to re-read.
struct Probe {
    cluster: String,
    object: String,
    target: Target,
}

enum Target {
    Entry {
        key: EntryKey,
        modify_index: u64,
    },
    Peering {
        name: String,
        seen: Option<SeenPeering>,
    },
}

/// What to re-read for `change`: its entry, or each of its peering sides that is ours.
fn probes(change: &Change) -> Vec<Probe> {
    match &change.object {
        Object::Entry(entry) => vec![Probe {
            cluster: change.cluster.clone(),
            object: change.object.to_string(),
            target: Target::Entry {
                key: entry.key(),
                modify_index: change.modify_index,
            },
        }],
        Object::Peering(peering) => [&peering.acceptor, &peering.dialer]
            .into_iter()
            .flatten()
            .filter(|end| end.ours)
            .map(|end| Probe {
                cluster: end.cluster.clone(),
                object: format!("peering {}", end.peer_name),
                target: Target::Peering {
                    name: end.peer_name.clone(),
                    seen: end.seen.clone(),
                },
            })
            .collect(),
    }
}

impl Probe {
    async fn check(self, client: Option<Client>) -> Option<Stale> {
        let moved = match client {
            None => Some("cannot be checked: the cluster was not read".to_owned()),
            Some(client) => self.target.moved(&client).await,
        };
        moved.map(|moved| Stale {
            cluster: self.cluster,
            object: self.object,
            moved,
        })
    }
}

impl Target {
    async fn moved(&self, client: &Client) -> Option<String> {
        match self {
            Self::Entry { key, modify_index } => match client.read_entry_at(key).await {
                Ok(now) => entry_moved(*modify_index, now.map(|entry| entry.modify_index)),
                Err(error) => Some(format!("cannot be read: {error}")),
            },
            Self::Peering { name, seen } => match client.read_peering(name).await {
                Ok(now) => peering_moved(seen.as_ref(), now.as_ref(), true),
                Err(error) => Some(format!("cannot be read: {error}")),
            },
        }
    }
}

/// How an entry's `ModifyIndex` moved from `planned` (0: absent) to `now`, if it did.
fn entry_moved(planned: u64, now: Option<u64>) -> Option<String> {
    match (planned, now) {
        (0, None) => None,
        (0, Some(now)) => Some(format!("now exists (ModifyIndex {now})")),
        (planned, None) => Some(format!("gone (the plan saw ModifyIndex {planned})")),
        (planned, Some(now)) if planned != now => Some(format!("ModifyIndex {planned} → {now}")),
        _ => None,
    }
}

/// How a peering side moved from what the plan saw (`None`: absent) to `now`, if it did. The
/// state is compared only when `compare_state`: it is computed at read time and may flap.
pub(super) fn peering_moved(
    seen: Option<&SeenPeering>,
    now: Option<&LivePeering>,
    compare_state: bool,
) -> Option<String> {
    let (seen, now) = match (seen, now) {
        (None, None) => return None,
        (None, Some(now)) => return Some(format!("now exists ({})", now.state.as_str())),
        (Some(seen), None) if seen.state == "DELETING" => return None,
        (Some(_), None) => return Some("gone".to_owned()),
        (Some(seen), Some(now)) => (seen, now),
    };
    let role = |dialer: bool| if dialer { "a dialer" } else { "an acceptor" };
    if seen.dialer != now.is_dialer() {
        return Some(format!(
            "was {}, now {}",
            role(seen.dialer),
            role(now.is_dialer())
        ));
    }
    let now_seen = crate::plan::seen_peering(now);
    if (seen.managed, &seen.workspace) != (now_seen.managed, &now_seen.workspace) {
        return Some(format!(
            "its mark moved from {} to {}",
            mark(seen.managed, seen.workspace.as_deref()),
            mark(now_seen.managed, now_seen.workspace.as_deref())
        ));
    }
    if seen.modify_index != now.modify_index {
        return Some(format!(
            "ModifyIndex {} → {}",
            seen.modify_index, now.modify_index
        ));
    }
    (compare_state && seen.state != now.state.as_str())
        .then(|| format!("state {} → {}", seen.state, now.state.as_str()))
}

/// `no mark`, `meshplan's mark without a workspace name`, `workspace \`a\``.
fn mark(managed: bool, workspace: Option<&str>) -> String {
    match (managed, workspace) {
        (false, _) => "no mark".to_owned(),
        (true, None) => "meshplan's mark without a workspace name".to_owned(),
        (true, Some(name)) => format!("workspace `{name}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PeeringState;

    fn live(state: PeeringState, modify_index: u64) -> LivePeering {
        LivePeering {
            name: "cluster-02".into(),
            id: "id".into(),
            state,
            meta: BTreeMap::from([
                ("managed-by".into(), "meshplan".into()),
                ("meshplan-workspace".into(), "ws".into()),
            ]),
            peer_id: None,
            peer_server_addresses: Vec::new(),
            remote_datacenter: None,
            imported_services: 0,
            exported_services: 0,
            last_heartbeat: None,
            modify_index,
        }
    }

    fn seen(state: &str, modify_index: u64) -> SeenPeering {
        SeenPeering {
            state: state.into(),
            dialer: false,
            managed: true,
            workspace: Some("ws".into()),
            modify_index,
        }
    }

    #[test]
    fn an_entry_moved_when_its_modify_index_or_existence_changed() {
        assert_eq!(entry_moved(0, None), None);
        assert_eq!(entry_moved(12, Some(12)), None);
        assert_eq!(
            entry_moved(12, Some(15)).as_deref(),
            Some("ModifyIndex 12 → 15")
        );
        assert_eq!(
            entry_moved(0, Some(7)).as_deref(),
            Some("now exists (ModifyIndex 7)")
        );
        assert!(entry_moved(12, None).is_some_and(|m| m.starts_with("gone")));
    }

    #[test]
    fn a_peering_side_moved_when_it_appeared_vanished_or_changed() {
        let active = live(PeeringState::Active, 20);
        assert_eq!(peering_moved(None, None, true), None);
        assert_eq!(
            peering_moved(None, Some(&active), true).as_deref(),
            Some("now exists (ACTIVE)")
        );
        assert_eq!(
            peering_moved(Some(&seen("ACTIVE", 20)), None, true).as_deref(),
            Some("gone")
        );
        assert_eq!(peering_moved(Some(&seen("DELETING", 20)), None, true), None);
        assert_eq!(
            peering_moved(Some(&seen("ACTIVE", 20)), Some(&active), true),
            None
        );
        assert_eq!(
            peering_moved(Some(&seen("ACTIVE", 18)), Some(&active), true).as_deref(),
            Some("ModifyIndex 18 → 20")
        );
        assert_eq!(
            peering_moved(Some(&seen("FAILING", 20)), Some(&active), true).as_deref(),
            Some("state FAILING → ACTIVE")
        );
        assert_eq!(
            peering_moved(Some(&seen("FAILING", 20)), Some(&active), false),
            None
        );
        let mut other = seen("ACTIVE", 20);
        other.workspace = Some("other".into());
        assert_eq!(
            peering_moved(Some(&other), Some(&active), true).as_deref(),
            Some("its mark moved from workspace `other` to workspace `ws`")
        );
    }
}
