//! Files → desired model, with diagnostics. The only module that reads the user's files.
//!
//! [`load`] reads a workspace folder: the workspace file (`meshplan.hcl` or `meshplan.toml`)
//! and each cluster's folder of config entries, and returns either the whole
//! [`Desired`] state or every problem found, each at `file:line:column`.
//!
//! Every file goes through the same steps: text → span-carrying [`tree::Node`] → typed value
//! (serde, `deserialize`) → offline checks. Problems are collected, never thrown, so that
//! one run reports all of them: a problem in the workspace file does not stop the entry files
//! from being read (`parts`), and every file under a cluster's folder is read or refused
//! ([`discover`]).

pub mod diagnostic;
pub mod digest;
pub mod discover;
pub mod raw;
pub mod tree;

mod deserialize;
mod entries;
mod folders;
mod merge;
mod parallel;
mod parts;
mod peers;
mod resolve;
mod stray;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use diagnostic::{Diagnostic, Sources};
use discover::{Ignore, WorkspaceFile};
use folders::{FolderIndex, Folders};
use merge::{EntryFile, Part};
use tree::{Format, Node};

use crate::model::{Desired, Path as KeyPath, Problem};

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

/// What loading the entry files needs of the workspace file besides the [`Desired`] it declares.
struct WorkspaceRest {
    ignore: Ignore,
    peerings_complete: bool,
}

struct Loader<'a> {
    root: &'a Path,
    diags: Vec<Diagnostic>,
    sources: Sources,
}

/// The clusters and peerings of the workspace in `root`, from its workspace file alone, with no
/// entries: enough to start reading the clusters while [`load`] reads the entry files. `None`
/// when the workspace file has a problem ([`load`] reports it).
pub fn load_clusters(root: &Path) -> Option<Desired> {
    let mut loader = Loader {
        root,
        diags: Vec::new(),
        sources: Sources::new(),
    };
    let (desired, _) = loader.workspace()?;
    loader.diags.is_empty().then_some(desired)
}

