//! Config entries: the two kinds meshplan understands field by field, and every other kind as a
//! plain document that Consul validates on write.

use serde_json::{Map, Value};

use super::exported_services::ExportedServices;
use super::service_intentions::ServiceIntentions;

/// The `Kind` of exported-services entries.
pub const EXPORTED_SERVICES: &str = "exported-services";
/// The `Kind` of the mesh entry, the one kind without a `Name`: there is one per partition,
/// addressed as `mesh/mesh`.
pub const MESH: &str = "mesh";

/// The `Kind` of service-intentions entries.
pub const SERVICE_INTENTIONS: &str = "service-intentions";

/// Identifies a config entry within one cluster, as Consul does.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryKey {
    pub kind: String,
    pub name: String,
    /// Consul Enterprise namespace; `None` is the default namespace.
    pub namespace: Option<String>,
    /// Consul Enterprise partition; `None` is the default partition.
    pub partition: Option<String>,
}

impl std::fmt::Display for EntryKey {
    /// `service-intentions/web`, with `ns`/`ap` qualifiers only when set.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)?;
        if let Some(ns) = &self.namespace {
            write!(f, " (namespace {ns})")?;
        }
        if let Some(ap) = &self.partition {
            write!(f, " (partition {ap})")?;
        }
        Ok(())
    }
}

/// A config entry of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigEntry {
    ExportedServices(ExportedServices),
    ServiceIntentions(ServiceIntentions),
    /// Any other kind, kept as written.
    Other(Document),
}

/// A config entry of a kind meshplan does not model: its `Kind`, `Name` and the whole body.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub partition: Option<String>,
    /// The entry as written, `Kind` and `Name` included.
    pub body: Map<String, Value>,
}

impl ConfigEntry {
    pub fn key(&self) -> EntryKey {
        match self {
            Self::ExportedServices(e) => EntryKey {
                kind: EXPORTED_SERVICES.to_owned(),
                name: e.name.clone(),
                namespace: None,
                partition: e.partition.clone(),
            },
            Self::ServiceIntentions(e) => EntryKey {
                kind: SERVICE_INTENTIONS.to_owned(),
                name: e.name.clone(),
                namespace: e.namespace.clone(),
                partition: e.partition.clone(),
            },
            Self::Other(d) => EntryKey {
                kind: d.kind.clone(),
                name: d.name.clone(),
                namespace: d.namespace.clone(),
                partition: d.partition.clone(),
            },
        }
    }

    /// The entry as the JSON body of `PUT /v1/config`, in Consul's field names.
    pub fn to_json(&self) -> Value {
        match self {
            Self::ExportedServices(e) => serde_json::to_value(e),
            Self::ServiceIntentions(e) => serde_json::to_value(e),
            Self::Other(d) => Ok(Value::Object(d.body.clone())),
        }
        .expect("config entries serialize to JSON")
    }
}
