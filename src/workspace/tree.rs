//! One span-carrying document tree for all three file formats (HCL, TOML, JSON).
//!
//! hcl-rs's serde path has no positions, TOML's and JSON's have different ones, so instead of
//! deserializing each format directly, the loader parses every file into this [`Node`] tree,
//! deserializes typed structs straight from it (`&Node` is a serde `Deserializer`, see
//! `tree/de.rs`) through `serde_path_to_error`, and maps the failing path back to bytes with
//! [`Node::span_of`]. One mechanism, one set of error positions, for every format.
//!
//! Config-entry `.hcl` files are read in Consul's own HCL1 dialect ([`Format::ConsulHcl`], see
//! `tree/from_hcl1.rs`), into the same shape as HCL2 gives for the same data.
//!
//! HCL follows the HCL JSON spec (labels become levels of objects, see `tree/from_hcl.rs`) and accepts
//! only literal values: meshplan files are data, not programs, so `${…}`, variables and
//! function calls are refused where they are written instead of being passed on as strings.
//!
//! # Guarantees
//! [`parse`] never panics and never recurses deeper than [`MAX_DEPTH`] levels of nesting on any
//! input; it reports every problem it can find in one pass (a parse error in the underlying
//! parser stops that pass, so it is reported alone).

use std::collections::HashMap;
use std::ops::Range;

use super::diagnostic::{floor_boundary, line_column};
use crate::model::{Path, Segment};

mod de;
mod from_hcl;
mod from_hcl1;
mod from_json;
mod from_toml;

/// Deepest nesting of objects and arrays any format may produce. Deeper input is refused with
/// an error rather than risking a stack overflow in the converters, `to_json` or drop.
pub const MAX_DEPTH: usize = 128;

/// A value with the byte range it was written at in the file text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Range<usize>,
    pub value: Value,
}

/// The JSON data model, with spans on every value and key.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Node>),
    /// Fields in the order they were written.
    Object(Vec<Field>),
}

/// One key of an object, with where the key itself was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub key: String,
    pub key_span: Range<usize>,
    pub value: Node,
}

/// A problem found while reading a file's syntax, before any typed deserialization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub span: Range<usize>,
    pub help: Option<String>,
}

impl SyntaxError {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            span,
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// The file formats meshplan reads, for both the workspace file and config-entry files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// HCL2, for the workspace file (`meshplan.hcl`).
    Hcl,
    /// Config-entry files: Consul's HCL1 dialect, as `consul config write` reads `.hcl` files
    /// (see `tree/from_hcl1.rs`).
    ConsulHcl,
    Toml,
    Json,
}

impl Format {
    /// The format a file name says it has: `.hcl`, `.toml` or `.json`, in any letter case.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?;
        [
            ("hcl", Format::Hcl),
            ("toml", Format::Toml),
            ("json", Format::Json),
        ]
        .into_iter()
        .find(|(name, _)| extension.eq_ignore_ascii_case(name))
        .map(|(_, format)| format)
    }

    /// The format of a config-entry file: as [`Format::from_path`], except that `.hcl` is
    /// Consul's HCL1 dialect ([`Format::ConsulHcl`]), the one `consul config write` reads.
    pub fn for_entry_file(path: &std::path::Path) -> Option<Format> {
        match Format::from_path(path)? {
            Format::Hcl => Some(Format::ConsulHcl),
            format => Some(format),
        }
    }
}

/// Parses `text` into a tree. The root of an HCL or TOML file is an object spanning `0..0` (the
/// start of the file, where "missing field" errors about the whole file point); a JSON root is
/// whatever value the file holds, with its own span.
///
/// # Errors
/// Every syntax problem found, in file order where the format allows finding more than one.
pub fn parse(format: Format, text: &str) -> Result<Node, Vec<SyntaxError>> {
    match format {
        Format::Hcl => from_hcl::parse(text),
        Format::ConsulHcl => from_hcl1::parse(text),
        Format::Toml => from_toml::parse(text),
        Format::Json => from_json::parse(text),
    }
}

