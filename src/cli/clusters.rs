//! `--cluster NAME`: which clusters a command changes, which it must read to decide that, and
//! one Consul client for each cluster read.
//!
//! A peering spans two clusters, so deciding what to do about one side needs the other side's
//! state: the clusters a selected cluster peers with are read too (reading changes nothing).
//! Only changes on the selected clusters are kept, like Terraform's `-target`.

use std::collections::BTreeSet;

use anyhow::bail;

use crate::consul::{Client, ClientOptions, Env};
use crate::model::Desired;
use crate::plan::{Object, Plan};
use crate::suggest::closest;

/// The clusters a command acts on, and those it reads.
pub(crate) struct Selection {
    pub acting: BTreeSet<String>,
    pub reading: BTreeSet<String>,
}

/// The selection for `--cluster` names; none means every cluster of the workspace.
///
/// # Errors
/// A name that is not a cluster of the workspace.
pub(crate) fn select(desired: &Desired, names: &[String]) -> anyhow::Result<Selection> {
    let all: Vec<&str> = desired.clusters.keys().map(String::as_str).collect();
    for name in names {
        if !desired.clusters.contains_key(name) {
            match closest(name, &all) {
                Some(best) => {
                    bail!("`{name}` is not a cluster of this workspace; did you mean `{best}`?")
                }
                None => bail!(
                    "`{name}` is not a cluster of this workspace (it has: {})",
                    all.join(", ")
                ),
            }
        }
    }
    let acting: BTreeSet<String> = if names.is_empty() {
        desired.clusters.keys().cloned().collect()
    } else {
        names.iter().cloned().collect()
    };
    let mut reading = acting.clone();
    for peering in &desired.peerings {
        let sides: Vec<_> = peering.our_sides().collect();
        if sides.iter().any(|side| acting.contains(&side.cluster)) {
            reading.extend(sides.iter().map(|side| side.cluster.clone()));
        }
    }
    Ok(Selection { acting, reading })
}

/// A client for each cluster in `names`, in name order.
///
/// # Errors
/// A cluster whose address, token or TLS settings are unusable (the error names it).
pub(crate) fn clients(
    desired: &Desired,
    names: &BTreeSet<String>,
) -> anyhow::Result<Vec<(String, Client)>> {
    clients_with(desired, names, ClientOptions::default())
}

/// A client for each cluster in `names`, in name order, built with `options`.
///
/// # Errors
/// As [`clients`].
pub(crate) fn clients_with(
    desired: &Desired,
    names: &BTreeSet<String>,
    options: ClientOptions,
) -> anyhow::Result<Vec<(String, Client)>> {
    let env = Env::from_process();
    names
        .iter()
        .filter_map(|name| desired.clusters.get(name))
        .map(|spec| {
            let client = Client::with_options(spec, &env, &desired.root, options)?;
            Ok((spec.name.clone(), client))
        })
        .collect()
}

/// `plan` with only the changes on the acting clusters (for a peering: on either of its
/// sides).
pub(crate) fn restrict(plan: Plan, acting: &BTreeSet<String>) -> Plan {
    let touches = |change: &crate::plan::Change| match &change.object {
        Object::Peering(peering) => [&peering.acceptor, &peering.dialer]
            .into_iter()
            .flatten()
            .any(|end| end.ours && acting.contains(&end.cluster)),
        Object::Entry(_) => acting.contains(&change.cluster),
    } || acting.contains(&change.cluster);
    let changes = plan.changes.into_iter().filter(touches).collect();
    let clusters = plan
        .clusters
        .into_iter()
        .filter(|c| acting.contains(c))
        .collect();
    let mut restricted = Plan::new(&plan.workspace, clusters, changes);
    restricted.emptied = plan
        .emptied
        .into_iter()
        .filter(|e| acting.contains(&e.cluster))
        .collect();
    restricted.unclaimed = plan
        .unclaimed
        .into_iter()
        .filter(|u| acting.contains(&u.cluster))
        .collect();
    restricted.not_active = plan
        .not_active
        .into_iter()
        .filter(|side| acting.contains(&side.cluster))
        .collect();
    restricted
}
