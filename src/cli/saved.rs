//! Saved plans (`plan --out FILE`, `apply FILE`): the plan, the workspace it was made from and a
//! digest of that workspace's files.
//!
//! Every change in the plan records the `ModifyIndex` it was planned against, so `apply` can
//! refuse the whole plan, writing nothing, when any object or any file moved since. A saved
//! plan holds no secret: plans never carry tokens.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::plan::{FORMAT_VERSION, Options, Plan};

/// The content of a saved plan file.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedPlan {
    /// The plan format's version; see `render::json`.
    pub format_version: u32,
    /// The workspace folder the plan was made from, relative to the folder of the plan file
    /// (absolute only where no relative path leads there, as across Windows drives), so that a
    /// checkout moved or made elsewhere, with the plan file in the same place in it, still finds
    /// it. The digest decides whether the files are the same.
    pub workspace: PathBuf,
    /// `workspace::digest::digest` of the workspace's files when the plan was made.
    pub digest: String,
    /// The clusters the plan was restricted to with `--cluster` (empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<String>,
    /// What `--take-over` and `--allow-delete-all` allowed: `apply` plans again with the same
    /// options and refuses the saved plan if it does more than that fresh plan.
    #[serde(default)]
    pub options: Options,
    /// Each cluster's datacenter as its agent reported it: `apply` refuses the plan against an
    /// agent of another datacenter, wherever the address or `CONSUL_HTTP_ADDR` points now.
    #[serde(default)]
    pub datacenters: BTreeMap<String, String>,
    pub plan: Plan,
}

impl SavedPlan {
    /// The path to record for `workspace` in a plan saved at `out`: relative to `out`'s folder.
    ///
    /// # Errors
    /// When the current folder cannot be read (to make the paths absolute).
    pub fn workspace_path(workspace: &Path, out: &Path) -> anyhow::Result<PathBuf> {
        let workspace = std::path::absolute(workspace)?;
        let folder = std::path::absolute(out)?
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Ok(pathdiff::diff_paths(&workspace, &folder).unwrap_or(workspace))
    }

    /// Where the workspace of the plan saved at `path` is: `chosen` when given (`--workspace`),
    /// else the recorded path taken from the plan file's folder.
    pub fn workspace_dir(&self, path: &Path, chosen: Option<&Path>) -> PathBuf {
        match chosen {
            Some(dir) => dir.to_path_buf(),
            None => {
                let folder = path.parent().unwrap_or(Path::new(""));
                let dir = folder.join(&self.workspace);
                if dir.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    dir
                }
            }
        }
    }

    /// Writes the plan to `path` atomically, so a failed write never leaves half a plan.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut file = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("cannot write the plan to `{}`", path.display()))?;
        serde_json::to_writer_pretty(&mut file, self)?;
        writeln!(file)?;
        file.persist(path)
            .with_context(|| format!("cannot write the plan to `{}`", path.display()))?;
        Ok(())
    }

    /// Reads a saved plan.
    ///
    /// # Errors
    /// An unreadable file, or one that is not a saved plan of a version this meshplan knows.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        Self::parse(&text, path)
    }

    /// Parses the text of a saved plan read from `path` (named in errors only). This is all
    /// [`SavedPlan::read`] does after reading the file; it is public so that the parsing can be
    /// fuzzed without files.
    ///
    /// # Errors
    /// Text that is not a saved plan of a version this meshplan knows.
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<Self> {
        let saved: Self = serde_json::from_str(text)
            .with_context(|| format!("`{}` is not a saved meshplan plan", path.display()))?;
        if saved.format_version != FORMAT_VERSION {
            bail!(
                "`{}` is a plan of format version {}; this meshplan reads version {FORMAT_VERSION}",
                path.display(),
                saved.format_version
            );
        }
        Ok(saved)
    }
}
