//! The text of an imported config-entry file in each format the loader reads: HCL in Consul's
//! dialect ([`super::hcl1`]), TOML with tables where Consul's HCL has blocks (`[[Sources]]`,
//! `[Sources.Permissions.HTTP]`), and JSON as Consul's own API shows entries.

use serde_json::{Map, Value};

/// The formats entry files are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryFormat {
    Hcl,
    Toml,
    Json,
}

impl EntryFormat {
    /// The file extension, which is how the loader tells the format.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Hcl => "hcl",
            Self::Toml => "toml",
            Self::Json => "json",
        }
    }
}

/// `entry` as the text of a file in `format`, ending with a newline.
pub fn text(format: EntryFormat, entry: &Map<String, Value>) -> String {
    match format {
        EntryFormat::Hcl => super::hcl1::entry(entry),
        EntryFormat::Toml => toml_table(entry).to_string(),
        EntryFormat::Json => {
            let mut text = serde_json::to_string_pretty(entry).expect("JSON values serialize");
            text.push('\n');
            text
        }
    }
}

fn toml_table(map: &Map<String, Value>) -> toml_edit::DocumentMut {
    let mut document = toml_edit::DocumentMut::new();
    fill(document.as_table_mut(), map);
    document
}

/// Puts `map`'s members in `table`: objects as tables, lists of objects as arrays of tables,
/// the rest as values. `null` has no TOML form; cleaned entries hold none.
fn fill(table: &mut toml_edit::Table, map: &Map<String, Value>) {
    for (key, value) in map {
        let item = match value {
            Value::Null => continue,
            Value::Object(inner) if !inner.is_empty() => {
                let mut sub = toml_edit::Table::new();
                fill(&mut sub, inner);
                // A table of tables only (`JWT`) needs no header of its own.
                let tables_only = sub.iter().all(|(_, item)| !item.is_value());
                sub.set_implicit(tables_only);
                toml_edit::Item::Table(sub)
            }
            Value::Array(items)
                if !items.is_empty()
                    && items
                        .iter()
                        .all(|item| item.as_object().is_some_and(|o| !o.is_empty())) =>
            {
                let mut array = toml_edit::ArrayOfTables::new();
                for item in items.iter().filter_map(Value::as_object) {
                    let mut sub = toml_edit::Table::new();
                    fill(&mut sub, item);
                    array.push(sub);
                }
                toml_edit::Item::ArrayOfTables(array)
            }
            other => toml_edit::Item::Value(toml_value(other)),
        };
        table.insert(key, item);
    }
}

fn toml_value(value: &Value) -> toml_edit::Value {
    match value {
        // Not in a cleaned entry; an empty string is the nearest TOML has.
        Value::Null => toml_edit::Value::from(""),
        Value::Bool(b) => toml_edit::Value::from(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml_edit::Value::from(i),
            None => toml_edit::Value::from(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => toml_edit::Value::from(s.as_str()),
        Value::Array(items) => {
            toml_edit::Value::Array(items.iter().map(toml_value).collect::<toml_edit::Array>())
        }
        Value::Object(map) => {
            let mut inline = toml_edit::InlineTable::new();
            for (key, value) in map {
                inline.insert(key, toml_value(value));
            }
            toml_edit::Value::InlineTable(inline)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::workspace::tree::{Format, parse};

    fn sample() -> Map<String, Value> {
        let Value::Object(map) = json!({
            "Kind": "service-intentions",
            "Name": "api",
            "Sources": [
                {"Name": "web", "Permissions": [
                    {"Action": "allow", "HTTP": {"PathPrefix": "/v1/", "Methods": ["GET"],
                     "Header": [{"Name": "x-a", "Exact": "${b}"}]}},
                    {"Action": "deny", "HTTP": {"PathExact": "/admin"}}
                ]},
                {"Name": "*", "Action": "deny", "Description": "a \"b\"\n%{c}"}
            ],
            "JWT": {"Providers": [{"Name": "okta", "VerifyClaims": [{"Path": ["a", "b"], "Value": "x"}]}]},
            "Meta": {"odd key": "v", "n": 3, "f": 1.5, "t": true}
        }) else {
            unreachable!()
        };
        map
    }

    #[test]
    fn every_format_reads_back_as_the_entry() {
        for (format, read_as) in [
            (EntryFormat::Hcl, Format::ConsulHcl),
            (EntryFormat::Toml, Format::Toml),
            (EntryFormat::Json, Format::Json),
        ] {
            let text = text(format, &sample());
            let read = parse(read_as, &text).map(|node| node.to_json());
            assert_eq!(read, Ok(Value::Object(sample())), "{format:?}:\n{text}");
        }
    }

    #[test]
    fn toml_uses_tables_where_hcl_uses_blocks() {
        let text = text(EntryFormat::Toml, &sample());
        for header in [
            "[[Sources]]",
            "[[Sources.Permissions]]",
            "[Sources.Permissions.HTTP]",
            "[[Sources.Permissions.HTTP.Header]]",
            "[[JWT.Providers]]",
        ] {
            assert!(
                text.contains(&format!("\n{header}\n")),
                "{header} in\n{text}"
            );
        }
        assert!(
            text.starts_with("Kind = \"service-intentions\"\nName = \"api\"\n"),
            "{text}"
        );
        assert!(
            !text.contains("[JWT]"),
            "a table of tables only has no header:\n{text}"
        );
    }
}
