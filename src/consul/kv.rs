//! A lock on one KV key (Consul's `/v1/kv` with `?acquire=` and `?release=`): take it for a
//! session, give it back, and wait for its holder to change.
//!
//! Acquiring is idempotent for the session that holds the key (Consul answers `true` again),
//! so it may be resent; it answers `false` while another session holds the key or while a
//! lock-delay from an invalidated holder runs. Releasing by the holder sets no lock-delay,
//! which is how a clean hand-over is immediate.

use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use super::blocking::MARGIN;
use super::client::{Client, Request};
use super::error::Error;
use super::permission::Access;

/// A lock key as a blocking read found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHolder {
    /// The session holding the key; `None` when the key is free or absent.
    pub session: Option<String>,
    /// The key's `X-Consul-Index`, for the next blocking read; `0` when the key is absent.
    pub index: u64,
}

#[derive(Deserialize)]
struct KeyWire {
    #[serde(rename = "Session", default)]
    session: Option<String>,
}

/// `a/b/c` → `["a", "b", "c"]`, so that the slashes of a key stay slashes in the URL.
fn segments(key: &str) -> Vec<&str> {
    key.trim_start_matches('/').split('/').collect()
}

fn path(key: &str) -> Vec<&str> {
    let mut path = vec!["kv"];
    path.extend(segments(key));
    path
}

fn key_access(key: &str, write: bool) -> Access {
    Access::Key {
        key: key.to_owned(),
        write,
    }
}

impl Client {
    /// `PUT /v1/kv/:key?acquire=<session>` with `value` (JSON) as the key's value: whether the
    /// session holds the key now.
    ///
    /// # Errors
    /// As for every call; an unknown or invalidated session is a 500 ("invalid session").
    pub async fn acquire_key(
        &self,
        key: &str,
        session: &str,
        value: &Value,
    ) -> Result<bool, Error> {
        let request = Request::idempotent(Method::PUT, &path(key), key_access(key, true))
            .query("acquire", session)
            .json(value);
        let reply = self.execute(request).await?;
        self.decode(&reply)
    }

    /// `PUT /v1/kv/:key?release=<session>`: gives the key back if `session` holds it.
    ///
    /// # Errors
    /// As for every call.
    pub async fn release_key(&self, key: &str, session: &str) -> Result<bool, Error> {
        let request = Request::idempotent(Method::PUT, &path(key), key_access(key, true))
            .query("release", session);
        let reply = self.execute(request).await?;
        self.decode(&reply)
    }

    /// `GET /v1/kv/:key?index=<index>&wait=<wait>`: the key's holder once its index passes
    /// `index` (`0` answers at once) or `wait` is over. An absent key answers at once, as free.
    /// Sent once, with a request timeout longer than the wait.
    ///
    /// # Errors
    /// As for every call.
    pub async fn wait_for_key(
        &self,
        key: &str,
        index: u64,
        wait: Duration,
    ) -> Result<KeyHolder, Error> {
        let request = Request::once(Method::GET, &path(key), key_access(key, false))
            .query("index", index.to_string())
            .query("wait", format!("{}s", wait.as_secs().max(1)))
            .timeout(wait + wait / 16 + MARGIN);
        let reply = match self.execute(request).await {
            Ok(reply) => reply,
            Err(error) if error.status() == Some(404) => {
                return Ok(KeyHolder {
                    session: None,
                    index: 0,
                });
            }
            Err(error) => return Err(error),
        };
        let entries: Vec<KeyWire> = self.decode(&reply)?;
        Ok(KeyHolder {
            session: entries
                .into_iter()
                .next()
                .and_then(|entry| entry.session)
                .filter(|session| !session.is_empty()),
            index: reply.index.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_keeps_its_slashes() {
        assert_eq!(
            path("meshplan/watch/lock"),
            ["kv", "meshplan", "watch", "lock"]
        );
        assert_eq!(path("/lock"), ["kv", "lock"]);
    }
}
