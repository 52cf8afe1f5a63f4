//! "Never panics": every loader, on any input, returns a tree, a model or diagnostics.
//!
//! Users hand meshplan half-edited files, merge-conflict markers, the wrong file type and files
//! that are not text at all; a panic would lose every other diagnostic of the run. The inputs
//! are arbitrary text, token soups of each format's syntax (which get further into the parsers
//! than random characters), byte-level mutations of the example workspaces (insert, delete,
//! replace, splice and truncate, including bytes that break UTF-8), and structural mutations of
//! valid entries (values of the wrong type, missing and unknown keys, keys in other letter
//! cases, nesting past the limit), which reach deserialization, validation and merging.
//!
//! The property for [`workspace::load`]: it returns `Ok`, or `Err` with at least one diagnostic,
//! and the diagnostics render as text (plain and coloured) and as JSON without panicking.
//!
//! The same mutations run on the other inputs meshplan does not write itself: saved plans
//! (`plan --out`, read by `show` and `apply PLANFILE`) and Consul's response bodies (peering
//! list and read, config-entry lists of several kinds and reads, agent self). Their seeds are
//! real ones, kept in `fuzz/seeds/`. A saved plan edited so that it passes the checks `apply`
//! makes against a fresh plan of unchanged files must do nothing its original did not.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use meshplan::cli::saved::SavedPlan;
use meshplan::consul::{self, AgentInfo};
use meshplan::render;
use meshplan::workspace::diagnostic::{Diagnostic, Sources, render_json, render_text};
use meshplan::workspace::tree::{self, Format};
use meshplan::workspace::{self, Failure};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Value, json};

use crate::support::proptest_cases;

// ---------------------------------------------------------------------------------------------
// Samples
// ---------------------------------------------------------------------------------------------

/// One file of an example workspace: where it is in the workspace, its format and its bytes.
#[derive(Debug, Clone)]
struct Sample {
    rel: PathBuf,
    format: Format,
    bytes: Vec<u8>,
}

impl Sample {
    fn is_workspace_file(&self) -> bool {
        self.rel.parent() == Some(Path::new(""))
    }
}

/// One example workspace: its files.
type Example = Vec<Sample>;

fn examples_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Every example workspace under `examples/` (a folder with a workspace file), read once.
fn examples() -> &'static [Example] {
    static EXAMPLES: OnceLock<Vec<Example>> = OnceLock::new();
    EXAMPLES.get_or_init(|| {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(examples_root())
            .expect("examples/ is readable")
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|dir| dir.join("meshplan.hcl").is_file() || dir.join("meshplan.toml").is_file())
            .collect();
        dirs.sort();
        let examples: Vec<Example> = dirs.iter().map(|dir| read_example(dir)).collect();
        assert!(!examples.is_empty(), "no example workspace under examples/");
        examples
    })
}

fn read_example(dir: &Path) -> Example {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .filter_map(|entry| {
            let format = Format::from_path(entry.path())?;
            let rel = entry.path().strip_prefix(dir).ok()?.to_path_buf();
            let bytes = std::fs::read(entry.path()).expect("example file is readable");
            Some(Sample { rel, format, bytes })
        })
        .collect()
}

/// Every file of every example.
fn all_samples() -> Vec<Sample> {
    examples().iter().flatten().cloned().collect()
}

/// Every config-entry file of every example.
fn entry_samples() -> Vec<Sample> {
    all_samples()
        .into_iter()
        .filter(|sample| !sample.is_workspace_file())
        .collect()
}

