//! One config-entry file → one [`ConfigEntry`]: find the kind, bring keys to Consul's spelling
//! for the typed kinds, deserialize, validate.
//!
//! Checks that hold for every kind are made here, before the kind's own: the kind must be one
//! Consul knows ([`crate::model::kinds`]), and `Meta` may not set the keys meshplan marks what it
//! owns with. Entries of the other kinds are checked against Consul's fields for the kind
//! ([`crate::model::schema`]): unknown keys, value types and `Meta` limits. Every problem of a file is reported, not only the first (see
//! [`super::deserialize::from_node_all`]).

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use super::deserialize::from_node_all;
use super::diagnostic::Diagnostic;
use super::tree::{self, Format, Node, SyntaxError, Value, rename_keys};
use super::{Parsed, syntax_diagnostic};
use crate::model::entry::{EXPORTED_SERVICES, MESH, SERVICE_INTENTIONS};
use crate::model::kinds::{KNOWN_KINDS, is_known};
use crate::model::normalize::fold_key;
use crate::model::{
    ConfigEntry, Document, MARK_KEYS, Meta, Path, Problem, exported_services, schema,
    service_intentions,
};
use crate::suggest::closest;

/// Maps, in entries of the typed kinds, whose keys are user data and keep their spelling.
const USER_DATA_KEYS: [&str; 2] = ["Meta", "LegacyMeta"];

/// The entry in `file`. Keys of the typed kinds are rewritten in place to Consul's spelling,
/// so that later problems (found by path) land on the right spans.
///
/// # Errors
/// Every problem found, located in the file.
pub fn entry(file: &mut Parsed) -> Result<ConfigEntry, Vec<Diagnostic>> {
    if let Err(clashes) = spelling(&mut file.tree) {
        return Err(clashes
            .into_iter()
            .map(|clash| syntax_diagnostic(&file.shown, clash))
            .collect());
    }
    typed(&file.tree).map_err(|problems| problems.iter().map(|p| file.diagnostic(p)).collect())
}

/// The entry in the JSON `text`, read straight into its type, when it is of a modelled kind
/// and nothing in it needs a closer look: no tree, no spans, a handful of allocations where
/// the full path ([`entry`]) makes hundreds. `None` sends the file down the full path, which
/// decides alike for every file accepted here and locates every problem: a kind written
/// another way than `Kind`, a key in another spelling than Consul's (an unknown field here),
/// a key given twice, a value of the wrong shape, a problem [`validate`] finds, or the mark
/// meshplan owns in `Meta` all end up there.
///
/// [`validate`]: service_intentions::ServiceIntentions::validate
pub fn direct_json(text: &str) -> Option<ConfigEntry> {
    // Each type takes only its own `Kind`, which files usually give first: reading a file of
    // another kind stops there.
    if let Ok(entry) = serde_json::from_str::<service_intentions::ServiceIntentions>(text) {
        return (entry.validate().is_empty() && unmarked(&entry.meta))
            .then_some(ConfigEntry::ServiceIntentions(entry));
    }
    let entry: exported_services::ExportedServices = serde_json::from_str(text).ok()?;
    (entry.validate().is_empty() && unmarked(&entry.meta))
        .then_some(ConfigEntry::ExportedServices(entry))
}

/// Whether `meta` leaves out the keys meshplan marks what it owns with ([`marks_in_meta`]).
fn unmarked(meta: &Meta) -> bool {
    MARK_KEYS.iter().all(|key| meta.get(key).is_none())
}

/// The tree of an entry file that loaded, as [`entry`] left it (keys in Consul's spelling),
/// for pointing into it again once its own checks are done; `None` if the text no longer
/// parses.
pub fn located(format: Format, text: &str) -> Option<Node> {
    let mut tree = tree::parse(format, text).ok()?;
    spelling(&mut tree).ok()?;
    Some(tree)
}

