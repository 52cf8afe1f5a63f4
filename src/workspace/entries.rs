//! One config-entry file → one [`ConfigEntry`]: find the kind, bring keys to Consul's spelling
//! for the typed kinds, deserialize, validate.

use serde_json::Value as Json;

use super::deserialize::from_node;
use super::diagnostic::Diagnostic;
use super::tree::{Node, SyntaxError, Value, rename_keys};
use super::{Parsed, syntax_diagnostic};
use crate::model::entry::{EXPORTED_SERVICES, MESH, SERVICE_INTENTIONS};
use crate::model::{ConfigEntry, Document, Path, Problem, exported_services, service_intentions};

/// Maps, in entries of the typed kinds, whose keys are user data and keep their spelling.
const USER_DATA_KEYS: [&str; 2] = ["Meta", "LegacyMeta"];

/// The entry in `file`. Keys of the typed kinds are rewritten in place to Consul's spelling,
/// so that later problems (found by path) land on the right spans.
///
/// # Errors
/// Every problem found, located in the file.
pub fn entry(file: &mut Parsed) -> Result<ConfigEntry, Vec<Diagnostic>> {
    if let Err(clashes) = spelling(file) {
        return Err(clashes
            .into_iter()
            .map(|clash| syntax_diagnostic(&file.shown, clash))
            .collect());
    }
    typed(&file.tree).map_err(|problems| problems.iter().map(|p| file.diagnostic(p)).collect())
}

/// Brings keys of the typed kinds to Consul's spelling. Two spellings of one key in an object
/// are an error: which one Consul would take is a guess.
fn spelling(file: &mut Parsed) -> Result<(), Vec<SyntaxError>> {
    let canonical: &dyn Fn(&str) -> Option<&'static str> = match kind_of(&file.tree) {
        Some(EXPORTED_SERVICES) => &exported_services::canonical_key,
        Some(SERVICE_INTENTIONS) => &service_intentions::canonical_key,
        _ => return Ok(()),
    };
    let clashes = rename_keys(&mut file.tree, canonical, &USER_DATA_KEYS);
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
    match kind.as_str() {
        EXPORTED_SERVICES => {
            let entry: exported_services::ExportedServices =
                from_node(tree).map_err(|p| vec![p])?;
            checked(entry.validate(), ConfigEntry::ExportedServices(entry))
        }
        SERVICE_INTENTIONS => {
            let entry: service_intentions::ServiceIntentions =
                from_node(tree).map_err(|p| vec![p])?;
            checked(entry.validate(), ConfigEntry::ServiceIntentions(entry))
        }
        _ => document(tree, kind).map(ConfigEntry::Other),
    }
}

fn checked(problems: Vec<Problem>, entry: ConfigEntry) -> Result<ConfigEntry, Vec<Problem>> {
    if problems.is_empty() {
        Ok(entry)
    } else {
        Err(problems)
    }
}

/// An entry of a kind meshplan does not model: Kind and Name are required, the rest is
/// Consul's to check on write.
fn document(tree: &Node, kind: String) -> Result<Document, Vec<Problem>> {
    let name = if kind == MESH {
        mesh_name(tree)?
    } else {
        required_string(tree, "Name")?
    };
    let Json::Object(body) = tree.to_json() else {
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
