//! The order `apply` makes changes in, which is also the order plans show them.
//!
//! 1. Peerings are established and re-established first (and `apply` waits for ACTIVE), so that
//!    exported-services and intentions naming a peer find it working. Peering adopts, which
//!    write nothing, are shown with them.
//! 2. Config-entry creates, updates and adopts, dependencies first, by kind:
//!    `jwt-provider`, `mesh`, `sameness-group` (referenced by others); then intentions whose L7
//!    `Permissions` are going away (Consul refuses to set a protocol back to `tcp` while L7
//!    intentions exist); `proxy-defaults`, `service-defaults` (the protocol L7 intentions and
//!    routers need); `service-resolver`, `service-splitter`, `service-router` (a discovery
//!    chain's own order); every other kind; `service-intentions`; `exported-services` last.
//! 3. Config-entry deletes in the reverse kind order (intentions before the service-defaults
//!    and jwt-provider they need).
//! 4. Peering deletes last, once nothing refers to them any more.
//!
//! Within a step: by cluster, then kind, then name, so that plans (and snapshots) are stable.

use serde_json::Value;

use super::change::{Action, Change, Object};
use crate::model::entry::{EXPORTED_SERVICES, SERVICE_INTENTIONS};
use crate::model::normalize::folds_to;

/// Sorts `changes` into apply order.
pub(super) fn sort(changes: &mut [Change]) {
    changes.sort_by_cached_key(|change| {
        let (rank, kind, name) = match &change.object {
            Object::Entry(entry) if change.action == Action::Delete => {
                (-rank(&entry.kind, change), entry.kind.as_str(), &entry.name)
            }
            Object::Entry(entry) => (rank(&entry.kind, change), entry.kind.as_str(), &entry.name),
            Object::Peering(peering) => (0, "", &peering.name),
        };
        let cluster = change.cluster.clone();
        (step(change), cluster, rank, kind.to_owned(), name.clone())
    });
}

/// The steps of a plan, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Peerings,
    EntryWrites,
    EntryDeletes,
    PeeringDeletes,
}

fn step(change: &Change) -> Step {
    match (&change.object, change.action) {
        (Object::Peering(_), Action::Delete) => Step::PeeringDeletes,
        (Object::Peering(_), _) => Step::Peerings,
        (Object::Entry(_), Action::Delete) => Step::EntryDeletes,
        (Object::Entry(_), _) => Step::EntryWrites,
    }
}

/// A kind's place in the write order (lower first).
fn rank(kind: &str, change: &Change) -> i32 {
    match kind {
        "jwt-provider" | "mesh" | "sameness-group" => 0,
        SERVICE_INTENTIONS if loses_l7(change) => 1,
        "proxy-defaults" => 2,
        "service-defaults" => 3,
        "service-resolver" => 4,
        "service-splitter" => 5,
        "service-router" => 6,
        SERVICE_INTENTIONS => 8,
        EXPORTED_SERVICES => 9,
        _ => 7,
    }
}

/// Whether an intentions write removes every L7 permission the live entry has.
fn loses_l7(change: &Change) -> bool {
    change.action != Action::Delete
        && change.before.as_ref().is_some_and(has_l7)
        && !change.after.as_ref().is_some_and(has_l7)
}

/// Whether an intentions entry (canonical JSON) has a source with `Permissions`.
fn has_l7(entry: &Value) -> bool {
    let sources = member(entry, "sources").and_then(Value::as_array);
    sources.is_some_and(|sources| {
        sources
            .iter()
            .any(|source| member(source, "permissions").is_some())
    })
}

/// An object's member by folded key.
fn member<'a>(value: &'a Value, folded: &str) -> Option<&'a Value> {
    let map = value.as_object()?;
    map.iter()
        .find(|(key, _)| folds_to(key, folded))
        .map(|(_, value)| value)
}
