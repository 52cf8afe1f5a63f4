//! Joining spawned tasks.

use tokio::task::JoinError;

/// What a joined task returned. A task that panicked panics here too, so that the panic is
/// reported once, where the work was asked for.
///
/// A task is cancelled only when the runtime shuts down as the process exits, or when the task
/// that waits for it is itself aborted (`plan` aborts its early read of the clusters when the
/// files have problems): either way nobody waits for the answer any more, and this waits
/// forever, to be dropped with the rest. Panicking there instead would print a panic message
/// after the report, on a run that ended as it should.
pub async fn joined<T>(result: Result<T, JoinError>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_cancelled) => std::future::pending().await,
        },
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_finished_task_gives_its_value() {
        assert_eq!(joined(tokio::spawn(async { 7 }).await).await, 7);
    }

    #[tokio::test]
    async fn a_cancelled_task_leaves_its_waiter_waiting_rather_than_panicking() {
        let task = tokio::spawn(std::future::pending::<()>());
        task.abort();
        let cancelled = task.await;
        let waited = tokio::time::timeout(Duration::from_millis(50), joined(cancelled)).await;
        assert!(waited.is_err(), "the waiter is still waiting");
    }

    #[tokio::test]
    #[should_panic(expected = "the task's own panic")]
    async fn a_panicked_task_panics_its_waiter_with_the_same_message() {
        let panicked = tokio::spawn(async { panic!("the task's own panic") }).await;
        joined(panicked).await;
    }
}