impl Loader<'_> {
    fn load(&mut self) -> Option<Desired> {
        let (mut desired, rest) = self.workspace()?;
        let ignore = rest.ignore;
        self.load_entries(&mut desired, &ignore, rest.peerings_complete);
        self.stray_folders(&desired, &ignore);
        Some(desired)
    }

    /// The workspace file: what it declares, with no entries yet, and what loading the entries
    /// needs of it.
    fn workspace(&mut self) -> Option<(Desired, WorkspaceRest)> {
        let (path, format) = self.workspace_file()?;
        let rel = PathBuf::from(path.file_name()?);
        let before = self.diags.len();
        let parsed = self.parse(rel, format);
        self.redact_token_lines(&path, before);
        let mut file = parsed?;
        resolve::refuse_literal_tokens(&mut file, &mut self.diags);
        let parts = parts::split(&file.tree);
        for problem in &parts.problems {
            let diagnostic = redact_value_of_key(&file, problem, file.diagnostic(problem));
            self.diags.push(diagnostic);
        }
        let mut resolved = resolve::resolve(parts, &file, &mut self.diags);
        self.token_out_files(&mut resolved.peerings);
        let ignore = self.ignore(&file, &resolved.ignore);
        let desired = Desired {
            root: self.root.to_path_buf(),
            workspace: resolved.workspace,
            ignore: resolved.ignore,
            clusters: resolved.clusters,
            peerings: resolved.peerings,
            ..Desired::default()
        };
        let rest = WorkspaceRest {
            ignore,
            peerings_complete: resolved.peerings_complete,
        };
        Some((desired, rest))
    }

    /// Whether each peering's `token_out` file exists (the planner regenerates a lost token).
    fn token_out_files(&mut self, peerings: &mut [crate::model::PeeringSpec]) {
        for peering in peerings {
            let Some(out) = &peering.token_out else {
                continue;
            };
            match self.root.join(out).try_exists() {
                Ok(exists) => peering.token_out_exists = exists,
                Err(error) => self.diags.push(Diagnostic::error(format!(
                    "cannot tell whether the peering token file `{}` exists: {error}",
                    out.display()
                ))),
            }
        }
    }

    /// The workspace file of the root folder and its format; a problem when there is not
    /// exactly one.
    fn workspace_file(&mut self) -> Option<(PathBuf, Format)> {
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
        match discover::workspace_file(self.root) {
            WorkspaceFile::One(path, format) => Some((path, format)),
            WorkspaceFile::None => {
                self.diags.push(
                    Diagnostic::error(format!("no workspace file in `{}`", self.root.display()))
                        .help("create `meshplan.hcl` or `meshplan.toml` with the clusters and their peerings"),
                );
                None
            }
            WorkspaceFile::Both => {
                let [hcl, toml] = discover::WORKSPACE_FILES.map(|name| self.root.join(name));
                self.diags.push(
                    Diagnostic::error("both `meshplan.hcl` and `meshplan.toml` exist")
                        .at(&hcl, 0..0, "")
                        .also(&toml, 0..0, "")
                        .help("keep one workspace file"),
                );
                None
            }
        }
    }

    /// The `ignore` globs; each invalid one is a problem at its item.
    fn ignore(&mut self, file: &Parsed, globs: &[String]) -> Ignore {
        let (ignore, invalid) = Ignore::new(globs);
        for (i, why) in invalid {
            let problem = Problem::value(
                KeyPath::root().key("ignore").index(i),
                format!("`{}` is not a valid glob: {why}", globs[i]),
            )
            .with_help("globs are relative to the workspace, such as `docs/**` or `*.md`");
            self.diags.push(file.diagnostic(&problem));
        }
        ignore
    }

    /// Each cluster's entries, merged, checked against its peerings. When a peering block of
    /// the workspace file could not be read, the peers its clusters know are unknown, so entry
    /// files are not checked for unknown peers: that would report peers the unread block may
    /// well declare.
    ///
    /// A cluster's files are read and checked on every core ([`parallel::map`]) and taken in
    /// the order they were found, so the diagnostics are those, in the order, of reading them
    /// one by one. One cluster at a time: its files' texts and what is left of their trees
    /// (what merging may point at) are freed once merged, but for the texts of files a
    /// diagnostic points into, kept to show it with.
    fn load_entries(&mut self, desired: &mut Desired, ignore: &Ignore, peerings_complete: bool) {
        for (name, cluster) in &desired.clusters {
            let first_diagnostic = self.diags.len();
            let known = peers::local_peer_names(&desired.peerings, name);
            let known = peerings_complete.then_some(&known);
            let found = discover::entry_files(self.root, &cluster.entries_dir, ignore);
            self.diags.extend(found.problems);
            let files: Vec<(PathBuf, Format)> = found
                .files
                .into_iter()
                .filter_map(|rel| Format::for_entry_file(&rel).map(|format| (rel, format)))
                .collect();
            let root = self.root;
            let (folders, of_file) =
                Folders::open(root, files.iter().map(|(rel, _)| rel.as_path()));
            let files: Vec<_> = files.into_iter().zip(of_file).collect();
            let read = parallel::map(&files, |((rel, format), folder)| {
                let file = FileToRead {
                    rel: rel.clone(),
                    format: *format,
                    folders: &folders,
                    folder: *folder,
                };
                read_entry(root, file, name, known)
            });
            let mut list = Vec::with_capacity(read.len());
            let mut entries = Vec::with_capacity(read.len());
            let mut texts = Vec::with_capacity(read.len());
            for file in read {
                texts.extend(file.text);
                self.diags.extend(file.diagnostics);
                if let Some(part) = file.part {
                    list.push(part.file);
                    entries.push(part.entry);
                }
            }
            let merged = merge::merge(list, entries, &texts, &mut self.diags);
            desired.entries.insert(name.clone(), merged);
            self.keep_texts_shown(texts, first_diagnostic);
        }
    }

    /// Keeps, of `texts`, those of the files the diagnostics from `first` on point into: the
    /// only texts rendering them reads.
    fn keep_texts_shown(&mut self, texts: Vec<(PathBuf, String)>, first: usize) {
        let shown: BTreeSet<&Path> = self.diags[first..]
            .iter()
            .flat_map(|diagnostic| diagnostic.primary.iter().chain(&diagnostic.secondary))
            .map(|label| label.file.as_path())
            .collect();
        let kept: Vec<(PathBuf, String)> = texts
            .into_iter()
            .filter(|(path, _)| shown.contains(path.as_path()))
            .collect();
        for (path, text) in kept {
            self.sources.insert(path, text);
        }
    }

    /// Folders and files outside every cluster's folder that hold config entries.
    fn stray_folders(&mut self, desired: &Desired, ignore: &Ignore) {
        let used: BTreeSet<PathBuf> = desired
            .clusters
            .values()
            .map(|c| c.entries_dir.clone())
            .collect();
        let names: Vec<&str> = desired.clusters.keys().map(String::as_str).collect();
        let strays = stray::strays(self.root, &used, ignore);
        self.diags.extend(strays.problems);
        for dir in strays.folders {
            let diagnostic = stray_folder(&dir, &names).at(self.root.join(&dir), 0..0, "");
            self.diags.push(diagnostic);
        }
        for rel in strays.files {
            self.stray_file(&rel);
        }
    }

    /// A file outside every cluster's folder is reported when it holds a config entry: it
    /// parses and has a `Kind`. Anything else there (`package.json`) is not meshplan's.
    fn stray_file(&mut self, rel: &std::path::Path) {
        let shown = self.root.join(rel);
        let text = match std::fs::read_to_string(&shown) {
            Ok(text) => text,
            Err(error) => {
                let message = format!("cannot read `{}`: {error}", shown.display());
                self.diags
                    .push(Diagnostic::error(message).at(&shown, 0..0, ""));
                return;
            }
        };
        let is_entry = Format::for_entry_file(rel)
            .and_then(|format| tree::parse(format, &text).ok())
            .is_some_and(|tree| tree.get_ci("Kind").is_some());
        if is_entry {
            let where_ = rel
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(
                    || "the workspace folder".to_owned(),
                    |parent| format!("`{}`", parent.display()),
                );
            self.diags.push(
                Diagnostic::error(format!(
                    "`{}` holds a config entry, but it is in {where_}, not in a cluster's folder",
                    rel.display()
                ))
                .at(&shown, 0..0, "")
                .help(format!(
                    "move it into the folder of the cluster it is for, or add `ignore = [\"{}\"]`",
                    rel.display()
                )),
            );
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
        let (parsed, diagnostics, text) = read_and_parse(self.root, rel, format);
        self.diags.extend(diagnostics);
        if let Some((shown, text)) = text {
            self.sources.insert(shown, text);
        }
        parsed
    }
}

