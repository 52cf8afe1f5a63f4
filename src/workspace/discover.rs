//! Finds the files of a workspace: the one workspace file and each cluster's entry files.
//!
//! No input is lost without a word: every file under a cluster's folder is read or refused.
//! - Symlinks to files and folders are followed when their target is inside the workspace. A
//!   link whose target is outside it, a dangling link and a link loop are errors naming the
//!   link: a workspace is reviewed as one folder, and a link that leads nowhere hides a file.
//! - A file or folder that cannot be read is an error naming it, never "no entries".
//! - `*.yaml` and `*.yml` files are errors (Consul does not read YAML config entries), and so
//!   are a folder, a pipe or a socket named like an entry file (`web.hcl/`).
//! - Files with other extensions (`README.md`, `notes.txt`) are not config entries and are
//!   left alone.
//! - Hidden files and folders (a name starting with `.`) are skipped: editor and VCS litter
//!   such as `.git/`, swap files and Emacs lock links (`.#web.hcl`, dangling by design).
//! - Files and folders matching an `ignore` glob of the workspace file are skipped.
//!
//! The loader and the digest of saved plans ([`super::digest`]) walk with the same
//! [`entry_files`], so a digest covers exactly the files a plan was made from. What lies
//! outside every cluster's folder is the `stray` module's to find.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use walkdir::{DirEntry, WalkDir};

use super::diagnostic::Diagnostic;
use super::tree::Format;

/// The names a workspace file may have.
pub const WORKSPACE_FILES: [&str; 2] = ["meshplan.hcl", "meshplan.toml"];

/// What [`workspace_file`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum WorkspaceFile {
    One(PathBuf, Format),
    None,
    /// Both `meshplan.hcl` and `meshplan.toml`: which one counts would be a guess.
    Both,
}

/// The workspace file in `root`. Anything by that name counts, so that a folder or a dangling
/// link named `meshplan.hcl` is refused by name when it is read, not taken for no file at all.
pub fn workspace_file(root: &Path) -> WorkspaceFile {
    let found: Vec<(PathBuf, Format)> = WORKSPACE_FILES
        .iter()
        .map(|name| root.join(name))
        .filter(|path| path.symlink_metadata().is_ok())
        .filter_map(|path| Format::from_path(&path).map(|format| (path, format)))
        .collect();
    match <[_; 1]>::try_from(found) {
        Ok([(path, format)]) => WorkspaceFile::One(path, format),
        Err(found) if found.is_empty() => WorkspaceFile::None,
        Err(_) => WorkspaceFile::Both,
    }
}

/// The workspace file's `ignore` globs, matched against paths relative to the workspace root
/// with `/` separators. `*` does not cross a `/`; `docs/**` also matches the folder `docs`.
#[derive(Debug, Default)]
pub struct Ignore {
    set: GlobSet,
}

impl Ignore {
    /// The globs that are valid, and for each one that is not, its index and why.
    pub fn new(globs: &[String]) -> (Self, Vec<(usize, String)>) {
        let mut builder = GlobSetBuilder::new();
        let mut invalid = Vec::new();
        for (i, glob) in globs.iter().enumerate() {
            match patterns(glob) {
                Ok(patterns) => patterns.into_iter().for_each(|glob| {
                    builder.add(glob);
                }),
                Err(why) => invalid.push((i, why)),
            }
        }
        match builder.build() {
            Ok(set) => (Self { set }, invalid),
            Err(error) => {
                // Only a set too large to compile fails here: no glob is to blame alone.
                invalid.push((0, error.to_string()));
                (Self::default(), invalid)
            }
        }
    }

    /// Whether `rel` (relative to the workspace root) is ignored.
    pub fn matches(&self, rel: &Path) -> bool {
        self.set.is_match(rel)
    }
}

/// The globs one `ignore` item stands for: itself, and for `folder/**` the folder too.
fn patterns(glob: &str) -> Result<Vec<Glob>, String> {
    if glob.starts_with('/') {
        return Err("it is absolute, and globs are relative to the workspace".to_owned());
    }
    if glob.is_empty() {
        return Err("it is empty".to_owned());
    }
    let glob = glob.strip_prefix("./").unwrap_or(glob);
    let folder = glob.strip_suffix("/**").filter(|folder| !folder.is_empty());
    std::iter::once(glob)
        .chain(folder)
        .map(|pattern| {
            GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map_err(|error| error.kind().to_string())
        })
        .collect()
}

