//! Config-entry changes, cluster by cluster: create, update, adopt and delete.
//!
//! Both sides are brought to `model::normalize`'s canonical form before comparing, so that an
//! entry meshplan wrote and Consul returned compares equal (no false drift). Rules:
//! - A cluster missing from `Live` was not read (say `--cluster` left it out): nothing is
//!   planned for it. Likewise an entry of a kind not in `LiveCluster::kinds` is unknown, not
//!   absent: it is neither created nor deleted.
//! - Declared and absent → `Create` (cas 0). Declared, present, equal and marked by this
//!   workspace → nothing; marked by it but different → `Update`. Present without a mark, or
//!   with a mark that names no workspace → `Adopt` (the write adds this workspace's mark and
//!   any content change). Marked by another workspace → `Conflict` (never written), or
//!   `TakeOver` when `--take-over` names that workspace.
//! - Marked by this workspace, of a listed kind, not declared → `Delete` (cas = its
//!   ModifyIndex). Marked without a workspace name and not declared → listed as unclaimed.
//!   Anything else not declared: never touched.
//! - A cluster where every entry this workspace owns would be deleted is reported as emptied.
//! - Entry keys match with an absent, empty or `default` namespace/partition being the same.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::Rules;
use super::change::{Action, Change, Emptied, EntryObject, Object, Unclaimed};
use crate::model::normalize::{
    align_keys, canonical, display_order, folds_to, lift_singletons, normalized, same,
};
use crate::model::{
    ConfigEntry, Desired, DesiredEntry, EntryKey, Live, LiveCluster, LiveEntry, MANAGED_BY_KEY,
    MANAGED_BY_VALUE, MARK_KEYS, Owner, Path, WORKSPACE_KEY,
};

/// The config-entry part of a plan.
#[derive(Default)]
pub(super) struct EntryPlan {
    /// Unordered.
    pub changes: Vec<Change>,
    pub emptied: Vec<Emptied>,
    pub unclaimed: Vec<Unclaimed>,
}

/// Every config-entry change of every cluster that was read.
pub(super) fn changes(desired: &Desired, live: &Live, rules: &Rules<'_>) -> EntryPlan {
    let none = BTreeMap::new();
    // Clusters are independent, so each is compared on its own thread: with thousands of
    // entries per cluster, normalising both sides is most of a plan's time.
    std::thread::scope(|scope| {
        let planning: Vec<_> = live
            .clusters
            .iter()
            .filter(|(cluster, _)| desired.clusters.contains_key(*cluster))
            .map(|(cluster, live_cluster)| {
                let declared = desired.entries.get(cluster).unwrap_or(&none);
                scope.spawn(move || cluster_changes(cluster, declared, live_cluster, rules))
            })
            .collect();
        let mut plan = EntryPlan::default();
        for thread in planning {
            let cluster = match thread.join() {
                Ok(cluster) => cluster,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            plan.changes.extend(cluster.changes);
            plan.emptied.extend(cluster.emptied);
            plan.unclaimed.extend(cluster.unclaimed);
        }
        plan
    })
}

/// An entry as a plan looks it up: `key` with a default namespace and partition left out.
/// Borrowed from the key, so that comparing thousands of entries copies no names; a change
/// takes its own [`EntryObject`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct ObjectRef<'a> {
    kind: &'a str,
    name: &'a str,
    namespace: Option<&'a str>,
    partition: Option<&'a str>,
}

impl<'a> ObjectRef<'a> {
    fn of(key: &'a EntryKey) -> Self {
        Self {
            kind: &key.kind,
            name: &key.name,
            namespace: non_default(&key.namespace),
            partition: non_default(&key.partition),
        }
    }

    fn owned(self) -> EntryObject {
        EntryObject {
            kind: self.kind.to_owned(),
            name: self.name.to_owned(),
            namespace: self.namespace.map(str::to_owned),
            partition: self.partition.map(str::to_owned),
        }
    }
}

fn non_default(value: &Option<String>) -> Option<&str> {
    value
        .as_deref()
        .filter(|value| !value.is_empty() && !value.eq_ignore_ascii_case("default"))
}

fn cluster_changes(
    cluster: &str,
    declared: &BTreeMap<EntryKey, DesiredEntry>,
    live: &LiveCluster,
    rules: &Rules<'_>,
) -> EntryPlan {
    // Each live entry of a listed kind, and whether a file declares it.
    let mut live_entries: BTreeMap<ObjectRef<'_>, (&LiveEntry, bool)> = live
        .entries
        .iter()
        .filter(|(key, _)| live.kinds.contains(&key.kind))
        .map(|(key, entry)| (ObjectRef::of(key), (entry, false)))
        .collect();
    let mut changes = Vec::new();
    for (key, entry) in declared {
        if !live.kinds.contains(&key.kind) {
            continue;
        }
        let object = ObjectRef::of(key);
        let live_entry = live_entries.get_mut(&object).map(|(live, declared)| {
            *declared = true;
            &**live
        });
        changes.extend(entry_change(
            cluster,
            object,
            &entry.entry,
            live_entry,
            rules,
        ));
    }
    let mut plan = EntryPlan::default();
    let mut owned = 0;
    for (object, &(entry, declared)) in &live_entries {
        match entry.owner() {
            Owner::Workspace(name) if name == rules.workspace => {
                owned += 1;
                if !declared {
                    changes.push(delete(cluster, *object, entry));
                }
            }
            Owner::Unnamed if !declared => plan.unclaimed.push(Unclaimed {
                cluster: cluster.to_owned(),
                object: object.owned().to_string(),
            }),
            _ => {}
        }
    }
    let deletes = changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .count();
    if owned > 0 && deletes == owned {
        plan.emptied.push(Emptied {
            cluster: cluster.to_owned(),
            deletes,
            allowed: rules.options.allow_delete_all,
        });
    }
    plan.changes = changes;
    plan
}

