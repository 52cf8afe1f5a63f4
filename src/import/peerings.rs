//! Live peerings as `peering` blocks of the workspace file.
//!
//! Consul fills `PeerID` only on the dialing side, with the acceptor's peering ID, so the two
//! sides of a peering between two clusters of the workspace are paired by that ID and become
//! one block. A side whose other half is on no cluster of the workspace becomes a one-sided
//! block, named after the peering's local name, with the token file it needs (`token_out` for
//! an acceptor, `token_file` for a dialer) set to `tokens/<name>.token` for the user to check:
//! the file is used only if meshplan ever has to establish the peering again.
//!
//! Left out, each with a note saying why: sides the workspace file already declares, sides
//! another workspace's mark owns, sides that are going away (DELETING, TERMINATED), and a side
//! named after a cluster of the workspace whose other half is not on that cluster (a peering
//! half made: it is for the user to declare or finish).

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Desired, Live, LivePeering, MARK_KEYS, Owner, PeeringState};

/// A `peering` block to add to the workspace file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub acceptor: String,
    pub dialer: String,
    /// Set only when it differs from the default (the dialer's name).
    pub name_on_acceptor: Option<String>,
    /// Set only when it differs from the default (the acceptor's name).
    pub name_on_dialer: Option<String>,
    pub meta: BTreeMap<String, String>,
    pub handover: Option<Handover>,
}

/// For a one-sided peering, the file the token goes through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handover {
    /// Only the acceptor is ours: `token_out`.
    TokenOut(String),
    /// Only the dialer is ours: `token_file`.
    TokenFile(String),
}

/// One side as read: its cluster and the peering there.
#[derive(Clone, Copy)]
struct Side<'a> {
    cluster: &'a str,
    peering: &'a LivePeering,
}

/// The blocks for the peerings with a side on one of `clusters`, and notes on what was left
/// out or needs the user's attention.
pub fn blocks(
    desired: &Desired,
    live: &Live,
    clusters: &BTreeSet<String>,
) -> (Vec<Block>, Vec<String>) {
    let mut notes = Vec::new();
    let declared: BTreeSet<(&str, &str)> = desired
        .peerings
        .iter()
        .flat_map(|spec| spec.our_sides())
        .map(|side| (side.cluster.as_str(), side.peer_name.as_str()))
        .collect();
    let sides: Vec<Side<'_>> = live
        .clusters
        .iter()
        .flat_map(|(cluster, read)| {
            read.peerings.values().map(move |peering| Side {
                cluster: cluster.as_str(),
                peering,
            })
        })
        .filter(|side| usable(side, &declared, desired, clusters, &mut notes))
        .collect();
    let acceptors: BTreeMap<&str, Side<'_>> = sides
        .iter()
        .filter(|side| !side.peering.is_dialer())
        .map(|side| (side.peering.id.as_str(), *side))
        .collect();
    let mut paired = BTreeSet::new();
    let mut blocks = Vec::new();
    for dialer in sides.iter().filter(|side| side.peering.is_dialer()) {
        let acceptor = dialer
            .peering
            .peer_id
            .as_deref()
            .and_then(|id| acceptors.get(id));
        match acceptor {
            Some(acceptor) => {
                paired.insert(acceptor.peering.id.as_str());
                if clusters.contains(acceptor.cluster) || clusters.contains(dialer.cluster) {
                    blocks.push(both_sides(*acceptor, *dialer, &mut notes));
                }
            }
            None if clusters.contains(dialer.cluster) => {
                blocks.extend(one_side(*dialer, desired, &mut notes));
            }
            None => {}
        }
    }
    for acceptor in acceptors.values() {
        if paired.contains(acceptor.peering.id.as_str()) || !clusters.contains(acceptor.cluster) {
            continue;
        }
        blocks.extend(one_side(*acceptor, desired, &mut notes));
    }
    (blocks, notes)
}

/// Whether `side` can be imported; a note when it is left out for a reason the user should know.
fn usable(
    side: &Side<'_>,
    declared: &BTreeSet<(&str, &str)>,
    desired: &Desired,
    clusters: &BTreeSet<String>,
    notes: &mut Vec<String>,
) -> bool {
    let peering = side.peering;
    // Sides on other clusters are read only to pair them: nothing is said about them.
    let mut note = |text: String| {
        if clusters.contains(side.cluster) {
            notes.push(text);
        }
    };
    let what = format!("peering `{}` on `{}`", peering.name, side.cluster);
    if declared.contains(&(side.cluster, peering.name.as_str())) {
        return false;
    }
    if matches!(
        peering.state,
        PeeringState::Deleting | PeeringState::Terminated
    ) {
        note(format!("{what} is {}: left out", peering.state.as_str()));
        return false;
    }
    match peering.owner() {
        Owner::Workspace(owner) if owner != desired.workspace => {
            note(format!(
                "{what} belongs to workspace `{owner}`: left out (declare it and apply with \
                 `--take-over {owner}` to move it here)"
            ));
            false
        }
        _ => true,
    }
}

fn both_sides(acceptor: Side<'_>, dialer: Side<'_>, notes: &mut Vec<String>) -> Block {
    let meta = meta(acceptor.peering);
    if meta != self::meta(dialer.peering) {
        notes.push(format!(
            "peering `{}` on `{}` and `{}` on `{}` have different meta; the block has the \
             acceptor's",
            acceptor.peering.name, acceptor.cluster, dialer.peering.name, dialer.cluster
        ));
    }
    Block {
        acceptor: acceptor.cluster.to_owned(),
        dialer: dialer.cluster.to_owned(),
        name_on_acceptor: (acceptor.peering.name != dialer.cluster)
            .then(|| acceptor.peering.name.clone()),
        name_on_dialer: (dialer.peering.name != acceptor.cluster)
            .then(|| dialer.peering.name.clone()),
        meta,
        handover: None,
    }
}

/// The block of a side whose other half is on no cluster of the workspace, named after the
/// peering's local name.
fn one_side(side: Side<'_>, desired: &Desired, notes: &mut Vec<String>) -> Option<Block> {
    let name = &side.peering.name;
    if desired.clusters.contains_key(name) {
        notes.push(format!(
            "peering `{name}` on `{}` is named after a cluster of this workspace, but `{name}` \
             holds no {} side of it: left out; declare it by hand once both sides exist",
            side.cluster,
            if side.peering.is_dialer() {
                "accepting"
            } else {
                "dialing"
            },
        ));
        return None;
    }
    let token = format!("tokens/{name}.token");
    let (acceptor, dialer, handover, field) = if side.peering.is_dialer() {
        let handover = Handover::TokenFile(token.clone());
        (
            name.clone(),
            side.cluster.to_owned(),
            handover,
            "token_file",
        )
    } else {
        let handover = Handover::TokenOut(token.clone());
        (side.cluster.to_owned(), name.clone(), handover, "token_out")
    };
    notes.push(format!(
        "peering `{name}` on `{}` has its other side outside this workspace: its block has \
         `{field} = \"{token}\"`; check that path (it is used only when meshplan establishes \
         the peering again)",
        side.cluster
    ));
    Some(Block {
        acceptor,
        dialer,
        name_on_acceptor: None,
        name_on_dialer: None,
        meta: meta(side.peering),
        handover: Some(handover),
    })
}

/// A side's meta without meshplan's mark.
fn meta(peering: &LivePeering) -> BTreeMap<String, String> {
    peering
        .meta
        .iter()
        .filter(|(key, _)| !MARK_KEYS.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}
