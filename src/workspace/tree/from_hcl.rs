//! HCL → [`Node`], following the HCL JSON spec so that all formats share one data shape.
//!
//! - `key = value` → field `key` (key span = the attribute name, value span = the expression).
//! - `cluster "a" { … }` → field `cluster` → object with field `a` → the block body; blocks with
//!   the same ident and different labels merge into one object, the same labels twice is an
//!   error. Each label adds one level.
//! - An unlabelled block written once → an object; written more than once → an array of
//!   objects. The field's key span is the first block's ident.
//! - The node of a block body spans the block header (`cluster "a"`), which is where a "missing
//!   field" error should point, rather than the whole multi-line block.
//! - Only literal values: interpolation, variables, function calls, operators, conditionals and
//!   `for` expressions are errors at their span.
//!
//! hcl-edit caps expression and block nesting itself; labels are counted against
//! [`MAX_DEPTH`](super::MAX_DEPTH) here, since each adds a level to the tree.

use std::collections::HashMap;
use std::ops::Range;

use hcl::edit::Span;
use hcl::edit::expr::{Expression, Object, ObjectKey};
use hcl::edit::structure::{Attribute, Block, BlockLabel, Body, Structure};
use hcl::edit::template::{Element, Template};

use super::{Errors, Field, Node, SyntaxError, Value, line_of, point_span};

pub(super) fn parse(text: &str) -> Result<Node, Vec<SyntaxError>> {
    let body = hcl::edit::parser::parse_body(text).map_err(|error| {
        let span = point_span(text, error.location().offset());
        vec![SyntaxError::new(span, error.message())]
    })?;
    let mut converter = Converter {
        text,
        errors: Errors::default(),
    };
    let root = Node::new(0..0, Value::Object(converter.body(&body, 0)));
    converter.errors.finish(root)
}

struct Converter<'t> {
    text: &'t str,
    errors: Errors,
}

/// A body's fields while they are being collected, with what wrote each one, so that a block
/// can join earlier blocks of its ident and clashes can be reported.
#[derive(Default)]
struct BodyFields {
    fields: Vec<Field>,
    origins: Vec<Origin>,
    /// Position of each key in `fields`, so large bodies are not searched key by key.
    positions: HashMap<String, usize>,
}

impl BodyFields {
    fn position(&self, key: &str) -> Option<usize> {
        self.positions.get(key).copied()
    }

    fn push(&mut self, field: Field, origin: Origin) {
        self.positions.insert(field.key.clone(), self.fields.len());
        self.fields.push(field);
        self.origins.push(origin);
    }
}

enum Origin {
    Attribute,
    /// Blocks of this ident, and how many labels the first of them had.
    Blocks {
        labels: usize,
        first: Range<usize>,
    },
}