impl Node {
    pub fn new(span: Range<usize>, value: Value) -> Self {
        Self { span, value }
    }

    /// The same data as a plain JSON value, ready for typed deserialization. Object key order
    /// is kept (serde_json's `preserve_order`).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(value) => serde_json::Value::Bool(*value),
            Value::Number(value) => serde_json::Value::Number(value.clone()),
            Value::String(value) => serde_json::Value::String(value.clone()),
            Value::Array(items) => items.iter().map(Node::to_json).collect(),
            Value::Object(fields) => serde_json::Value::Object(
                fields
                    .iter()
                    .map(|field| (field.key.clone(), field.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// The node at `path`, and for a path ending in a key, that key's span.
    ///
    /// Index `0` on a value that is not an array means the value itself, so a path through a
    /// one-or-many field (a single `peering { … }` block is an object, two are an array) finds
    /// the block either way.
    pub fn find(&self, path: &Path) -> Option<(&Node, Option<Range<usize>>)> {
        let mut node = self;
        let mut key_span = None;
        for segment in path.segments() {
            (node, key_span) = node.step(segment)?;
        }
        Some((node, key_span))
    }

    /// Best span for a path: the deepest node that exists along it, so a missing field points
    /// at the object that lacks it. With `at_key`, a path that exists and ends in a key gives
    /// the key's span (for unknown or misplaced fields) instead of the value's.
    pub fn span_of(&self, path: &Path, at_key: bool) -> Range<usize> {
        let mut node = self;
        let mut key_span = None;
        for segment in path.segments() {
            match node.step(segment) {
                Some(next) => (node, key_span) = next,
                None => return node.span.clone(),
            }
        }
        match key_span {
            Some(span) if at_key => span,
            _ => node.span.clone(),
        }
    }

    /// The field `key` of an object, compared exactly.
    pub fn get(&self, key: &str) -> Option<&Field> {
        self.fields().iter().find(|field| field.key == key)
    }

    /// The field `key` of an object, compared ASCII case-insensitively (Consul accepts `kind`
    /// for `Kind`).
    pub fn get_ci(&self, key: &str) -> Option<&Field> {
        self.fields()
            .iter()
            .find(|field| field.key.eq_ignore_ascii_case(key))
    }

    fn fields(&self) -> &[Field] {
        match &self.value {
            Value::Object(fields) => fields,
            _ => &[],
        }
    }

    fn step(&self, segment: &Segment) -> Option<(&Node, Option<Range<usize>>)> {
        match (segment, &self.value) {
            (Segment::Key(key), _) => self
                .get(key)
                .map(|field| (&field.value, Some(field.key_span.clone()))),
            (Segment::Index(index), Value::Array(items)) => {
                items.get(*index).map(|item| (item, None))
            }
            (Segment::Index(0), _) => Some((self, None)),
            (Segment::Index(_), _) => None,
        }
    }
}

/// Rewrites object keys with `rename(key) -> Option<&'static str>` everywhere except inside
/// objects whose (renamed) key is in `opaque` (such as `Meta`: user data whose keys are not
/// field names). Spans are kept, so diagnostics still point at what the user wrote.
///
/// Consul accepts `kind`, `Kind` and `peer_name` alike; renaming once on the tree lets the
/// typed structs know only the canonical spelling.
///
/// # Errors
/// Returns one error (at the later key) for every object in which two keys now have the same
/// name, such as `kind` and `Kind`; the tree then holds both fields and `to_json` would keep
/// only the last, so the caller must not go on to deserialize it.
pub fn rename_keys(
    node: &mut Node,
    rename: &dyn Fn(&str) -> Option<&'static str>,
    opaque: &[&str],
) -> Vec<SyntaxError> {
    let mut errors = Vec::new();
    rename_in(node, &Renaming { rename, opaque }, &mut errors);
    errors
}

struct Renaming<'a> {
    rename: &'a dyn Fn(&str) -> Option<&'static str>,
    opaque: &'a [&'a str],
}

fn rename_in(node: &mut Node, renaming: &Renaming<'_>, errors: &mut Vec<SyntaxError>) {
    match &mut node.value {
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| rename_in(item, renaming, errors)),
        Value::Object(fields) => {
            let written: Vec<String> = fields.iter().map(|field| field.key.clone()).collect();
            for field in fields.iter_mut() {
                if let Some(renamed) = (renaming.rename)(&field.key) {
                    field.key = renamed.to_string();
                }
                if !renaming.opaque.contains(&field.key.as_str()) {
                    rename_in(&mut field.value, renaming, errors);
                }
            }
            report_collisions(fields, &written, errors);
        }
        _ => {}
    }
}