/// Brings keys of the typed kinds to Consul's spelling. Two spellings of one key in an object
/// are an error: which one Consul would take is a guess. Entries of other kinds keep their
/// spelling, and only their top level is known to be fields rather than user data, so that is
/// where two spellings of one field are looked for.
fn spelling(tree: &mut Node) -> Result<(), Vec<SyntaxError>> {
    let canonical: &dyn Fn(&str) -> Option<&'static str> = match kind_of(tree) {
        Some(EXPORTED_SERVICES) => &exported_services::canonical_key,
        Some(SERVICE_INTENTIONS) => &service_intentions::canonical_key,
        _ => return top_level_clashes(tree),
    };
    let clashes = rename_keys(tree, canonical, &USER_DATA_KEYS);
    if clashes.is_empty() {
        Ok(())
    } else {
        Err(clashes)
    }
}

/// Two top-level keys that Consul's decoder takes for one field (`Protocol` and `protocol`,
/// `peer_name` and `PeerName`): it would keep one of them, and which is not for meshplan to
/// guess.
fn top_level_clashes(tree: &Node) -> Result<(), Vec<SyntaxError>> {
    let Value::Object(fields) = &tree.value else {
        return Ok(());
    };
    let mut seen: HashMap<String, &str> = HashMap::new();
    let mut clashes = Vec::new();
    for field in fields {
        if let Some(first) = seen.insert(fold_key(&field.key), &field.key) {
            clashes.push(
                SyntaxError::new(
                    field.key_span.clone(),
                    format!("`{}` and `{first}` are the same field to Consul", field.key),
                )
                .with_help("keep only one of them"),
            );
        }
    }
    if clashes.is_empty() {
        Ok(())
    } else {
        Err(clashes)
    }
}

fn kind_of(tree: &Node) -> Option<&str> {
    match &tree.get_ci("Kind")?.value.value {
        Value::String(kind) => Some(kind),
        _ => None,
    }
}

fn typed(tree: &Node) -> Result<ConfigEntry, Vec<Problem>> {
    let kind = required_string(tree, "Kind")?;
    let mut problems = marks_in_meta(tree);
    if !is_known(&kind) {
        problems.insert(0, unknown_kind(tree, &kind));
        return Err(problems);
    }
    let entry = match kind.as_str() {
        EXPORTED_SERVICES => deserialized(tree, exported_services::ExportedServices::validate)
            .map(ConfigEntry::ExportedServices),
        SERVICE_INTENTIONS => deserialized(tree, service_intentions::ServiceIntentions::validate)
            .map(ConfigEntry::ServiceIntentions),
        _ => checked_document(tree, kind).map(ConfigEntry::Other),
    };
    match entry {
        Ok(entry) if problems.is_empty() => Ok(entry),
        Ok(_) => Err(problems),
        Err(more) => {
            problems.extend(more);
            Err(problems)
        }
    }
}

/// A typed entry: every shape problem, or, when the shape is right, every validation problem.
fn deserialized<T: DeserializeOwned>(
    tree: &Node,
    validate: fn(&T) -> Vec<Problem>,
) -> Result<T, Vec<Problem>> {
    match from_node_all::<T>(tree) {
        (Some(entry), problems) if problems.is_empty() => {
            let problems = validate(&entry);
            if problems.is_empty() {
                Ok(entry)
            } else {
                Err(problems)
            }
        }
        (_, problems) => Err(problems),
    }
}

/// A kind Consul does not know, at the `Kind` value: most likely a typo, which would otherwise
/// plan an entry of a kind that does not exist instead of the one meant.
fn unknown_kind(tree: &Node, kind: &str) -> Problem {
    let key = tree
        .get_ci("Kind")
        .map_or("Kind", |field| field.key.as_str());
    let problem = Problem::value(
        Path::root().key(key),
        format!("unknown config entry kind `{kind}`"),
    );
    match closest(kind, KNOWN_KINDS) {
        Some(best) => problem.with_help(format!("did you mean `{best}`?")),
        None => problem.with_help(format!("Consul knows {}", KNOWN_KINDS.join(", "))),
    }
}

