use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::{entry, string};
use crate::workspace::tree::{Format, parse};

/// What meshplan's own HCL1 reader (the one `consul config write`'s reading is tested against)
/// makes of `text`.
fn read(text: &str) -> Value {
    match parse(Format::ConsulHcl, text) {
        Ok(node) => node.to_json(),
        Err(errors) => panic!("{text}\ndoes not parse: {errors:?}"),
    }
}

fn read_string(value: &str) -> Value {
    read(&format!("D = {}\n", string(value)))["D"].clone()
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

#[test]
fn interpolation_markers_are_written_as_a_person_writes_them_when_hcl1_keeps_them() {
    assert_eq!(string("${name}"), r#""${name}""#);
    assert_eq!(string("a ${x.y} b %{z}"), r#""a ${x.y} b %{z}""#);
    assert_eq!(string("%{ if x }y%{ endif }"), r#""%{ if x }y%{ endif }""#);
    assert_eq!(string("$${x}"), r#""$${x}""#);
    assert_eq!(string("${a${b}}"), r#""${a${b}}""#);
}

#[test]
fn a_marker_hcl1_would_misread_is_escaped() {
    // No closing brace: HCL1 would run the interpolation to the end of the file.
    assert_eq!(string("cost ${5"), r#""cost \u0024{5""#);
    // A quote or backslash inside `${ }` would be kept as written, escape and all.
    assert_eq!(string(r#"${"a"}"#), r#""\u0024{\"a\"}""#);
    assert_eq!(string(r"${a\b}"), r#""\u0024{a\\b}""#);
    assert_eq!(string("${a\nb}"), r#""\u0024{a\nb}""#);
}

#[test]
fn quotes_backslashes_and_controls_are_escaped() {
    assert_eq!(string(r#"say "hi" \o/"#), r#""say \"hi\" \\o/""#);
    assert_eq!(string("a\nb\r\n\tc"), r#""a\nb\r\n\tc""#);
    assert_eq!(
        string("\u{1}\u{7f}\u{feff}\u{202e}"),
        r#""\u0001\u007f\ufeff\u202e""#
    );
}

#[test]
fn unicode_is_written_as_it_is() {
    assert_eq!(string("café 🦀 ü"), "\"café 🦀 ü\"");
}

#[test]
fn every_tricky_string_reads_back_as_written() {
    for text in [
        "${",
        "%{",
        "${}",
        "$${",
        "%%{",
        "${a}$${b}%%{c}$",
        "}${",
        "${{}",
        "${}}",
        "\\${x}",
        "\"${x}\"",
        "${\u{1}}",
        "é${é}",
        "\u{10ffff}",
        "",
    ] {
        assert_eq!(
            read_string(text),
            json!(text),
            "{text:?} as {}",
            string(text)
        );
    }
}

#[test]
fn keys_are_bare_when_they_are_identifiers() {
    assert_eq!(super::key("PathPrefix"), "PathPrefix");
    assert_eq!(super::key("managed-by"), "managed-by");
    assert_eq!(super::key("9lives"), "\"9lives\"");
    assert_eq!(super::key("a.b"), "\"a.b\"");
    assert_eq!(super::key("true"), "\"true\"");
    assert_eq!(super::key("x y"), "\"x y\"");
}

#[test]
fn an_intentions_entry_is_written_in_the_style_of_consuls_docs() {
    let intentions = object(json!({
        "Kind": "service-intentions",
        "Name": "api",
        "Sources": [
            {
                "Name": "web",
                "Peer": "cluster-02",
                "Permissions": [
                    {
                        "Action": "allow",
                        "HTTP": {
                            "PathPrefix": "/v1/",
                            "Methods": ["GET", "POST"],
                            "Header": [{"Name": "x-team", "Exact": "a"}]
                        }
                    }
                ]
            },
            {"Name": "*", "Action": "deny"}
        ],
        "Meta": {"owner": "team-a"}
    }));
    let expected = r#"Kind = "service-intentions"
Name = "api"
Sources = [
  {
    Name = "web"
    Peer = "cluster-02"
    Permissions = [
      {
        Action = "allow"
        HTTP {
          PathPrefix = "/v1/"
          Methods    = ["GET", "POST"]
          Header = [
            {
              Name  = "x-team"
              Exact = "a"
            }
          ]
        }
      }
    ]
  },
  {
    Name   = "*"
    Action = "deny"
  }
]
Meta {
  owner = "team-a"
}
"#;
    assert_eq!(entry(&intentions), expected);
    assert_eq!(read(expected), Value::Object(intentions));
}

/// Any JSON string.
fn text() -> impl Strategy<Value = String> {
    let tricky = prop::sample::select(vec![
        "\"", "\\", "\n", "\r", "\t", "${", "%{", "$", "%", "{", "}", "#", "//", "/*", "é", "🦀",
        "\u{7f}", "\u{1}", "\u{feff}", "\u{2028}", " ", "x", "<<EOF",
    ]);
    prop_oneof![
        2 => "\\PC{0,12}",
        1 => any::<String>(),
        3 => prop::collection::vec(tricky, 0..10).prop_map(|pieces| pieces.concat()),
    ]
}

/// Keys: identifiers mostly, any non-empty text sometimes.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z_][A-Za-z0-9_-]{0,10}",
        1 => text().prop_filter("a key is not empty", |key| !key.is_empty()),
    ]
}

/// JSON values as config entries hold them (no `null`: Consul's entries have none).
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever the entry holds, meshplan's HCL1 reader reads back exactly what was written.
    #[test]
    fn written_entries_read_back_the_same(
        map in prop::collection::btree_map(key(), value(), 0..6)
    ) {
        let map: Map<String, Value> = map.into_iter().collect();
        let text = entry(&map);
        let read = parse(Format::ConsulHcl, &text).map(|node| node.to_json());
        prop_assert_eq!(read, Ok(Value::Object(map)), "\n{}", text);
    }

    #[test]
    fn written_strings_read_back_the_same(text in text()) {
        prop_assert_eq!(read_string(&text), Value::String(text.clone()), "{}", string(&text));
    }
}