fn report_collisions(fields: &[Field], written: &[String], errors: &mut Vec<SyntaxError>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (later, field) in fields.iter().enumerate() {
        let first = *seen.entry(field.key.as_str()).or_insert(later);
        if let (true, Some(this)) = (first != later, written.get(later)) {
            let other = written.get(first).map_or("", String::as_str);
            errors.push(
                SyntaxError::new(
                    field.key_span.clone(),
                    format!("`{this}` and `{other}` are the same field, `{}`", field.key),
                )
                .with_help("keep only one of them"),
            );
        }
    }
}

/// Collects the errors of one conversion pass and enforces [`MAX_DEPTH`].
#[derive(Default)]
struct Errors(Vec<SyntaxError>);

impl Errors {
    fn push(&mut self, error: SyntaxError) {
        self.0.push(error);
    }

    /// Whether a container at `depth` may be entered; records the error if not.
    fn depth_ok(&mut self, depth: usize, span: &Range<usize>) -> bool {
        if depth <= MAX_DEPTH {
            return true;
        }
        self.push(SyntaxError::new(
            span.clone(),
            format!("values are nested more than {MAX_DEPTH} levels deep"),
        ));
        false
    }

    /// A null placeholder for a value that could not be converted (its error is recorded), so
    /// that conversion can go on and find the file's other problems.
    fn invalid(&mut self, error: SyntaxError) -> Node {
        let span = error.span.clone();
        self.push(error);
        Node::new(span, Value::Null)
    }

    fn finish(self, root: Node) -> Result<Node, Vec<SyntaxError>> {
        if self.0.is_empty() {
            Ok(root)
        } else {
            Err(self.0)
        }
    }
}

/// A span covering the one character at `offset` (empty at the end of the text or a line), for
/// parsers that report a position rather than a range.
fn point_span(text: &str, offset: usize) -> Range<usize> {
    let start = floor_boundary(text, offset);
    let width = text
        .get(start..)
        .and_then(|rest| rest.chars().next())
        .filter(|c| *c != '\n' && *c != '\r')
        .map_or(0, char::len_utf8);
    start..start + width
}

