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
//! A peering whose token was lost is also re-established: a new token is generated, which
//! invalidates the earlier one. That is the case when
//! - the acceptor is PENDING and the dialer is ours but has no side yet (the answer to
//!   generate-token was lost, or establish never ran);
//! - only the acceptor is ours, marked by this workspace, PENDING, and its `token_out` file does
//!   not exist ([`PeeringSpec::token_out_exists`], read when the workspace is loaded): the answer
//!   to generate-token was lost before the file was written, or the file was removed before the
//!   other team dialled. With the file present, PENDING means the other team has the token and
//!   has not dialled yet: nothing is planned, and the plan says whose turn it is. A side without
//!   this workspace's mark (adopted) is never given a new token this way: meshplan did not
//!   hand out the one it has.
//!
//! Consul cannot change a peering's `Meta` in place (only generate and establish set it), so
//! what the mark and the files' `meta` say can only change by deleting the peering and
//! establishing it again ([`Action::Replace`], always destructive, Terraform's "forces
//! replacement").
//!
//! Then, in this order:
//! 1. A side marked by another workspace → `Conflict` (nothing is written), or `Replace` when
//!    `--take-over` names that workspace.
//! 2. No side exists → `Establish`; a side is missing or broken → `Reestablish` (with the
//!    reasons).
//! 3. A side this workspace owns whose `Meta` (besides the mark) differs from the files' `meta`
//!    → `Replace`.
//! 4. All sides fine → nothing, except an `Adopt` for each side without this workspace's mark.
//!    Adopting a peering writes nothing (the mark cannot be added in place), so the side stays
//!    as it is, is never deleted by meshplan, and its `meta` is not compared; the adopt shows in
//!    every plan, so the missing mark is never silently accepted, but does not count as a change
//!    to write.
//!
//! A live peering marked by this workspace that no peering of the files declares on its
//! cluster (by local name) → `Delete` of that side, `destructive` unless it is already
//! TERMINATED or DELETING. Marked without a workspace name and undeclared → listed as
//! unclaimed. Anything else undeclared → never touched. A peering with a side on a cluster
//! missing from `Live` (not read) is not planned.

use std::collections::{BTreeMap, BTreeSet};

use super::Rules;
use super::change::{
    Action, Change, NotActive, Object, PeeringEnd, PeeringObject, SeenPeering, Unclaimed,
};
use crate::model::{
    Desired, Live, LivePeering, MANAGED_BY_KEY, MANAGED_BY_VALUE, MARK_KEYS, Owner, PeeringSide,
    PeeringSpec, PeeringState, WORKSPACE_KEY,
};

/// The peering part of a plan.
pub(super) struct PeeringPlan {
    /// Unordered.
    pub changes: Vec<Change>,
    pub unclaimed: Vec<Unclaimed>,
    pub not_active: Vec<NotActive>,
}

/// Every peering change, and what the plan says about peerings besides.
pub(super) fn plan(desired: &Desired, live: &Live, rules: &Rules<'_>) -> PeeringPlan {
    let mut changes = Vec::new();
    let mut not_active = Vec::new();
    for read in desired
        .peerings
        .iter()
        .filter_map(|spec| Read::of(spec, live, rules))
    {
        let planned = read.changes();
        if planned.iter().all(|change| change.action == Action::Adopt) {
            not_active.extend(read.not_active());
        }
        changes.extend(planned);
    }
    changes.extend(undeclared(desired, live, rules.workspace));
    PeeringPlan {
        changes,
        unclaimed: unclaimed(desired, live),
        not_active,
    }
}

/// One declared peering with its sides as read.
struct Read<'a> {
    spec: &'a PeeringSpec,
    acceptor: Option<&'a LivePeering>,
    dialer: Option<&'a LivePeering>,
    rules: &'a Rules<'a>,
}

/// Which side of a peering.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Acceptor,
    Dialer,
}

