//! Merges the entries of one cluster's files into the entries Consul keeps.
//!
//! Several files may each hold part of one exported-services entry (its services) or of one
//! service-intentions entry (its sources), so that each team owns its own file. Any other kind,
//! and any service or source, must be declared once; a repeat names both files.

use std::collections::BTreeMap;

use super::Parsed;
use super::diagnostic::Diagnostic;
use crate::model::exported_services::ExportedServices;
use crate::model::service_intentions::ServiceIntentions;
use crate::model::{ConfigEntry, DesiredEntry, EntryKey, Path};

/// One file's entry, with the file so that problems can point into it.
pub struct Part {
    pub file: Parsed,
    pub entry: ConfigEntry,
}

/// Where something was first declared: the part's index and the path inside its entry.
type Seen = BTreeMap<String, (usize, Path)>;

/// The merged entries of one cluster; problems go to `diags`.
pub fn merge(parts: &[Part], diags: &mut Vec<Diagnostic>) -> BTreeMap<EntryKey, DesiredEntry> {
    let mut merged: BTreeMap<EntryKey, (usize, DesiredEntry)> = BTreeMap::new();
    let mut members: BTreeMap<EntryKey, Seen> = BTreeMap::new();
    for (index, part) in parts.iter().enumerate() {
        let key = part.entry.key();
        let seen = members.entry(key.clone()).or_default();
        record_members(parts, index, seen, diags);
        let Some((first, existing)) = merged.get_mut(&key) else {
            let entry = DesiredEntry {
                entry: part.entry.clone(),
                files: vec![part.file.rel.clone()],
            };
            merged.insert(key, (index, entry));
            continue;
        };
        let conflict = match (&mut existing.entry, &part.entry) {
            (ConfigEntry::ExportedServices(into), ConfigEntry::ExportedServices(from)) => {
                merge_exports(into, from)
            }
            (ConfigEntry::ServiceIntentions(into), ConfigEntry::ServiceIntentions(from)) => {
                merge_intentions(into, from)
            }
            _ => Some(Path::root().key("Name")),
        };
        match conflict {
            None => existing.files.push(part.file.rel.clone()),
            Some(path) => diags.push(declared_twice(
                &format!("`{key}`"),
                &parts[*first],
                &path,
                part,
                &path,
            )),
        }
    }
    merged
        .into_iter()
        .map(|(key, (_, entry))| (key, entry))
        .collect()
}

/// Adds the part's services or sources to `seen`, reporting any declared before.
fn record_members(parts: &[Part], index: usize, seen: &mut Seen, diags: &mut Vec<Diagnostic>) {
    let part = &parts[index];
    for (identity, path) in members(&part.entry) {
        match seen.get(&identity) {
            Some((first, first_path)) => {
                diags.push(declared_twice(
                    &identity,
                    &parts[*first],
                    first_path,
                    part,
                    &path,
                ));
            }
            None => {
                seen.insert(identity, (index, path));
            }
        }
    }
}

/// The identities of what an entry declares piecewise: services of an export, sources of
/// intentions, each with its path.
fn members(entry: &ConfigEntry) -> Vec<(String, Path)> {
    match entry {
        ConfigEntry::ExportedServices(e) => e
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let ns = s
                    .namespace
                    .as_deref()
                    .map(|ns| format!(" in namespace `{ns}`"))
                    .unwrap_or_default();
                (
                    format!("exported service `{}`{ns}", s.name),
                    Path::root().key("Services").index(i),
                )
            })
            .collect(),
        ConfigEntry::ServiceIntentions(e) => e
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut from = String::new();
                for (what, value) in [
                    ("peer", &s.peer),
                    ("partition", &s.partition),
                    ("namespace", &s.namespace),
                    ("sameness group", &s.sameness_group),
                ] {
                    if let Some(value) = value {
                        from.push_str(&format!(" from {what} `{value}`"));
                    }
                }
                (
                    format!("source `{}`{from} of intentions for `{}`", s.name, e.name),
                    Path::root().key("Sources").index(i),
                )
            })
            .collect(),
        ConfigEntry::Other(_) => Vec::new(),
    }
}

/// Appends `from`'s services; `Some(path)` when the parts disagree on something only one may set.
fn merge_exports(into: &mut ExportedServices, from: &ExportedServices) -> Option<Path> {
    into.services.extend(from.services.iter().cloned());
    merge_meta(&mut into.meta, &from.meta)
}

/// Appends `from`'s sources; `Some(path)` when the parts disagree on something only one may set.
fn merge_intentions(into: &mut ServiceIntentions, from: &ServiceIntentions) -> Option<Path> {
    into.sources.extend(from.sources.iter().cloned());
    match (&into.jwt, &from.jwt) {
        (Some(a), Some(b)) if a != b => return Some(Path::root().key("JWT")),
        (None, Some(b)) => into.jwt = Some(b.clone()),
        _ => {}
    }
    merge_meta(&mut into.meta, &from.meta)
}

/// Meta pairs from several parts are combined; one key with two values is a conflict.
fn merge_meta(
    into: &mut BTreeMap<String, String>,
    from: &BTreeMap<String, String>,
) -> Option<Path> {
    for (key, value) in from {
        match into.get(key) {
            Some(existing) if existing != value => {
                return Some(Path::root().key("Meta").key(key.as_str()));
            }
            Some(_) => {}
            None => {
                into.insert(key.clone(), value.clone());
            }
        }
    }
    None
}

fn declared_twice(
    what: &str,
    first: &Part,
    first_path: &Path,
    again: &Part,
    path: &Path,
) -> Diagnostic {
    Diagnostic::error(format!("{what} is declared in two files"))
        .at(
            &again.file.shown,
            again.file.tree.span_of(path, false),
            "declared again here",
        )
        .also(
            &first.file.shown,
            first.file.tree.span_of(first_path, false),
            "first declared here",
        )
        .help("keep one declaration: each service, source or entry belongs to exactly one file")
}
