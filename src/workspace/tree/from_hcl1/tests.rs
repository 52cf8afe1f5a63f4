use proptest::prelude::*;
use serde_json::{Value as Json, json};

use super::super::tests::mutated;
use super::super::{Format, MAX_DEPTH, Node, SyntaxError, parse as parse_any};

fn tree(text: &str) -> Node {
    parse_any(Format::ConsulHcl, text).unwrap_or_else(|errors| panic!("{text:?}: {errors:?}"))
}

/// `text` reads as `expect`.
fn check(text: &str, expect: Json) {
    assert_eq!(tree(text).to_json(), expect, "{text:?}");
}

fn errors(text: &str) -> Vec<SyntaxError> {
    match parse_any(Format::ConsulHcl, text) {
        Ok(node) => panic!("{text:?} parsed: {:?}", node.to_json()),
        Err(errors) => errors,
    }
}

/// `text` fails with one error whose message contains `message`, at the text `at`.
fn check_error(text: &str, at: &str, message: &str) {
    let found = errors(text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(&text[found[0].span.clone()], at, "{found:?}");
    assert!(found[0].message.contains(message), "{found:?}");
}

const REST_ACCESS: &str = r#"Kind = "service-intentions"
Name = "api"
Sources = [
  {
    Name = "web"
    Permissions = [
      {
        Action = "allow"
        HTTP {
          PathExact = "/v1/orders"
          Methods   = ["GET", "PUT"]
        }
      }
    ]
  }
]
"#;

const ROUTER: &str = r#"Kind = "service-router"
Name = "web"
Routes = [
  {
    Match {
      HTTP {
        PathPrefix = "/admin"
      }
    }
    Destination {
      Service = "admin"
    }
  },
]
"#;

#[test]
fn the_consul_docs_rest_access_example_reads() {
    check(
        REST_ACCESS,
        json!({"Kind": "service-intentions", "Name": "api", "Sources": [{"Name": "web",
            "Permissions": [{"Action": "allow",
                "HTTP": {"PathExact": "/v1/orders", "Methods": ["GET", "PUT"]}}]}]}),
    );
}

#[test]
fn the_consul_docs_router_example_reads() {
    check(
        ROUTER,
        json!({"Kind": "service-router", "Name": "web", "Routes": [{
            "Match": {"HTTP": {"PathPrefix": "/admin"}}, "Destination": {"Service": "admin"}}]}),
    );
}

#[test]
fn attributes_keys_and_literals() {
    check(
        "a = \"x\"\n\"quoted key\" = 1\nb-c.d = true\ne = false\nf = -2.5\n",
        json!({"a": "x", "quoted key": 1, "b-c.d": true, "e": false, "f": -2.5}),
    );
    check("a = 1 b = 2, c = 3,", json!({"a": 1, "b": 2, "c": 3}));
    check("", json!({}));
    check("# only a comment\n", json!({}));
}

#[test]
fn blocks_objects_and_lists_nest_anywhere() {
    check(
        "a { b { c = 1 } }\nd = { e = [1, [2, []], { f = \"g\" }], }\nh = [ { i { j = 1 } } ]\n",
        json!({"a": {"b": {"c": 1}}, "d": {"e": [1, [2, []], {"f": "g"}]},
               "h": [{"i": {"j": 1}}]}),
    );
    check("a = [,1,,2,]\nb = []\n", json!({"a": [1, 2], "b": []}));
}

#[test]
fn labels_become_levels_of_objects() {
    check(
        "c \"a\" { x = 1 }\nc \"b\" {}\np \"a\" \"b\" {}\np \"a\" \"c\" { y = 2 }\n",
        json!({"c": {"a": {"x": 1}, "b": {}}, "p": {"a": {"b": {}, "c": {"y": 2}}}}),
    );
    check("c \"a\" b { }", json!({"c": {"a": {"b": {}}}}));
}

#[test]
fn repeated_blocks_and_objects_make_a_list_in_written_order() {
    check(
        "S { N = \"a\" }\nS = { N = \"b\" }\nS = [{ N = \"c\" }, { N = \"d\" }]\nS { N = \"e\" }\n",
        json!({"S": [{"N": "a"}, {"N": "b"}, {"N": "c"}, {"N": "d"}, {"N": "e"}]}),
    );
    check("S = []\nS {}\n", json!({"S": [{}]}));
}

#[test]
fn a_value_written_twice_is_an_error_at_the_second() {
    check_error("a = 1\na = 2\n", "a", "`a` is already set on line 1");
    check_error("a = \"x\"\na { }\n", "a", "already set on line 1");
    check_error("a { }\na = \"x\"\n", "a", "already set on line 1");
    check_error("a = [1]\na = [2]\n", "a", "already set");
    check_error("a {}\na = [\"x\"]\n", "a", "already set");
    let found = errors("a = 1\na = 2\nb = 1\nb = 3\n");
    assert_eq!(found.len(), 2, "{found:?}");
}

#[test]
fn labelled_blocks_twice_or_with_other_label_counts_are_errors() {
    check_error(
        "c \"a\" {}\nc \"b\" {}\n\nc \"a\" {\n}\n",
        "c \"a\"",
        "`c \"a\"` is declared twice (first on line 1)",
    );
    check_error(
        "p \"a\" \"b\" {}\np \"a\" {}\n",
        "p \"a\"",
        "has 1 label(s), but the first one (line 1) has 2",
    );
    check_error(
        "p {}\np \"a\" {}\n",
        "p \"a\"",
        "has 1 label(s), but the first one (line 1) has 0",
    );
    check_error("p \"a\" {}\np {}\n", "p", "has 0 label(s)");
}

#[test]
fn keys_and_values_span_what_was_written() {
    let text = "Name = \"web\"\nMeta = { team = \"a\" }\nHTTP {\n  X = 1\n}\nL = [ { a = 1 } ]\n";
    let root = tree(text);
    assert_eq!(root.span, 0..0);
    let name = root.get("Name").unwrap();
    assert_eq!(&text[name.key_span.clone()], "Name");
    assert_eq!(&text[name.value.span.clone()], "\"web\"");
    let meta = root.get("Meta").unwrap();
    assert_eq!(&text[meta.value.span.clone()], "{ team = \"a\" }");
    let team = meta.value.get("team").unwrap();
    assert_eq!(&text[team.key_span.clone()], "team");
    assert_eq!(&text[team.value.span.clone()], "\"a\"");
    let http = root.get("HTTP").unwrap();
    assert_eq!(&text[http.key_span.clone()], "HTTP");
    assert_eq!(&text[http.value.span.clone()], "HTTP");
    let list = root.get("L").unwrap();
    assert_eq!(&text[list.value.span.clone()], "[ { a = 1 } ]");
    let super::super::Value::Array(items) = &list.value.value else {
        panic!("not an array")
    };
    assert_eq!(&text[items[0].span.clone()], "{ a = 1 }");
}

#[test]
fn spans_of_labels_quoted_keys_and_repeated_blocks() {
    let text = "c \"a\" \"b\" {}\n\"k\" = 1\nS {}\nS {}\n";
    let root = tree(text);
    let c = root.get("c").unwrap();
    assert_eq!(&text[c.value.span.clone()], "c \"a\" \"b\"");
    let a = c.value.get("a").unwrap();
    assert_eq!(&text[a.key_span.clone()], "\"a\"");
    assert_eq!(&text[a.value.span.clone()], "\"b\"");
    let b = a.value.get("b").unwrap();
    assert_eq!(&text[b.value.span.clone()], "c \"a\" \"b\"");
    assert_eq!(&text[root.get("k").unwrap().key_span.clone()], "\"k\"");
    let s = root.get("S").unwrap();
    assert_eq!(s.key_span.start, text.find("S {}").unwrap());
    let super::super::Value::Array(items) = &s.value.value else {
        panic!("not an array")
    };
    assert_eq!(items[1].span.start, text.rfind("S {}").unwrap());
}

#[test]
fn string_escapes_are_hcl1s() {
    check(
        r#"a = "\n\t\r\"\\\a\b\f\v" b = "\u00e9\U0001F600\x41\101" c = "é""#,
        json!({"a": "\n\t\r\"\\\u{7}\u{8}\u{c}\u{b}", "b": "é😀AA", "c": "é"}),
    );
    check_error(r#"a = "\q""#, "\\q", "unknown escape");
    check_error(r#"a = "\u12""#, "\\u", "needs 4 digits");
    check_error(r#"a = "\xff""#, "\\xff", "not UTF-8");
    check_error(r#"a = "\377""#, "\\377", "not UTF-8");
    check_error(r#"a = "\ud800""#, "\\ud800", "surrogate");
    check_error(r#"a = "\U00110000""#, "\\U00110000", "beyond");
}

#[test]
fn interpolation_is_kept_as_literal_text() {
    check(
        r#"a = "x-${var.y}" b = "${f("q\"")} \n" c = "$${z}""#,
        json!({"a": "x-${var.y}", "b": "${f(\"q\\\"\")} \n", "c": "$${z}"}),
    );
    check_error("a = \"${x\"\n", "\"", "not closed");
}

#[test]
fn strings_end_on_their_line() {
    check_error("a = \"one\ntwo\"\n", "\"", "not closed on its line");
    check_error("a = \"x", "\"", "not closed");
}

#[test]
fn numbers_are_read_as_hcl1_scans_them() {
    check(
        "a = 10\nb = -3\nc = 0x1F\nd = -0x10\ne = 0755\nf = 1.5\ng = 1e3\nh = -2.5E-2\ni = .5\nj = 1.\nk = 0\n",
        json!({"a": 10, "b": -3, "c": 31, "d": -16, "e": 493, "f": 1.5, "g": 1000.0,
               "h": -0.025, "i": 0.5, "j": 1.0, "k": 0}),
    );
    check_error("a = 089\n", "089", "illegal octal number");
    check_error("a = 0x\n", "0x", "illegal hexadecimal number");
    check_error(
        "a = 99999999999999999999\n",
        "99999999999999999999",
        "out of range",
    );
    let beyond_i128 = "9".repeat(40);
    check_error(
        &format!("a = {beyond_i128}\n"),
        &beyond_i128,
        "out of range",
    );
    check_error("a = 1e999\n", "1e999", "out of range");
    check_error("a = 1e\n", "1e", "invalid number");
}

#[test]
fn heredocs_keep_the_closing_markers_indentation() {
    check(
        "a = <<EOF\nhello\n  world\nEOF\n",
        json!({"a": "hello\n  world\n"}),
    );
    check("a = <<EOF\nhello\n  EOF\n", json!({"a": "hello\n  "}));
    check(
        "a = <<EOF\n${x} \\n\nEOF\nb = 1\n",
        json!({"a": "${x} \\n\n", "b": 1}),
    );
    check("a = <<EOF\nEOF\n", json!({"a": ""}));
    check("a = <<EOF\r\nx\r\nEOF\r\n", json!({"a": "x\r\n"}));
    check("l = [<<A\nx\nA\n, 1]\n", json!({"l": ["x\n", 1]}));
}

#[test]
fn indented_heredocs_strip_the_closing_markers_indentation() {
    check(
        "a = <<-EOF\n    two\n      lines\n    EOF\n",
        json!({"a": "two\n  lines\n"}),
    );
    check("a = <<-EOF\n  x\n y\n  EOF\n", json!({"a": "  x\n y\n"}));
    check("a = <<-EOF\n\tx\n\tEOF\n", json!({"a": "x\n"}));
    check("a = <<-EOF\n  x\n\n  EOF\n", json!({"a": "  x\n\n"}));
}

#[test]
fn heredoc_errors_point_at_the_opening() {
    check_error("a = <<EOF\nhello\nEOF", "<<EOF", "not closed");
    check_error("a = <<-EOF\nhello\nEOF\n", "<<-EOF", "not closed");
    check_error(
        "a = <<EOF x\nEOF\n",
        " ",
        "invalid character in heredoc anchor",
    );
    check_error("a = <<\nEOF\n", "<<", "needs a name");
    check_error("a = <x\n", "<", "expected `<<`");
}

#[test]
fn comments_of_all_three_kinds_are_skipped() {
    check(
        "# a\n// b\na = /* c */ 1 /* multi\nline */ b = 2 // end\n",
        json!({"a": 1, "b": 2}),
    );
    check_error("a = 1\n/* open\n", "/*", "comment is not closed");
    check_error("a = 1 / 2\n", "/", "expected `//` or `/*`");
}

#[test]
fn syntax_errors_point_at_the_offending_token() {
    check_error("a = \n", "", "expected a value, found the end of the file");
    check_error("a = null\n", "null", "expected a value, found `null`");
    check_error("a = var.x\n", "var.x", "found `var.x`");
    check_error("a\n", "", "expected `=` or `{` after `a`");
    check_error("a b = 1\n", "=", "expected `{` after block labels");
    check_error("= 1\n", "=", "expected a key");
    check_error("a = [1 2]\n", "2", "expected `,` or `]`");
    check_error("a = [1,\n", "[", "this `[` is not closed");
    check_error("a {\n b = 1\n", "{", "this `{` is not closed");
    check_error("a = 1\n}\n", "}", "unexpected `}`");
    check_error("a = 1,, b = 2\n", ",", "expected a key");
    let text = "a = [\n  { b = 1\n]\n";
    check_error(text, "]", "expected a key or `}`, found `]`");
    let help = errors(text)[0].help.clone().unwrap_or_default();
    assert_eq!(help, "the `{` on line 2 is not closed before this");
    check_error("true = 1\n", "true", "cannot be keys");
    check_error("a : 1\n", ":", "found `:`");
    check_error("a = 1 + 2\n", "+", "expected a key, found `+`");
    check_error("a = 1\nb = \u{0}\n", "\u{0}", "null character");
}

#[test]
fn nesting_past_the_limit_is_an_error() {
    let deep = |open: &str, close: &str| {
        format!(
            "a = {}1{}",
            open.repeat(MAX_DEPTH + 10),
            close.repeat(MAX_DEPTH + 10)
        )
    };
    assert!(
        errors(&deep("[", "]"))[0]
            .message
            .contains("nested more than")
    );
    let objects = format!(
        "{}{}",
        "a { ".repeat(MAX_DEPTH + 10),
        "}".repeat(MAX_DEPTH + 10)
    );
    assert!(errors(&objects)[0].message.contains("nested more than"));
    let labels = "\"l\" ".repeat(MAX_DEPTH + 10);
    assert!(
        errors(&format!("b {labels}{{}}"))[0]
            .message
            .contains("nested more than")
    );
    let at_limit = format!(
        "a = {}{}",
        "[".repeat(MAX_DEPTH - 1),
        "]".repeat(MAX_DEPTH - 1)
    );
    tree(&at_limit);
}

#[test]
fn large_inputs_parse_in_linear_time() {
    let many: String = (0..20_000).map(|i| format!("k{i} = {i}\n")).collect();
    let blocks: String = (0..20_000).map(|i| format!("b \"l{i}\" {{}}\n")).collect();
    let repeated = "S { a = 1 }\n".repeat(20_000);
    let started = std::time::Instant::now();
    for text in [many, blocks, repeated] {
        tree(&text);
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn the_tree_matches_the_hcl2_reader_on_shared_syntax() {
    let texts = [
        REST_ACCESS.replace("HTTP {", "HTTP = {"),
        "Kind = \"a\"\nSources {\n  Name = \"x\"\n}\nSources {\n  Name = \"y\"\n}\nMeta { a = \"b\" }\n"
            .to_string(),
        "cluster \"a\" { x = 1 }\ncluster \"b\" {}\np \"a\" \"b\" {}\n".to_string(),
        "l = [1, -2.5, true, \"s\", [], {}]\nh = <<-EOT\n    two\n      lines\n    EOT\n".to_string(),
    ];
    for text in texts {
        let hcl2 = parse_any(Format::Hcl, &text).expect("HCL2 reads it");
        assert_eq!(tree(&text), hcl2, "{text}");
    }
}

const HEREDOC_SAMPLE: &str = "Kind = \"service-defaults\" # c\nMeta { a = <<-EOF\n  x \"${y}\"\n  EOF\n}\nL = [0x1F, -1.5e3, \"\\u00e9\", /* c */ { b { c = 1 } },]\n";

/// Errors, when there are any, have spans inside the text and on character boundaries.
fn parse_checked(text: &str) {
    match parse_any(Format::ConsulHcl, text) {
        Ok(node) => {
            node.to_json();
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            for error in errors {
                assert!(error.span.start <= error.span.end && error.span.end <= text.len());
                assert!(text.get(error.span.clone()).is_some(), "{error:?}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_never_panics_on_a_mutated_docs_example(text in mutated(REST_ACCESS)) {
        parse_checked(&text);
    }

    #[test]
    fn parse_never_panics_on_a_mutated_heredoc_file(text in mutated(HEREDOC_SAMPLE)) {
        parse_checked(&text);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(text in "[a-z0-9 \"{}\\[\\]=,<\\-\n\\\\$#/*.xuU]{0,120}") {
        parse_checked(&text);
    }
}