/// What a walk found: entry files, relative to the workspace root and in a stable order, and a
/// located error for everything it had to refuse.
#[derive(Debug, Default)]
pub struct Found {
    pub files: Vec<PathBuf>,
    pub problems: Vec<Diagnostic>,
}

impl Found {
    fn refuse(&mut self, shown: &Path, message: String, help: &str) {
        self.problems
            .push(Diagnostic::error(message).at(shown, 0..0, "").help(help));
    }
}

/// Config-entry files (`*.hcl`, `*.toml`, `*.json`) under `dir` (relative to `root`),
/// recursively, following symlinks, with every file or folder that could not be read or is
/// not allowed there refused (see the module docs). A missing folder has no entries.
pub fn entry_files(root: &Path, dir: &Path, ignore: &Ignore) -> Found {
    let mut found = Found::default();
    let start = root.join(dir);
    if start.symlink_metadata().is_err() {
        return found;
    }
    if start.is_file() {
        let message = format!("`{}` is a file, not a folder of entries", start.display());
        found.refuse(&start, message, "name a folder with `entries`");
        return found;
    }
    let real_root = match root.canonicalize() {
        Ok(real) => real,
        Err(error) => {
            let message = format!("cannot read `{}`: {error}", root.display());
            found.refuse(root, message, UNREADABLE);
            return found;
        }
    };
    let mut walk = WalkDir::new(&start)
        .follow_links(true)
        .sort_by(|a, b| name(a).cmp(name(b)))
        .into_iter();
    while let Some(next) = walk.next() {
        let entry = match next {
            Ok(entry) => entry,
            Err(error) if skipped(root, error.path(), ignore) => continue,
            Err(error) => {
                found.problems.push(walk_error(&error));
                continue;
            }
        };
        let skip = entry.depth() > 0 && skipped(root, Some(entry.path()), ignore);
        let outside = !skip
            && (entry.path_is_symlink() || entry.depth() == 0)
            && !is_inside(&real_root, entry.path());
        if outside {
            found.refuse(entry.path(), outside_message(&entry), OUTSIDE);
        }
        if !(skip || outside) {
            found.take(root, &entry);
        } else if entry.file_type().is_dir() {
            walk.skip_current_dir();
        }
    }
    found
}

/// The file name of a walk's entry, as bytes: the order of `sort_by_file_name`, whose
/// `DirEntry::file_name` parses the path back from its end at every comparison (half the time
/// of finding 10,000 files in one folder). An entry's path is its folder's path joined with
/// its name, so the name is what follows the last separator.
fn name(entry: &DirEntry) -> &[u8] {
    let path = entry.path().as_os_str().as_encoded_bytes();
    let start = path
        .iter()
        .rposition(|&byte| std::path::is_separator(char::from(byte)))
        .map_or(0, |separator| separator + 1);
    &path[start..]
}

const UNREADABLE: &str =
    "meshplan reads every file under a cluster's folder: make it readable, or move it out";
const OUTSIDE: &str = "link to a file or folder inside the workspace, or copy it in: the workspace is reviewed as one folder";

impl Found {
    /// Takes an entry file, refuses what looks like config but cannot be one, and leaves
    /// anything else (`README.md`) alone.
    fn take(&mut self, root: &Path, entry: &DirEntry) {
        let path = entry.path();
        let rel = path.strip_prefix(root).unwrap_or(path);
        let kind = entry.file_type();
        if kind.is_file() && Format::from_path(path).is_some() {
            self.files.push(rel.to_path_buf());
        } else if kind.is_file() && is_yaml(path) {
            let message = format!(
                "`{}` is YAML: Consul does not read YAML config entries",
                path.display()
            );
            self.refuse(path, message, "write it as HCL or JSON");
        } else if !kind.is_file() && !kind.is_dir() && Format::from_path(path).is_some() {
            // A pipe, socket or device named like an entry: reading it could block or mean
            // nothing, and skipping it would lose the entry its name promises.
            let message = format!("`{}` is not a regular file", path.display());
            self.refuse(path, message, "config entries are regular files");
        } else if kind.is_dir() && entry.depth() > 0 && Format::from_path(path).is_some() {
            let message = format!(
                "`{}` is a folder, but its name says it is a config entry",
                path.display()
            );
            self.refuse(
                path,
                message,
                "rename the folder: config entries are `*.hcl`, `*.toml` or `*.json` files",
            );
        }
    }
}