/// `depth` is always the nesting level of the node being built: the root body is at 0.
impl Converter<'_> {
    fn body(&mut self, body: &Body, depth: usize) -> Vec<Field> {
        let mut fields = BodyFields::default();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attribute) => self.attribute(&mut fields, attribute, depth),
                Structure::Block(block) => self.block(&mut fields, block, depth),
            }
        }
        fields.fields
    }

    fn attribute(&mut self, fields: &mut BodyFields, attribute: &Attribute, depth: usize) {
        let key = attribute.key.as_str();
        let key_span = span(&attribute.key);
        if let Some(first) = fields
            .position(key)
            .and_then(|index| fields.fields.get(index))
        {
            let first = first.key_span.start;
            self.clash(key, key_span, first);
            return;
        }
        let value = self.expression(&attribute.value, depth + 1);
        fields.push(
            Field {
                key: key.to_string(),
                key_span,
                value,
            },
            Origin::Attribute,
        );
    }

    fn block(&mut self, fields: &mut BodyFields, block: &Block, depth: usize) {
        let header = header_span(block);
        let depth = depth + block.labels.len() + 1;
        if !self.errors.depth_ok(depth, &header) {
            return;
        }
        let body = Node::new(header.clone(), Value::Object(self.body(&block.body, depth)));
        let ident = block.ident.as_str();
        let Some(index) = fields.position(ident) else {
            let value = Node {
                span: header.clone(),
                ..labelled(&block.labels, body)
            };
            let field = Field {
                key: ident.to_string(),
                key_span: span(&block.ident),
                value,
            };
            fields.push(
                field,
                Origin::Blocks {
                    labels: block.labels.len(),
                    first: header,
                },
            );
            return;
        };
        match (fields.origins.get(index), fields.fields.get_mut(index)) {
            (Some(Origin::Blocks { labels, .. }), Some(field)) if *labels == block.labels.len() => {
                self.join(&mut field.value, block, body);
            }
            (Some(Origin::Blocks { labels, first }), _) => {
                let error = label_count_mismatch(self.text, block, *labels, first.start);
                self.errors.push(error);
            }
            (_, field) => {
                let first = field.map_or(0, |field| field.key_span.start);
                self.clash(ident, header, first);
            }
        }
    }

    fn clash(&mut self, name: &str, span: Range<usize>, first: usize) {
        let line = line_of(self.text, first);
        let message =
            format!("`{name}` is both an attribute and a block (the other is on line {line})");
        self.errors
            .push(SyntaxError::new(span, message).with_help("rename or remove one of them"));
    }

    /// Adds a block to the node earlier blocks of its ident made: another element for
    /// unlabelled blocks, another path of label objects for labelled ones.
    fn join(&mut self, node: &mut Node, block: &Block, body: Node) {
        if block.labels.is_empty() {
            if !matches!(node.value, Value::Array(_)) {
                let single = std::mem::replace(node, Node::new(node.span.clone(), Value::Null));
                node.value = Value::Array(vec![single]);
            }
            if let Value::Array(items) = &mut node.value {
                items.push(body);
            }
            return;
        }
        let mut node = node;
        let last = block.labels.len() - 1;
        for (index, label) in block.labels.iter().enumerate() {
            let Value::Object(fields) = &mut node.value else {
                return;
            };
            let Some(position) = fields.iter().position(|field| field.key == label.as_str()) else {
                let rest = block.labels.get(index + 1..).unwrap_or_default();
                let value = labelled(rest, body);
                fields.push(Field {
                    key: label.as_str().to_string(),
                    key_span: span(label),
                    value,
                });
                return;
            };
            let Some(field) = fields.get_mut(position) else {
                return;
            };
            if index == last {
                self.errors
                    .push(duplicate_block(self.text, block, field.key_span.start));
                return;
            }
            node = &mut field.value;
        }
    }

    fn expression(&mut self, expression: &Expression, depth: usize) -> Node {
        let span = span(expression);
        let value = match expression {
            Expression::Null(_) => Value::Null,
            Expression::Bool(value) => Value::Bool(*value.value()),
            Expression::Number(number) => match json_number(number.value()) {
                Some(number) => Value::Number(number),
                None => {
                    return self
                        .errors
                        .invalid(SyntaxError::new(span, "number out of range"));
                }
            },
            Expression::String(value) => Value::String(value.value().clone()),
            Expression::StringTemplate(template) => return self.template(template, span),
            Expression::HeredocTemplate(heredoc) => return self.template(&heredoc.template, span),
            Expression::Array(_) | Expression::Object(_) if !self.errors.depth_ok(depth, &span) => {
                Value::Null
            }
            Expression::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.expression(item, depth + 1))
                    .collect(),
            ),
            Expression::Object(object) => Value::Object(self.object(object, depth + 1)),
            _ => return self.errors.invalid(not_literal(span)),
        };
        Node::new(span, value)
    }

    /// A template is accepted when it is all literal text (hcl-edit already dedented `<<-`
    /// heredocs and unescaped `$${`).
    fn template(&mut self, template: &Template, span: Range<usize>) -> Node {
        let mut text = String::new();
        for element in template.iter() {
            match element {
                Element::Literal(literal) => text.push_str(literal.value()),
                _ => return self.errors.invalid(not_literal(span)),
            }
        }
        Node::new(span, Value::String(text))
    }

    /// hcl-edit already refuses `a` twice, but not `a` and `"a"`.
    fn object(&mut self, object: &Object, depth: usize) -> Vec<Field> {
        let mut fields = Vec::new();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (key, value) in object.iter() {
            let key_span = span(key);
            let Some(name) = object_key(key) else {
                let message = "object keys must be names or strings";
                self.errors.push(SyntaxError::new(key_span, message));
                continue;
            };
            if let Some(first) = seen.get(name) {
                let line = line_of(self.text, *first);
                let message = format!("`{name}` is already set in this object (line {line})");
                self.errors.push(SyntaxError::new(key_span, message));
                continue;
            }
            seen.insert(name, key_span.start);
            let value = self.expression(value.expr(), depth);
            fields.push(Field {
                key: name.to_string(),
                key_span,
                value,
            });
        }
        fields
    }
}

/// The node for a block's labels, outermost first, ending in its body: `"a" "b" {…}` →
/// `{ a: { b: body } }`, each label object spanning its label.
fn labelled(labels: &[BlockLabel], body: Node) -> Node {
    labels.iter().rev().fold(body, |inner, label| {
        let key_span = span(label);
        let field = Field {
            key: label.as_str().to_string(),
            key_span: key_span.clone(),
            value: inner,
        };
        Node::new(key_span, Value::Object(vec![field]))
    })
}

