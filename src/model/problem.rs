//! A problem found in one document by offline validation, located by [`Path`] rather than by
//! byte offset: the model knows the document's structure, the workspace loader knows its text.

use super::path::Path;

/// What is wrong, where, and (when there is a likely fix) what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: Path,
    /// Whether the problem is about the key at `path` (an unknown or misplaced field) rather
    /// than its value; diagnostics then point at the key.
    pub at_key: bool,
    pub message: String,
    pub help: Option<String>,
}

impl Problem {
    /// A problem with the value at `path`.
    pub fn value(path: Path, message: impl Into<String>) -> Self {
        Self {
            path,
            at_key: false,
            message: message.into(),
            help: None,
        }
    }

    /// A problem with the key at `path` itself.
    pub fn key(path: Path, message: impl Into<String>) -> Self {
        Self {
            path,
            at_key: true,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}
