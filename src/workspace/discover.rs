//! Finds the files of a workspace: the one workspace file and each cluster's entry files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

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

/// The workspace file in `root`.
pub fn workspace_file(root: &Path) -> WorkspaceFile {
    let found: Vec<(PathBuf, Format)> = WORKSPACE_FILES
        .iter()
        .map(|name| root.join(name))
        .filter(|path| path.is_file())
        .filter_map(|path| Format::from_path(&path).map(|format| (path, format)))
        .collect();
    match <[_; 1]>::try_from(found) {
        Ok([(path, format)]) => WorkspaceFile::One(path, format),
        Err(found) if found.is_empty() => WorkspaceFile::None,
        Err(_) => WorkspaceFile::Both,
    }
}

/// Config-entry files (`*.hcl`, `*.toml`, `*.json`) under `dir`, recursively, in a stable
/// order, as paths relative to `root`. Hidden files and folders (editor and VCS litter) are
/// skipped. A missing folder has no entries.
pub fn entry_files(root: &Path, dir: &Path) -> Vec<PathBuf> {
    WalkDir::new(root.join(dir))
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry.file_name()))
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file() && Format::from_path(entry.path()).is_some())
        .filter_map(|entry| entry.path().strip_prefix(root).ok().map(Path::to_path_buf))
        .collect()
}

/// Top-level folders of `root` that hold entry files but are no cluster's entries folder:
/// most likely a cluster that was renamed or removed from the workspace file.
pub fn stray_entry_folders(root: &Path, entry_dirs: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut stray: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|entry| !is_hidden(&entry.file_name()))
        .map(|entry| PathBuf::from(entry.file_name()))
        .filter(|dir| {
            !entry_dirs
                .iter()
                .any(|used| used.starts_with(dir) || dir.starts_with(used))
        })
        .filter(|dir| !entry_files(root, dir).is_empty())
        .collect();
    stray.sort();
    stray
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|name| name.starts_with('.'))
}
