//! `meshplan import`: what lives on clusters, written into the workspace, so that adopting an
//! existing estate takes one command.
//!
//! [`plan()`] is pure: from the workspace as loaded, its workspace file's text and the clusters as
//! read (`consul::refresh`), it decides every file to write. [`write()`] then writes them, or
//! nothing: it refuses to replace an existing file unless asked to.
//!
//! - Peerings become `peering` blocks appended to the workspace file ([`peerings`],
//!   [`workspace_file`]).
//! - Config entries of the chosen kinds become one file each in the cluster's folder
//!   ([`file_name`]), as a person would write them ([`entry`], [`entry_file`]).
//! - Never a token: tokens are not readable from Consul, and one-sided peerings name a token
//!   file for the user to check.
//! - An entry the files already declare is written again in its file (so importing again
//!   refreshes the files from the clusters, once `--force` allows replacing them); a peering
//!   they declare is left as it is. What another workspace's mark owns is left out with a note,
//!   so that `meshplan plan` right after an import shows only adoptions.

pub mod entry;
pub mod entry_file;
pub mod file_name;
pub mod hcl1;
pub mod peerings;
pub mod workspace_file;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

pub use entry_file::EntryFormat;

use crate::model::{Desired, EntryKey, Live, Owner};
use crate::workspace::tree::Format;

/// The config-entry kinds imported when none is named.
pub const DEFAULT_KINDS: [&str; 2] = ["exported-services", "service-intentions"];

/// What to import.
#[derive(Debug, Clone)]
pub struct Request {
    /// Clusters of the workspace whose peerings and entries are imported.
    pub clusters: BTreeSet<String>,
    /// Config-entry kinds to import.
    pub kinds: BTreeSet<String>,
    pub format: EntryFormat,
}

/// The workspace file as it is now.
pub struct WorkspaceFile<'a> {
    /// Relative to the workspace folder.
    pub path: &'a Path,
    pub format: Format,
    pub text: &'a str,
}

/// Everything an import would write.
#[derive(Debug, Default)]
pub struct Import {
    /// New entry files, paths relative to the workspace folder, in cluster and key order.
    pub files: Vec<NewFile>,
    /// The workspace file with the new peering blocks, when there are any.
    pub workspace_file: Option<NewFile>,
    /// How many peering blocks that adds.
    pub peerings: usize,
    /// What was left out or needs the user's eye.
    pub notes: Vec<String>,
}

/// A file to write: its path relative to the workspace folder and its whole text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub path: PathBuf,
    pub text: String,
}

/// Decides what importing `request` from `live` into the workspace `desired` (whose workspace
/// file is `file`) writes.
///
/// # Errors
/// When the workspace file with the new peering blocks would not parse.
pub fn plan(
    desired: &Desired,
    file: &WorkspaceFile<'_>,
    live: &Live,
    request: &Request,
) -> anyhow::Result<Import> {
    let mut import = Import::default();
    let (blocks, notes) = peerings::blocks(desired, live, &request.clusters);
    import.notes.extend(notes);
    if !blocks.is_empty() {
        import.peerings = blocks.len();
        import.workspace_file = Some(NewFile {
            path: file.path.to_path_buf(),
            text: workspace_file::append(file.text, file.format, &blocks)?,
        });
    }
    for cluster in &request.clusters {
        let (Some(spec), Some(read)) = (desired.clusters.get(cluster), live.clusters.get(cluster))
        else {
            continue;
        };
        let declared = desired.entries.get(cluster);
        let mut names = file_name::Names::default();
        for entry in declared.into_iter().flat_map(|d| d.values()) {
            entry.files.iter().for_each(|f| names.reserve(f.clone()));
        }
        for (key, entry) in &read.entries {
            if !request.kinds.contains(&key.kind) {
                continue;
            }
            if let Owner::Workspace(owner) = entry.owner()
                && *owner != desired.workspace
            {
                import.notes.push(format!(
                    "{key} on `{cluster}` belongs to workspace `{owner}`: left out (declare it \
                     and apply with `--take-over {owner}` to move it here)"
                ));
                continue;
            }
            // An entry the files declare is written again where it is, in that file's format.
            let declaration = declared
                .into_iter()
                .flatten()
                .find(|(declared, _)| same_entry(declared, key));
            let (path, format) = match declaration.map(|(_, e)| &e.files[..]) {
                Some([file]) => (file.clone(), format_of(file).unwrap_or(request.format)),
                Some(files) => {
                    let files: Vec<String> =
                        files.iter().map(|f| f.display().to_string()).collect();
                    import.notes.push(format!(
                        "{key} on `{cluster}` is declared in parts, in {}: left as it is",
                        files.join(", ")
                    ));
                    continue;
                }
                None => {
                    let path = names.path(&spec.entries_dir, key, request.format.extension());
                    (path, request.format)
                }
            };
            let body = entry::clean(&key.kind, entry.body());
            import.files.push(NewFile {
                path,
                text: entry_file::text(format, &body),
            });
        }
    }
    Ok(import)
}