/// A service-intentions entry that uses every L7 feature, so that structural mutations reach
/// the permission, header and JWT code the seed's small entries do not have.
fn rich_intentions() -> Value {
    json!({
        "Kind": "service-intentions",
        "Name": "frontend-service",
        "Meta": { "team": "web" },
        "JWT": { "Providers": [{ "Name": "okta" }] },
        "Sources": [
            {
                "Name": "backend-service",
                "Peer": "cluster-02",
                "Permissions": [
                    {
                        "Action": "allow",
                        "HTTP": {
                            "PathPrefix": "/v2",
                            "Methods": ["GET", "POST"],
                            "Header": [
                                { "Name": "x-debug", "Present": true },
                                { "Name": "x-env", "Exact": "prod", "IgnoreCase": true }
                            ]
                        },
                        "JWT": { "Providers": [{
                            "Name": "okta",
                            "VerifyClaims": [{ "Path": ["perms", "role"], "Value": "admin" }]
                        }] }
                    }
                ]
            },
            { "Name": "*", "Action": "deny", "Description": "everyone else" }
        ]
    })
}

/// Valid entries as JSON values: the examples' entry files, and [`rich_intentions`].
fn entry_values() -> Vec<Value> {
    let mut values: Vec<Value> = entry_samples()
        .iter()
        .filter_map(|sample| {
            let text = std::str::from_utf8(&sample.bytes).ok()?;
            tree::parse(sample.format, text)
                .ok()
                .map(|node| node.to_json())
        })
        .collect();
    values.push(rich_intentions());
    values
}

/// The workspace an entry is loaded in: the seed's (`cluster-01` peers with `cluster-02`).
const HOST_WORKSPACE: &str = r#"
workspace = "host"
cluster "cluster-01" {}
cluster "cluster-02" {}
peering {
  acceptor = "cluster-01"
  dialer   = "cluster-02"
}
"#;

// ---------------------------------------------------------------------------------------------
// Text generators
// ---------------------------------------------------------------------------------------------

const FORMATS: [Format; 4] = [Format::Hcl, Format::ConsulHcl, Format::Toml, Format::Json];

/// Pieces of each format's syntax: brackets that may not close, heredocs, interpolations,
/// table headers, escapes, comments, numbers at the edge of their types, keywords.
#[rustfmt::skip]
const SYNTAX: &[&str] = &[
    "{", "}", "[", "]", "[[", "]]", "(", ")", "\"", "'", "'''", "\"\"\"", "=", ":", ",", ".",
    "\n", "\r\n", "\t", " ", "#", "//", "/*", "*/", "${", "%{", "~}", "<<EOF\n", "<<-EOF\n",
    "EOF", "\\", "\\u", "\\u{", "\\U0001F980", "\\x", "\\b", "null", "true", "false", "inf",
    "nan", "-", "+", "0", "1e999", "-0", "0x", "1979-05-27T07:32:00Z", "18446744073709551616",
    "9223372036854775808", "1.5", "a", "Kind", "Sources", "cluster", "peering", "\"x\"", "é",
    "🦀", "\u{0}", "\u{feff}", "?", "...", "for", "in", "if", "=>", "!", "&&", "*",
];

/// [`SYNTAX`] glued at random: gets further into the parsers than random characters do.
fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(SYNTAX), 0..60).prop_map(|tokens| tokens.concat())
}

/// Anything a user could save: any characters, arbitrary, printable or syntax soup.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "\\PC{0,200}", token_soup()]
}

/// One byte-level edit of a file.
#[derive(Debug, Clone)]
enum Edit {
    Insert(Index, u8),
    Delete(Index),
    Replace(Index, u8),
    /// Inserts a piece of syntax (or of broken UTF-8).
    Splice(Index, &'static [u8]),
    /// Copies a range of the file elsewhere: repeated keys, blocks and brackets.
    Duplicate(Index, Index, Index),
    Truncate(Index),
}

/// A byte, biased towards the ones that mean something in one of the formats.
fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        any::<u8>(),
        prop::sample::select(b"{}[]()\"'=:,.\\\n#$%<>-+0123456789eE \t\r*/".to_vec()),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    let splice = prop::sample::select(vec![
        b"${".as_slice(),
        b"%{",
        b"<<EOF\n",
        b"\nEOF\n",
        b"[[",
        b"]]",
        b"\"\"\"",
        b"'''",
        b"\xff",
        b"\xc3",
        b"\xf0\x9f\xa6",
        b"\\u{110000}",
        b"null",
        b"[{\"a\": [[[[[[[[",
        b"\n<<<<<<< HEAD\n",
        b"\n=======\n",
    ]);
    prop_oneof![
        3 => (any::<Index>(), byte()).prop_map(|(at, b)| Edit::Insert(at, b)),
        3 => any::<Index>().prop_map(Edit::Delete),
        3 => (any::<Index>(), byte()).prop_map(|(at, b)| Edit::Replace(at, b)),
        2 => (any::<Index>(), splice).prop_map(|(at, s)| Edit::Splice(at, s)),
        1 => (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(from, len, to)| Edit::Duplicate(from, len, to)),
        1 => any::<Index>().prop_map(Edit::Truncate),
    ]
}

