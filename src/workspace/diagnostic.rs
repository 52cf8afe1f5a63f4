//! Problems in the user's files, located by byte span, and their two renderings: rustc-style
//! text with source snippets (annotate-snippets, as rustc and cargo use) and a versioned JSON
//! document for tools.
//!
//! Spans stay byte ranges until rendering; only here are they turned into `line:column`, so
//! every producer (the tree parsers, serde path mapping, cross-file checks) just records where.
//!
//! # Secrets
//! A diagnostic may name spans to redact (a token written literally in a file). The text
//! renderer shows those bytes as `*` in every snippet of the same render call, not only in the
//! diagnostic that asked, since another diagnostic may show the same line. The JSON renderer
//! never includes source text at all.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A place in a file and what to say about it. `span` is a byte range; `0..0` when the problem
/// is about the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub file: PathBuf,
    pub span: Range<usize>,
    pub message: String,
}

/// One problem: a message, where it is (`primary`), other places that explain it (`secondary`,
/// possibly in other files) and what to do (`help`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub primary: Option<Label>,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    /// Spans whose bytes must never be echoed (see the module docs).
    pub redact: Vec<(PathBuf, Range<usize>)>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Severity::Error, message.into())
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, message.into())
    }

    fn new(severity: Severity, message: String) -> Self {
        Self {
            severity,
            message,
            primary: None,
            secondary: Vec::new(),
            help: None,
            redact: Vec::new(),
        }
    }

    /// Sets where the problem is; `label` may be empty.
    pub fn at(
        mut self,
        file: impl Into<PathBuf>,
        span: Range<usize>,
        label: impl Into<String>,
    ) -> Self {
        self.primary = Some(Label {
            file: file.into(),
            span,
            message: label.into(),
        });
        self
    }

    /// Adds another place that explains the problem ("first declared here").
    pub fn also(
        mut self,
        file: impl Into<PathBuf>,
        span: Range<usize>,
        label: impl Into<String>,
    ) -> Self {
        self.secondary.push(Label {
            file: file.into(),
            span,
            message: label.into(),
        });
        self
    }

    pub fn help(mut self, text: impl Into<String>) -> Self {
        self.help = Some(text.into());
        self
    }

    pub fn redact(mut self, file: impl Into<PathBuf>, span: Range<usize>) -> Self {
        self.redact.push((file.into(), span));
        self
    }

    /// Every label with whether it is the primary one, the primary first.
    fn labels(&self) -> impl Iterator<Item = (bool, &Label)> {
        let primary = self.primary.iter().map(|label| (true, label));
        primary.chain(self.secondary.iter().map(|label| (false, label)))
    }
}

/// File texts by path, so rendering can show snippets and compute line and column. A file that
/// is not here (unreadable, or never read) renders as its path alone.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    texts: BTreeMap<PathBuf, String>,
}

impl Sources {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) {
        self.texts.insert(path.into(), text.into());
    }

    pub fn get(&self, path: &Path) -> Option<&str> {
        self.texts.get(path).map(String::as_str)
    }
}

/// The 1-based line and 1-based column (in characters) of byte `offset` in `text`. An offset
/// past the end means the end; one inside a multi-byte character means that character.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_boundary(text, offset);
    let before = text.get(..offset).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let line = before.matches('\n').count() + 1;
    let column = before
        .get(line_start..)
        .map_or(0, |line| line.chars().count())
        + 1;
    (line, column)
}