/// The 1-based line number of `offset` in `text`, for messages that mention a second place.
fn line_of(text: &str, offset: usize) -> usize {
    line_column(text, offset).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn tree(format: Format, text: &str) -> Node {
        match parse(format, text) {
            Ok(node) => node,
            Err(errors) => panic!("{text:?} did not parse: {errors:?}"),
        }
    }

    fn path(keys: &[&str]) -> Path {
        keys.iter()
            .fold(Path::root(), |path, key| match key.parse::<usize>() {
                Ok(index) => path.index(index),
                Err(_) => path.key(*key),
            })
    }

    const SAMPLE_HCL: &str = "Kind = \"service-intentions\"\nName = \"web\"\nSources = [\n  { Name = \"api\", Peer = \"dc2\", Action = \"allow\" },\n]\nMeta { team = \"a\" }\n";
    const SAMPLE_TOML: &str = "Kind = \"exported-services\"\n[[Services]]\nName = \"web\"\nConsumers = [{ Peer = \"dc2\" }]\n";
    const SAMPLE_JSON: &str = "{\"Kind\": \"service-defaults\", \"Name\": \"web\", \"Meta\": {\"a\": [1, 2.5, true, null]}}";

    #[test]
    fn format_comes_from_the_file_extension() {
        let format = |name: &str| Format::from_path(std::path::Path::new(name));
        assert_eq!(format("meshplan.hcl"), Some(Format::Hcl));
        assert_eq!(format("a/b/entry.TOML"), Some(Format::Toml));
        assert_eq!(format("x.json"), Some(Format::Json));
        assert_eq!(format("README.md"), None);
        assert_eq!(format("hcl"), None);
        let entry = |name: &str| Format::for_entry_file(std::path::Path::new(name));
        assert_eq!(entry("c/web.HCL"), Some(Format::ConsulHcl));
        assert_eq!(entry("c/web.toml"), Some(Format::Toml));
        assert_eq!(entry("c/web.json"), Some(Format::Json));
        assert_eq!(entry("c/README.md"), None);
    }

    #[test]
    fn find_returns_the_node_and_the_key_span() {
        let text = SAMPLE_HCL;
        let root = tree(Format::Hcl, text);
        let (node, key_span) = root.find(&path(&["Sources", "0", "Peer"])).unwrap();
        assert_eq!(&text[node.span.clone()], "\"dc2\"");
        assert_eq!(&text[key_span.unwrap()], "Peer");
        let (node, key_span) = root.find(&path(&["Sources", "0"])).unwrap();
        assert_eq!(key_span, None);
        assert!(text[node.span.clone()].starts_with("{ Name"));
        assert_eq!(root.find(&path(&["Sources", "1"])), None);
        assert_eq!(root.find(&path(&["Nope"])), None);
    }

    #[test]
    fn index_zero_on_a_single_value_is_the_value_itself() {
        let text = "peering { a = 1 }\n";
        let root = tree(Format::Hcl, text);
        let (node, _) = root.find(&path(&["peering", "0", "a"])).unwrap();
        assert_eq!(&text[node.span.clone()], "1");
        assert_eq!(root.find(&path(&["peering", "1"])), None);
    }

    #[test]
    fn span_of_points_at_the_key_or_the_value_as_asked() {
        let text = SAMPLE_HCL;
        let root = tree(Format::Hcl, text);
        let action = path(&["Sources", "0", "Action"]);
        assert_eq!(&text[root.span_of(&action, true)], "Action");
        assert_eq!(&text[root.span_of(&action, false)], "\"allow\"");
    }

    #[test]
    fn span_of_a_missing_field_is_the_object_that_lacks_it() {
        let text = SAMPLE_HCL;
        let root = tree(Format::Hcl, text);
        let missing = path(&["Sources", "0", "Partition"]);
        let span = root.span_of(&missing, true);
        assert!(text[span].starts_with("{ Name = \"api\""));
        assert_eq!(root.span_of(&path(&["Namespace"]), false), 0..0);
        assert_eq!(
            root.span_of(&path(&["Kind", "deeper", "still"]), false),
            7..27
        );
    }

    #[test]
    fn get_is_exact_and_get_ci_ignores_ascii_case() {
        let root = tree(Format::Json, "{\"kind\": 1}");
        assert!(root.get("Kind").is_none());
        assert_eq!(
            root.get_ci("Kind").map(|field| field.key.as_str()),
            Some("kind")
        );
        assert!(root.get("kind").is_some());
        assert!(Node::new(0..0, Value::Null).get("kind").is_none());
    }

    fn pascal(key: &str) -> Option<&'static str> {
        match key {
            "kind" => Some("Kind"),
            "meta" => Some("Meta"),
            "sources" => Some("Sources"),
            "name" => Some("Name"),
            _ => None,
        }
    }

    #[test]
    fn rename_keys_renames_everywhere_but_inside_meta() {
        let text = "kind = \"x\"\nsources = [{ name = \"a\" }]\nmeta = { name = \"keep\", kind = \"me\" }\n";
        let mut root = tree(Format::Hcl, text);
        let errors = rename_keys(&mut root, &pascal, &["Meta"]);
        assert_eq!(errors, vec![]);
        assert_eq!(
            root.to_json(),
            json!({"Kind": "x", "Sources": [{"Name": "a"}], "Meta": {"name": "keep", "kind": "me"}})
        );
        let (_, key_span) = root.find(&path(&["Sources", "0", "Name"])).unwrap();
        assert_eq!(&text[key_span.unwrap()], "name");
    }

    #[test]
    fn rename_keys_reports_two_spellings_of_one_field() {
        let text = "Kind = \"a\"\nkind = \"b\"\n";
        let mut root = tree(Format::Hcl, text);
        let errors = rename_keys(&mut root, &pascal, &[]);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].message,
            "`kind` and `Kind` are the same field, `Kind`"
        );
        assert_eq!(&text[errors[0].span.clone()], "kind");
    }

    #[test]
    fn every_format_gives_the_same_tree_for_the_same_data() {
        let hcl = "Kind = \"a\"\nList = [1, -2.5, true, null]\nObj = { \"x-y\" = \"z\" }\n";
        let toml = "Kind = \"a\"\nList = [1, -2.5, true]\n[Obj]\nx-y = \"z\"\n";
        let json = "{\"Kind\": \"a\", \"List\": [1, -2.5, true, null], \"Obj\": {\"x-y\": \"z\"}}";
        let expected = json!({"Kind": "a", "List": [1, -2.5, true, null], "Obj": {"x-y": "z"}});
        assert_eq!(tree(Format::Hcl, hcl).to_json(), expected);
        assert_eq!(tree(Format::Json, json).to_json(), expected);
        let mut toml_expected = expected;
        toml_expected["List"] = json!([1, -2.5, true]);
        assert_eq!(tree(Format::Toml, toml).to_json(), toml_expected);
    }

    #[test]
    fn nesting_past_the_limit_is_an_error_in_every_format() {
        let deep = |open: &str, close: &str| {
            format!(
                "{}1{}",
                open.repeat(MAX_DEPTH + 10),
                close.repeat(MAX_DEPTH + 10)
            )
        };
        assert!(parse(Format::Json, &deep("[", "]")).is_err());
        assert!(parse(Format::Toml, &format!("a = {}", deep("[", "]"))).is_err());
        assert!(parse(Format::Hcl, &format!("a = {}", deep("[", "]"))).is_err());
        let labels = "\"l\" ".repeat(MAX_DEPTH + 10);
        assert!(parse(Format::Hcl, &format!("b {labels}{{}}")).is_err());
    }

    #[test]
    fn point_span_covers_one_character_and_stops_at_line_ends() {
        assert_eq!(point_span("aé\n", 1), 1..3);
        assert_eq!(point_span("aé\n", 2), 1..3);
        assert_eq!(point_span("aé\n", 3), 3..3);
        assert_eq!(point_span("aé\n", 99), 4..4);
    }

    /// `sample` with up to eight bytes inserted or removed: input close to valid, where parsers
    /// break most often. Shared with the HCL1 dialect's tests.
    pub(super) fn mutated(sample: &'static str) -> impl Strategy<Value = String> {
        let edit = (any::<prop::sample::Index>(), any::<bool>(), any::<u8>());
        prop::collection::vec(edit, 1..8).prop_map(move |edits| {
            let mut bytes = sample.as_bytes().to_vec();
            for (at, insert, byte) in edits {
                if insert {
                    bytes.insert(at.index(bytes.len() + 1), byte);
                } else if !bytes.is_empty() {
                    bytes.remove(at.index(bytes.len()));
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    }

    fn parse_all(text: &str) {
        for format in [Format::Hcl, Format::ConsulHcl, Format::Toml, Format::Json] {
            if let Ok(node) = parse(format, text) {
                node.to_json();
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn parse_never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
            parse_all(&text);
        }

        #[test]
        fn parse_never_panics_on_a_mutated_hcl_file(text in mutated(SAMPLE_HCL)) {
            parse_all(&text);
        }

        #[test]
        fn parse_never_panics_on_a_mutated_toml_file(text in mutated(SAMPLE_TOML)) {
            parse_all(&text);
        }

        #[test]
        fn parse_never_panics_on_a_mutated_json_file(text in mutated(SAMPLE_JSON)) {
            parse_all(&text);
        }
    }
}