impl Edit {
    fn apply(&self, bytes: &mut Vec<u8>) {
        let len = bytes.len();
        match self {
            Edit::Insert(at, b) => bytes.insert(at.index(len + 1), *b),
            Edit::Splice(at, piece) => {
                let at = at.index(len + 1);
                bytes.splice(at..at, piece.iter().copied());
            }
            Edit::Delete(at) if len > 0 => {
                bytes.remove(at.index(len));
            }
            Edit::Replace(at, b) if len > 0 => bytes[at.index(len)] = *b,
            Edit::Duplicate(from, n, to) if len > 0 => {
                let start = from.index(len);
                let end = start + n.index((len - start).min(64) + 1);
                let copy = bytes[start..end].to_vec();
                let at = to.index(len + 1);
                bytes.splice(at..at, copy);
            }
            Edit::Truncate(at) => bytes.truncate(at.index(len + 1)),
            _ => {}
        }
    }
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(edit(), 1..8)
}

fn mutate(bytes: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut bytes = bytes.to_vec();
    for edit in edits {
        edit.apply(&mut bytes);
    }
    bytes
}

/// A file of the examples, mutated.
fn mutated_sample(samples: Vec<Sample>) -> impl Strategy<Value = (Sample, Vec<u8>)> {
    (prop::sample::select(samples), edits()).prop_map(|(sample, edits)| {
        let bytes = mutate(&sample.bytes, &edits);
        (sample, bytes)
    })
}

// ---------------------------------------------------------------------------------------------
// Structural mutations of entries
// ---------------------------------------------------------------------------------------------

/// Values of every JSON type, the ones validation looks at (`""`, `*`, actions), and nesting
/// deeper than the trees allow.
fn any_value() -> impl Strategy<Value = Value> {
    let deep = |open: &str, close: &str| {
        let depth = tree::MAX_DEPTH + 5;
        let text = format!("{}1{}", open.repeat(depth), close.repeat(depth));
        serde_json::from_str::<Value>(&text).unwrap_or(Value::Null)
    };
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(vec![
            "", "*", "allow", "deny", "Allow", "web-*", "/", "GET", "consul"
        ])
        .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        Just(json!([])),
        Just(json!({})),
        Just(json!([{}, {}])),
        Just(json!({ "Name": "x" })),
        Just(deep("[", "]")),
        Just(deep("{\"a\":", "}")),
    ]
}

/// Keys an entry could have: fields of both typed kinds in several spellings.
#[rustfmt::skip]
const FIELDS: &[&str] = &[
    "Kind", "kind", "KIND", "Name", "name", "Partition", "Namespace", "Services", "services",
    "Consumers", "Peer", "peer_name", "PeerName", "SamenessGroup", "sameness_group", "Sources",
    "JWT", "jwt", "Meta", "Hash", "CreateIndex", "Action", "Permissions", "Precedence", "Type",
    "Description", "LegacyID", "LegacyMeta", "legacy_meta", "HTTP", "PathExact", "path_prefix",
    "PathRegex", "Header", "Methods", "Present", "Exact", "Regex", "Invert", "IgnoreCase",
    "Providers", "VerifyClaims", "Path", "Value",
];

/// A key from [`FIELDS`], or junk.
fn any_key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(FIELDS).prop_map(str::to_owned),
        1 => "\\PC{0,8}",
    ]
}

