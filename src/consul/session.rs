//! Sessions (Consul's `/v1/session` endpoints), as a lock on a KV key needs them: create one
//! with a TTL and a lock-delay, renew it, destroy it.
//!
//! A session with a TTL lives until it is destroyed or goes unrenewed; Consul invalidates it
//! between one and two TTLs after the last renewal (its timer runs the TTL twice over), and
//! then, for the session's lock-delay, refuses to let any other session acquire the keys it
//! held. `Behavior = "release"` means an invalidated session's locks are released, never their
//! keys deleted.

use std::time::Duration;

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::{Client, Request};
use super::error::Error;
use super::permission::Access;

/// What a new session is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSpec {
    /// Shown by `consul` tools (`/v1/session/list`): who holds it.
    pub name: String,
    /// How long the session lives unrenewed (Consul accepts 10 s to 24 h by default; its
    /// `session_ttl_min` moves the floor).
    pub ttl: Duration,
    /// How long, after the session is invalidated, no other session may acquire its locks.
    pub lock_delay: Duration,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateWire<'a> {
    name: &'a str,
    #[serde(rename = "TTL")]
    ttl: String,
    lock_delay: String,
    behavior: &'static str,
}

#[derive(Deserialize)]
struct CreatedWire {
    #[serde(rename = "ID")]
    id: String,
}

/// Consul's duration text for whole seconds (`15s`), or milliseconds below a second.
fn go_duration(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}

impl Client {
    /// `PUT /v1/session/create`: a session on the agent's node, released (not deleted) on
    /// invalidation. Returns its ID. Sent once: a resent create would leave a second session.
    ///
    /// # Errors
    /// As for every call; a TTL outside the agent's bounds is a 400 or 500 naming them.
    pub async fn create_session(&self, spec: &SessionSpec) -> Result<String, Error> {
        let body = CreateWire {
            name: &spec.name,
            ttl: go_duration(spec.ttl),
            lock_delay: go_duration(spec.lock_delay),
            behavior: "release",
        };
        let request =
            Request::once(Method::PUT, &["session", "create"], Access::SessionWrite).json(&body);
        let reply = self.execute(request).await?;
        let created: CreatedWire = self.decode(&reply)?;
        Ok(created.id)
    }

    /// `PUT /v1/session/renew/:id`: restarts the session's TTL. `Ok(false)` when the session is
    /// gone (invalidated or destroyed): its locks are lost.
    ///
    /// # Errors
    /// As for every call, except that 404 is `Ok(false)`.
    pub async fn renew_session(&self, id: &str) -> Result<bool, Error> {
        let request =
            Request::idempotent(Method::PUT, &["session", "renew", id], Access::SessionWrite);
        match self.execute(request).await {
            Ok(_) => Ok(true),
            Err(error) if error.status() == Some(404) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// `PUT /v1/session/destroy/:id`: ends the session; the locks it still holds are released
    /// and get the session's lock-delay.
    ///
    /// # Errors
    /// As for every call.
    pub async fn destroy_session(&self, id: &str) -> Result<(), Error> {
        let request = Request::idempotent(
            Method::PUT,
            &["session", "destroy", id],
            Access::SessionWrite,
        );
        self.execute(request).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_as_consul_reads_them() {
        assert_eq!(go_duration(Duration::from_secs(15)), "15s");
        assert_eq!(go_duration(Duration::ZERO), "0s");
        assert_eq!(go_duration(Duration::from_millis(1500)), "1500ms");
    }
}