fn label_count_mismatch(
    text: &str,
    block: &Block,
    first_labels: usize,
    first: usize,
) -> SyntaxError {
    let ident = block.ident.as_str();
    let message = format!(
        "this `{ident}` block has {} label(s), but the first one (line {}) has {first_labels}",
        block.labels.len(),
        line_of(text, first),
    );
    let help = format!("give every `{ident}` block the same number of labels");
    SyntaxError::new(header_span(block), message).with_help(help)
}

fn duplicate_block(text: &str, block: &Block, first: usize) -> SyntaxError {
    let labels: String = block
        .labels
        .iter()
        .map(|label| format!(" {:?}", label.as_str()))
        .collect();
    let name = format!("{}{labels}", block.ident.as_str());
    let message = format!(
        "`{name}` is declared twice (first on line {})",
        line_of(text, first)
    );
    SyntaxError::new(header_span(block), message)
        .with_help("merge the two blocks, or give one of them other labels")
}

/// `cluster "a"`: from the ident to the last label.
fn header_span(block: &Block) -> Range<usize> {
    let start = span(&block.ident).start;
    let end = block
        .labels
        .last()
        .map_or_else(|| span(&block.ident).end, |label| span(label).end);
    start..end.max(start)
}

fn object_key(key: &ObjectKey) -> Option<&str> {
    match key {
        ObjectKey::Ident(ident) => Some(ident.as_str()),
        ObjectKey::Expression(Expression::String(string)) => Some(string.value()),
        ObjectKey::Expression(_) => None,
    }
}

fn json_number(number: &hcl::edit::Number) -> Option<serde_json::Number> {
    if let Some(value) = number.as_u64() {
        Some(value.into())
    } else if let Some(value) = number.as_i64() {
        Some(value.into())
    } else {
        number.as_f64().and_then(serde_json::Number::from_f64)
    }
}

fn not_literal(span: Range<usize>) -> SyntaxError {
    SyntaxError::new(
        span,
        "expressions are not supported here; write a literal value",
    )
    .with_help("meshplan files hold data only: no `${…}`, variables or function calls")
}