/// One structural edit of a JSON entry, at the node (or object) picked by the index.
#[derive(Debug, Clone)]
enum TreeEdit {
    Replace(Index, Value),
    Remove(Index, Index),
    Add(Index, String, Value),
    /// Renames a key, often to another spelling of a field already there.
    Rename(Index, Index, String),
}

fn tree_edit() -> impl Strategy<Value = TreeEdit> {
    prop_oneof![
        (any::<Index>(), any_value()).prop_map(|(at, v)| TreeEdit::Replace(at, v)),
        (any::<Index>(), any::<Index>()).prop_map(|(at, key)| TreeEdit::Remove(at, key)),
        (any::<Index>(), any_key(), any_value()).prop_map(|(at, k, v)| TreeEdit::Add(at, k, v)),
        (any::<Index>(), any::<Index>(), any_key())
            .prop_map(|(at, key, to)| TreeEdit::Rename(at, key, to)),
    ]
}

/// JSON pointers of every node of `value`, objects only when `objects` is set.
fn pointers(value: &Value, at: String, objects: bool, out: &mut Vec<String>) {
    if !objects || value.is_object() {
        out.push(at.clone());
    }
    let escape = |key: &str| key.replace('~', "~0").replace('/', "~1");
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                pointers(child, format!("{at}/{}", escape(key)), objects, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), objects, out);
            }
        }
        _ => {}
    }
}

fn pick<'a>(value: &'a mut Value, at: &Index, objects: bool) -> Option<&'a mut Value> {
    let mut all = Vec::new();
    pointers(value, String::new(), objects, &mut all);
    if all.is_empty() {
        return None;
    }
    let pointer = all[at.index(all.len())].clone();
    value.pointer_mut(&pointer)
}

/// The key of `map` the index picks, if it has any.
fn nth_key(map: &serde_json::Map<String, Value>, key: &Index) -> Option<String> {
    (!map.is_empty()).then(|| key.get(&map.keys().collect::<Vec<_>>()).to_string())
}

impl TreeEdit {
    fn apply(&self, value: &mut Value) {
        match self {
            TreeEdit::Replace(at, new) => {
                if let Some(node) = pick(value, at, false) {
                    *node = new.clone();
                }
            }
            TreeEdit::Remove(at, key) => {
                if let Some(Value::Object(map)) = pick(value, at, true)
                    && let Some(old) = nth_key(map, key)
                {
                    map.remove(&old);
                }
            }
            TreeEdit::Add(at, key, new) => {
                if let Some(Value::Object(map)) = pick(value, at, true) {
                    map.insert(key.clone(), new.clone());
                }
            }
            TreeEdit::Rename(at, key, to) => {
                if let Some(Value::Object(map)) = pick(value, at, true)
                    && let Some(old) = nth_key(map, key)
                    && let Some(moved) = map.remove(&old)
                {
                    map.insert(to.clone(), moved);
                }
            }
        }
    }
}