/// Whether two keys name one entry: an absent, empty or `default` namespace or partition are
/// the same, as Consul Community Edition shows them.
fn same_entry(a: &EntryKey, b: &EntryKey) -> bool {
    let tenancy = |value: &Option<String>| {
        value
            .clone()
            .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("default"))
    };
    a.kind == b.kind
        && a.name == b.name
        && tenancy(&a.namespace) == tenancy(&b.namespace)
        && tenancy(&a.partition) == tenancy(&b.partition)
}

/// The format of an entry file, by its extension.
fn format_of(path: &Path) -> Option<EntryFormat> {
    match Format::for_entry_file(path)? {
        Format::ConsulHcl | Format::Hcl => Some(EntryFormat::Hcl),
        Format::Toml => Some(EntryFormat::Toml),
        Format::Json => Some(EntryFormat::Json),
    }
}

/// What [`write()`] did.
#[derive(Debug)]
pub enum Outcome {
    /// Every file was written.
    Written,
    /// Files that exist and would be replaced; nothing was written.
    WouldOverwrite(Vec<PathBuf>),
}

/// Writes `import` under `root`. Without `force`, an existing entry file is never replaced:
/// when any would be, nothing at all is written and they are returned. The workspace file is
/// only ever appended to (its text was read for [`plan()`]).
///
/// # Errors
/// A file that cannot be written, naming it and the files already written.
pub fn write(root: &Path, import: &Import, force: bool) -> anyhow::Result<Outcome> {
    if !force {
        let existing: Vec<PathBuf> = import
            .files
            .iter()
            .map(|file| file.path.clone())
            .filter(|path| root.join(path).exists())
            .collect();
        if !existing.is_empty() {
            return Ok(Outcome::WouldOverwrite(existing));
        }
    }
    let mut written: Vec<String> = Vec::new();
    for file in import.files.iter().chain(&import.workspace_file) {
        write_file(root, file).with_context(|| {
            if written.is_empty() {
                "nothing was written".to_owned()
            } else {
                format!("written before the failure: {}", written.join(", "))
            }
        })?;
        written.push(file.path.display().to_string());
    }
    Ok(Outcome::Written)
}

/// Writes one file atomically (a temporary file in the same folder, renamed over the target).
fn write_file(root: &Path, file: &NewFile) -> anyhow::Result<()> {
    let path = root.join(&file.path);
    let folder = path.parent().unwrap_or(root);
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create `{}`", folder.display()))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".meshplan-import-");
    // A replaced file keeps its mode; a new one is readable as a file made by hand is (the
    // temporary file would be 0600).
    #[cfg(unix)]
    builder.permissions(match std::fs::metadata(&path) {
        Ok(metadata) => metadata.permissions(),
        Err(_) => std::os::unix::fs::PermissionsExt::from_mode(0o644),
    });
    let mut temporary = builder
        .tempfile_in(folder)
        .with_context(|| format!("cannot write in `{}`", folder.display()))?;
    std::io::Write::write_all(&mut temporary, file.text.as_bytes())
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    temporary
        .persist(&path)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}

/// A problem for each of `kinds` that a workspace may not manage, with the closest kind it may.
pub fn unknown_kinds(kinds: &BTreeSet<String>) -> Vec<String> {
    let manageable: Vec<&str> = crate::model::kinds::manageable().collect();
    kinds
        .iter()
        .filter(|kind| !manageable.contains(&kind.as_str()))
        .map(|kind| match crate::suggest::closest(kind, &manageable) {
            Some(best) => format!(
                "`{kind}` is not a config-entry kind meshplan manages; did you mean `{best}`?"
            ),
            None => format!("`{kind}` is not a config-entry kind meshplan manages"),
        })
        .collect()
}

#[cfg(test)]
mod tests;
