//! Blocking list queries (consul-api.md "Blocking queries"): wait until a cluster's peering list
//! or one kind's config-entry list may have changed, and return its new `X-Consul-Index`.
//!
//! `GET /v1/peerings` and `GET /v1/config/:kind` both take `?index=N&wait=<dur>`: the reply
//! comes when the list's index passes `N` or when `wait` (plus up to `wait / 16` of Consul's
//! jitter) is over. A reply proves nothing changed or did not: the caller compares indexes and
//! decides. The body is not read beyond its status: what changed is found by the next refresh.
//!
//! Blocking calls are sent once and never retried here: the follower that waits on them owns
//! the backoff, and its request timeout is the wait plus Consul's jitter plus a margin, not the
//! client's default (which is shorter than any useful wait).

use std::time::Duration;

use reqwest::Method;

use super::client::{Client, Namespace, Request};
use super::error::Error;
use super::permission::Access;

/// Time beyond Consul's own jitter that a blocking reply may take to arrive.
pub(super) const MARGIN: Duration = Duration::from_secs(10);

/// A list whose changes can be waited for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Listed {
    /// `GET /v1/peerings`.
    Peerings,
    /// `GET /v1/config/:kind`.
    Entries(String),
}

impl std::fmt::Display for Listed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Peerings => f.write_str("peerings"),
            Self::Entries(kind) => write!(f, "{kind} entries"),
        }
    }
}

impl Client {
    /// Waits up to `wait` for `listed` to move past `index` (`0` answers at once) and returns
    /// its `X-Consul-Index`. Sent once, with a request timeout longer than the wait.
    ///
    /// # Errors
    /// As for every call; [`Error::Decode`] when the reply has no `X-Consul-Index` (the list
    /// cannot be waited on). A kind this Consul does not know gives an error for which
    /// [`Error::is_unknown_kind`] holds.
    pub async fn wait_for_change(
        &self,
        listed: &Listed,
        index: u64,
        wait: Duration,
    ) -> Result<u64, Error> {
        let request = match listed {
            Listed::Peerings => Request::once(Method::GET, &["peerings"], Access::PeeringRead),
            Listed::Entries(kind) => {
                let access = Access::Entry {
                    kind: kind.clone(),
                    name: "*".to_owned(),
                    write: false,
                };
                // As `list_entries`: every namespace on Enterprise.
                Request::once(Method::GET, &["config", kind], access).namespace(Namespace::All)
            }
        };
        let request = request
            .partitioned()
            .query("index", index.to_string())
            .query("wait", format!("{}s", wait.as_secs().max(1)))
            .timeout(wait + wait / 16 + MARGIN);
        let reply = self.execute(request).await?;
        reply
            .index
            .ok_or_else(|| self.decode_error(&reply, "no X-Consul-Index in the reply".to_owned()))
    }
}