/// Every node hcl-edit's parser emits has a span; `0..0` only guards against a node it made up.
fn span(node: &impl Span) -> Range<usize> {
    node.span().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::{Format, parse as parse_any};
    use super::*;
    use serde_json::json;

    fn tree(text: &str) -> Node {
        parse_any(Format::Hcl, text).unwrap_or_else(|errors| panic!("{errors:?}"))
    }

    fn errors(text: &str) -> Vec<SyntaxError> {
        parse_any(Format::Hcl, text).unwrap_err()
    }

    #[test]
    fn attributes_and_literals_become_the_expected_json() {
        let text = "s = \"a\"\ni = -3\nf = 1.5\nb = false\nn = null\nl = [1, \"x\"]\n\
                    o = { ident = 1, \"quoted key\" = [] }\nh = <<-EOT\n    two\n      lines\n    EOT\n";
        let expected = json!({
            "s": "a", "i": -3, "f": 1.5, "b": false, "n": null, "l": [1, "x"],
            "o": {"ident": 1, "quoted key": []}, "h": "two\n  lines\n"
        });
        assert_eq!(tree(text).to_json(), expected);
    }

    #[test]
    fn keys_and_values_span_what_was_written() {
        let text = "Name = \"web\"\nMeta = { team = \"a\" }\n";
        let root = tree(text);
        let name = root.get("Name").unwrap();
        assert_eq!(&text[name.key_span.clone()], "Name");
        assert_eq!(&text[name.value.span.clone()], "\"web\"");
        let meta = root.get("Meta").unwrap();
        assert_eq!(&text[meta.value.span.clone()], "{ team = \"a\" }");
        let team = meta.value.get("team").unwrap();
        assert_eq!(&text[team.key_span.clone()], "team");
        assert_eq!(&text[team.value.span.clone()], "\"a\"");
    }

    #[test]
    fn labelled_blocks_nest_by_label_and_merge_by_ident() {
        let text = "cluster \"a\" {\n  address = \"x\"\n}\ncluster \"b\" {}\npeering \"a\" \"b\" {}\npeering \"a\" \"c\" {}\n";
        let root = tree(text);
        let expected = json!({
            "cluster": {"a": {"address": "x"}, "b": {}},
            "peering": {"a": {"b": {}, "c": {}}}
        });
        assert_eq!(root.to_json(), expected);
        let cluster = root.get("cluster").unwrap();
        assert_eq!(&text[cluster.key_span.clone()], "cluster");
        let b = cluster.value.get("b").unwrap();
        assert_eq!(&text[b.key_span.clone()], "\"b\"");
        assert_eq!(&text[b.value.span.clone()], "cluster \"b\"");
        let c = root
            .get("peering")
            .unwrap()
            .value
            .get("a")
            .unwrap()
            .value
            .get("c")
            .unwrap();
        assert_eq!(&text[c.value.span.clone()], "peering \"a\" \"c\"");
    }

    #[test]
    fn one_unlabelled_block_is_an_object_and_several_are_an_array() {
        assert_eq!(
            tree("Meta {\n  a = \"1\"\n}\n").to_json(),
            json!({"Meta": {"a": "1"}})
        );
        let text = "Sources {\n  Name = \"a\"\n}\nSources {\n  Name = \"b\"\n}\n";
        let root = tree(text);
        assert_eq!(
            root.to_json(),
            json!({"Sources": [{"Name": "a"}, {"Name": "b"}]})
        );
        let sources = root.get("Sources").unwrap();
        assert_eq!(sources.key_span, 0..7);
        let Value::Array(items) = &sources.value.value else {
            panic!("not an array")
        };
        assert_eq!(items[1].span.start, text.rfind("Sources").unwrap());
    }

    #[test]
    fn fields_keep_the_order_they_were_written_in() {
        let root = tree("z = 1\nb {}\na = 2\n");
        let keys: Vec<&str> = match &root.value {
            Value::Object(fields) => fields.iter().map(|field| field.key.as_str()).collect(),
            _ => Vec::new(),
        };
        assert_eq!(keys, ["z", "b", "a"]);
    }

    #[test]
    fn the_same_labels_twice_is_an_error_at_the_second_block() {
        let text = "cluster \"a\" {}\ncluster \"b\" {}\n\ncluster \"a\" {\n}\n";
        let found = errors(text);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "`cluster \"a\"` is declared twice (first on line 1)"
        );
        assert_eq!(&text[found[0].span.clone()], "cluster \"a\"");
        assert_eq!(found[0].span.start, 31);
        assert!(found[0].help.is_some());
    }

    #[test]
    fn blocks_of_one_ident_need_the_same_number_of_labels() {
        let found = errors("peering \"a\" \"b\" {}\npeering \"a\" {}\npeering {}\n");
        assert_eq!(found.len(), 2);
        assert!(
            found[0]
                .message
                .contains("has 1 label(s), but the first one (line 1) has 2")
        );
    }

    #[test]
    fn an_attribute_and_a_block_with_one_name_is_an_error() {
        let text = "a = 1\na {}\nb {}\nb = 2\n";
        let found = errors(text);
        let spans: Vec<&str> = found
            .iter()
            .map(|error| &text[error.span.clone()])
            .collect();
        assert_eq!(spans, ["a", "b"]);
        assert!(
            found[0]
                .message
                .contains("both an attribute and a block (the other is on line 1)")
        );
        assert!(
            found[1].message.contains("(the other is on line 3)"),
            "{found:?}"
        );
    }

    #[test]
    fn expressions_are_refused_at_their_span_and_all_are_reported() {
        let text = "a = \"x-${var.y}\"\nb = upper(\"x\")\nc = var.z\nd = 1 + 2\ne = true ? 1 : 2\n\
                    f = [for x in [] : x]\ng = { k = local.v }\nh = <<EOT\n${x}\nEOT\nok = 1\n";
        let found = errors(text);
        let spans: Vec<&str> = found
            .iter()
            .map(|error| &text[error.span.clone()])
            .collect();
        assert_eq!(
            spans,
            [
                "\"x-${var.y}\"",
                "upper(\"x\")",
                "var.z",
                "1 + 2",
                "true ? 1 : 2",
                "[for x in [] : x]",
                "local.v",
                "<<EOT\n${x}\nEOT"
            ]
        );
        assert_eq!(
            found[0].message,
            "expressions are not supported here; write a literal value"
        );
    }

    #[test]
    fn an_escaped_interpolation_is_a_literal_string() {
        assert_eq!(tree("a = \"$${x}\"\n").to_json(), json!({"a": "${x}"}));
    }

    #[test]
    fn a_key_written_twice_in_an_object_is_an_error_at_the_second() {
        let text = "o = {\n  a = 1\n  \"a\" = 2\n}\n";
        let found = errors(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(&text[found[0].span.clone()], "\"a\"");
        assert_eq!(
            found[0].message,
            "`a` is already set in this object (line 2)"
        );
    }

    #[test]
    fn a_parse_error_points_at_the_parsers_location() {
        let text = "a = 1\nb = \"unclosed\n";
        let found = errors(text);
        assert_eq!(found.len(), 1);
        assert!(found[0].span.start >= 6, "{found:?}");
        assert!(!found[0].message.is_empty());
        let found = errors("a = 1\na = 2\n");
        assert!(found[0].message.contains("redefined"), "{found:?}");
    }
}
