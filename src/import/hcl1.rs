//! Config entries written in Consul's HCL dialect (HCL1), the way Consul's docs write them:
//! an object member is a block (`HTTP { … }`, `JWT { … }`, `Meta { … }`), a list of objects is
//! a list of multi-line items (`Sources = [ { … }, { … } ]`), anything else an attribute, with
//! the `=` of neighbouring attributes aligned.
//!
//! hcl-rs's writer is not used: it writes HCL2, whose `$${` and `%%{` escapes HCL1 reads as
//! written, and it mis-escapes some strings that hold both `$` and `${`. HCL1 has its own rules
//! for quoted strings (`hcl/scanner/scanner.go` `scanString`, `hcl/strconv/quote.go`
//! `Unquote`), which [`string`] follows:
//! - `%{` means nothing to HCL1: it is written as it is.
//! - `${ … }` is copied verbatim, braces balanced, escapes not applied, and a `"` inside it does
//!   not end the string. So a `${` whose `}` follows on the same line with only plain characters
//!   between is written as it is (`"${name}"`, as a person writes it); any other `${` (no closing
//!   brace, or a quote, backslash or control character before it) is written `\u0024{`, which
//!   HCL1 unescapes to `${` without seeing an interpolation.
//! - Otherwise Go's escapes: `\"`, `\\`, `\n`, `\r`, `\t`, and `\uNNNN` for other control and
//!   invisible formatting characters. Other Unicode is written as it is.

use serde_json::{Map, Value};

/// `entry` as the text of an HCL1 config-entry file.
pub fn entry(entry: &Map<String, Value>) -> String {
    let mut out = String::new();
    body(&mut out, entry, 0);
    out
}

/// The members of an object, one per line at `depth`: attributes (aligned), blocks and lists
/// of items.
fn body(out: &mut String, map: &Map<String, Value>, depth: usize) {
    let members: Vec<(String, &Value)> = map.iter().map(|(k, v)| (key(k), v)).collect();
    let mut index = 0;
    while index < members.len() {
        // A run of one-line attributes shares the column of its `=`.
        let run = members[index..]
            .iter()
            .take_while(|(_, value)| is_attribute(value))
            .count();
        if run > 0 {
            let width = members[index..index + run]
                .iter()
                .map(|(key, _)| key.chars().count())
                .max()
                .unwrap_or(0);
            for (key, value) in &members[index..index + run] {
                indent(out, depth);
                out.push_str(key);
                pad(out, width - key.chars().count());
                out.push_str(" = ");
                inline(out, value);
                out.push('\n');
            }
            index += run;
            continue;
        }
        let (key, value) = &members[index];
        indent(out, depth);
        out.push_str(key);
        match value {
            Value::Object(inner) => {
                out.push_str(" {\n");
                body(out, inner, depth + 1);
                indent(out, depth);
                out.push_str("}\n");
            }
            Value::Array(items) => {
                out.push_str(" = ");
                list(out, items, depth);
                out.push('\n');
            }
            other => {
                out.push_str(" = ");
                inline(out, other);
                out.push('\n');
            }
        }
        index += 1;
    }
}

/// Whether `value` is written on one line (`key = value`): scalars, and lists that hold no
/// object. An empty object is a one-line `{}` too.
fn is_attribute(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => !items.iter().any(holds_object),
        _ => true,
    }
}

fn holds_object(value: &Value) -> bool {
    match value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => items.iter().any(holds_object),
        _ => false,
    }
}

/// A list over several lines, one item per line, the opening line already indented; ends after
/// the closing `]`.
fn list(out: &mut String, items: &[Value], depth: usize) {
    out.push_str("[\n");
    for (at, item) in items.iter().enumerate() {
        indent(out, depth + 1);
        item_value(out, item, depth + 1);
        if at + 1 < items.len() {
            out.push(',');
        }
        out.push('\n');
    }
    indent(out, depth);
    out.push(']');
}

/// A list item, the line already indented: an object as `{ … }` over several lines, a list
/// holding objects likewise, anything else on one line.
fn item_value(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push_str("{\n");
            body(out, map, depth + 1);
            indent(out, depth);
            out.push('}');
        }
        Value::Array(items) if items.iter().any(holds_object) => list(out, items, depth),
        other => inline(out, other),
    }
}

/// A value on one line.
fn inline(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("\"\""),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&string(s)),
        Value::Array(items) => {
            out.push('[');
            for (at, item) in items.iter().enumerate() {
                if at > 0 {
                    out.push_str(", ");
                }
                inline(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (at, (k, v)) in map.iter().enumerate() {
                out.push_str(if at > 0 { ", " } else { " " });
                out.push_str(&key(k));
                out.push_str(" = ");
                inline(out, v);
            }
            out.push_str(if map.is_empty() { "}" } else { " }" });
        }
    }
}

/// A key: bare when it is an identifier in HCL1 and HCL2 alike (and not a keyword), quoted
/// otherwise.
pub fn key(key: &str) -> String {
    if is_bare_key(key) {
        key.to_owned()
    } else {
        string(key)
    }
}

/// Whether `key` may be written unquoted: an identifier in HCL1 and HCL2 alike, not a keyword.
pub(super) fn is_bare_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !matches!(key, "true" | "false" | "null")
}

/// `text` as an HCL1 quoted string that reads back as exactly `text` (see the module docs).
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(verbatim) = rest
            .strip_prefix("${")
            .and_then(|_| plain_interpolation(rest))
        {
            out.push_str(verbatim);
            rest = &rest[verbatim.len()..];
            continue;
        }
        match c {
            '$' if rest.starts_with("${") => out.push_str("\\u0024"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out.push('"');
    out
}

/// The `${ … }` at the start of `text` when HCL1 copies it verbatim and it needs no escape: its
/// braces close, and it holds nothing a quoted string would escape.
fn plain_interpolation(text: &str) -> Option<&str> {
    let mut depth = 0usize;
    for (at, c) in text.char_indices().skip(1) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[..=at]);
                }
            }
            '"' | '\\' => return None,
            c if c.is_control() || needs_escape(c) => return None,
            _ => {}
        }
    }
    None
}

/// Characters written as `\uNNNN`: controls, and the invisible ones that change how text
/// reads (byte-order mark, zero-width and bidirectional marks, line and paragraph separators).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{feff}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn indent(out: &mut String, depth: usize) {
    pad(out, depth * 2);
}

fn pad(out: &mut String, width: usize) {
    out.extend(std::iter::repeat_n(' ', width));
}

#[cfg(test)]
mod tests;