impl<'a> Read<'a> {
    /// `None` when a side that is ours was not read.
    fn of(spec: &'a PeeringSpec, live: &'a Live, rules: &'a Rules<'a>) -> Option<Self> {
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
            rules,
        })
    }

    fn changes(&self) -> Vec<Change> {
        let sides = self.our_sides();
        if let Some(change) = self.foreign(&sides) {
            return vec![change];
        }
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
        let meta: Vec<String> = sides
            .iter()
            .filter_map(|(_, side, seen)| self.meta_differs(side, (*seen)?))
            .collect();
        if !meta.is_empty() {
            let reason = format!(
                "{}; Consul cannot change a peering's Meta in place, so this forces replacement",
                meta.join("; ")
            );
            return vec![self.replace(reason)];
        }
        sides
            .iter()
            .filter(|(_, _, seen)| seen.is_some_and(|seen| !seen.owner().is(self.rules.workspace)))
            .map(|(role, side, _)| self.adopt(*role, side))
            .collect()
    }

    /// Our sides that are not ACTIVE, with what to do; for a peering nothing is planned for.
    fn not_active(&self) -> Vec<NotActive> {
        self.our_sides()
            .into_iter()
            .filter_map(|(role, side, seen)| {
                let seen = seen?;
                let advice = self.advice(role, &seen.state)?;
                Some(NotActive {
                    cluster: side.cluster.clone(),
                    peering: side.peer_name.clone(),
                    state: seen.state.as_str().to_owned(),
                    advice,
                })
            })
            .collect()
    }

    /// What a side of `role` in `state` means, when it is not ACTIVE.
    fn advice(&self, role: Role, state: &PeeringState) -> Option<String> {
        let other = match role {
            Role::Acceptor => &self.spec.dialer,
            Role::Dialer => &self.spec.acceptor,
        };
        Some(match (state, role) {
            (PeeringState::Active, _) => return None,
            (PeeringState::Pending, Role::Acceptor) if !other.ours => {
                let token = match &self.spec.token_out {
                    Some(path) => format!("the token in {}", path.display()),
                    None => "the token".to_owned(),
                };
                format!(
                    "waiting for {} to establish with {token}: hand it over, or ask them to use it",
                    other.cluster
                )
            }
            (PeeringState::Pending, _) => format!(
                "no stream is connected: {} has not dialed, or cannot reach this side",
                other.cluster
            ),
            (PeeringState::Establishing, _) => {
                "the dialer is connecting; plan again shortly".to_owned()
            }
            (PeeringState::Failing, _) => format!(
                "the stream with {} broke; if it does not recover, the dialing side must \
                 establish again with a fresh token",
                other.cluster
            ),
            (state, _) => format!("Consul reports {}", state.as_str()),
        })
    }

    /// A `Conflict` (or, taken over, a `Replace`) when a side is marked by another workspace.
    fn foreign(
        &self,
        sides: &[(Role, &'a PeeringSide, Option<&'a LivePeering>)],
    ) -> Option<Change> {
        let (side, action, why) = sides.iter().find_map(|(_, side, seen)| {
            let owner = (*seen)?.owner();
            match self.rules.claim(&owner)? {
                (action @ (Action::Conflict | Action::TakeOver), why) => Some((side, action, why)),
                _ => None,
            }
        })?;
        let reason = format!("{}'s side is {why}", side.cluster);
        Some(match action {
            Action::TakeOver => self.replace(format!(
                "{reason}; Consul cannot change a peering's Meta in place, so it is deleted and \
                 established again with this workspace's mark"
            )),
            _ => self.change(Action::Conflict, Some(reason)),
        })
    }

    /// Why `seen` (a side this workspace owns) must be replaced to carry the files' `meta`.
    fn meta_differs(&self, side: &PeeringSide, seen: &LivePeering) -> Option<String> {
        if !seen.owner().is(self.rules.workspace) {
            return None;
        }
        let live: BTreeMap<&str, &str> = seen
            .meta
            .iter()
            .filter(|(key, _)| !MARK_KEYS.contains(&key.as_str()))
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        let wanted: BTreeMap<&str, &str> = self
            .spec
            .meta
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        (live != wanted).then(|| {
            format!(
                "{}'s side has meta {}, the files say {}",
                side.cluster,
                show_meta(&live),
                show_meta(&wanted)
            )
        })
    }

    fn replace(&self, reason: String) -> Change {
        let mut change = self.change(Action::Replace, Some(reason));
        change.destructive = true;
        change
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
            return Some(match (role, self.pending_acceptor()) {
                (Role::Dialer, Some(acceptor)) => format!(
                    "{cluster} has no peering yet and {acceptor}'s side is PENDING: generate a new \
                     peering token and establish with it (the earlier token stops working; it \
                     was never used)"
                ),
                _ => format!("{cluster}'s side is gone"),
            });
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
            (PeeringState::Pending, Role::Acceptor) => self.lost_token_file(seen).map(|path| {
                format!(
                    "{cluster}'s side is PENDING and its token file {path} does not exist: \
                     generate a new peering token and write it there (the earlier token stops \
                     working: its answer was lost before it was written, or the file was removed)"
                )
            }),
            _ => None,
        }
    }

    /// The acceptor's cluster, when the acceptor is ours and PENDING (no dialer has used its
    /// token).
    fn pending_acceptor(&self) -> Option<&'a str> {
        let seen = self.acceptor.filter(|seen| !seen.is_dialer())?;
        (self.spec.acceptor.ours && seen.state == PeeringState::Pending)
            .then_some(self.spec.acceptor.cluster.as_str())
    }

    /// The `token_out` path, when the PENDING acceptor `seen` is this workspace's and the token
    /// it was generated for never reached that file (or the file is gone).
    fn lost_token_file(&self, seen: &LivePeering) -> Option<String> {
        let path = self.spec.token_out.as_ref()?;
        let lost = !self.spec.dialer.ours
            && !self.spec.token_out_exists
            && seen.owner().is(self.rules.workspace);
        lost.then(|| path.display().to_string())
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
        let mark = match seen.map(LivePeering::owner) {
            Some(Owner::Unnamed) => "with meshplan's mark but no workspace name",
            _ => "without meshplan's mark",
        };
        let reason = format!(
            "{}'s side exists {mark}; Consul cannot add a mark to a peering, so nothing is \
             written, its meta is not compared, and meshplan will never delete this side",
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
        meta.insert(WORKSPACE_KEY.to_owned(), self.rules.workspace.to_owned());
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

/// `{}` or `{owner = "platform", team = "payments"}`.
fn show_meta(meta: &BTreeMap<&str, &str>) -> String {
    let pairs: Vec<String> = meta
        .iter()
        .map(|(key, value)| format!("{key} = {value:?}"))
        .collect();
    format!("{{{}}}", pairs.join(", "))
}

pub(crate) fn seen_peering(peering: &LivePeering) -> SeenPeering {
    let owner = peering.owner();
    SeenPeering {
        state: peering.state.as_str().to_owned(),
        dialer: peering.is_dialer(),
        managed: owner != Owner::Nobody,
        workspace: match owner {
            Owner::Workspace(name) => Some(name),
            Owner::Nobody | Owner::Unnamed => None,
        },
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
    let modify_index = seen.map_or(0, |seen| seen.modify_index);
    let mut change = Change::new(cluster, Object::Peering(object), action, modify_index);
    change.reason = reason;
    change
}

/// Live peerings of the workspace's clusters that no declared peering names there.
fn undeclared_sides<'a>(
    desired: &'a Desired,
    live: &'a Live,
) -> impl Iterator<Item = (&'a str, &'a str, &'a LivePeering)> {
    let declared: BTreeSet<(&str, &str)> = desired
        .peerings
        .iter()
        .flat_map(PeeringSpec::our_sides)
        .map(|side| (side.cluster.as_str(), side.peer_name.as_str()))
        .collect();
    live.clusters
        .iter()
        .filter(|(cluster, _)| desired.clusters.contains_key(*cluster))
        .flat_map(|(cluster, read)| {
            read.peerings
                .iter()
                .map(move |(name, peering)| (cluster.as_str(), name.as_str(), peering))
        })
        .filter(move |(cluster, name, _)| !declared.contains(&(*cluster, *name)))
}

/// Deletes of peerings marked by `workspace` that no declared peering names on their cluster.
fn undeclared(desired: &Desired, live: &Live, workspace: &str) -> Vec<Change> {
    undeclared_sides(desired, live)
        .filter(|(_, _, peering)| peering.owner().is(workspace))
        .map(|(cluster, name, peering)| delete(cluster, name, peering))
        .collect()
}

/// Peerings marked without a workspace name that no declared peering names: never deleted.
fn unclaimed(desired: &Desired, live: &Live) -> Vec<Unclaimed> {
    undeclared_sides(desired, live)
        .filter(|(_, _, peering)| peering.owner() == Owner::Unnamed)
        .map(|(cluster, name, _)| Unclaimed {
            cluster: cluster.to_owned(),
            object: format!("peering {name}"),
        })
        .collect()
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
