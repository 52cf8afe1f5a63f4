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
//! - [`crosscheck`]: what Consul would refuse that only the files and the clusters together
//!   tell (L7 permissions on a non-HTTP service, Enterprise features on Community Edition),
//!   found before the plan is made.
//!
//! Ownership (design.md, `model::ownership`): what meshplan writes is marked with the
//! workspace's name, and a plan
//! - deletes only objects marked with *this* workspace's name that no file declares;
//! - adopts a declared object without a mark, or with a mark that names no workspace (written
//!   before workspaces had names): the write adds this workspace's mark;
//! - never writes a declared object that another workspace's mark names ([`Action::Conflict`]),
//!   unless [`Options::take_over`] names that workspace ([`Action::TakeOver`]);
//! - never deletes a marked object without a workspace name: it lists it in
//!   [`Plan::unclaimed`], so the workspace that wants it can declare it;
//! - never touches anything else.
//!
//! A plan that deletes every config entry the workspace owns on a cluster records it in
//! [`Plan::emptied`]; `apply` refuses it unless [`Options::allow_delete_all`].

pub mod change;
mod compare;
pub mod crosscheck;
mod describe;
mod entries;
pub(crate) mod order;
mod peerings;
pub mod unchanged;

#[cfg(test)]
pub(crate) mod tests;

pub use change::{
    Action, Change, Emptied, EntryObject, FORMAT_VERSION, NotActive, Object, PeeringEnd,
    PeeringObject, Plan, SeenPeering, Summary, Unclaimed,
};
pub(crate) use peerings::seen_peering;

use std::collections::BTreeSet;

pub use compare::beyond;

use serde::{Deserialize, Serialize};

use crate::model::{Desired, Live};

/// What the person running the plan allowed beyond the default rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// Workspaces whose objects the files declare and this workspace takes over
    /// (`--take-over NAME`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub take_over: BTreeSet<String>,
    /// Allow deleting every config entry the workspace owns on a cluster
    /// (`--allow-delete-all`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_delete_all: bool,
}

/// The changes that make the clusters of `live` match `desired`, in the order to make them,
/// with the default rules.
///
/// Only clusters present in both are planned: a cluster that was not read is left alone.
pub fn plan(desired: &Desired, live: &Live) -> Plan {
    plan_with(desired, live, &Options::default())
}

/// [`plan`], with what `options` allow.
pub fn plan_with(desired: &Desired, live: &Live, options: &Options) -> Plan {
    let rules = Rules {
        workspace: &desired.workspace,
        options,
    };
    let peerings = peerings::plan(desired, live, &rules);
    let mut changes = peerings.changes;
    let entries = entries::changes(desired, live, &rules);
    changes.extend(entries.changes);
    order::sort(&mut changes);
    let clusters = desired
        .clusters
        .keys()
        .filter(|cluster| live.clusters.contains_key(*cluster))
        .cloned()
        .collect();
    let mut plan = Plan::new(&desired.workspace, clusters, changes);
    plan.emptied = entries.emptied;
    plan.unclaimed = entries.unclaimed;
    plan.unclaimed.extend(peerings.unclaimed);
    plan.not_active = peerings.not_active;
    plan.unclaimed
        .sort_by(|a, b| (&a.cluster, &a.object).cmp(&(&b.cluster, &b.object)));
    plan
}

/// Whose objects a plan may touch, and how.
pub(crate) struct Rules<'a> {
    /// This workspace's name.
    pub workspace: &'a str,
    pub options: &'a Options,
}

impl Rules<'_> {
    /// What to do about a declared object whose live mark names `owner`: `None` when this
    /// workspace owns it, else the action and why.
    pub fn claim(&self, owner: &crate::model::Owner) -> Option<(Action, String)> {
        use crate::model::Owner;
        match owner {
            Owner::Workspace(name) if name == self.workspace => None,
            Owner::Workspace(name) if self.options.take_over.contains(name) => Some((
                Action::TakeOver,
                format!("owned by workspace `{name}`; --take-over hands it to this workspace"),
            )),
            Owner::Workspace(name) => Some((
                Action::Conflict,
                format!(
                    "owned by workspace `{name}`; it is never written unless handed over with \
                     `--take-over {name}`"
                ),
            )),
            Owner::Unnamed => Some((
                Action::Adopt,
                "marked by meshplan without a workspace name; the write adds this workspace's \
                 name"
                    .to_owned(),
            )),
            Owner::Nobody => Some((
                Action::Adopt,
                "it exists without meshplan's mark; the write adds the mark".to_owned(),
            )),
        }
    }
}
