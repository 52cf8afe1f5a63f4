//! Peering token files: the `token_out` file a one-sided acceptor writes for the other team, and
//! the `token_file` a one-sided dialer establishes with. Both are relative to the workspace
//! root.
//!
//! Writes are atomic and private: a temporary file in the same folder, mode 0600 from its
//! creation, then renamed over the target, so the other team never reads half a token and no
//! one else can read it at all. Reads keep the text in wiped-on-drop memory. No error here ever
//! quotes a file's content: only its path.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::Failure;
use crate::model::Secret;

/// Reads the token in `root/relative`, trimmed.
///
/// # Errors
/// A file that cannot be read, is not text or is empty; the error names the path only.
pub(super) async fn read(root: &Path, relative: &str) -> Result<Secret, Failure> {
    let path = root.join(relative);
    let problem = |what: String| {
        Failure::Failed(format!(
            "cannot use the peering token file `{}`: {what}",
            path.display()
        ))
    };
    let bytes = Zeroizing::new(
        tokio::fs::read(&path)
            .await
            .map_err(|error| problem(error.to_string()))?,
    );
    crate::consul::warn_if_readable_by_others(&path, "peering token file");
    let text = std::str::from_utf8(&bytes).map_err(|_| problem("it is not text".into()))?;
    let token = Secret::new(text);
    if token.is_empty() {
        return Err(problem("it is empty".into()));
    }
    Ok(token)
}

/// Writes `token` to `root/relative` with mode 0600, atomically, creating the folder if
/// missing. Returns the path written.
///
/// # Errors
/// The folder or the file cannot be made; the error names the path.
pub(super) fn write(root: &Path, relative: &str, token: &Secret) -> Result<PathBuf, Failure> {
    let path = root.join(relative);
    let problem = |error: std::io::Error| {
        Failure::Failed(format!(
            "the peering token was generated but cannot be written to `{}`: {error}; run \
             apply again to generate a new one",
            path.display()
        ))
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder).map_err(problem)?;
    let mut file = private_temp_file(&folder).map_err(problem)?;
    let mut text = Zeroizing::new(token.expose().to_owned());
    text.push('\n');
    file.write_all(text.as_bytes()).map_err(problem)?;
    file.as_file().sync_all().map_err(problem)?;
    file.persist(&path).map_err(|error| problem(error.error))?;
    Ok(path)
}

/// A temporary file in `folder` that only its owner can read, from the moment it exists.
fn private_temp_file(folder: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".meshplan-token-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    builder.tempfile_in(folder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(result: Result<Secret, Failure>) -> String {
        match result {
            Err(Failure::Failed(text)) => text,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_written_token_reads_back_and_only_its_owner_can_read_it() {
        let root = tempfile::tempdir().expect("temp dir");
        let token = Secret::new("canary-peering-token");
        let path = write(root.path(), "tokens/partner.token", &token).expect("written");
        assert_eq!(path, root.path().join("tokens/partner.token"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let read_back = read(root.path(), "tokens/partner.token")
            .await
            .expect("read");
        assert_eq!(read_back.expose(), "canary-peering-token");
        let leftovers = std::fs::read_dir(root.path().join("tokens"))
            .expect("list")
            .count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }

    #[tokio::test]
    async fn a_missing_or_empty_token_file_is_named_by_path_only() {
        let root = tempfile::tempdir().expect("temp dir");
        let missing = failed(read(root.path(), "nope.token").await);
        assert!(missing.contains("nope.token"), "{missing}");
        std::fs::write(root.path().join("empty.token"), "  \n").expect("write");
        let empty = failed(read(root.path(), "empty.token").await);
        assert!(
            empty.contains("empty.token") && empty.contains("empty"),
            "{empty}"
        );
    }
}
