//! What lies outside every cluster's folder but holds config entries, which would otherwise
//! never be applied without anything saying so:
//! - a folder with entry files that is no cluster's: at the top of the workspace (most likely a
//!   cluster renamed or removed from the workspace file), or beside clusters' folders inside a
//!   folder that holds them (`clusters/west` beside `clusters/east`);
//! - a file directly in the workspace folder, or in a folder that holds clusters' folders, that
//!   could be an entry. Whether it is one is the loader's to decide, by its `Kind`: the top of
//!   a repository often holds `package.json` or `Cargo.toml`, which are not.
//!
//! Hidden and ignored files and folders are not looked into, as in [`entry_files`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::diagnostic::Diagnostic;
use super::discover::{Ignore, WORKSPACE_FILES, entry_files, skipped};
use super::tree::Format;

/// What [`strays`] found, relative to the workspace root, and the problems met while looking.
#[derive(Debug, Default)]
pub struct Strays {
    pub folders: Vec<PathBuf>,
    /// Files that may be entries (by their extension); see the module docs.
    pub files: Vec<PathBuf>,
    pub problems: Vec<Diagnostic>,
}

/// Everything outside the clusters' folders `entry_dirs` that holds or may hold entries.
pub fn strays(root: &Path, entry_dirs: &BTreeSet<PathBuf>, ignore: &Ignore) -> Strays {
    let mut scan = Scan {
        root,
        entry_dirs,
        ignore,
        found: Strays::default(),
    };
    scan.folder(Path::new(""));
    scan.found
}

struct Scan<'a> {
    root: &'a Path,
    entry_dirs: &'a BTreeSet<PathBuf>,
    ignore: &'a Ignore,
    found: Strays,
}

impl Scan<'_> {
    /// Looks at each child of the folder `rel`: the workspace folder, or one holding clusters'
    /// folders.
    fn folder(&mut self, rel: &Path) {
        let dir = self.root.join(rel);
        let unreadable = |error: std::io::Error| {
            let message = format!("cannot read `{}`: {error}", dir.display());
            Diagnostic::error(message).at(&dir, 0..0, "")
        };
        let children = match std::fs::read_dir(&dir) {
            Ok(children) => children,
            Err(error) => return self.found.problems.push(unreadable(error)),
        };
        let mut names = Vec::new();
        for child in children {
            match child {
                Ok(child) => names.push(child.file_name()),
                Err(error) => self.found.problems.push(unreadable(error)),
            }
        }
        names.sort();
        for name in names {
            let is_workspace_file =
                rel.as_os_str().is_empty() && WORKSPACE_FILES.iter().any(|file| name == *file);
            if !is_workspace_file {
                self.child(&rel.join(name));
            }
        }
    }

    fn child(&mut self, rel: &Path) {
        let path = self.root.join(rel);
        let dirs = self.entry_dirs;
        if skipped(self.root, Some(&path), self.ignore) || dirs.iter().any(|d| rel.starts_with(d)) {
            return;
        }
        if dirs.iter().any(|dir| dir.starts_with(rel)) {
            // Holds clusters' folders; a link there that leads nowhere is the cluster's to report.
            if path.is_dir() {
                self.folder(rel);
            }
            return;
        }
        // A dangling link may have been a folder of entries: the walk reports it.
        let dangling = path.symlink_metadata().is_ok() && path.metadata().is_err();
        if path.is_dir() || dangling {
            let found = entry_files(self.root, rel, self.ignore);
            if !found.files.is_empty() {
                self.found.folders.push(rel.to_path_buf());
            }
            self.found.problems.extend(found.problems);
        } else if path.is_file() && Format::from_path(rel).is_some() {
            self.found.files.push(rel.to_path_buf());
        }
    }
}
