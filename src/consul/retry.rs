//! Retries with jittered exponential backoff, for idempotent calls only.
//!
//! Reads (every GET) and `DELETE /v1/peering/:name`, which Consul documents as idempotent, are
//! resent on a transient failure ([`Error::is_transient`]). Other writes are resent only when
//! they cannot have reached Consul ([`Error::safe_to_resend_write`], with [`RetryPolicy::run_when`]):
//! establish consumes a single-use secret, generate-token invalidates the previous token, and a
//! check-and-set write whose first attempt succeeded would come back `false` and look like a
//! conflict. After an ambiguous write failure the caller re-reads the object instead.

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use super::error::Error;

/// How often and how patiently idempotent calls are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 means no retry.
    pub attempts: usize,
    /// The delay before the first retry; each later one doubles, with jitter.
    pub min_delay: Duration,
    /// The longest delay between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, 250 ms then about 0.5 s and 1 s apart (at most 4 s): enough to ride out a
    /// leader election or a rate limit, short enough that a dead agent fails a plan in seconds.
    fn default() -> Self {
        Self {
            attempts: 4,
            min_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub const NONE: Self = Self {
        attempts: 1,
        min_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
    };

    /// `attempts` attempts with no delay between them, for tests.
    pub fn immediate(attempts: usize) -> Self {
        Self {
            attempts,
            min_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        }
    }

    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.attempts.saturating_sub(1))
            .with_jitter()
    }

    /// Runs `call` until it succeeds, fails for good, or the attempts run out.
    ///
    /// # Errors
    /// The last attempt's error.
    pub(crate) async fn run<T, F, Fut>(&self, call: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        self.run_when(call, Error::is_transient).await
    }

    /// Runs `call` until it succeeds, fails with an error `when` does not hold for, or the
    /// attempts run out.
    ///
    /// # Errors
    /// The last attempt's error.
    pub(crate) async fn run_when<T, F, Fut>(
        &self,
        call: F,
        when: fn(&Error) -> bool,
    ) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        call.retry(self.backoff())
            .sleep(tokio::time::sleep)
            .when(when)
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use reqwest::Method;

    use super::*;

    fn status(status: u16, message: &str) -> Error {
        Error::Status {
            cluster: "c".into(),
            method: Method::GET,
            path: "/v1/peerings".into(),
            status,
            message: message.into(),
            hint: None,
        }
    }

    async fn attempts_until_done(policy: RetryPolicy, error: fn() -> Error) -> usize {
        let calls = AtomicUsize::new(0);
        let _ = policy
            .run(|| async {
                calls.fetch_add(1, Ordering::Relaxed);
                Err::<(), _>(error())
            })
            .await;
        calls.into_inner()
    }

    /// The default's attempts with millisecond delays (tokio's paused clock needs `test-util`).
    fn quick() -> RetryPolicy {
        RetryPolicy {
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            ..RetryPolicy::default()
        }
    }

    #[tokio::test]
    async fn server_errors_are_retried_until_the_attempts_run_out() {
        let calls = attempts_until_done(quick(), || status(503, "No cluster leader")).await;
        assert_eq!(calls, 4);
    }

    #[tokio::test]
    async fn rate_limits_are_retried() {
        let calls = attempts_until_done(quick(), || status(429, "rate limited")).await;
        assert_eq!(calls, 4);
    }

    #[tokio::test]
    async fn client_errors_are_not_retried() {
        assert_eq!(
            attempts_until_done(RetryPolicy::immediate(5), || status(403, "denied")).await,
            1
        );
        assert_eq!(
            attempts_until_done(RetryPolicy::immediate(5), || status(404, "gone")).await,
            1
        );
    }

    #[tokio::test]
    async fn an_unknown_config_entry_kind_is_permanent_although_consul_says_500() {
        let error = || {
            status(
                500,
                "invalid config entry kind: control-plane-request-limit",
            )
        };
        assert_eq!(
            attempts_until_done(RetryPolicy::immediate(5), error).await,
            1
        );
    }

    #[tokio::test]
    async fn success_after_a_failure_is_returned() {
        let calls = AtomicUsize::new(0);
        let result = RetryPolicy::immediate(3)
            .run(|| async {
                match calls.fetch_add(1, Ordering::Relaxed) {
                    0 => Err(status(500, "boom")),
                    n => Ok(n),
                }
            })
            .await;
        assert_eq!(result.ok(), Some(1));
    }

    #[tokio::test]
    async fn none_means_a_single_attempt() {
        assert_eq!(
            attempts_until_done(RetryPolicy::NONE, || status(503, "x")).await,
            1
        );
    }
}
