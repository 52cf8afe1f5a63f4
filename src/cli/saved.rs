//! Saved plans (`plan --out FILE`, `apply FILE`): the plan, the workspace it was made from and a
//! digest of that workspace's files.
//!
//! Every change in the plan records the `ModifyIndex` it was planned against, so `apply` can
//! refuse the whole plan, writing nothing, when any object or any file moved since. A saved
//! plan holds no secret: plans never carry tokens.
//!
//! # The seal
//! `apply` compares a saved plan with a fresh plan, so an edit cannot change what is written;
//! but the parts only people read (the summary, the reasons, a change's description) would pass
//! that comparison. So the file is sealed: its second line is `"seal": "sha256:HEX"`, the
//! SHA-256 of the file's bytes without that line (the pretty JSON of [`SavedPlan`] and a final
//! newline, exactly as written). `show` and `apply` refuse a file whose seal does not match: any
//! byte changed, reformatted or re-encoded. The seal detects edits, it does not authenticate:
//! whoever edits the file can compute a new one, and the fresh-plan comparison is what keeps an
//! edited plan from doing more.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use std::collections::BTreeMap;

use crate::plan::{Options, Plan};

/// What a sealed file starts with, before the seal's hex digits.
const SEAL_START: &str = "{\n  \"seal\": \"sha256:";
/// What follows the seal's hex digits on its line.
const SEAL_END: &str = "\",\n";
/// How many hex digits a SHA-256 has.
const SEAL_DIGITS: usize = 64;

/// The content of a saved plan file.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedPlan {
    /// The saved-plan file's version ([`SavedPlan::FORMAT_VERSION`]); the plan inside has its
    /// own (`plan::FORMAT_VERSION`, see `render::json`).
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
    /// The version of the saved-plan file: 2 is sealed; 1 (unsealed) is refused.
    pub const FORMAT_VERSION: u32 = 2;

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
        file.write_all(self.to_sealed_text()?.as_bytes())?;
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

    /// The text of the saved plan file: the pretty JSON of `self` and a newline, with the seal
    /// over them as its second line (see the module docs).
    ///
    /// # Errors
    /// When the plan cannot be serialized (it always can: all its keys are strings).
    pub fn to_sealed_text(&self) -> anyhow::Result<String> {
        let mut content = serde_json::to_string_pretty(self)?;
        content.push('\n');
        Ok(seal(&content))
    }

    /// Parses the text of a saved plan read from `path` (named in errors only). This is all
    /// [`SavedPlan::read`] does after reading the file; it is public so that the parsing can be
    /// fuzzed without files.
    ///
    /// # Errors
    /// Text that is not a saved plan, one of a version this meshplan does not read (an unsealed
    /// one among them), or one whose seal does not match its content.
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<Self> {
        /// The only field read before the seal is checked, to say which version a file is.
        #[derive(Deserialize)]
        struct Version {
            format_version: u32,
        }
        let file = path.display();
        let version: Version = serde_json::from_str(text)
            .with_context(|| format!("`{file}` is not a saved meshplan plan"))?;
        match version.format_version {
            Self::FORMAT_VERSION => {}
            1 => bail!(
                "`{file}` was saved by an older meshplan, without a seal (format version 1); \
                 run plan again"
            ),
            other => bail!(
                "`{file}` is a plan of format version {other}; this meshplan reads version {}",
                Self::FORMAT_VERSION
            ),
        }
        let Some(content) = unseal(text) else {
            bail!(
                "`{file}` was edited after it was saved (its seal does not match its content); \
                 run plan again"
            );
        };
        serde_json::from_str(&content)
            .with_context(|| format!("`{file}` is not a saved meshplan plan"))
    }
}

/// `content` (pretty JSON of an object) with its seal as the second line.
fn seal(content: &str) -> String {
    let body = content.strip_prefix("{\n").unwrap_or(content);
    format!("{SEAL_START}{}{SEAL_END}{body}", sha256_hex(content))
}

/// The content `text` seals, when it starts with a seal that matches it.
fn unseal(text: &str) -> Option<String> {
    let rest = text.strip_prefix(SEAL_START)?;
    let hex = rest.get(..SEAL_DIGITS)?;
    let body = rest[SEAL_DIGITS..].strip_prefix(SEAL_END)?;
    let content = format!("{{\n{body}");
    (sha256_hex(&content) == hex).then_some(content)
}

fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved() -> SavedPlan {
        SavedPlan {
            format_version: SavedPlan::FORMAT_VERSION,
            workspace: PathBuf::from("."),
            digest: "sha256:0".to_owned(),
            clusters: Vec::new(),
            options: Options::default(),
            datacenters: BTreeMap::new(),
            plan: Plan::new("platform", vec!["cluster-01".to_owned()], Vec::new()),
        }
    }

    fn parse(text: &str) -> anyhow::Result<SavedPlan> {
        SavedPlan::parse(text, Path::new("plan.json"))
    }

    #[test]
    fn a_sealed_plan_reads_back_and_its_seal_is_the_second_line() {
        let text = saved().to_sealed_text().expect("serializes");
        let second = text.lines().nth(1).expect("a second line");
        assert!(second.starts_with("  \"seal\": \"sha256:"), "{text}");
        let content: String = text
            .lines()
            .enumerate()
            .filter(|(n, _)| *n != 1)
            .map(|(_, line)| format!("{line}\n"))
            .collect();
        assert!(second.contains(&sha256_hex(&content)), "{text}");
        let read = parse(&text).expect("reads");
        assert_eq!(read.plan, saved().plan);
    }

    #[test]
    fn any_byte_changed_is_refused_as_an_edit() {
        let text = saved().to_sealed_text().expect("serializes");
        let edits = [
            text.replace("\"platform\"", "\"platforn\""),
            text.replace("\"create\": 0", "\"create\": 1"),
            text.replace("\n}\n", "}\n"),
            format!("{text}\n"),
            text.replace("sha256:", "sha256:0"),
            text.replacen("sha256:", "SHA256:", 1),
            text.replace('\n', "\r\n"),
        ];
        for edited in edits {
            assert_ne!(edited, text);
            let error = parse(&edited).expect_err("refused").to_string();
            assert!(
                error.contains("`plan.json` was edited after it was saved"),
                "{error}\n{edited}"
            );
        }
    }

    #[test]
    fn an_unsealed_plan_of_the_older_format_is_refused_with_why() {
        let mut old = serde_json::to_value(saved()).expect("serializes");
        old["format_version"] = 1.into();
        let error = parse(&old.to_string()).expect_err("refused").to_string();
        assert!(error.contains("without a seal"), "{error}");
        let mut unsealed = serde_json::to_value(saved()).expect("serializes");
        unsealed["format_version"] = 2.into();
        let error = parse(&unsealed.to_string())
            .expect_err("refused")
            .to_string();
        assert!(error.contains("edited after it was saved"), "{error}");
    }
}
