//! TOML → [`Node`], through toml_edit's `Document`, which keeps the span of every key and
//! value (the `toml` crate's serde path only has spans through `Spanned<T>` in the target type).
//!
//! - Tables and inline tables → objects; a `[table]` node spans its header, a table that only
//!   exists through a dotted key (`a.b = 1`, or `[a.b]` without `[a]`) spans that key.
//! - Arrays and arrays of tables (`[[x]]`) → arrays; each `[[x]]` element spans its header.
//! - Datetimes → strings in RFC 3339 form as written (Consul has no datetime type; the typed
//!   structs decide whether a string is a valid time).
//! - `inf` and `nan` → errors: JSON numbers have no such values.
//!
//! toml_edit limits nesting itself (80 levels); [`MAX_DEPTH`](super::MAX_DEPTH) is still
//! enforced here so the guarantee does not depend on that.

use std::ops::Range;

use toml_edit::{Array, InlineTable, Item, Table};

use super::{Errors, Field, Node, SyntaxError, Value};

pub(super) fn parse(text: &str) -> Result<Node, Vec<SyntaxError>> {
    let document = toml_edit::Document::parse(text).map_err(|error| {
        let span = error.span().unwrap_or_default();
        let span = super::floor_boundary(text, span.start)..super::floor_boundary(text, span.end);
        vec![SyntaxError::new(span, error.message())]
    })?;
    let mut errors = Errors::default();
    let root = table(&mut errors, document.as_table(), 0..0, 0);
    errors.finish(root)
}

/// `depth` is the nesting level of the node being built: the root table is at 0.
fn table(errors: &mut Errors, table: &Table, fallback: Range<usize>, depth: usize) -> Node {
    let span = table.span().unwrap_or(fallback);
    if !errors.depth_ok(depth, &span) {
        return Node::new(span, Value::Null);
    }
    let fields = table
        .iter()
        .map(|(key, item)| {
            let key_span = table
                .key(key)
                .and_then(toml_edit::Key::span)
                .unwrap_or_default();
            let value = self::item(errors, item, key_span.clone(), depth + 1);
            Field {
                key: key.to_string(),
                key_span,
                value,
            }
        })
        .collect();
    Node::new(span, Value::Object(fields))
}

/// An item under a key; `key_span` stands in for items toml_edit gives no span of their own.
fn item(errors: &mut Errors, item: &Item, key_span: Range<usize>, depth: usize) -> Node {
    match item {
        Item::None => Node::new(key_span, Value::Null),
        Item::Value(value) => self::value(errors, value, depth),
        Item::Table(inner) => table(errors, inner, key_span, depth),
        Item::ArrayOfTables(array) => {
            let span = array.span().unwrap_or(key_span);
            if !errors.depth_ok(depth, &span) {
                return Node::new(span, Value::Null);
            }
            let items = array
                .iter()
                .map(|inner| table(errors, inner, span.clone(), depth + 1));
            Node::new(span.clone(), Value::Array(items.collect()))
        }
    }
}

fn value(errors: &mut Errors, value: &toml_edit::Value, depth: usize) -> Node {
    use toml_edit::Value as Toml;
    let span = value.span().unwrap_or_default();
    let converted = match value {
        Toml::String(string) => Value::String(string.value().clone()),
        Toml::Integer(integer) => Value::Number((*integer.value()).into()),
        Toml::Float(float) => match serde_json::Number::from_f64(*float.value()) {
            Some(number) => Value::Number(number),
            None => {
                return errors.invalid(SyntaxError::new(span, "`inf` and `nan` are not supported"));
            }
        },
        Toml::Boolean(boolean) => Value::Bool(*boolean.value()),
        Toml::Datetime(datetime) => Value::String(datetime.value().to_string()),
        Toml::Array(_) | Toml::InlineTable(_) if !errors.depth_ok(depth, &span) => Value::Null,
        Toml::Array(array) => Value::Array(self::array(errors, array, depth + 1)),
        Toml::InlineTable(table) => Value::Object(inline_table(errors, table, depth + 1)),
    };
    Node::new(span, converted)
}