/// `Meta` keys meshplan sets itself: a file setting them would forge or hide the ownership mark.
fn marks_in_meta(tree: &Node) -> Vec<Problem> {
    let Some(meta) = tree.get_ci("Meta") else {
        return Vec::new();
    };
    let at = Path::root().key(meta.key.as_str());
    MARK_KEYS
        .iter()
        .filter_map(|key| meta.value.get(key))
        .map(|field| {
            Problem::key(
                at.key(field.key.as_str()),
                format!(
                    "`{}` is set by meshplan itself to mark what it owns",
                    field.key
                ),
            )
            .with_help("remove it: meshplan adds it to every entry it writes")
        })
        .collect()
}

/// An entry of a kind meshplan does not model, checked against Consul's fields for the kind
/// ([`schema::check`]). Every problem is reported, once per place: the identity checks of
/// [`document`] speak first.
fn checked_document(tree: &Node, kind: String) -> Result<Document, Vec<Problem>> {
    let json = tree.to_json();
    let fields = schema::check(&kind, &json);
    let (document, mut problems) = match document(tree, kind, json) {
        Ok(document) => (Some(document), Vec::new()),
        Err(problems) => (None, problems),
    };
    for problem in fields {
        if !problems.iter().any(|seen| seen.path == problem.path) {
            problems.push(problem);
        }
    }
    match document {
        Some(document) if problems.is_empty() => Ok(document),
        _ => Err(problems),
    }
}

/// An entry of a kind meshplan does not model, from its tree and the same as JSON: Kind and
/// Name are required.
fn document(tree: &Node, kind: String, json: Json) -> Result<Document, Vec<Problem>> {
    let name = if kind == MESH {
        mesh_name(tree)?
    } else {
        required_string(tree, "Name")?
    };
    let Json::Object(body) = json else {
        return Err(vec![Problem::value(
            Path::root(),
            "a config entry must be an object",
        )]);
    };
    Ok(Document {
        kind,
        name,
        namespace: optional_string(tree, "Namespace")?,
        partition: optional_string(tree, "Partition")?,
        body,
    })
}

/// Consul's mesh entry has no `Name` (it refuses the key); meshplan calls it `mesh`, as
/// Consul's API path does.
fn mesh_name(tree: &Node) -> Result<String, Vec<Problem>> {
    match tree.get_ci("Name") {
        None => Ok(MESH.to_owned()),
        Some(field) => Err(vec![
            Problem::key(
                Path::root().key(field.key.as_str()),
                "the mesh entry has no `Name`; Consul refuses the key",
            )
            .with_help("remove `Name`: there is one mesh entry per partition"),
        ]),
    }
}

/// A string field, found in any case as Consul does.
fn required_string(tree: &Node, key: &str) -> Result<String, Vec<Problem>> {
    optional_string(tree, key)?.ok_or_else(|| {
        let message = match &tree.value {
            Value::Object(_) => format!("missing `{key}`"),
            _ => "a config entry must be an object with `Kind` and `Name`".to_owned(),
        };
        vec![Problem::value(Path::root(), message)]
    })
}

