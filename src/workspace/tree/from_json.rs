//! JSON → [`Node`], strictly: no comments, no trailing commas, no unquoted keys.
//!
//! Consul reads JSON config entries with Go's strict decoder, and a file that only meshplan
//! could read would be a trap for anyone applying it with `consul config write`. jsonc-parser
//! gives byte ranges but is lenient even with every option off (it accepts `[1 2]`) and
//! recurses without a limit, so the text is first checked by serde_json, which is strict and
//! stops at 128 levels of nesting (= [`MAX_DEPTH`](super::MAX_DEPTH)); only text that passes is
//! handed to jsonc-parser for the ranges.
//!
//! Duplicate keys in one object, which serde_json would silently resolve to the last, are
//! errors at the second key.

use std::collections::HashSet;

use jsonc_parser::ast::{Object, ObjectPropName, Value as Json};
use jsonc_parser::common::Ranged;
use jsonc_parser::{CollectOptions, ParseOptions};

use super::{Errors, Field, Node, SyntaxError, Value, point_span};

pub(super) fn parse(text: &str) -> Result<Node, Vec<SyntaxError>> {
    if let Err(error) = serde_json::from_str::<serde_json::Value>(text) {
        return Err(vec![strict_error(text, &error)]);
    }
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
    };
    let parsed = jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options).map_err(
        |error| {
            vec![SyntaxError::new(
                range(error.range()),
                error.kind().to_string(),
            )]
        },
    )?;
    let Some(value) = parsed.value else {
        return Err(vec![SyntaxError::new(0..0, "expected a JSON value")]);
    };
    let mut errors = Errors::default();
    let root = convert(&mut errors, &value);
    errors.finish(root)
}

/// serde_json reports a line and the number of bytes of it read so far, the last of which is
/// where it failed (column 0: the line break before the line); the span is that character.
fn strict_error(text: &str, error: &serde_json::Error) -> SyntaxError {
    let line_start = text
        .split_inclusive('\n')
        .take(error.line().saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let offset = line_start.saturating_add(error.column()).saturating_sub(1);
    let message = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    let message = message.strip_suffix(&position).unwrap_or(&message);
    SyntaxError::new(point_span(text, offset), message)
}

/// Recursion is bounded: serde_json has already refused anything nested deeper than 128.
fn convert(errors: &mut Errors, value: &Json<'_>) -> Node {
    let span = range(value.range());
    let converted = match value {
        Json::NullKeyword(_) => Value::Null,
        Json::BooleanLit(boolean) => Value::Bool(boolean.value),
        Json::StringLit(string) => Value::String(string.value.to_string()),
        Json::NumberLit(number) => match number.value.parse::<serde_json::Number>() {
            Ok(number) => Value::Number(number),
            Err(_) => return errors.invalid(SyntaxError::new(span, "number out of range")),
        },
        Json::Array(array) => Value::Array(
            array
                .elements
                .iter()
                .map(|item| convert(errors, item))
                .collect(),
        ),
        Json::Object(object) => Value::Object(fields(errors, object)),
    };
    Node::new(span, converted)
}

fn fields(errors: &mut Errors, object: &Object<'_>) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut seen = HashSet::new();
    for property in &object.properties {
        let (key, key_span) = match &property.name {
            ObjectPropName::String(name) => (name.value.to_string(), range(name.range)),
            ObjectPropName::Word(name) => (name.value.to_string(), range(name.range)),
        };
        if !seen.insert(key.clone()) {
            errors.push(SyntaxError::new(
                key_span,
                format!("`{key}` is already set in this object"),
            ));
            continue;
        }
        let value = convert(errors, &property.value);
        fields.push(Field {
            key,
            key_span,
            value,
        });
    }
    fields
}

fn range(range: jsonc_parser::common::Range) -> std::ops::Range<usize> {
    range.start..range.end.max(range.start)
}

#[cfg(test)]
mod tests {
    use super::super::{Format, parse as parse_any};
    use super::*;
    use serde_json::json;

    fn tree(text: &str) -> Node {
        parse_any(Format::Json, text).unwrap_or_else(|errors| panic!("{errors:?}"))
    }

    fn errors(text: &str) -> Vec<SyntaxError> {
        parse_any(Format::Json, text).unwrap_err()
    }

    #[test]
    fn values_become_the_same_json() {
        let text = r#"{"Kind": "exported-services", "Services": [{"Name": "web", "Consumers": [{"Peer": "dc2"}]}], "n": -1.5e3, "big": 18446744073709551615, "x": null, "é": "ü"}"#;
        let expected: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(tree(text).to_json(), expected);
        assert_eq!(tree("[]").to_json(), json!([]));
    }

    #[test]
    fn keys_and_values_span_what_was_written() {
        let text = "{\n  \"Name\": \"web\",\n  \"List\": [1, {\"a\": true}]\n}";
        let root = tree(text);
        assert_eq!(root.span, 0..text.len());
        let name = root.get("Name").unwrap();
        assert_eq!(&text[name.key_span.clone()], "\"Name\"");
        assert_eq!(&text[name.value.span.clone()], "\"web\"");
        let list = root.get("List").unwrap();
        assert_eq!(&text[list.value.span.clone()], "[1, {\"a\": true}]");
        let Value::Array(items) = &list.value.value else {
            panic!("not an array")
        };
        assert_eq!(&text[items[1].get("a").unwrap().value.span.clone()], "true");
    }

    #[test]
    fn a_duplicate_key_is_an_error_at_the_second_key() {
        let text = "{\"a\": 1, \"b\": {\"c\": 1, \"c\": 2}, \"a\": 3}";
        let found = errors(text);
        let spans: Vec<usize> = found.iter().map(|error| error.span.start).collect();
        assert_eq!(spans, [23, 32]);
        assert_eq!(found[0].message, "`c` is already set in this object");
    }

    #[test]
    fn comments_trailing_commas_and_missing_commas_are_errors() {
        for text in [
            "{\"a\": 1 // no\n}",
            "{\"a\": 1,}",
            "[1, 2,]",
            "[1 2]",
            "{a: 1}",
            "",
            "{} {}",
        ] {
            assert_eq!(errors(text).len(), 1, "{text:?}");
        }
    }

    #[test]
    fn a_syntax_error_points_at_the_offending_character() {
        let text = "{\n  \"a\": 1,\n  \"b\": tru\n}";
        let found = errors(text);
        assert_eq!(found[0].message, "expected ident");
        assert_eq!(found[0].span.start, text.find("tru").unwrap() + 3);
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused_without_overflowing() {
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(errors(&text)[0].message.contains("recursion limit"));
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse_any(Format::Json, &ok).is_ok());
    }
}