/// Renders rustc-style: `error: msg`, ` --> file:line:col`, the snippet, `= help: …`. One blank
/// line separates diagnostics; the result ends with a newline unless `diags` is empty. With
/// `color` false the text is plain (for tests, pipes and `NO_COLOR`).
pub fn render_text(diags: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let redacted = Redacted::new(diags, sources);
    diags
        .iter()
        .map(|diag| render_one(diag, &redacted, &renderer) + "\n")
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_one(diag: &Diagnostic, redacted: &Redacted<'_>, renderer: &Renderer) -> String {
    let level = match diag.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let mut group = Group::with_title(level.primary_title(diag.message.as_str()));
    for file in files_of(diag) {
        let labels = diag.labels().filter(|(_, label)| label.file == file);
        group = match redacted.get(file) {
            Some(text) => group.element(snippet(file, text, labels)),
            None => group.element(Origin::path(file.display().to_string())),
        };
    }
    if let Some(help) = &diag.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    renderer.render(&[group])
}

/// The files a diagnostic's labels are in, the primary's first, each once.
fn files_of(diag: &Diagnostic) -> Vec<&Path> {
    let mut files: Vec<&Path> = Vec::new();
    for (_, label) in diag.labels() {
        if !files.contains(&label.file.as_path()) {
            files.push(&label.file);
        }
    }
    files
}

fn snippet<'a>(
    file: &Path,
    text: &'a str,
    labels: impl Iterator<Item = (bool, &'a Label)>,
) -> Snippet<'a, annotate_snippets::Annotation<'a>> {
    let annotations = labels.map(|(primary, label)| {
        let kind = if primary {
            AnnotationKind::Primary
        } else {
            AnnotationKind::Context
        };
        let annotation = kind.span(clamp(text, &label.span));
        if label.message.is_empty() {
            annotation
        } else {
            annotation.label(label.message.as_str())
        }
    });
    Snippet::source(text)
        .path(file.display().to_string())
        .annotations(annotations)
}

/// Each source text with every redacted span of the render call overwritten byte for byte by
/// `*` (line breaks kept), so offsets, lines and, for ASCII tokens, widths are unchanged.
struct Redacted<'a> {
    texts: BTreeMap<&'a Path, Cow<'a, str>>,
}

impl<'a> Redacted<'a> {
    fn new(diags: &'a [Diagnostic], sources: &'a Sources) -> Self {
        let mut texts = BTreeMap::new();
        for (_, label) in diags.iter().flat_map(Diagnostic::labels) {
            if let Some(text) = sources.get(&label.file) {
                texts.insert(label.file.as_path(), Cow::Borrowed(text));
            }
        }
        for (file, span) in diags.iter().flat_map(|diag| &diag.redact) {
            if let Some(text) = texts.get_mut(file.as_path()) {
                let span = widen(text, span);
                let stars: String = text
                    .get(span.clone())
                    .unwrap_or_default()
                    .bytes()
                    .map(star)
                    .collect();
                text.to_mut().replace_range(span, &stars);
            }
        }
        Self { texts }
    }

    fn get(&self, file: &Path) -> Option<&str> {
        self.texts.get(file).map(|text| text.as_ref())
    }
}

fn star(byte: u8) -> char {
    if byte == b'\n' { '\n' } else { '*' }
}

/// The version of the JSON diagnostics document; see [`render_json`].
pub const FORMAT_VERSION: u32 = 1;

/// Renders as `{"format_version": 1, "diagnostics": [...]}`, one object per diagnostic (its
/// fields are described at `diagnostic_json` below). Never includes source text, so redacted
/// spans cannot leak through it.
pub fn render_json(diags: &[Diagnostic], sources: &Sources) -> serde_json::Value {
    let diagnostics: Vec<_> = diags
        .iter()
        .map(|diag| diagnostic_json(diag, sources))
        .collect();
    json!({ "format_version": FORMAT_VERSION, "diagnostics": diagnostics })
}

/// `severity`, `message`, `help`, the primary label's `file`, `line`, `column`, `end_line` and
/// `end_column` (all `null` without a primary label; positions `null` when the file's text is
/// unknown), and `labels`: every label, primary first, with `"primary": true|false`. Lines and
/// columns are 1-based, columns count characters, and the end is exclusive (the position just
/// after the last character).
fn diagnostic_json(diag: &Diagnostic, sources: &Sources) -> serde_json::Value {
    let mut value = match &diag.primary {
        Some(label) => location_json(label, sources),
        None => {
            json!({ "file": null, "line": null, "column": null, "end_line": null, "end_column": null })
        }
    };
    let labels: Vec<_> = diag
        .labels()
        .map(|(primary, label)| {
            let mut entry = location_json(label, sources);
            entry["message"] = json!(label.message);
            entry["primary"] = json!(primary);
            entry
        })
        .collect();
    value["severity"] = json!(diag.severity.name());
    value["message"] = json!(diag.message);
    value["help"] = json!(diag.help);
    value["labels"] = json!(labels);
    value
}

