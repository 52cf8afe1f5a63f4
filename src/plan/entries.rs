//! Config-entry changes, cluster by cluster: create, update, adopt and delete.
//!
//! Both sides are brought to `model::normalize`'s canonical form before comparing, so that an
//! entry meshplan wrote and Consul returned compares equal (no false drift). Rules:
//! - A cluster missing from `Live` was not read (say `--cluster` left it out): nothing is
//!   planned for it. Likewise an entry of a kind not in `LiveCluster::kinds` is unknown, not
//!   absent: it is neither created nor deleted.
//! - Declared and absent → `Create` (cas 0). Declared, present, equal and marked → nothing.
//!   Present without the mark → `Adopt` (the write adds the mark and any content change).
//!   Marked but different → `Update`.
//! - Marked, of a listed kind, not declared → `Delete` (cas = its ModifyIndex). Unmarked and
//!   not declared: never touched.
//! - Entry keys match with an absent, empty or `default` namespace/partition being the same.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::change::{Action, Change, EntryObject, Object};
use crate::model::normalize::{
    align_keys, canonical, display_order, folds_to, lift_singletons, normalized, same,
};
use crate::model::{
    ConfigEntry, Desired, DesiredEntry, EntryKey, Live, LiveCluster, LiveEntry, MANAGED_BY_KEY,
    MANAGED_BY_VALUE, Path,
};

/// Every config-entry change of every cluster that was read, unordered.
pub(super) fn changes(desired: &Desired, live: &Live) -> Vec<Change> {
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
                scope.spawn(move || cluster_changes(cluster, declared, live_cluster))
            })
            .collect();
        planning
            .into_iter()
            .flat_map(|thread| match thread.join() {
                Ok(changes) => changes,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// The object of an entry change: `key` with default namespace and partition left out.
fn object(key: &EntryKey) -> EntryObject {
    EntryObject {
        kind: key.kind.clone(),
        name: key.name.clone(),
        namespace: non_default(&key.namespace),
        partition: non_default(&key.partition),
    }
}

fn non_default(value: &Option<String>) -> Option<String> {
    value
        .clone()
        .filter(|value| !value.is_empty() && !value.eq_ignore_ascii_case("default"))
}

fn cluster_changes(
    cluster: &str,
    declared: &BTreeMap<EntryKey, DesiredEntry>,
    live: &LiveCluster,
) -> Vec<Change> {
    let live_entries: BTreeMap<EntryObject, &LiveEntry> = live
        .entries
        .iter()
        .filter(|(key, _)| live.kinds.contains(&key.kind))
        .map(|(key, entry)| (object(key), entry))
        .collect();
    let mut changes = Vec::new();
    let mut wanted = BTreeSet::new();
    for (key, entry) in declared {
        if !live.kinds.contains(&key.kind) {
            continue;
        }
        let object = object(key);
        changes.extend(entry_change(
            cluster,
            &object,
            &entry.entry,
            live_entries.get(&object),
        ));
        wanted.insert(object);
    }
    for (object, entry) in &live_entries {
        if is_marked(&entry.body) && !wanted.contains(object) {
            changes.push(delete(cluster, object, entry));
        }
    }
    changes
}

/// The change that makes the live entry (if any) match the declared one, if one is needed.
fn entry_change(
    cluster: &str,
    object: &EntryObject,
    entry: &ConfigEntry,
    live: Option<&&LiveEntry>,
) -> Option<Change> {
    // The body is built again for a change rather than copied for every entry: most entries
    // have none.
    let mut after = normalized(&object.kind, body(entry));
    let Some(live) = live else {
        let mut change = bare(cluster, object, Action::Create, 0);
        display_order(&mut after);
        change.after = Some(after);
        change.body = Some(body(entry));
        return Some(change);
    };
    let mut before = normalized(&object.kind, Value::Object(live.body.clone()));
    lift_singletons(&mut after, &before);
    let marked = is_marked(&live.body);
    if marked && same(&after, &before) {
        return None;
    }
    let content_same = same(&without_mark(&after), &without_mark(&before));
    display_order(&mut before);
    display_order(&mut after);
    align_keys(&mut after, &before);
    let (action, reason) = match (marked, content_same) {
        (true, _) => (Action::Update, None),
        (false, true) => (Action::Adopt, Some(ADOPT_SAME)),
        (false, false) => (Action::Adopt, Some(ADOPT_DIFFERENT)),
    };
    let mut change = bare(cluster, object, action, live.modify_index);
    change.reason = reason.map(str::to_owned);
    change.changed = changed_paths(&before, &after);
    change.before = Some(before);
    change.after = Some(after);
    change.body = Some(body(entry));
    Some(change)
}

const ADOPT_SAME: &str = "it exists without meshplan's mark; the write adds the mark";
const ADOPT_DIFFERENT: &str =
    "it exists without meshplan's mark and differs from the files; the write adds the mark";

fn delete(cluster: &str, object: &EntryObject, live: &LiveEntry) -> Change {
    let mut change = bare(cluster, object, Action::Delete, live.modify_index);
    change.reason = Some("meshplan manages it and no file declares it".to_owned());
    change.before = Some(canonical(&object.kind, &Value::Object(live.body.clone())));
    change
}

/// A change of an entry with no content yet.
fn bare(cluster: &str, object: &EntryObject, action: Action, modify_index: u64) -> Change {
    Change {
        cluster: cluster.to_owned(),
        object: Object::Entry(object.clone()),
        action,
        modify_index,
        destructive: false,
        reason: None,
        before: None,
        after: None,
        changed: Vec::new(),
        body: None,
    }
}

/// The PUT body: the entry as declared, plus the ownership mark in its `Meta` (in whatever
/// spelling the file used for `Meta`; Consul matches keys case-insensitively).
fn body(entry: &ConfigEntry) -> Value {
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
        }
    }
    body
}

/// Whether an entry carries `Meta["managed-by"] = "meshplan"`.
fn is_marked(body: &Map<String, Value>) -> bool {
    body.iter()
        .find(|(key, _)| folds_to(key, "meta"))
        .and_then(|(_, meta)| meta.get(MANAGED_BY_KEY))
        .and_then(Value::as_str)
        == Some(MANAGED_BY_VALUE)
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
                    meta.remove(MANAGED_BY_KEY);
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