/// Whether the walk passes over `path` without a word: hidden, or ignored.
pub(super) fn skipped(root: &Path, path: Option<&Path>, ignore: &Ignore) -> bool {
    let Some(path) = path else {
        return false;
    };
    let hidden = path.file_name().is_some_and(is_hidden);
    hidden || path.strip_prefix(root).is_ok_and(|rel| ignore.matches(rel))
}

/// Whether `path`, links resolved, is inside `real_root` (itself resolved).
fn is_inside(real_root: &Path, path: &Path) -> bool {
    path.canonicalize()
        .is_ok_and(|real| real.starts_with(real_root))
}

/// Names the link and its target as written (the resolved target is an absolute path that
/// says more about the machine than about the workspace).
fn outside_message(entry: &DirEntry) -> String {
    let path = entry.path();
    match std::fs::read_link(path) {
        Ok(target) => format!(
            "`{}` is a symlink to `{}`, outside the workspace",
            path.display(),
            target.display()
        ),
        Err(_) => format!("`{}` is outside the workspace", path.display()),
    }
}

/// A located error for what the walk could not read: a link loop, a dangling link, or a file or
/// folder that cannot be read.
fn walk_error(error: &walkdir::Error) -> Diagnostic {
    let Some(path) = error.path() else {
        return Diagnostic::error(format!("cannot read a cluster's folder: {error}"));
    };
    let shown = path.display();
    let (message, help) = if let Some(ancestor) = error.loop_ancestor() {
        (
            format!(
                "`{shown}` is a symlink loop: it leads back to `{}`, which contains it",
                ancestor.display()
            ),
            "remove the link, or point it at a folder that does not contain it",
        )
    } else if let Some(target) = link_target(path) {
        if link_loops(path) {
            (
                format!("`{shown}` is a symlink loop: following it never reaches a file"),
                "remove the link, or point it at a file",
            )
        } else {
            (
                format!(
                    "`{shown}` is a symlink to `{}`, which does not exist",
                    target.display()
                ),
                "remove the link, or point it at the file it was meant for",
            )
        }
    } else {
        (
            format!("cannot read `{shown}`: {}", io_reason(error)),
            UNREADABLE,
        )
    };
    Diagnostic::error(message).at(path, 0..0, "").help(help)
}

fn io_reason(error: &walkdir::Error) -> String {
    match error.io_error() {
        Some(io) => io.to_string(),
        None => error.to_string(),
    }
}

/// Where the symlink at `path` points, as written; `None` when `path` is no symlink.
fn link_target(path: &Path) -> Option<PathBuf> {
    let is_link = path.symlink_metadata().ok()?.file_type().is_symlink();
    if is_link {
        std::fs::read_link(path).ok()
    } else {
        None
    }
}

/// Whether following the symlink at `path` comes back to a link already followed (or never
/// ends, within the 40 hops Linux allows).
fn link_loops(path: &Path) -> bool {
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut at = normalized(path);
    for _ in 0..40 {
        if !seen.insert(at.clone()) {
            return true;
        }
        let Some(target) = link_target(&at) else {
            return false;
        };
        let base = at.parent().map(Path::to_path_buf).unwrap_or_default();
        at = normalized(&base.join(target));
    }
    true
}

