//! The order `apply` makes changes in, which is also the order plans show them.
//!
//! 1. Peerings are established and re-established first (and `apply` waits for ACTIVE), so that
//!    exported-services and intentions naming a peer find it working. Peering adopts, which
//!    write nothing, are shown with them.
//! 2. Config-entry creates, updates and adopts, dependencies first, by kind:
//!    `jwt-provider`, `mesh`, `sameness-group` (referenced by others); then intentions whose L7
//!    `Permissions` are going away, deletes of such intentions included (Consul refuses to set a
//!    protocol back to `tcp` while L7 intentions exist); `proxy-defaults`, `service-defaults`
//!    (the protocol L7 intentions and routers need); `service-resolver`, `service-splitter`,
//!    `service-router` (a discovery chain's own order); every other kind; `service-intentions`;
//!    `exported-services` last.
//! 3. Config-entry deletes in the reverse kind order (intentions before the service-defaults
//!    and jwt-provider they need).
//! 4. Peering deletes last, once nothing refers to them any more.
//!
//! Within a kind, entries of one cluster that name each other come in tiers: a resolver that
//! redirects or fails over to another service's subset is written after that service's resolver
//! (Consul refuses a subset that does not exist yet), and deleted before it. Then by cluster,
//! kind, tier and name, so that plans (and snapshots) are stable.

use std::collections::HashMap;

use serde_json::Value;

use super::change::{Action, Change, Object};
use crate::model::entry::{EXPORTED_SERVICES, SERVICE_INTENTIONS};
use crate::model::normalize::folds_to;

const SERVICE_RESOLVER: &str = "service-resolver";

/// Sorts `changes` into apply order.
pub(crate) fn sort(changes: &mut [Change]) {
    let tiers = Tiers::of(changes);
    changes.sort_by_cached_key(|change| {
        let tier = tiers.of_change(change);
        let (rank, kind, name) = match &change.object {
            Object::Entry(entry) if step(change) == Step::EntryDeletes => {
                (-rank(&entry.kind, change), entry.kind.as_str(), &entry.name)
            }
            Object::Entry(entry) => (rank(&entry.kind, change), entry.kind.as_str(), &entry.name),
            Object::Peering(peering) => (0, "", &peering.name),
        };
        let cluster = change.cluster.clone();
        (
            step(change),
            cluster,
            rank,
            kind.to_owned(),
            tier,
            name.clone(),
        )
    });
}

/// The steps of a plan, in order. `apply` runs one step at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Step {
    Peerings,
    EntryWrites,
    EntryDeletes,
    PeeringDeletes,
}

/// The step `change` belongs to. Deleting intentions that hold L7 permissions is an entry write
/// step (it must come before a protocol goes back to `tcp`); deleting a dependent early is
/// always safe.
pub(crate) fn step(change: &Change) -> Step {
    match (&change.object, change.action) {
        (Object::Peering(_), Action::Delete) => Step::PeeringDeletes,
        (Object::Peering(_), _) => Step::Peerings,
        (Object::Entry(entry), Action::Delete) if entry.kind == SERVICE_INTENTIONS => {
            if loses_l7(change) {
                Step::EntryWrites
            } else {
                Step::EntryDeletes
            }
        }
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
        SERVICE_RESOLVER => 4,
        "service-splitter" => 5,
        "service-router" => 6,
        SERVICE_INTENTIONS => 8,
        EXPORTED_SERVICES => 9,
        _ => 7,
    }
}

/// The tier of each service-resolver change within its cluster and step: 0 for one that waits
/// for no other resolver change of the plan, else one more than the highest tier it waits for.
/// A write waits for the writes of the resolvers it names (`Redirect`, `Failover`, their
/// `Targets`: any `Service` member); a delete waits for the deletes of the resolvers that name
/// it. Every other change is tier 0. A cycle of names (which Consul would refuse anyway unless
/// one side exists) is cut where it is found, so every change gets a tier.
pub(crate) struct Tiers {
    /// (cluster, is a delete, resolver name) → tier.
    tiers: HashMap<(String, bool, String), u32>,
}