/// One entry file read, parsed and checked: its entry, the problems found in it, and its text
/// (to show problems with, this file's or those merging finds).
struct ReadEntry {
    part: Option<Part>,
    diagnostics: Vec<Diagnostic>,
    text: Option<(PathBuf, String)>,
}

/// An entry file to read: where it is, relative to the workspace root and among the opened
/// folders, and its format.
struct FileToRead<'a> {
    rel: PathBuf,
    format: Format,
    folders: &'a Folders,
    folder: FolderIndex,
}

/// Reads the entry file `file` of cluster `cluster`; with `known`, checks the peers it names.
///
/// A JSON file of a modelled kind is first read straight into its type
/// ([`entries::direct_json`]); only a file that takes a closer look (or has a problem) is parsed
/// into a tree with spans, the way every other file is.
fn read_entry(
    root: &Path,
    file: FileToRead<'_>,
    cluster: &str,
    known: Option<&BTreeSet<&str>>,
) -> ReadEntry {
    let FileToRead {
        rel,
        format,
        folders,
        folder,
    } = file;
    let shown = root.join(&rel);
    let text = match folders.file(folder, &shown).and_then(read_text) {
        Ok(text) => text,
        Err(error) => {
            return ReadEntry {
                part: None,
                diagnostics: vec![unreadable(&shown, &error)],
                text: None,
            };
        }
    };
    if format == Format::Json
        && let Some(entry) = entries::direct_json(&text)
        && known.is_none_or(|known| peers::unknown_peers(&entry, cluster, known).is_empty())
    {
        let file = EntryFile {
            shown: shown.clone(),
            rel,
            format,
        };
        return ReadEntry {
            part: Some(Part { file, entry }),
            diagnostics: Vec::new(),
            text: Some((shown, text)),
        };
    }
    let (parsed, mut diagnostics, text) = parse_text(shown, rel, format, text);
    let part = parsed.and_then(|mut file| match entries::entry(&mut file) {
        Ok(entry) => {
            if let Some(known) = known {
                let problems = peers::unknown_peers(&entry, cluster, known);
                diagnostics.extend(problems.iter().map(|p| file.diagnostic(p)));
            }
            let file = EntryFile {
                shown: file.shown,
                rel: file.rel,
                format,
            };
            Some(Part { file, entry })
        }
        Err(problems) => {
            diagnostics.extend(problems);
            None
        }
    });
    ReadEntry {
        part,
        diagnostics,
        text,
    }
}

/// Reads and parses the file `rel`: its tree, or the problems that stopped it, and its text
/// when it could be read.
fn read_and_parse(
    root: &Path,
    rel: PathBuf,
    format: Format,
) -> (Option<Parsed>, Vec<Diagnostic>, Option<(PathBuf, String)>) {
    let shown = root.join(&rel);
    match std::fs::File::open(&shown).and_then(read_text) {
        Ok(text) => parse_text(shown, rel, format, text),
        Err(error) => (None, vec![unreadable(&shown, &error)], None),
    }
}

/// The text of `file`.
fn read_text(file: std::fs::File) -> std::io::Result<String> {
    thread_local! {
        /// Where a thread reads its files: one buffer grown to the largest file, so that each
        /// text is one allocation of its own size.
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    // `fs::read_to_string` asks for the file's size first: one more system call per file, a
    // tenth of loading thousands of small files.
    let bytes = BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        std::io::Read::read_to_end(&mut std::io::Read::take(file, u64::MAX), buffer)?;
        Ok::<_, std::io::Error>(buffer.to_vec())
    })?;
    // As `fs::read_to_string` says it.
    let text = String::from_utf8(bytes).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })?;
    // Editors on Windows may start a file with a byte-order mark; it is not content.
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

