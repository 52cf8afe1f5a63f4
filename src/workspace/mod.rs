//! Files → desired model, with diagnostics. The only module that reads the user's files.
//!
//! [`load`] reads a workspace folder: the workspace file (`meshplan.hcl` or `meshplan.toml`)
//! and each cluster's folder of config entries, and returns either the whole
//! [`Desired`] state or every problem found, each at `file:line:column`.
//!
//! Every file goes through the same steps: text → span-carrying [`tree::Node`] → typed value
//! (serde, [`deserialize`]) → offline checks. Problems are collected, never thrown, so that
//! one run reports all of them.

pub mod diagnostic;
pub mod digest;
pub mod discover;
pub mod raw;
pub mod tree;

mod deserialize;
mod entries;
mod merge;
mod peers;
mod resolve;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use diagnostic::{Diagnostic, Sources};
use discover::WorkspaceFile;
use merge::Part;
use raw::RawWorkspace;
use tree::{Format, Node};

use crate::model::{Desired, Problem};

/// A workspace that failed to load: every problem, and the texts to show them with.
#[derive(Debug)]
pub struct Failure {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Sources,
}

/// One file, parsed: where it is and its tree.
pub(crate) struct Parsed {
    /// The path as shown to the user: the workspace folder as given, joined with `rel`.
    pub shown: PathBuf,
    /// The path relative to the workspace folder.
    pub rel: PathBuf,
    pub tree: Node,
}

impl Parsed {
    /// A diagnostic for a problem found in this file.
    pub fn diagnostic(&self, problem: &Problem) -> Diagnostic {
        let diagnostic = Diagnostic::error(problem.message.clone()).at(
            &self.shown,
            self.tree.span_of(&problem.path, problem.at_key),
            "",
        );
        match &problem.help {
            Some(help) => diagnostic.help(help.clone()),
            None => diagnostic,
        }
    }
}

/// Loads the workspace in `root`.
///
/// # Errors
/// Every problem in every file, when there is at least one; nothing is partly loaded.
pub fn load(root: &Path) -> Result<Desired, Failure> {
    let mut loader = Loader {
        root,
        diags: Vec::new(),
        sources: Sources::new(),
    };
    let desired = loader.load();
    match desired {
        Some(desired) if loader.diags.is_empty() => Ok(desired),
        _ => Err(Failure {
            diagnostics: loader.diags,
            sources: loader.sources,
        }),
    }
}

struct Loader<'a> {
    root: &'a Path,
    diags: Vec<Diagnostic>,
    sources: Sources,
}