/// A valid entry with a few structural edits, written as JSON or HCL (TOML has no `null` and
/// no heterogeneous nesting at every place, so it would refuse too many of these values).
fn mutated_entry() -> impl Strategy<Value = (String, Format)> {
    let edits = prop::collection::vec(tree_edit(), 1..5);
    (prop::sample::select(entry_values()), edits, any::<bool>()).prop_map(
        |(mut value, edits, hcl)| {
            for edit in &edits {
                edit.apply(&mut value);
            }
            let as_hcl = hcl.then(|| hcl::to_string(&value).ok()).flatten();
            match as_hcl {
                Some(text) => (text, Format::Hcl),
                None => (
                    serde_json::to_string_pretty(&value).expect("JSON serializes"),
                    Format::Json,
                ),
            }
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

fn extension(format: Format) -> &'static str {
    match format {
        Format::Hcl | Format::ConsulHcl => "hcl",
        Format::Toml => "toml",
        Format::Json => "json",
    }
}

/// Parses `text` in `format`; a tree converts to JSON, errors render as diagnostics would.
fn check_parse(format: Format, text: &str) -> Result<(), TestCaseError> {
    match tree::parse(format, text) {
        Ok(node) => {
            node.to_json();
        }
        Err(errors) => {
            prop_assert!(!errors.is_empty(), "a failed parse reports no error");
            let file = PathBuf::from(format!("input.{}", extension(format)));
            let mut sources = Sources::new();
            sources.insert(&file, text);
            let diagnostics: Vec<Diagnostic> = errors
                .into_iter()
                .map(|error| Diagnostic::error(error.message).at(&file, error.span, ""))
                .collect();
            render(&diagnostics, &sources);
        }
    }
    Ok(())
}

fn render(diagnostics: &[Diagnostic], sources: &Sources) {
    render_text(diagnostics, sources, false);
    render_text(diagnostics, sources, true);
    render_json(diagnostics, sources);
}

/// Loads the workspace in `root`: `Ok`, or `Err` with diagnostics that render.
fn check_load(root: &Path) -> Result<(), TestCaseError> {
    if let Err(Failure {
        diagnostics,
        sources,
    }) = workspace::load(root)
    {
        prop_assert!(!diagnostics.is_empty(), "load failed without a diagnostic");
        render(&diagnostics, &sources);
    }
    Ok(())
}

/// A temporary workspace with the given files.
fn workspace_with(files: &[(PathBuf, Vec<u8>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    for (rel, bytes) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("a file has a folder")).expect("mkdir");
        std::fs::write(path, bytes).expect("write file");
    }
    dir
}

/// The host workspace with one entry file in `cluster-01`.
fn host_with_entry(format: Format, bytes: Vec<u8>) -> tempfile::TempDir {
    let entry = PathBuf::from(format!("cluster-01/entry.{}", extension(format)));
    workspace_with(&[
        (
            PathBuf::from("meshplan.hcl"),
            HOST_WORKSPACE.as_bytes().to_vec(),
        ),
        (entry, bytes),
    ])
}

// ---------------------------------------------------------------------------------------------
// Saved plans and Consul responses
// ---------------------------------------------------------------------------------------------

/// The files of `fuzz/seeds/<folder>/`, as JSON samples named by their file name.
fn seeds(folder: &str) -> Vec<Sample> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(folder);
    let mut samples: Vec<Sample> = std::fs::read_dir(&dir)
        .expect("the seed folder is readable")
        .filter_map(Result::ok)
        .map(|entry| Sample {
            rel: PathBuf::from(entry.file_name()),
            format: Format::Json,
            bytes: std::fs::read(entry.path()).expect("seed is readable"),
        })
        .collect();
    samples.sort_by(|a, b| a.rel.cmp(&b.rel));
    assert!(!samples.is_empty(), "no seed in {}", dir.display());
    samples
}

/// Saved plans written by `meshplan plan --out`: create, update, delete, take-over and
/// `--cluster` plans.
fn saved_plan_samples() -> Vec<Sample> {
    seeds("saved_plan")
}

/// Response bodies of a Consul agent, each named for the call it answers
/// (`peering-list-*.json`, `entry-list-<kind>.json`, ...).
fn consul_samples() -> Vec<Sample> {
    seeds("consul")
}

fn saved_plan_path() -> &'static Path {
    Path::new("plan.json")
}

/// Reads a saved plan from a file holding `bytes`, as `show` and `apply PLANFILE` do; one that
/// reads renders in every format `show` has.
fn check_saved_plan(bytes: &[u8]) -> Result<Option<SavedPlan>, TestCaseError> {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("plan.json");
    std::fs::write(&path, bytes).expect("write plan");
    let Ok(saved) = SavedPlan::read(&path) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for color in [false, true] {
        let options = render::text::Options { color };
        prop_assert!(render::text::render(&saved.plan, &mut out, options).is_ok());
    }
    prop_assert!(render::markdown::render(&saved.plan, &mut out).is_ok());
    prop_assert!(render::json::render(&saved.plan, &mut out).is_ok());
    Ok(Some(saved))
}

