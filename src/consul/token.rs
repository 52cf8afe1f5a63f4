//! Which ACL token a cluster's requests carry, chosen as Consul's client chooses (consul-api.md
//! §5): the workspace's `token_env` or `token_file` first, then `CONSUL_HTTP_TOKEN_FILE`, then
//! `CONSUL_HTTP_TOKEN`; none of them means no token (Consul then uses the agent's default or
//! the anonymous token).
//!
//! The token only ever leaves as the `X-Consul-Token` header, marked sensitive so that `Debug`
//! of the header map hides it. What errors and `Debug` show instead is the token's origin.

use std::path::Path;

use reqwest::header::HeaderValue;
use zeroize::Zeroizing;

use super::env::{self, Env};
use super::error::ConfigProblem;
use crate::model::{Secret, TokenSource};

/// The header value to send, and where it came from.
pub(crate) struct Token {
    pub(crate) header: HeaderValue,
    /// E.g. "environment variable `CLUSTER01_TOKEN`": safe to print.
    pub(crate) origin: String,
}

impl Token {
    fn new(secret: &Secret, origin: String) -> Result<Self, ConfigProblem> {
        if secret.is_empty() {
            return Err(ConfigProblem::TokenEmpty { origin });
        }
        let Ok(mut header) = HeaderValue::from_str(secret.expose()) else {
            return Err(ConfigProblem::TokenNotHeader { origin });
        };
        header.set_sensitive(true);
        Ok(Self { header, origin })
    }
}

/// Finds the token for a cluster whose files say `source`; relative token files resolve
/// against the workspace `root`.
///
/// # Errors
/// A `token_env` variable that is unset or empty, a token file that cannot be read or is empty
/// (a workspace file: an empty `CONSUL_HTTP_TOKEN_FILE` falls through, as in Consul), or a
/// token that cannot be an HTTP header.
pub(crate) fn resolve(
    source: &TokenSource,
    env: &Env,
    root: &Path,
) -> Result<Option<Token>, ConfigProblem> {
    match source {
        TokenSource::Env(variable) => {
            let Some(text) = env.get(variable) else {
                return Err(ConfigProblem::TokenEnvUnset {
                    variable: variable.clone(),
                });
            };
            Token::new(
                &Secret::new(text),
                format!("environment variable `{variable}`"),
            )
            .map(Some)
        }
        TokenSource::File(path) => {
            let path = root.join(path);
            let secret = read_token_file(&path)?;
            Token::new(&secret, format!("token file `{}`", path.display())).map(Some)
        }
        TokenSource::Default => from_consul_env(env),
    }
}

fn from_consul_env(env: &Env) -> Result<Option<Token>, ConfigProblem> {
    if let Some(path) = env.non_empty(env::HTTP_TOKEN_FILE) {
        let path = Path::new(path);
        let secret = read_token_file(path)?;
        if !secret.is_empty() {
            let origin = format!("{} `{}`", env::HTTP_TOKEN_FILE, path.display());
            return Token::new(&secret, origin).map(Some);
        }
    }
    match env.non_empty(env::HTTP_TOKEN) {
        Some(text) => Token::new(&Secret::new(text), env::HTTP_TOKEN.to_owned()).map(Some),
        None => Ok(None),
    }
}

fn read_token_file(path: &Path) -> Result<Secret, ConfigProblem> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| ConfigProblem::read_file("token file", path, error))?;
    warn_if_readable_by_others(path, "token file");
    Ok(Secret::new(Zeroizing::new(text).as_str()))
}

/// Warns, as ssh does for a private key, when a file holding a secret may be read by its
/// group or by others; the run goes on. Names the file and its mode, never its content.
pub(crate) fn warn_if_readable_by_others(path: &Path, what: &str) {
    if let Some(mode) = open_mode(path) {
        tracing::warn!(
            "{what} `{}` is readable by others (mode {mode:04o}): anyone who can read it can use \
             the token; restrict it with `chmod 600 {}`",
            path.display(),
            path.display()
        );
    }
}

/// The permission bits of `path` when its group or others may read or write it.
#[cfg(unix)]
fn open_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o7777;
    (mode & 0o077 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn open_mode(_path: &Path) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn header_text(token: Option<Token>) -> Option<String> {
        token.map(|t| String::from_utf8_lossy(t.header.as_bytes()).into_owned())
    }

    #[test]
    fn token_env_names_the_variable_to_read() {
        let env = Env::from_vars([("MY_TOKEN", "abc\n"), (env::HTTP_TOKEN, "other")]);
        let token = resolve(&TokenSource::Env("MY_TOKEN".into()), &env, Path::new("/"));
        assert_eq!(header_text(token.ok().flatten()), Some("abc".into()));
    }

    #[test]
    fn an_unset_token_env_is_an_error_naming_the_variable() {
        let env = Env::from_vars([(env::HTTP_TOKEN, "fallback-is-not-used")]);
        let err = resolve(&TokenSource::Env("MY_TOKEN".into()), &env, Path::new("/"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("`MY_TOKEN`") && err.contains("not set"),
            "{err}"
        );
    }

    #[test]
    fn relative_token_files_resolve_against_the_workspace_root() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("t.token"), "from-file\n").expect("write token");
        let source = TokenSource::File(PathBuf::from("t.token"));
        let token = resolve(&source, &Env::default(), dir.path()).ok().flatten();
        assert_eq!(header_text(token), Some("from-file".into()));
    }

    #[test]
    fn consul_token_file_beats_consul_token() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("t");
        std::fs::write(&file, "from-file").expect("write token");
        let env = Env::from_vars([
            (env::HTTP_TOKEN_FILE, file.to_string_lossy().into_owned()),
            (env::HTTP_TOKEN, "from-env".into()),
        ]);
        let token = resolve(&TokenSource::Default, &env, Path::new("/"))
            .ok()
            .flatten();
        assert_eq!(header_text(token), Some("from-file".into()));
    }

    #[test]
    fn consul_token_is_the_last_resort_and_nothing_means_no_token() {
        let env = Env::from_vars([(env::HTTP_TOKEN, "from-env")]);
        let token = resolve(&TokenSource::Default, &env, Path::new("/"))
            .ok()
            .flatten();
        assert_eq!(header_text(token), Some("from-env".into()));
        let none = resolve(&TokenSource::Default, &Env::default(), Path::new("/"));
        assert!(matches!(none, Ok(None)));
    }

    #[test]
    fn the_header_is_marked_sensitive() {
        let env = Env::from_vars([("T", "canary-secret")]);
        let token = resolve(&TokenSource::Env("T".into()), &env, Path::new("/"))
            .ok()
            .flatten();
        let token = token.expect("a token");
        assert!(token.header.is_sensitive());
        assert!(!format!("{:?}", token.header).contains("canary-secret"));
    }

    #[cfg(unix)]
    #[test]
    fn only_files_others_may_read_or_write_are_flagged() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("t");
        std::fs::write(&file, "secret").expect("write token");
        let chmod = |mode| {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).expect("chmod")
        };
        chmod(0o600);
        assert_eq!(open_mode(&file), None);
        chmod(0o400);
        assert_eq!(open_mode(&file), None);
        chmod(0o640);
        assert_eq!(open_mode(&file), Some(0o640));
        chmod(0o604);
        assert_eq!(open_mode(&file), Some(0o604));
    }

    #[test]
    fn a_missing_token_file_is_an_error_naming_it() {
        let source = TokenSource::File(PathBuf::from("missing.token"));
        let err = resolve(&source, &Env::default(), Path::new("/ws"))
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("/ws/missing.token")));
    }
}