/// The change that makes the live entry (if any) match the declared one, if one is needed.
fn entry_change(
    cluster: &str,
    object: ObjectRef<'_>,
    entry: &ConfigEntry,
    live: Option<&LiveEntry>,
    rules: &Rules<'_>,
) -> Option<Change> {
    let claim = live.and_then(|live| rules.claim(live.owner()));
    if let Some(live) = live
        && claim.is_none()
        && super::unchanged::holds(entry, rules.workspace, live)
    {
        return None;
    }
    // The body is built again for a change rather than copied for every entry: most entries
    // have none.
    let mut after = normalized(object.kind, body(entry, rules.workspace));
    let Some(live) = live else {
        let mut change = bare(cluster, object, Action::Create, 0);
        display_order(&mut after);
        change.after = Some(after);
        change.body = Some(body(entry, rules.workspace));
        return Some(change);
    };
    let mut before = normalized(object.kind, Value::Object(live.body()));
    lift_singletons(&mut after, &before);
    if claim.is_none() && same(&after, &before) {
        return None;
    }
    let content_same = same(&without_mark(&after), &without_mark(&before));
    display_order(&mut before);
    display_order(&mut after);
    align_keys(&mut after, &before);
    let (action, reason) = match claim {
        None => (Action::Update, None),
        Some((action, why)) if content_same => (action, Some(why)),
        Some((action, why)) => (
            action,
            Some(format!("{why} (its content also differs from the files)")),
        ),
    };
    let mut change = bare(cluster, object, action, live.modify_index);
    change.reason = reason;
    change.changed = changed_paths(&before, &after);
    change.differences =
        super::describe::differences(object.kind, &without_mark(&before), &without_mark(&after));
    change.before = Some(before);
    change.after = Some(after);
    // A conflict is shown, never written: it carries no body to PUT.
    change.body = (action != Action::Conflict).then(|| body(entry, rules.workspace));
    Some(change)
}

fn delete(cluster: &str, object: ObjectRef<'_>, live: &LiveEntry) -> Change {
    let mut change = bare(cluster, object, Action::Delete, live.modify_index);
    change.reason = Some("this workspace owns it and no file declares it".to_owned());
    change.before = Some(canonical(object.kind, &Value::Object(live.body())));
    change
}

/// A change of an entry with no content yet.
fn bare(cluster: &str, object: ObjectRef<'_>, action: Action, modify_index: u64) -> Change {
    Change::new(cluster, Object::Entry(object.owned()), action, modify_index)
}

/// The PUT body: the entry as declared, plus the ownership mark naming `workspace` in its
/// `Meta` (in whatever spelling the file used for `Meta`; Consul matches keys
/// case-insensitively).
fn body(entry: &ConfigEntry, workspace: &str) -> Value {
    let mut body = entry.to_json();
    if let Value::Object(map) = &mut body {
        let key = map
            .keys()
            .find(|key| folds_to(key, "meta"))
            .cloned()
            .unwrap_or_else(|| "Meta".to_owned());
        let meta = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
        if !meta.is_object() {
            *meta = Value::Object(Map::new());
        }
        if let Value::Object(meta) = meta {
            meta.insert(MANAGED_BY_KEY.to_owned(), MANAGED_BY_VALUE.into());
            meta.insert(WORKSPACE_KEY.to_owned(), workspace.into());
        }
    }
    body
}

/// A canonical entry without the ownership mark (and without `Meta` if that leaves it empty).
fn without_mark(entry: &Value) -> Value {
    let mut entry = entry.clone();
    if let Value::Object(map) = &mut entry {
        let meta_key = map.keys().find(|key| folds_to(key, "meta")).cloned();
        if let Some(key) = meta_key {
            let empty = map
                .get_mut(&key)
                .and_then(Value::as_object_mut)
                .is_some_and(|meta| {
                    for key in MARK_KEYS {
                        meta.remove(key);
                    }
                    meta.is_empty()
                });
            if empty {
                map.remove(&key);
            }
        }
    }
    entry
}

/// The paths at which `before` and `after` differ, in document order: a subtree present on one
/// side only is one path; lists are compared element by element.
fn changed_paths(before: &Value, after: &Value) -> Vec<String> {
    let mut paths = Vec::new();
    walk(&Path::root(), Some(before), Some(after), &mut paths);
    paths.into_iter().map(|path| path.to_string()).collect()
}

fn walk(path: &Path, before: Option<&Value>, after: Option<&Value>, out: &mut Vec<Path>) {
    match (before, after) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys = a.keys().chain(b.keys().filter(|key| !a.contains_key(*key)));
            for key in keys {
                walk(&path.key(key.as_str()), a.get(key), b.get(key), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                walk(&path.index(i), a.get(i), b.get(i), out);
            }
        }
        (a, b) if a != b => out.push(path.clone()),
        _ => {}
    }
}