fn array(errors: &mut Errors, array: &Array, depth: usize) -> Vec<Node> {
    array
        .iter()
        .map(|item| value(errors, item, depth))
        .collect()
}

fn inline_table(errors: &mut Errors, table: &InlineTable, depth: usize) -> Vec<Field> {
    table
        .iter()
        .map(|(key, item)| {
            let key_span = table
                .key(key)
                .and_then(toml_edit::Key::span)
                .unwrap_or_default();
            Field {
                key: key.to_string(),
                key_span,
                value: value(errors, item, depth),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::{Format, parse as parse_any};
    use super::*;
    use serde_json::json;

    fn tree(text: &str) -> Node {
        parse_any(Format::Toml, text).unwrap_or_else(|errors| panic!("{errors:?}"))
    }

    #[test]
    fn tables_arrays_and_scalars_become_the_expected_json() {
        let text = "name = \"a\"\nport = 8500\nratio = 0.5\non = true\nwhen = 1979-05-27T07:32:00Z\n\
                    [cluster.dc1]\naddress = \"https://x\"\ntags = [\"a\", { b = 1 }]\n";
        let expected = json!({
            "name": "a", "port": 8500, "ratio": 0.5, "on": true, "when": "1979-05-27T07:32:00Z",
            "cluster": {"dc1": {"address": "https://x", "tags": ["a", {"b": 1}]}}
        });
        assert_eq!(tree(text).to_json(), expected);
    }

    #[test]
    fn an_array_of_tables_is_an_array_of_objects_spanning_their_headers() {
        let text = "[[peering]]\nfrom = \"a\"\n\n[[peering]]\nfrom = \"b\"\n";
        let root = tree(text);
        assert_eq!(
            root.to_json(),
            json!({"peering": [{"from": "a"}, {"from": "b"}]})
        );
        let Some(Value::Array(items)) = root.get("peering").map(|field| &field.value.value) else {
            panic!("peering is not an array");
        };
        assert_eq!(&text[items[1].span.clone()], "[[peering]]");
        assert_eq!(items[1].span.start, 24);
    }

    #[test]
    fn keys_and_values_span_what_was_written() {
        let text = "[cluster.dc1]\naddress = \"https://x\"\ninline = { peer = \"dc2\" }\n";
        let root = tree(text);
        let cluster = root.get("cluster").unwrap();
        assert_eq!(&text[cluster.key_span.clone()], "cluster");
        let dc1 = cluster.value.get("dc1").unwrap();
        assert_eq!(&text[dc1.key_span.clone()], "dc1");
        assert_eq!(&text[dc1.value.span.clone()], "[cluster.dc1]");
        let address = dc1.value.get("address").unwrap();
        assert_eq!(&text[address.key_span.clone()], "address");
        assert_eq!(&text[address.value.span.clone()], "\"https://x\"");
        let peer = dc1.value.get("inline").unwrap().value.get("peer").unwrap();
        assert_eq!(&text[peer.key_span.clone()], "peer");
        assert_eq!(&text[peer.value.span.clone()], "\"dc2\"");
    }

    #[test]
    fn a_dotted_key_table_spans_its_key() {
        let text = "a.b = 1\n";
        let root = tree(text);
        let a = root.get("a").unwrap();
        assert_eq!(&text[a.value.span.clone()], "a");
        assert_eq!(&text[a.value.get("b").unwrap().key_span.clone()], "b");
    }

    #[test]
    fn a_parse_error_has_the_parsers_span_and_message() {
        let errors = parse_any(Format::Toml, "a = 1\n[b\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].span.start >= 6, "{errors:?}");
        assert!(!errors[0].message.is_empty());
        let errors = parse_any(Format::Toml, "a = 1\na = 2\n").unwrap_err();
        assert!(errors[0].message.contains("duplicate"), "{errors:?}");
    }

    #[test]
    fn infinity_is_refused_at_its_span() {
        let text = "a = inf\nb = [nan]\n";
        let errors = parse_any(Format::Toml, text).unwrap_err();
        let spans: Vec<&str> = errors
            .iter()
            .map(|error| &text[error.span.clone()])
            .collect();
        assert_eq!(spans, ["inf", "nan"]);
    }
}