fn unreadable(shown: &Path, error: &std::io::Error) -> Diagnostic {
    Diagnostic::error(format!("cannot read `{}`: {error}", shown.display()))
}

/// Parses `text`, the file `rel` (at `shown`): its tree, or the problems that stopped it; and
/// the text, for showing them.
fn parse_text(
    shown: PathBuf,
    rel: PathBuf,
    format: Format,
    text: String,
) -> (Option<Parsed>, Vec<Diagnostic>, Option<(PathBuf, String)>) {
    match tree::parse(format, &text) {
        Ok(tree) => {
            let parsed = Parsed {
                shown: shown.clone(),
                rel,
                tree,
            };
            (Some(parsed), Vec::new(), Some((shown, text)))
        }
        Err(errors) => {
            let diagnostics = errors
                .into_iter()
                .map(|error| syntax_diagnostic(&shown, error))
                .collect();
            (None, diagnostics, Some((shown, text)))
        }
    }
}

/// A folder of entries that is no cluster's. At the top of the workspace it is most likely a
/// cluster renamed or removed; deeper, a cluster whose `entries` names it was not declared.
fn stray_folder(dir: &std::path::Path, names: &[&str]) -> Diagnostic {
    let shown = dir.display().to_string();
    let top = dir.components().count() == 1;
    let diagnostic = if top {
        Diagnostic::error(format!(
            "folder `{shown}` holds config entries, but the workspace has no cluster `{shown}`"
        ))
    } else {
        Diagnostic::error(format!(
            "folder `{shown}` holds config entries, but it is no cluster's `entries` folder"
        ))
    };
    let otherwise = format!(
        "declare a cluster for it in the workspace file, add `ignore = [\"{shown}/**\"]` if it holds no config entries, or move the folder"
    );
    let otherwise = if top {
        otherwise.replacen("a cluster for it", &format!("`cluster \"{shown}\"`"), 1)
    } else {
        otherwise
    };
    match crate::suggest::closest(&shown, names).filter(|_| top) {
        Some(best) => diagnostic.help(format!("did you mean `{best}`? otherwise {otherwise}")),
        None => diagnostic.help(otherwise),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A workspace whose cluster `cluster-01` has `web.hcl`: a symlink to `shared/web.hcl`, or a
    /// copy of it.
    fn workspace_with_entry(linked: bool) -> (tempfile::TempDir, Desired) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = dir.path();
        let write = |rel: &str, text: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("a folder");
            std::fs::write(path, text).expect("a file");
        };
        write(
            "meshplan.hcl",
            "workspace = \"w\"\nignore = [\"shared/**\"]\ncluster \"cluster-01\" {}\n",
        );
        let entry = "Kind = \"service-defaults\"\nName = \"web\"\nProtocol = \"http\"\n";
        write("shared/web.hcl", entry);
        if linked {
            std::fs::create_dir(root.join("cluster-01")).expect("a folder");
            std::os::unix::fs::symlink("../shared/web.hcl", root.join("cluster-01/web.hcl"))
                .expect("a symlink");
        } else {
            write("cluster-01/web.hcl", entry);
        }
        let desired = load(root).unwrap_or_else(|failure| {
            panic!(
                "{}",
                diagnostic::render_text(&failure.diagnostics, &failure.sources, false)
            )
        });
        (dir, desired)
    }

    #[test]
    fn a_symlinked_entry_loads_like_a_copy_of_its_target() {
        let (_linked_dir, linked) = workspace_with_entry(true);
        let (_copied_dir, copied) = workspace_with_entry(false);
        assert_eq!(linked.entries["cluster-01"].len(), 1);
        assert_eq!(linked.entries, copied.entries);
        assert_eq!(linked.clusters, copied.clusters);
        assert_eq!(
            digest::digest(&linked).expect("a digest"),
            digest::digest(&copied).expect("a digest")
        );
    }

    #[test]
    fn the_digest_covers_a_link_s_target_but_not_ignored_files() {
        let (dir, desired) = workspace_with_entry(true);
        let before = digest::digest(&desired).expect("a digest");
        std::fs::write(dir.path().join("shared/notes.hcl"), "not an entry").expect("a file");
        assert_eq!(digest::digest(&desired).expect("a digest"), before);
        let target = dir.path().join("shared/web.hcl");
        std::fs::write(&target, "Kind = \"service-defaults\"\nName = \"web\"\n").expect("a file");
        assert_ne!(digest::digest(&desired).expect("a digest"), before);
    }
}
