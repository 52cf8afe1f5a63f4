//! Peering changes: establish, re-establish, adopt and delete, decided from each of our sides'
//! state as read (consul-api.md §1.4–1.7).
//!
//! A side is found by its local name (`PeeringSide::peer_name`) among its cluster's peerings.
//! A side is *broken* when it cannot carry traffic and will not recover by itself:
//! - any side: DELETING (it will vanish), TERMINATED (the other side deleted its half; it
//!   stays until deleted here), or the wrong role (a dialer where the files say acceptor, or
//!   the reverse);
//! - a dialer: also FAILING (the stream broke with an error) and PENDING (a dialer only shows
//!   PENDING when its establish failed; a working one shows ESTABLISHING or ACTIVE);
//! - an acceptor: also FAILING when the dialer is ours too. When only the acceptor is ours,
//!   FAILING is left alone: the fix (a fresh token) is the other team's to use, and `status`
//!   shows it.
//!
//! Then: no side exists → `Establish`; a side is missing or broken → `Reestablish` (with the
//! reasons); all sides fine → nothing, except an `Adopt` for each side without the ownership
//! mark. Adopting a peering writes nothing: Consul cannot change a peering's `Meta` in place
//! (only generate/establish set it), so the side stays unmarked and meshplan will never delete
//! it; the adopt shows in every plan but does not count as a change to write. Peering `Meta` is
//! never compared for the same reason: changing it would need re-establishing.
//!
//! A live peering with the mark that no peering of the files declares on its cluster (by local
//! name) → `Delete` of that side, `destructive` unless it is already TERMINATED or DELETING.
//! Unmarked and undeclared → never touched. A peering with a side on a cluster missing from
//! `Live` (not read) is not planned.

use std::collections::BTreeSet;

use super::change::{Action, Change, Object, PeeringEnd, PeeringObject, SeenPeering};
use crate::model::{
    Desired, Live, LivePeering, MANAGED_BY_KEY, MANAGED_BY_VALUE, PeeringSide, PeeringSpec,
    PeeringState,
};

/// Every peering change, unordered.
pub(super) fn changes(desired: &Desired, live: &Live) -> Vec<Change> {
    let mut changes: Vec<Change> = desired
        .peerings
        .iter()
        .filter_map(|spec| Read::of(spec, live))
        .flat_map(|read| read.changes())
        .collect();
    changes.extend(undeclared(desired, live));
    changes
}

/// One declared peering with its sides as read.
struct Read<'a> {
    spec: &'a PeeringSpec,
    acceptor: Option<&'a LivePeering>,
    dialer: Option<&'a LivePeering>,
}

/// Which side of a peering.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Acceptor,
    Dialer,
}

impl<'a> Read<'a> {
    /// `None` when a side that is ours was not read.
    fn of(spec: &'a PeeringSpec, live: &'a Live) -> Option<Self> {
        let side = |side: &PeeringSide| -> Option<Option<&'a LivePeering>> {
            if !side.ours {
                return Some(None);
            }
            let cluster = live.clusters.get(&side.cluster)?;
            Some(cluster.peerings.get(&side.peer_name))
        };
        Some(Self {
            spec,
            acceptor: side(&spec.acceptor)?,
            dialer: side(&spec.dialer)?,
        })
    }

    fn changes(&self) -> Vec<Change> {
        let sides = self.our_sides();
        if sides.iter().all(|(_, _, seen)| seen.is_none()) {
            return vec![self.change(Action::Establish, None)];
        }
        let reasons: Vec<String> = sides
            .iter()
            .filter_map(|(role, side, seen)| self.problem(*role, side, *seen))
            .collect();
        if !reasons.is_empty() {
            let mut change = self.change(Action::Reestablish, Some(reasons.join("; ")));
            change.destructive = sides
                .iter()
                .any(|(role, _, seen)| seen.is_some_and(|seen| wrong_role(*role, seen)));
            return vec![change];
        }
        sides
            .iter()
            .filter(|(_, _, seen)| seen.is_some_and(|seen| !seen.is_managed()))
            .map(|(role, side, _)| self.adopt(*role, side))
            .collect()
    }

    /// Our sides, acceptor first, with what was read of each.
    fn our_sides(&self) -> Vec<(Role, &'a PeeringSide, Option<&'a LivePeering>)> {
        let sides = [
            (Role::Acceptor, &self.spec.acceptor, self.acceptor),
            (Role::Dialer, &self.spec.dialer, self.dialer),
        ];
        sides.into_iter().filter(|(_, side, _)| side.ours).collect()
    }

    /// Why `side` needs re-establishing, if it does.
    fn problem(
        &self,
        role: Role,
        side: &PeeringSide,
        seen: Option<&LivePeering>,
    ) -> Option<String> {
        let cluster = &side.cluster;
        let Some(seen) = seen else {
            return Some(format!("{cluster}'s side is gone"));
        };
        if wrong_role(role, seen) {
            let (is, should) = match role {
                Role::Acceptor => ("a dialer", "acceptor"),
                Role::Dialer => ("an acceptor", "dialer"),
            };
            return Some(format!(
                "{cluster}'s side is {is}, but the files make it the {should}"
            ));
        }
        let both_ours = self.spec.acceptor.ours && self.spec.dialer.ours;
        match (&seen.state, role) {
            (PeeringState::Deleting, _) => Some(format!("{cluster}'s side is being deleted")),
            (PeeringState::Terminated, _) => Some(format!(
                "{cluster} reports TERMINATED: the other side deleted its half"
            )),
            (PeeringState::Failing, Role::Dialer) => Some(format!("{cluster} reports FAILING")),
            (PeeringState::Failing, Role::Acceptor) if both_ours => {
                Some(format!("{cluster} reports FAILING"))
            }
            (PeeringState::Pending, Role::Dialer) => Some(format!(
                "{cluster}'s side never finished establishing (PENDING)"
            )),
            _ => None,
        }
    }

    /// The change's cluster: the acceptor's when it is ours, else the dialer's.
    fn home(&self) -> (&'a PeeringSide, Option<&'a LivePeering>) {
        if self.spec.acceptor.ours {
            (&self.spec.acceptor, self.acceptor)
        } else {
            (&self.spec.dialer, self.dialer)
        }
    }

    fn change(&self, action: Action, reason: Option<String>) -> Change {
        let (side, seen) = self.home();
        self.change_on(side, seen, action, reason)
    }

    fn adopt(&self, role: Role, side: &PeeringSide) -> Change {
        let seen = match role {
            Role::Acceptor => self.acceptor,
            Role::Dialer => self.dialer,
        };
        let reason = format!(
            "{}'s side exists without meshplan's mark; Consul cannot add it to a peering, so \
             nothing is written and meshplan will never delete this side",
            side.cluster
        );
        self.change_on(side, seen, Action::Adopt, Some(reason))
    }

    fn change_on(
        &self,
        side: &PeeringSide,
        seen: Option<&LivePeering>,
        action: Action,
        reason: Option<String>,
    ) -> Change {
        let spec = self.spec;
        let mut meta = spec.meta.clone();
        meta.insert(MANAGED_BY_KEY.to_owned(), MANAGED_BY_VALUE.to_owned());
        let object = PeeringObject {
            name: side.peer_name.clone(),
            acceptor: Some(end(&spec.acceptor, self.acceptor)),
            dialer: Some(end(&spec.dialer, self.dialer)),
            meta,
            server_external_addresses: spec.server_external_addresses.clone(),
            token_out: spec
                .token_out
                .as_ref()
                .map(|path| path.display().to_string()),
            token_file: spec
                .token_file
                .as_ref()
                .map(|path| path.display().to_string()),
        };
        peering_change(&side.cluster, object, action, seen, reason)
    }
}