/// `path` without `.` components and with `a/..` folded, for comparing link chains.
fn normalized(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|name| name.starts_with('.'))
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignore(globs: &[&str]) -> Ignore {
        let globs: Vec<String> = globs.iter().map(|glob| (*glob).to_owned()).collect();
        let (ignore, invalid) = Ignore::new(&globs);
        assert_eq!(invalid, []);
        ignore
    }

    #[test]
    fn a_folder_glob_ignores_the_folder_itself_and_everything_in_it() {
        let docs = ignore(&["docs/**"]);
        for path in ["docs", "docs/a.json", "docs/drafts/b.hcl"] {
            assert!(docs.matches(Path::new(path)), "{path}");
        }
        assert!(!docs.matches(Path::new("cluster-01/docs.hcl")));
        assert!(!docs.matches(Path::new("documents")));
    }

    #[test]
    fn a_star_does_not_cross_a_folder() {
        let top = ignore(&["*.md"]);
        assert!(top.matches(Path::new("README.md")));
        assert!(!top.matches(Path::new("cluster-01/README.md")));
        assert!(ignore(&["**/*.md"]).matches(Path::new("cluster-01/README.md")));
    }

    #[test]
    fn an_invalid_glob_is_reported_with_its_index() {
        let globs = ["docs/**", "a/[b", "/etc/**", ""].map(str::to_owned);
        let (_, invalid) = Ignore::new(&globs);
        let indexes: Vec<usize> = invalid.iter().map(|(i, _)| *i).collect();
        assert_eq!(indexes, [1, 2, 3]);
    }

    #[test]
    fn a_leading_dot_slash_means_the_workspace_folder() {
        assert!(ignore(&["./docs/**"]).matches(Path::new("docs/a.json")));
    }

    #[test]
    fn files_are_found_in_the_order_of_sorting_each_folder_by_file_name() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let cluster = dir.path().join("cluster-01");
        for folder in ["a", "a-b", "B", "\u{e9}t\u{e9}", "a/z"] {
            std::fs::create_dir_all(cluster.join(folder)).expect("a folder");
        }
        let names = [
            "a.json",
            "a/x.hcl",
            "a/z/y.json",
            "a-b/c.toml",
            "B/d.hcl",
            "b.hcl",
            "A.json",
            "\u{e9}t\u{e9}/e.json",
            "a0.hcl",
            "a_.json",
            "~.hcl",
        ];
        for name in names {
            std::fs::write(cluster.join(name), "").expect("a file");
        }
        let found = entry_files(dir.path(), Path::new("cluster-01"), &Ignore::default());
        let by_file_name: Vec<PathBuf> = WalkDir::new(&cluster)
            .sort_by_file_name()
            .into_iter()
            .map(|entry| entry.expect("an entry"))
            .filter(|entry| entry.file_type().is_file())
            .map(|entry| {
                let rel = entry.path().strip_prefix(dir.path()).expect("inside");
                rel.to_path_buf()
            })
            .collect();
        assert_eq!(found.files.len(), names.len());
        assert_eq!(found.files, by_file_name);
    }

    #[test]
    fn a_folder_link_to_its_own_folder_is_a_loop_named_at_the_link() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let cluster = dir.path().join("cluster-01");
        std::fs::create_dir(&cluster).expect("a folder");
        std::fs::write(cluster.join("web.hcl"), "Kind = \"mesh\"\n").expect("a file");
        std::os::unix::fs::symlink(".", cluster.join("again")).expect("a link");
        let found = entry_files(dir.path(), Path::new("cluster-01"), &Ignore::default());
        assert_eq!(found.files, [PathBuf::from("cluster-01/web.hcl")]);
        let [problem] = found.problems.as_slice() else {
            panic!("one problem: {:?}", found.problems);
        };
        assert!(
            problem.message.contains("is a symlink loop"),
            "{}",
            problem.message
        );
        let label = problem.primary.as_ref().expect("a location");
        assert_eq!(label.file, cluster.join("again"));
    }

    #[test]
    fn a_pipe_named_like_an_entry_is_refused() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let cluster = dir.path().join("cluster-01");
        std::fs::create_dir(&cluster).expect("a folder");
        let made = std::process::Command::new("mkfifo")
            .arg(cluster.join("web.hcl"))
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        let found = entry_files(dir.path(), Path::new("cluster-01"), &Ignore::default());
        assert!(found.files.is_empty());
        assert_eq!(found.problems.len(), 1, "{:?}", found.problems);
        assert!(found.problems[0].message.contains("is not a regular file"));
    }

    #[test]
    fn link_chains_that_come_back_are_loops() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        std::os::unix::fs::symlink("b", &a).expect("a link");
        std::os::unix::fs::symlink("./a", &b).expect("a link");
        std::os::unix::fs::symlink("nowhere", &c).expect("a link");
        assert!(link_loops(&a) && link_loops(&b));
        assert!(!link_loops(&c));
    }
}