fn location_json(label: &Label, sources: &Sources) -> serde_json::Value {
    let position = |offset| {
        sources
            .get(&label.file)
            .map(|text| line_column(text, offset))
    };
    let start = position(label.span.start);
    let end = position(label.span.end.max(label.span.start));
    json!({
        "file": label.file.display().to_string(),
        "line": start.map(|(line, _)| line),
        "column": start.map(|(_, column)| column),
        "end_line": end.map(|(line, _)| line),
        "end_column": end.map(|(_, column)| column),
    })
}

/// `span` inside `text` and on char boundaries, shrunk where it strays (annotate-snippets
/// expects valid spans).
fn clamp(text: &str, span: &Range<usize>) -> Range<usize> {
    let start = floor_boundary(text, span.start);
    start..floor_boundary(text, span.end).max(start)
}

/// `span` inside `text` and on char boundaries, grown to whole characters: redaction must
/// cover every byte of a character it touches.
fn widen(text: &str, span: &Range<usize>) -> Range<usize> {
    let start = floor_boundary(text, span.start);
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// `offset` moved into `text` and back to the nearest char boundary.
pub(super) fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(files: &[(&str, &str)]) -> Sources {
        let mut sources = Sources::new();
        for (path, text) in files {
            sources.insert(*path, *text);
        }
        sources
    }

    #[test]
    fn line_and_column_count_lines_and_characters() {
        let text = "ab\nçé = 1\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, 7), (2, 3));
    }

    #[test]
    fn line_and_column_survive_offsets_past_the_end_or_inside_a_character() {
        let text = "ab\nçé";
        assert_eq!(line_column(text, text.len()), (2, 3));
        assert_eq!(line_column(text, 1000), (2, 3));
        assert_eq!(line_column(text, 4), (2, 1));
        assert_eq!(line_column("", 5), (1, 1));
        assert_eq!(line_column("a\n", 2), (2, 1));
    }

    #[test]
    fn a_one_file_diagnostic_renders_like_rustc() {
        let text = "cluster \"a\" {\n  adress = \"x\"\n}\n";
        let diag = Diagnostic::error("unknown field `adress`")
            .at("meshplan.hcl", 16..22, "not a cluster field")
            .help("did you mean `address`?");
        let expected = "\
error: unknown field `adress`
 --> meshplan.hcl:2:3
  |
2 |   adress = \"x\"
  |   ^^^^^^ not a cluster field
  |
  = help: did you mean `address`?
";
        assert_eq!(
            render_text(&[diag], &sources(&[("meshplan.hcl", text)]), false),
            expected
        );
    }

    #[test]
    fn a_two_file_diagnostic_shows_both_snippets() {
        let entry = "Sources = [{ Peer = \"dc3\" }]\n";
        let workspace = "cluster \"dc1\" {}\ncluster \"dc2\" {}\n";
        let diag = Diagnostic::error("unknown peer `dc3`")
            .at("dc1/intentions.hcl", 20..25, "no such cluster")
            .also("meshplan.hcl", 0..13, "clusters are declared here");
        let files = sources(&[("dc1/intentions.hcl", entry), ("meshplan.hcl", workspace)]);
        let expected = "\
error: unknown peer `dc3`
 --> dc1/intentions.hcl:1:21
  |
1 | Sources = [{ Peer = \"dc3\" }]
  |                     ^^^^^ no such cluster
  |
 ::: meshplan.hcl:1:1
  |
1 | cluster \"dc1\" {}
  | ------------- clusters are declared here
";
        assert_eq!(render_text(&[diag], &files, false), expected);
    }

    #[test]
    fn diagnostics_are_separated_by_one_blank_line() {
        let diags = [
            Diagnostic::error("first"),
            Diagnostic::warning("second").help("try again"),
        ];
        let expected = "error: first\n\nwarning: second\n |\n = help: try again\n";
        assert_eq!(render_text(&diags, &Sources::new(), false), expected);
        assert_eq!(render_text(&[], &Sources::new(), false), "");
    }

    #[test]
    fn a_file_with_unknown_text_renders_as_its_path() {
        let diag = Diagnostic::error("cannot read the file").at("dc1/gone.hcl", 0..0, "");
        let rendered = render_text(&[diag], &Sources::new(), false);
        assert_eq!(rendered, "error: cannot read the file\n--> dc1/gone.hcl\n");
    }

    #[test]
    fn redacted_bytes_never_appear_in_any_snippet() {
        let text = "token = \"s3cr3t-value\"\naddress = 5\n";
        let token = 8..22;
        let diags = [
            Diagnostic::error("tokens must not be written in files")
                .at("meshplan.hcl", token.clone(), "literal token")
                .redact("meshplan.hcl", token),
            Diagnostic::error("wrong type").at("meshplan.hcl", 0..38, "this"),
        ];
        let rendered = render_text(&diags, &sources(&[("meshplan.hcl", text)]), false);
        assert!(!rendered.contains("s3cr3t"), "{rendered}");
        assert!(rendered.contains("token = **************\n"), "{rendered}");
        let json = render_json(&diags, &sources(&[("meshplan.hcl", text)])).to_string();
        assert!(!json.contains("s3cr3t"), "{json}");
    }

    #[test]
    fn redaction_and_labels_inside_multibyte_text_do_not_panic() {
        let text = "a = \"héllo\"\n";
        let diag = Diagnostic::error("x")
            .at("f.hcl", 7..7, "inside é")
            .redact("f.hcl", 5..7);
        let rendered = render_text(&[diag], &sources(&[("f.hcl", text)]), false);
        assert!(rendered.contains("1 | a = \"***llo\"\n"), "{rendered}");
        let past_the_end = Diagnostic::error("x")
            .at("f.hcl", 50..60, "")
            .redact("f.hcl", 8..99);
        let rendered = render_text(&[past_the_end], &sources(&[("f.hcl", text)]), false);
        assert!(rendered.contains("1 | a = \"hé****\n"), "{rendered}");
    }

    #[test]
    fn json_gives_positions_and_all_labels() {
        let text = "a = 1\nbé = 2\n";
        let diag = Diagnostic::error("bad")
            .at("f.hcl", 9..10, "here")
            .also("other.hcl", 0..0, "")
            .help("fix it");
        let rendered = render_json(
            &[diag, Diagnostic::warning("plain")],
            &sources(&[("f.hcl", text)]),
        );
        let expected = json!({"format_version": 1, "diagnostics": [
            {"file": "f.hcl", "line": 2, "column": 3, "end_line": 2, "end_column": 4,
             "severity": "error", "message": "bad", "help": "fix it", "labels": [
                {"file": "f.hcl", "line": 2, "column": 3, "end_line": 2, "end_column": 4,
                 "message": "here", "primary": true},
                {"file": "other.hcl", "line": null, "column": null, "end_line": null,
                 "end_column": null, "message": "", "primary": false}]},
            {"file": null, "line": null, "column": null, "end_line": null, "end_column": null,
             "severity": "warning", "message": "plain", "help": null, "labels": []}
        ]});
        assert_eq!(rendered, expected);
    }

    #[test]
    fn color_output_has_escape_codes_and_plain_output_has_none() {
        let diag = Diagnostic::error("x").at("f.hcl", 0..1, "here");
        let files = sources(&[("f.hcl", "a = 1\n")]);
        assert!(render_text(std::slice::from_ref(&diag), &files, true).contains('\u{1b}'));
        assert!(!render_text(&[diag], &files, false).contains('\u{1b}'));
    }
}