fn optional_string(tree: &Node, key: &str) -> Result<Option<String>, Vec<Problem>> {
    let Some(field) = tree.get_ci(key) else {
        return Ok(None);
    };
    match &field.value.value {
        Value::String(text) if !text.is_empty() => Ok(Some(text.clone())),
        _ => Err(vec![Problem::value(
            Path::root().key(field.key.as_str()),
            format!("`{key}` must be a non-empty string"),
        )]),
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    /// The full path's entry for the JSON `text`, or whether it refused it.
    fn full(text: &str) -> Option<ConfigEntry> {
        let tree = tree::parse(Format::Json, text).ok()?;
        let mut parsed = Parsed {
            shown: PathBuf::from("entry.json"),
            rel: PathBuf::from("entry.json"),
            tree,
        };
        entry(&mut parsed).ok()
    }

    /// Every entry file under `dir`, recursively.
    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for item in std::fs::read_dir(dir).unwrap() {
            let path = item.unwrap().path();
            if path.is_dir() {
                files(&path, out);
            } else if Format::for_entry_file(&path).is_some() {
                out.push(path);
            }
        }
    }

    /// What the direct path accepts, the full path accepts as the same entry. Checked on every
    /// entry file of the test cases, corpus and examples, in each one's own JSON and, for the
    /// other formats, as the JSON of its tree in Consul's spelling (what the direct path is
    /// for); and on texts made to need a closer look, which it must leave to the full path.
    #[test]
    fn the_direct_path_agrees_with_the_full_one() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        for dir in ["tests/cases", "tests/corpus", "examples"] {
            files(&root.join(dir), &mut paths);
        }
        let mut texts = Vec::new();
        for path in &paths {
            // Some bad cases are files that cannot be read.
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let format = Format::for_entry_file(path).unwrap();
            if format == Format::Json {
                texts.push(text.clone());
            }
            if let Some(tree) = located(format, &text) {
                texts.push(tree.to_json().to_string());
            }
        }
        let mut direct = 0;
        for text in &texts {
            if let Some(entry) = direct_json(text) {
                direct += 1;
                assert_eq!(Some(entry), full(text), "{text}");
            }
        }
        assert!(
            direct >= 20,
            "only {direct} of {} texts read directly",
            texts.len()
        );

        // (text, whether the full path accepts it)
        let closer_look = [
            // Keys in another spelling than Consul's, which the full path renames.
            (
                r#"{"Kind": "service-intentions", "Name": "web", "sources": [{"Name": "a", "Action": "allow"}]}"#,
                true,
            ),
            (
                r#"{"kind": "service-intentions", "Name": "web", "Sources": [{"Name": "a", "Action": "allow"}]}"#,
                true,
            ),
            // A key given twice, the kind too, and in `Meta`.
            (
                r#"{"Kind": "service-intentions", "Name": "web", "Name": "api", "Sources": [{"Name": "a", "Action": "allow"}]}"#,
                false,
            ),
            (
                r#"{"Kind": "service-intentions", "Kind": "service-intentions", "Name": "web", "Sources": [{"Name": "a", "Action": "allow"}]}"#,
                false,
            ),
            (
                r#"{"Kind": "exported-services", "Name": "default", "Meta": {"a": "1", "a": "2"}, "Services": []}"#,
                false,
            ),
            // meshplan's mark, and a problem validation finds.
            (
                r#"{"Kind": "service-intentions", "Name": "web", "Meta": {"managed-by": "me"}, "Sources": [{"Name": "a", "Action": "allow"}]}"#,
                false,
            ),
            (
                r#"{"Kind": "service-intentions", "Name": "web", "Sources": [{"Name": "a"}]}"#,
                false,
            ),
            // Text the strict parse refuses, even where meshplan ignores the value.
            (
                r#"{"Kind": "service-intentions", "Name": "web", "Hash": "\ud800", "Sources": [{"Name": "a", "Action": "allow"}]}"#,
                false,
            ),
            (
                r#"{"Kind": "service-intentions", "Name": "web", "Hash": 1e400, "Sources": [{"Name": "a", "Action": "allow"}]}"#,
                false,
            ),
            (
                r#"{"Kind": "service-intentions", "Name": "web", "Sources": [{"Name": "a", "Action": "allow"}]} x"#,
                false,
            ),
        ];
        for (text, accepted) in closer_look {
            assert_eq!(full(text).is_some(), accepted, "the full path on {text}");
            assert_eq!(direct_json(text), None, "the direct path accepts {text}");
        }
    }
}