impl Loader<'_> {
    fn load(&mut self) -> Option<Desired> {
        if !self.root.is_dir() {
            let what = if self.root.exists() {
                "is not a folder"
            } else {
                "does not exist"
            };
            self.diags.push(Diagnostic::error(format!(
                "`{}` {what}",
                self.root.display()
            )));
            return None;
        }
        let (path, format) = match discover::workspace_file(self.root) {
            WorkspaceFile::One(path, format) => (path, format),
            WorkspaceFile::None => {
                self.diags.push(
                    Diagnostic::error(format!("no workspace file in `{}`", self.root.display()))
                        .help("create `meshplan.hcl` or `meshplan.toml` with the clusters and their peerings"),
                );
                return None;
            }
            WorkspaceFile::Both => {
                let [hcl, toml] = discover::WORKSPACE_FILES.map(|name| self.root.join(name));
                self.diags.push(
                    Diagnostic::error("both `meshplan.hcl` and `meshplan.toml` exist")
                        .at(&hcl, 0..0, "")
                        .also(&toml, 0..0, "")
                        .help("keep one workspace file"),
                );
                return None;
            }
        };
        let rel = PathBuf::from(path.file_name()?);
        let before = self.diags.len();
        let parsed = self.parse(rel, format);
        self.redact_token_lines(&path, before);
        let mut file = parsed?;
        resolve::refuse_literal_tokens(&mut file, &mut self.diags);
        let raw: RawWorkspace = match deserialize::from_node(&file.tree) {
            Ok(raw) => raw,
            Err(problem) => {
                let diagnostic = file.diagnostic(&problem);
                let redacted = redact_value_of_key(&file, &problem, diagnostic);
                self.diags.push(redacted);
                return None;
            }
        };
        let resolved = resolve::resolve(raw, &file, &mut self.diags);
        let mut desired = Desired {
            root: self.root.to_path_buf(),
            workspace: resolved.workspace,
            ignore: resolved.ignore,
            clusters: resolved.clusters,
            peerings: resolved.peerings,
            ..Desired::default()
        };
        self.load_entries(&mut desired);
        Some(desired)
    }

    /// Each cluster's entries, merged, checked against its peerings; then folders that belong
    /// to no cluster.
    fn load_entries(&mut self, desired: &mut Desired) {
        for (name, cluster) in &desired.clusters {
            let known = peers::local_peer_names(&desired.peerings, name);
            let mut parts = Vec::new();
            for rel in discover::entry_files(self.root, &cluster.entries_dir) {
                let Some(format) = Format::for_entry_file(&rel) else {
                    continue;
                };
                let Some(mut file) = self.parse(rel, format) else {
                    continue;
                };
                match entries::entry(&mut file) {
                    Ok(entry) => {
                        let part = Part { file, entry };
                        let problems = peers::unknown_peers(&part, name, &known);
                        self.diags
                            .extend(problems.iter().map(|p| part.file.diagnostic(p)));
                        parts.push(part);
                    }
                    Err(diagnostics) => self.diags.extend(diagnostics),
                }
            }
            let merged = merge::merge(&parts, &mut self.diags);
            desired.entries.insert(name.clone(), merged);
        }
        let used: BTreeSet<PathBuf> = desired
            .clusters
            .values()
            .map(|c| c.entries_dir.clone())
            .collect();
        let names: Vec<&str> = desired.clusters.keys().map(String::as_str).collect();
        for dir in discover::stray_entry_folders(self.root, &used) {
            let shown = dir.display().to_string();
            let mut diagnostic = Diagnostic::error(format!(
                "folder `{shown}` holds config entries, but the workspace has no cluster `{shown}`"
            ))
            .at(self.root.join(&dir), 0..0, "");
            diagnostic = match crate::suggest::closest(&shown, &names) {
                Some(best) => diagnostic.help(format!("did you mean `{best}`? otherwise declare `cluster \"{shown}\"` or move the folder")),
                None => diagnostic.help(format!("declare `cluster \"{shown}\"` in the workspace file, or move the folder")),
            };
            self.diags.push(diagnostic);
        }
    }

    /// A syntax error can stop parsing before literal tokens are found in the tree, so the
    /// workspace file's diagnostics from `first` on also hide, line by line, anything written
    /// after a token key.
    fn redact_token_lines(&mut self, path: &Path, first: usize) {
        let Some(text) = self.sources.get(path) else {
            return;
        };
        let spans = resolve::literal_token_lines(text);
        for diagnostic in &mut self.diags[first..] {
            for span in &spans {
                diagnostic.redact.push((path.to_path_buf(), span.clone()));
            }
        }
    }

    /// Reads and parses one file; problems go to the diagnostics.
    fn parse(&mut self, rel: PathBuf, format: Format) -> Option<Parsed> {
        let shown = self.root.join(&rel);
        let text = match std::fs::read_to_string(&shown) {
            Ok(text) => text,
            Err(error) => {
                self.diags.push(Diagnostic::error(format!(
                    "cannot read `{}`: {error}",
                    shown.display()
                )));
                return None;
            }
        };
        // Editors on Windows may start a file with a byte-order mark; it is not content.
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_owned(),
            None => text,
        };
        self.sources.insert(&shown, text.clone());
        match tree::parse(format, &text) {
            Ok(tree) => Some(Parsed { shown, rel, tree }),
            Err(errors) => {
                self.diags.extend(
                    errors
                        .into_iter()
                        .map(|error| syntax_diagnostic(&shown, error)),
                );
                None
            }
        }
    }
}

/// A diagnostic for a syntax error in the file shown as `shown`.
pub(crate) fn syntax_diagnostic(shown: &Path, error: tree::SyntaxError) -> Diagnostic {
    let diagnostic = Diagnostic::error(error.message).at(shown, error.span, "");
    match error.help {
        Some(help) => diagnostic.help(help),
        None => diagnostic,
    }
}

/// An unknown key in the workspace file may be a misspelt secret (`tokn = "..."`), so the
/// value next to it is never shown.
fn redact_value_of_key(file: &Parsed, problem: &Problem, diagnostic: Diagnostic) -> Diagnostic {
    if !problem.at_key {
        return diagnostic;
    }
    match file.tree.find(&problem.path) {
        Some((node, _)) => diagnostic.redact(&file.shown, node.span.clone()),
        None => diagnostic,
    }
}
