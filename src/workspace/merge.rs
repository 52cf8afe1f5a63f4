//! Merges the entries of one cluster's files into the entries Consul keeps.
//!
//! Several files may each hold part of one exported-services entry (its services) or of one
//! service-intentions entry (its sources), so that each team owns its own file. Any other kind,
//! and any service or source, must be declared once; a repeat names both files.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

use super::diagnostic::Diagnostic;
use super::entries::located;
use super::tree::Format;
use crate::model::exported_services::ExportedServices;
use crate::model::service_intentions::ServiceIntentions;
use crate::model::{ConfigEntry, DesiredEntry, EntryKey, Meta, Path};

/// One file's entry, with where the file is so that problems can point into it.
pub struct Part {
    pub file: EntryFile,
    pub entry: ConfigEntry,
}

/// Where an entry file is. No tree is kept: a cluster's files wait for all of them to be read,
/// and what merging finds is rare, so the few files a problem points into are parsed again from
/// their texts.
pub struct EntryFile {
    /// The path as shown to the user.
    pub shown: PathBuf,
    /// The path relative to the workspace folder.
    pub rel: PathBuf,
    pub format: Format,
}

/// The parts' files, by part index, and the texts of a cluster's files to point into them.
struct Files<'a> {
    list: Vec<EntryFile>,
    texts: &'a [(PathBuf, String)],
}

impl Files<'_> {
    fn shown(&self, index: usize) -> &std::path::Path {
        &self.list[index].shown
    }

    /// Where `path` is in the file of part `index`: its entry loaded, so its text parses
    /// again to the same tree.
    fn span(&self, index: usize, path: &Path) -> Range<usize> {
        let file = &self.list[index];
        self.texts
            .iter()
            .find(|(shown, _)| *shown == file.shown)
            .and_then(|(_, text)| located(file.format, text))
            .map_or(0..0, |tree| tree.span_of(path, false))
    }
}

/// Where something was first declared: the part's index and the path inside its entry.
type Seen = BTreeMap<String, (usize, Path)>;

