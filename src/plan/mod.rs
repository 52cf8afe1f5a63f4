//! The planner: what the files declare ([`Desired`]) against what the clusters hold ([`Live`])
//! gives the [`Plan`] of changes that would make them match.
//!
//! [`plan`] is a pure function: no I/O, no clock, no `Result`. What it cannot decide alone
//! (a peering that must be re-established, an object that is not meshplan's) is a change in the
//! plan, never an error. Renderers (`render`) show the plan, `apply` executes it, and a saved
//! plan file is its serde form.
//!
//! - [`change`]: the plan's types.
//! - `peerings`: establish, re-establish, adopt and delete of peerings (rules in its docs).
//! - `entries`: create, update, adopt and delete of config entries, compared in
//!   `model::normalize`'s canonical form so that nothing written reads back as drift.
//! - `order`: the order changes are made in (peerings, entry writes with dependencies first,
//!   entry deletes in reverse, peering deletes).
//!
//! Ownership (design.md): meshplan deletes only what carries `Meta["managed-by"] = "meshplan"`
//! and no file declares; a declared object without the mark is adopted; anything else live is
//! never touched.

pub mod change;
mod entries;
mod order;
mod peerings;

#[cfg(test)]
pub(crate) mod tests;

pub use change::{
    Action, Change, EntryObject, FORMAT_VERSION, Object, PeeringEnd, PeeringObject, Plan,
    SeenPeering, Summary,
};

use crate::model::{Desired, Live};

/// The changes that make the clusters of `live` match `desired`, in the order to make them.
///
/// Only clusters present in both are planned: a cluster that was not read is left alone.
pub fn plan(desired: &Desired, live: &Live) -> Plan {
    let mut changes = peerings::changes(desired, live);
    changes.extend(entries::changes(desired, live));
    order::sort(&mut changes);
    let clusters = desired
        .clusters
        .keys()
        .filter(|cluster| live.clusters.contains_key(*cluster))
        .cloned()
        .collect();
    Plan::new(clusters, changes)
}