/// Decodes `body` as the response the seed `name` is (`peering-list-acceptor.json`, ...) with
/// the decoder the client uses for it; `Err` is the decoder's error.
fn decode(name: &Path, body: &[u8]) -> Result<(), String> {
    let name = name.to_string_lossy();
    let kind = name
        .strip_prefix("entry-list-")
        .and_then(|rest| rest.strip_suffix(".json"));
    let decoded = if name.starts_with("peering-list") {
        consul::decode::peering_list(body).map(drop)
    } else if name.starts_with("peering-read") {
        consul::decode::peering_read(body).map(|wire| drop(wire.into_live()))
    } else if let Some(kind) = kind {
        consul::decode::entry_list(kind, body.to_vec()).map(|entries| {
            for (key, _) in entries {
                assert_eq!(key.kind, kind, "an entry's key names the listed kind");
            }
        })
    } else if name.starts_with("entry-read") {
        consul::decode::entry_read(body).map(drop)
    } else if name.starts_with("agent-self") {
        AgentInfo::from_agent_self(body).map(|info| {
            assert_ne!(
                info.partition.as_deref(),
                Some(""),
                "an empty partition is none"
            );
        })
    } else {
        panic!("no decoder for the seed {name}");
    };
    decoded.map_err(|err| err.to_string())
}

/// A seed with a few structural edits ([`TreeEdit`]), as its name and compact JSON.
fn structurally_mutated(samples: Vec<Sample>) -> impl Strategy<Value = (Sample, Vec<u8>)> {
    let edits = prop::collection::vec(tree_edit(), 1..5);
    (prop::sample::select(samples), edits).prop_map(|(sample, edits)| {
        let mut value: Value = serde_json::from_slice(&sample.bytes).expect("a seed is JSON");
        for edit in &edits {
            edit.apply(&mut value);
        }
        let bytes = serde_json::to_vec(&value).expect("JSON serializes");
        (sample, bytes)
    })
}