/// The merged entries of one cluster, from each file's entry (`entries`) and where that file is
/// (`list`, by the same index); problems go to `diags`, in the order of the files that raise
/// them. Each entry is moved into the result, not copied: the callers keep files and entries
/// apart from the start, since a copy of every entry is a workspace's worth of fresh memory.
pub fn merge(
    list: Vec<EntryFile>,
    entries: Vec<ConfigEntry>,
    texts: &[(PathBuf, String)],
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<EntryKey, DesiredEntry> {
    let files = Files { list, texts };
    // Sorted by key, then by file: each entry's parts are next to each other, in file order,
    // and the result is built in key order at once.
    let mut keyed: Vec<(EntryKey, usize)> = entries.iter().map(ConfigEntry::key).zip(0..).collect();
    keyed.sort_unstable();
    let mut entries: Vec<Option<ConfigEntry>> = entries.into_iter().map(Some).collect();
    let mut take = |index: usize| entries[index].take().expect("each part is merged once");
    // Problems, each with the index of the part that raised it.
    let mut found: Vec<(usize, Diagnostic)> = Vec::new();
    let mut merged = Vec::with_capacity(keyed.len());
    let mut keyed = keyed.into_iter().peekable();
    while let Some((key, first)) = keyed.next() {
        let mut desired = DesiredEntry {
            entry: take(first),
            files: vec![files.list[first].rel.clone()],
        };
        // Members are tracked only once an entry has a second part: a file's own repeats are
        // problems of its entry (`validate`), so an entry of one file has none to find, and
        // most entries are one file.
        let mut seen: Option<Seen> = None;
        while let Some((_, index)) = keyed.next_if(|(next, _)| *next == key) {
            let mut raised = Vec::new();
            let seen = seen.get_or_insert_with(|| {
                let mut seen = Seen::new();
                record_members(&files, first, &desired.entry, &mut seen, &mut raised);
                seen
            });
            let entry = take(index);
            record_members(&files, index, &entry, seen, &mut raised);
            match merge_part(&mut desired.entry, entry) {
                None => desired.files.push(files.list[index].rel.clone()),
                Some(Conflict::Kind) => raised.push(declared_twice(
                    &format!("`{key}`"),
                    &files,
                    (first, &Path::root().key("Name")),
                    (index, &Path::root().key("Name")),
                )),
                Some(Conflict::Field(path)) => {
                    raised.push(disagree(&key, &files, first, index, &path));
                }
            }
            found.extend(raised.into_iter().map(|diagnostic| (index, diagnostic)));
        }
        merged.push((key, desired));
    }
    found.sort_by_key(|(index, _)| *index);
    diags.extend(found.into_iter().map(|(_, diagnostic)| diagnostic));
    merged.into_iter().collect()
}

/// Merges `from`, a later part of the entry, into `into`.
fn merge_part(into: &mut ConfigEntry, from: ConfigEntry) -> Option<Conflict> {
    match (into, from) {
        (ConfigEntry::ExportedServices(into), ConfigEntry::ExportedServices(from)) => {
            merge_exports(into, from)
        }
        (ConfigEntry::ServiceIntentions(into), ConfigEntry::ServiceIntentions(from)) => {
            merge_intentions(into, from)
        }
        _ => Some(Conflict::Kind),
    }
}

/// Adds the services or sources of `entry`, the entry of file `index`, to `seen`, reporting
/// any declared before.
fn record_members(
    files: &Files,
    index: usize,
    entry: &ConfigEntry,
    seen: &mut Seen,
    diags: &mut Vec<Diagnostic>,
) {
    for (identity, path) in members(entry) {
        match seen.get(&identity) {
            Some((first, first_path)) => {
                diags.push(declared_twice(
                    &identity,
                    files,
                    (*first, first_path),
                    (index, &path),
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
                let extras = s.extras();
                for (what, value) in [
                    ("peer", s.peer.as_deref()),
                    ("partition", extras.partition.as_deref()),
                    ("namespace", extras.namespace.as_deref()),
                    ("sameness group", extras.sameness_group.as_deref()),
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

/// Why two parts cannot be merged.
enum Conflict {
    /// The kind is not one that may be split over files.
    Kind,
    /// Both parts set this field, differently.
    Field(Path),
}

/// Appends `from`'s services; a conflict when the parts set one field differently.
fn merge_exports(into: &mut ExportedServices, from: ExportedServices) -> Option<Conflict> {
    into.services.extend(from.services);
    merge_meta(&mut into.meta, from.meta).map(Conflict::Field)
}

/// Appends `from`'s sources; a conflict when the parts set one field differently.
fn merge_intentions(into: &mut ServiceIntentions, from: ServiceIntentions) -> Option<Conflict> {
    into.sources.extend(from.sources);
    match (&into.jwt, from.jwt) {
        (Some(a), Some(b)) if *a != b => return Some(Conflict::Field(Path::root().key("JWT"))),
        (None, Some(b)) => into.jwt = Some(b),
        _ => {}
    }
    merge_meta(&mut into.meta, from.meta).map(Conflict::Field)
}

/// Meta pairs from several parts are combined; one key with two values is a conflict.
fn merge_meta(into: &mut Meta, from: Meta) -> Option<Path> {
    for (key, value) in from {
        match into.get(&key) {
            Some(existing) if existing != value => {
                return Some(Path::root().key("Meta").key(key.as_str()));
            }
            Some(_) => {}
            None => {
                into.insert(key, value);
            }
        }
    }
    None
}

/// The parts of one split entry set the same field to different values.
fn disagree(key: &EntryKey, files: &Files, first: usize, again: usize, path: &Path) -> Diagnostic {
    Diagnostic::error(format!("`{path}` of `{key}` differs between files"))
        .at(files.shown(again), files.span(again, path), "set here")
        .also(
            files.shown(first),
            files.span(first, path),
            "and differently here",
        )
        .help("set it in one of the files, or to the same value in each")
}

/// `what` is declared by two parts, each given as its index and the path inside its entry.
fn declared_twice(
    what: &str,
    files: &Files,
    (first, first_path): (usize, &Path),
    (again, path): (usize, &Path),
) -> Diagnostic {
    Diagnostic::error(format!("{what} is declared in two files"))
        .at(
            files.shown(again),
            files.span(again, path),
            "declared again here",
        )
        .also(
            files.shown(first),
            files.span(first, first_path),
            "first declared here",
        )
        .help("keep one declaration: each service, source or entry belongs to exactly one file")
}