/// Whether a side has the other role than the files give it.
fn wrong_role(role: Role, seen: &LivePeering) -> bool {
    match role {
        Role::Acceptor => seen.is_dialer(),
        Role::Dialer => !seen.is_dialer(),
    }
}

fn end(side: &PeeringSide, seen: Option<&LivePeering>) -> PeeringEnd {
    PeeringEnd {
        cluster: side.cluster.clone(),
        peer_name: side.peer_name.clone(),
        partition: side.partition.clone(),
        ours: side.ours,
        seen: seen.map(seen_peering),
    }
}

fn seen_peering(peering: &LivePeering) -> SeenPeering {
    SeenPeering {
        state: peering.state.as_str().to_owned(),
        dialer: peering.is_dialer(),
        managed: peering.is_managed(),
        modify_index: peering.modify_index,
    }
}

fn peering_change(
    cluster: &str,
    object: PeeringObject,
    action: Action,
    seen: Option<&LivePeering>,
    reason: Option<String>,
) -> Change {
    Change {
        cluster: cluster.to_owned(),
        object: Object::Peering(object),
        action,
        modify_index: seen.map_or(0, |seen| seen.modify_index),
        destructive: false,
        reason,
        before: None,
        after: None,
        changed: Vec::new(),
        body: None,
    }
}

/// Deletes of marked peerings that no declared peering names on their cluster.
fn undeclared(desired: &Desired, live: &Live) -> Vec<Change> {
    let declared: BTreeSet<(&str, &str)> = desired
        .peerings
        .iter()
        .flat_map(PeeringSpec::our_sides)
        .map(|side| (side.cluster.as_str(), side.peer_name.as_str()))
        .collect();
    let mut changes = Vec::new();
    for (cluster, read) in &live.clusters {
        if !desired.clusters.contains_key(cluster) {
            continue;
        }
        for (name, peering) in &read.peerings {
            if peering.is_managed() && !declared.contains(&(cluster.as_str(), name.as_str())) {
                changes.push(delete(cluster, name, peering));
            }
        }
    }
    changes
}

fn delete(cluster: &str, name: &str, peering: &LivePeering) -> Change {
    let this = PeeringEnd {
        cluster: cluster.to_owned(),
        peer_name: name.to_owned(),
        partition: None,
        ours: true,
        seen: Some(seen_peering(peering)),
    };
    let dialer = peering.is_dialer();
    let object = PeeringObject {
        name: name.to_owned(),
        acceptor: (!dialer).then(|| this.clone()),
        dialer: dialer.then_some(this),
        meta: Default::default(),
        server_external_addresses: Vec::new(),
        token_out: None,
        token_file: None,
    };
    let (destructive, reason) = match peering.state {
        PeeringState::Terminated => (
            false,
            "no file declares it; the other side already deleted its half",
        ),
        PeeringState::Deleting => (false, "no file declares it; it is already being deleted"),
        _ => (
            true,
            "no file declares it; deleting stops replication and deletes the data imported \
             through it",
        ),
    };
    let mut change = peering_change(
        cluster,
        object,
        Action::Delete,
        Some(peering),
        Some(reason.to_owned()),
    );
    change.destructive = destructive;
    change
}
