//! The committed JSON Schemas are what the code generates, and the TOML and JSON files of the
//! examples validate against them (editors use these schemas through `#:schema`).

use std::path::Path;

use meshplan::schema;
use meshplan::workspace::tree::{self, Format};

fn schemas_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

#[test]
fn committed_schemas_match_the_code() {
    for (name, generated) in schema::schemas() {
        let path = schemas_dir().join(name);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == schema::to_text(&generated),
            "schemas/{name} differs from what the code generates: run `cargo run -- schema --out schemas`"
        );
    }
}

/// The schema that applies to a file: the workspace schema for the workspace file, else the
/// schema of the entry's kind (none for kinds that are not typed).
fn schema_for(file: &Path, json: &serde_json::Value) -> Option<&'static str> {
    if file.file_stem().is_some_and(|stem| stem == "meshplan") {
        return Some("meshplan.schema.json");
    }
    match json.get("Kind").and_then(serde_json::Value::as_str) {
        Some("exported-services") => Some("exported-services.schema.json"),
        Some("service-intentions") => Some("service-intentions.schema.json"),
        _ => None,
    }
}

#[test]
fn example_toml_and_json_files_validate_against_the_schemas() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(&examples)
        .into_iter()
        .filter_map(Result::ok)
    {
        let path = entry.path();
        let format = match Format::from_path(path) {
            Some(format @ (Format::Toml | Format::Json)) => format,
            _ => continue,
        };
        let text = std::fs::read_to_string(path).expect("example is readable");
        let json = tree::parse(format, &text)
            .expect("example parses")
            .to_json();
        let Some(name) = schema_for(path, &json) else {
            continue;
        };
        let schema: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(schemas_dir().join(name)).expect("schema exists"),
        )
        .expect("schema is JSON");
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{} does not match {name}: {errors:#?}",
            path.display()
        );
        checked += 1;
    }
    assert!(
        checked >= 3,
        "expected to check the seed-toml files, checked {checked}"
    );
}
