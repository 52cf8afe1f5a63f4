//! Waiting: a predicate polled at an interval. No timeout here: the caller bounds the wait with
//! [`tokio::time::timeout`] and decides what a timeout means (kube-runtime's `await_condition`
//! shape), since only it knows what to say about the state it last saw.
//!
//! Polling rather than blocking queries: a peering's ACTIVE state is computed at read time and
//! blocking queries do not wake for it (consul-api.md §1.4).

use std::future::Future;
use std::time::Duration;

/// Calls `check` until it returns `Ok(Some(value))`, sleeping `interval` between calls.
///
/// # Errors
/// The first error `check` returns; the wait stops there.
///
/// # Caveats
/// Never returns while `check` keeps returning `Ok(None)`: wrap it in a timeout.
pub(super) async fn until<T, E, F, Fut>(interval: Duration, mut check: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        tokio::time::sleep(interval).await;
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[tokio::test]
    async fn the_wait_ends_when_the_predicate_holds() {
        let calls = Cell::new(0);
        let value = until(Duration::from_millis(1), || async {
            calls.set(calls.get() + 1);
            Ok::<_, ()>((calls.get() == 3).then_some("ready"))
        })
        .await;
        assert_eq!((value, calls.get()), (Ok("ready"), 3));
    }

    #[tokio::test]
    async fn an_error_ends_the_wait_at_once() {
        let value = until(Duration::from_millis(1), || async {
            Err::<Option<()>, _>("gone")
        })
        .await;
        assert_eq!(value, Err("gone"));
    }

    #[tokio::test]
    async fn the_caller_bounds_the_wait() {
        let wait = until(Duration::from_millis(1), || async {
            Ok::<Option<()>, ()>(None)
        });
        let bounded = tokio::time::timeout(Duration::from_millis(20), wait).await;
        assert!(bounded.is_err());
    }
}
