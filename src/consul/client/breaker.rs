//! A per-cluster circuit breaker: after [`THRESHOLD`] requests in a row timed out or could not
//! connect, the agent is taken as gone and requests to it are refused at once for
//! [`COOL_DOWN`], instead of each one waiting out its own timeout (a frozen agent would
//! otherwise hold an apply of 500 entries for 500 timeouts). Any answer, whatever its status,
//! closes it again. After the cool-down one more request is let through: an answer closes the
//! breaker, another failure opens it again (what a long-running `watch` needs to recover).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Failures in a row that open the breaker.
pub(super) const THRESHOLD: u32 = 3;

/// How long an open breaker refuses requests before letting one through again.
pub(crate) const COOL_DOWN: Duration = Duration::from_secs(30);

/// Shared by a client and its clones.
#[derive(Debug, Default)]
pub(super) struct Breaker {
    /// Timeouts and refused connections since the last answer.
    failures: AtomicU32,
    /// When the breaker last opened.
    opened: Mutex<Option<Instant>>,
    /// The last failure counted, as reported: what a request refused here says went wrong, so
    /// that its cause (and the hint for it, such as an untrusted certificate) is not lost.
    last: Mutex<String>,
}

impl Breaker {
    /// `Some(failures in a row)` while requests must not be sent.
    pub(super) fn open(&self) -> Option<u32> {
        let opened = *self.opened.lock().unwrap_or_else(PoisonError::into_inner);
        opened
            .filter(|since| since.elapsed() < COOL_DOWN)
            .map(|_| self.failures.load(Ordering::SeqCst))
    }

    /// An answer came: the agent is there.
    pub(super) fn answered(&self) {
        self.failures.store(0, Ordering::SeqCst);
        *self.opened.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The last failure counted, as reported.
    pub(super) fn last_failure(&self) -> String {
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Keeps `failure` (as reported) as the last failure, then counts it ([`Breaker::failed`]).
    pub(super) fn failed_with(&self, failure: String) -> Option<u32> {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = failure;
        self.failed()
    }

    /// A request timed out or could not connect. `Some(failures in a row)` when this opened
    /// the breaker (it was not open already).
    pub(super) fn failed(&self) -> Option<u32> {
        let failures = self.failures.fetch_add(1, Ordering::SeqCst) + 1;
        if failures < THRESHOLD {
            return None;
        }
        let mut opened = self.opened.lock().unwrap_or_else(PoisonError::into_inner);
        let was_open = opened.is_some_and(|since| since.elapsed() < COOL_DOWN);
        *opened = Some(Instant::now());
        (!was_open).then_some(failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_opens_after_the_threshold_and_an_answer_closes_it() {
        let breaker = Breaker::default();
        assert_eq!(breaker.failed(), None);
        assert_eq!(breaker.failed(), None);
        assert_eq!(breaker.open(), None);
        assert_eq!(breaker.failed(), Some(THRESHOLD));
        assert_eq!(breaker.open(), Some(THRESHOLD));
        assert_eq!(breaker.failed(), None, "opening is reported once");
        breaker.answered();
        assert_eq!(breaker.open(), None);
    }

    #[test]
    fn an_answer_between_failures_starts_the_count_again() {
        let breaker = Breaker::default();
        breaker.failed();
        breaker.failed();
        breaker.answered();
        breaker.failed();
        assert_eq!(breaker.open(), None);
    }
}