/// Whether `edited` passes what `apply` checks of a saved plan without Consul, given that the
/// files and the clusters are as when `original` was made (a fresh plan is then `original`'s):
/// the workspace digest and folder, the `--cluster` and option choices, and `plan::beyond`.
fn passes_apply_checks(edited: &SavedPlan, original: &SavedPlan) -> bool {
    edited.digest == original.digest
        && edited.workspace == original.workspace
        && edited.clusters == original.clusters
        && edited.options == original.options
        && meshplan::plan::beyond(&edited.plan, &original.plan).is_empty()
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(proptest_cases(256))]

    /// `tree::parse` in every format, on any text.
    #[test]
    fn parse_never_panics_on_any_text(text in any_text()) {
        for format in FORMATS {
            check_parse(format, &text)?;
        }
    }

    /// `tree::parse` in every format, on mutated example files (each is parsed in every
    /// format: a TOML file saved as `.hcl` happens).
    #[test]
    fn parse_never_panics_on_mutated_example_files((_, bytes) in mutated_sample(all_samples())) {
        let text = String::from_utf8_lossy(&bytes);
        for format in FORMATS {
            check_parse(format, &text)?;
        }
    }

    /// The entry loader (through `workspace::load`, its only public door) on mutated entry
    /// files of the examples, bytes that are not UTF-8 included.
    #[test]
    fn entry_loading_never_panics_on_mutated_entry_files(
        (sample, bytes) in mutated_sample(entry_samples()),
    ) {
        let dir = host_with_entry(sample.format, bytes);
        check_load(dir.path())?;
    }

    /// The entry loader on valid entries with structural edits: wrong types, missing, unknown
    /// and respelt keys, deep nesting; this is what reaches deserialization and validation.
    #[test]
    fn entry_loading_never_panics_on_structurally_mutated_entries(
        (text, format) in mutated_entry(),
    ) {
        let dir = host_with_entry(format, text.into_bytes());
        check_load(dir.path())?;
    }

    /// The entry loader on any text in any entry format.
    #[test]
    fn entry_loading_never_panics_on_any_text(
        text in any_text(),
        format in prop::sample::select(FORMATS.to_vec()),
    ) {
        let dir = host_with_entry(format, text.into_bytes());
        check_load(dir.path())?;
    }

    /// `workspace::load` on an example workspace whose files (workspace file included) are
    /// each mutated or not.
    #[test]
    fn workspace_loading_never_panics_on_mutated_examples(
        example in any::<Index>(),
        edits in prop::collection::vec(prop::option::weighted(0.6, edits()), 8),
    ) {
        let example = example.get(examples());
        let files: Vec<(PathBuf, Vec<u8>)> = example
            .iter()
            .zip(edits.iter().cycle())
            .map(|(sample, edits)| {
                let bytes = match edits {
                    Some(edits) => mutate(&sample.bytes, edits),
                    None => sample.bytes.clone(),
                };
                (sample.rel.clone(), bytes)
            })
            .collect();
        let dir = workspace_with(&files);
        check_load(dir.path())?;
    }

    /// `workspace::load` with any text as the workspace file, in either format.
    #[test]
    fn workspace_loading_never_panics_on_any_workspace_file(
        text in any_text(),
        toml in any::<bool>(),
    ) {
        let name = if toml { "meshplan.toml" } else { "meshplan.hcl" };
        let dir = workspace_with(&[(PathBuf::from(name), text.into_bytes())]);
        check_load(dir.path())?;
    }

    /// Reading a saved plan, mutated byte by byte: `Ok` (and it renders) or an error.
    #[test]
    fn saved_plan_reading_never_panics_on_mutated_plans(
        (_, bytes) in mutated_sample(saved_plan_samples()),
    ) {
        check_saved_plan(&bytes)?;
    }

    /// A saved plan with structural edits (values of other types, keys removed, added and
    /// renamed, anywhere in it) is refused by its seal; sealed again (as someone who means it
    /// would), it reads or is refused, and if it passes `apply`'s checks against a fresh plan
    /// of the same files, it does nothing the original did not.
    #[test]
    fn an_edited_saved_plan_does_no_more_than_the_original(
        (sample, bytes) in structurally_mutated(saved_plan_samples()),
    ) {
        let original = SavedPlan::parse(&String::from_utf8_lossy(&sample.bytes), saved_plan_path())
            .expect("a seed plan reads");
        prop_assert!(check_saved_plan(&bytes)?.is_none(), "an edit passed the seal");
        let resealed = serde_json::from_slice::<SavedPlan>(&bytes)
            .ok()
            .and_then(|plan| plan.to_sealed_text().ok());
        if let Some(resealed) = resealed
            && let Some(edited) = check_saved_plan(resealed.as_bytes())?
            && passes_apply_checks(&edited, &original)
        {
            for change in &edited.plan.changes {
                prop_assert!(
                    original.plan.changes.contains(change),
                    "an edited change passed apply's checks: {change:?}"
                );
            }
        }
    }

    /// Consul's response bodies, mutated byte by byte, through their decoders.
    #[test]
    fn consul_decoding_never_panics_on_mutated_responses(
        (sample, bytes) in mutated_sample(consul_samples()),
    ) {
        let _ = decode(&sample.rel, &bytes);
    }

    /// Consul's response bodies with structural edits: fields of other types, missing and
    /// unknown fields, deep nesting.
    #[test]
    fn consul_decoding_never_panics_on_structurally_mutated_responses(
        (sample, bytes) in structurally_mutated(consul_samples()),
    ) {
        let _ = decode(&sample.rel, &bytes);
    }
}

/// Every seed is what its name says: a saved plan that reads, a response that decodes. A
/// seed that did not would make the properties above test only the error paths.
#[test]
fn every_seed_reads_and_decodes() {
    for sample in saved_plan_samples() {
        let text = String::from_utf8_lossy(&sample.bytes);
        if let Err(err) = SavedPlan::parse(&text, &sample.rel) {
            panic!("{}: {err:#}", sample.rel.display());
        }
    }
    for sample in consul_samples() {
        let decoded = decode(&sample.rel, &sample.bytes);
        assert!(decoded.is_ok(), "{}: {decoded:?}", sample.rel.display());
    }
}
