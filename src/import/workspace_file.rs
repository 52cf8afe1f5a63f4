//! `peering` blocks added to the workspace file, in place: the new blocks are appended to the
//! text as it is, so every comment, blank line and alignment of the file stays byte for byte,
//! and the result is parsed again before it is used.
//!
//! The workspace file is HCL2 (or TOML), not Consul's HCL1: a `${` or `%{` in a meta value is
//! written `$${` or `%%{`, which HCL2 reads as literal text.

use std::fmt::Write as _;

use super::peerings::{Block, Handover};
use crate::workspace::tree::Format;

/// `text` (a workspace file in `format`) with `blocks` appended.
///
/// # Errors
/// When the result does not parse (a file that did not parse before, or a bug here).
pub fn append(text: &str, format: Format, blocks: &[Block]) -> anyhow::Result<String> {
    let mut out = text.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    for block in blocks {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&match format {
            Format::Toml => toml_block(block),
            _ => hcl_block(block),
        });
    }
    let parsed = match format {
        Format::Toml => out
            .parse::<toml_edit::DocumentMut>()
            .err()
            .map(|e| e.to_string()),
        _ => hcl::edit::parser::parse_body(&out)
            .err()
            .map(|e| e.to_string()),
    };
    match parsed {
        None => Ok(out),
        Some(error) => {
            anyhow::bail!("the workspace file with the imported peerings does not parse: {error}")
        }
    }
}

/// The fields of `block` in the order a person writes them: (key, value as written).
fn fields(block: &Block, string: fn(&str) -> String, meta: String) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("acceptor", string(&block.acceptor)),
        ("dialer", string(&block.dialer)),
    ];
    if let Some(name) = &block.name_on_acceptor {
        fields.push(("name_on_acceptor", string(name)));
    }
    if let Some(name) = &block.name_on_dialer {
        fields.push(("name_on_dialer", string(name)));
    }
    if !block.meta.is_empty() {
        fields.push(("meta", meta));
    }
    match &block.handover {
        Some(Handover::TokenOut(path)) => fields.push(("token_out", string(path))),
        Some(Handover::TokenFile(path)) => fields.push(("token_file", string(path))),
        None => {}
    }
    fields
}

/// The comment above a one-sided block.
fn comment(block: &Block) -> Option<String> {
    Some(match block.handover.as_ref()? {
        Handover::TokenOut(_) => format!(
            "# Only {}'s side is in this workspace: check token_out, where meshplan writes a new\n\
             # token for {} if it ever establishes this peering again.\n",
            block.acceptor, block.dialer
        ),
        Handover::TokenFile(_) => format!(
            "# Only {}'s side is in this workspace: check token_file, where meshplan reads the\n\
             # token {} generates if it ever establishes this peering again.\n",
            block.dialer, block.acceptor
        ),
    })
}

fn hcl_block(block: &Block) -> String {
    let meta = block
        .meta
        .iter()
        .map(|(key, value)| format!("{} = {}", hcl2_key(key), hcl2_string(value)))
        .collect::<Vec<_>>()
        .join(", ");
    let fields = fields(block, hcl2_string, format!("{{ {meta} }}"));
    let width = fields.iter().map(|(key, _)| key.len()).max().unwrap_or(0);
    let mut out = comment(block).unwrap_or_default();
    out.push_str("peering {\n");
    for (key, value) in fields {
        let _ = writeln!(out, "  {key:width$} = {value}");
    }
    out.push_str("}\n");
    out
}

fn toml_block(block: &Block) -> String {
    let mut meta = toml_edit::InlineTable::new();
    for (key, value) in &block.meta {
        meta.insert(key, value.as_str().into());
    }
    let fields = fields(block, toml_string, meta.to_string());
    let mut out = comment(block).unwrap_or_default();
    out.push_str("[[peering]]\n");
    for (key, value) in fields {
        let _ = writeln!(out, "{key} = {value}");
    }
    out
}

fn toml_string(text: &str) -> String {
    toml_edit::Value::from(text).to_string()
}

/// An HCL2 object key: bare when it is an identifier, quoted otherwise.
fn hcl2_key(key: &str) -> String {
    if super::hcl1::is_bare_key(key) {
        key.to_owned()
    } else {
        hcl2_string(key)
    }
}

/// `text` as an HCL2 quoted string: template markers doubled, the usual escapes.
pub fn hcl2_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::workspace::tree::parse;

    const WORKSPACE: &str = "# Our mesh.\nworkspace = \"mesh\"  # the name\n\ncluster \"a\" {\n  address = \"http://127.0.0.1:1\"\n}\ncluster \"b\" {}";

    fn blocks() -> Vec<Block> {
        vec![
            Block {
                acceptor: "a".into(),
                dialer: "b".into(),
                name_on_acceptor: Some("bee".into()),
                name_on_dialer: None,
                meta: BTreeMap::from([("owner".into(), "x ${y} %{z} \"q\"".into())]),
                handover: None,
            },
            Block {
                acceptor: "a".into(),
                dialer: "partner".into(),
                name_on_acceptor: None,
                name_on_dialer: None,
                meta: BTreeMap::new(),
                handover: Some(Handover::TokenOut("tokens/partner.token".into())),
            },
        ]
    }

    #[test]
    fn hcl_blocks_are_appended_and_the_file_is_kept_as_it_was() {
        let text = append(WORKSPACE, Format::Hcl, &blocks()).unwrap();
        assert!(text.starts_with(&format!("{WORKSPACE}\n")), "{text}");
        let expected_tail = "\npeering {\n  acceptor         = \"a\"\n  dialer           = \"b\"\n  \
             name_on_acceptor = \"bee\"\n  meta             = { owner = \"x $${y} %%{z} \\\"q\\\"\" }\n}\n";
        assert!(text.contains(expected_tail), "{text}");
        assert!(
            text.ends_with("  token_out = \"tokens/partner.token\"\n}\n"),
            "{text}"
        );
        let read = parse(Format::Hcl, &text).unwrap().to_json();
        assert_eq!(
            read["peering"][0]["meta"],
            json!({"owner": "x ${y} %{z} \"q\""})
        );
        assert_eq!(
            read["peering"][1]["token_out"],
            json!("tokens/partner.token")
        );
    }

    #[test]
    fn toml_tables_are_appended() {
        let toml = "workspace = \"mesh\"\n\n[cluster.a]\n[cluster.b]\n";
        let text = append(toml, Format::Toml, &blocks()).unwrap();
        assert!(text.starts_with(toml), "{text}");
        let read = parse(Format::Toml, &text).unwrap().to_json();
        assert_eq!(
            read["peering"][0]["meta"],
            json!({"owner": "x ${y} %{z} \"q\""})
        );
        assert_eq!(read["peering"][0]["name_on_acceptor"], json!("bee"));
        assert_eq!(read["peering"][1]["dialer"], json!("partner"));
    }

    #[test]
    fn hcl2_strings_escape_markers() {
        for text in [
            "${a}",
            "%{a}",
            "$${a}",
            "$",
            "a\"b\\c\nd",
            "\u{1}é🦀",
            "${a}$${b}",
        ] {
            let written = format!("x = {}", hcl2_string(text));
            let read = parse(Format::Hcl, &written).unwrap().to_json();
            assert_eq!(read["x"], json!(text), "{written}");
        }
    }
}
