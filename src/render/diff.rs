//! The unified diff of one config-entry change, shared by the text and Markdown renderers: the
//! live entry against the declared one, both in canonical form and pretty-printed, so that the
//! diff shows what would really change and nothing Consul normalises.

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use crate::plan::Change;

/// Lines of context around each change, as `diff -u` and Terraform use.
const CONTEXT: usize = 3;

/// One line of a unified diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// What the line is.
    pub kind: LineKind,
    /// The text, without its prefix character and without the line break.
    pub text: String,
}

/// The kinds of lines of a unified diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// `--- live` / `+++ files`.
    Header,
    /// `@@ -1,4 +1,5 @@`.
    Hunk,
    /// Unchanged context (prefix ` `).
    Context,
    /// Only in the live entry (prefix `-`).
    Removed,
    /// Only in the files (prefix `+`).
    Added,
}

impl Line {
    /// The line as `diff -u` prints it, prefix included.
    pub fn unified(&self) -> String {
        let prefix = match self.kind {
            LineKind::Header | LineKind::Hunk => "",
            LineKind::Context => " ",
            LineKind::Removed => "-",
            LineKind::Added => "+",
        };
        format!("{prefix}{}", self.text)
    }
}

/// The unified diff of a config-entry change (live → files); empty for peerings and for an
/// adopt whose only difference is nothing at all.
pub fn lines(change: &Change) -> Vec<Line> {
    if change.before.is_none() && change.after.is_none() {
        return Vec::new();
    }
    let before = pretty(change.before.as_ref());
    let after = pretty(change.after.as_ref());
    if before == after {
        return Vec::new();
    }
    let diff = TextDiff::from_lines(&before, &after);
    let mut lines = vec![
        line(LineKind::Header, "--- live"),
        line(LineKind::Header, "+++ files"),
    ];
    for hunk in diff.unified_diff().context_radius(CONTEXT).iter_hunks() {
        lines.push(line(LineKind::Hunk, &hunk.header().to_string()));
        for change in hunk.iter_changes() {
            let kind = match change.tag() {
                ChangeTag::Equal => LineKind::Context,
                ChangeTag::Delete => LineKind::Removed,
                ChangeTag::Insert => LineKind::Added,
            };
            let text = change.value().trim_end_matches(['\n', '\r']);
            lines.push(line(kind, text));
        }
    }
    lines
}

fn line(kind: LineKind, text: &str) -> Line {
    Line {
        kind,
        text: text.to_owned(),
    }
}

/// Pretty JSON with a final newline; nothing for an absent side.
fn pretty(value: Option<&Value>) -> String {
    match value {
        Some(value) => {
            let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
            text.push('\n');
            text
        }
        None => String::new(),
    }
}