impl Tiers {
    pub(crate) fn of(changes: &[Change]) -> Self {
        let resolvers: Vec<(&Change, &str)> = changes
            .iter()
            .filter_map(|change| match &change.object {
                Object::Entry(entry) if entry.kind == SERVICE_RESOLVER => {
                    Some((change, entry.name.as_str()))
                }
                _ => None,
            })
            .collect();
        fn group_of(change: &Change) -> (&str, bool) {
            (change.cluster.as_str(), change.action == Action::Delete)
        }
        // (cluster, delete?) → the resolvers changed so.
        let mut names: HashMap<(&str, bool), Vec<&str>> = HashMap::new();
        for (change, name) in &resolvers {
            names.entry(group_of(change)).or_default().push(name);
        }
        // (cluster, delete?) → resolver name → the resolvers it waits for.
        let mut waits: HashMap<(&str, bool), HashMap<&str, Vec<&str>>> = HashMap::new();
        for &(change, name) in &resolvers {
            let key = group_of(change);
            let peers = &names[&key];
            let group = waits.entry(key).or_default();
            if change.action == Action::Delete {
                // The resolvers being deleted that name this one wait for nothing; this one
                // waits for them.
                let named = change.before.as_ref().map(services).unwrap_or_default();
                for target in named.into_iter().filter(|n| *n != name) {
                    if peers.contains(&target) {
                        group.entry(target).or_default().push(name);
                    }
                }
                group.entry(name).or_default();
            } else {
                let named = change.body.as_ref().map(services).unwrap_or_default();
                let wanted = group.entry(name).or_default();
                wanted.extend(
                    named
                        .into_iter()
                        .filter(|n| *n != name && peers.contains(n)),
                );
            }
        }
        let mut tiers = HashMap::new();
        for ((cluster, delete), group) in &waits {
            let mut memo: HashMap<&str, u32> = HashMap::new();
            for name in group.keys() {
                let tier = tier_of(name, group, &mut memo, &mut Vec::new());
                tiers.insert((cluster.to_string(), *delete, name.to_string()), tier);
            }
        }
        Self { tiers }
    }

    /// The tier of `change` (0 for anything but a service-resolver change).
    pub(crate) fn of_change(&self, change: &Change) -> u32 {
        let Object::Entry(entry) = &change.object else {
            return 0;
        };
        if entry.kind != SERVICE_RESOLVER {
            return 0;
        }
        let key = (
            change.cluster.clone(),
            change.action == Action::Delete,
            entry.name.clone(),
        );
        self.tiers.get(&key).copied().unwrap_or(0)
    }
}

fn tier_of<'a>(
    name: &'a str,
    waits: &HashMap<&'a str, Vec<&'a str>>,
    memo: &mut HashMap<&'a str, u32>,
    path: &mut Vec<&'a str>,
) -> u32 {
    if let Some(tier) = memo.get(name) {
        return *tier;
    }
    if path.contains(&name) {
        return 0;
    }
    path.push(name);
    let tier = waits
        .get(name)
        .into_iter()
        .flatten()
        .map(|wanted| tier_of(wanted, waits, memo, path) + 1)
        .max()
        .unwrap_or(0);
    path.pop();
    memo.insert(name, tier);
    tier
}

/// The services an entry names: the string value of every member named `Service`, at any depth.
pub(crate) fn services(body: &Value) -> Vec<&str> {
    strings_named(body, &["service"])
}

/// The non-empty string values of the members whose key folds to one of `folded_keys`, at any
/// depth, keys matched as Consul matches them.
pub(crate) fn strings_named<'a>(value: &'a Value, folded_keys: &[&str]) -> Vec<&'a str> {
    let mut found = Vec::new();
    collect_strings(value, folded_keys, &mut found);
    found
}

fn collect_strings<'a>(value: &'a Value, folded_keys: &[&str], found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, member) in map {
                match member {
                    Value::String(text) if folded_keys.iter().any(|k| folds_to(key, k)) => {
                        if !text.is_empty() {
                            found.push(text);
                        }
                    }
                    _ => collect_strings(member, folded_keys, found),
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_strings(item, folded_keys, found)),
        _ => {}
    }
}

/// Whether an intentions write or delete removes every L7 permission the live entry has.
fn loses_l7(change: &Change) -> bool {
    change.before.as_ref().is_some_and(has_l7) && !change.after.as_ref().is_some_and(has_l7)
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
