//! JSON Schemas of the files people write, generated from the same types that parse them, so
//! that editors, parser and documentation cannot drift apart.
//!
//! Draft-07, because Taplo (Even Better TOML) implements drafts up to 7.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;

use crate::model::exported_services::ExportedServices;
use crate::model::service_intentions::ServiceIntentions;
use crate::plan::Plan;
use crate::workspace::raw::RawWorkspace;

/// Each schema's file name and content.
pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        (
            "meshplan.schema.json",
            schema_of::<RawWorkspace>("meshplan workspace file"),
        ),
        (
            "exported-services.schema.json",
            schema_of::<ExportedServices>("Consul exported-services config entry"),
        ),
        (
            "service-intentions.schema.json",
            schema_of::<ServiceIntentions>("Consul service-intentions config entry"),
        ),
        (
            "plan.schema.json",
            schema_of::<Plan>("meshplan plan (plan --format json), format_version 1"),
        ),
    ]
}

fn schema_of<T: JsonSchema>(title: &str) -> serde_json::Value {
    let mut schema = SchemaSettings::draft07()
        .for_deserialize()
        .into_generator()
        .into_root_schema_for::<T>();
    schema.insert("title".to_owned(), title.into());
    schema.to_value()
}

/// The schema's text as written to disk: pretty JSON with a final newline.
pub fn to_text(schema: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}
