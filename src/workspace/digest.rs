//! A digest of a workspace's files, recorded in saved plans so that `apply PLANFILE` can refuse
//! a plan made from files that have changed since.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::discover;
use crate::model::Desired;

/// SHA-256 over the workspace file and every cluster's entry files, found as the loader finds
/// them (the same walk and `ignore` globs): each file's path relative to the workspace and its
/// bytes, in a stable order. A symlinked entry counts with its link's path and its target's
/// bytes. Token files are not part of it: they hold secrets and are not reviewed.
///
/// # Errors
/// A file or folder that cannot be read, or that the walk refuses (it was fine when the
/// workspace was loaded, so it changed since).
pub fn digest(desired: &Desired) -> std::io::Result<String> {
    let root = &desired.root;
    let mut files: Vec<std::path::PathBuf> = discover::WORKSPACE_FILES
        .iter()
        .map(std::path::PathBuf::from)
        .filter(|name| root.join(name).is_file())
        .collect();
    let (ignore, invalid) = discover::Ignore::new(&desired.ignore);
    if let Some((_, why)) = invalid.first() {
        return Err(std::io::Error::other(format!(
            "invalid `ignore` glob: {why}"
        )));
    }
    for cluster in desired.clusters.values() {
        let found = discover::entry_files(root, &cluster.entries_dir, &ignore);
        if let Some(problem) = found.problems.first() {
            return Err(std::io::Error::other(problem.message.clone()));
        }
        files.extend(found.files);
    }
    files.sort();
    files.dedup();
    let mut hasher = Sha256::new();
    for rel in &files {
        add_file(&mut hasher, root, rel)?;
    }
    Ok(format!("sha256:{:x}", hasher.finalize()))
}

fn add_file(hasher: &mut Sha256, root: &Path, rel: &Path) -> std::io::Result<()> {
    let bytes = std::fs::read(root.join(rel))?;
    let name = rel.to_string_lossy();
    // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
    hasher.update((name.len() as u64).to_le_bytes());
    hasher.update(name.as_bytes());
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(&bytes);
    Ok(())
}
