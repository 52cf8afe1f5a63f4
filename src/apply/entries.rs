//! Config-entry writes and deletes, each with check-and-set (consul-api.md §2.1).
//!
//! Creates send `cas=0` (only if still absent), updates, adopts and deletes the `ModifyIndex`
//! the plan saw. Consul's `false` is a conflict: someone else wrote in between, so nothing is
//! written and the outcome says what moved (one extra read, only then). Writes are sent once:
//! a resent CAS write whose first attempt landed would come back `false` and pass for a
//! conflict, so a write without an answer is reported as possibly written instead.

use super::{Context, Failure};
use crate::consul::Client;
use crate::plan::{Change, EntryObject};

/// `PUT /v1/config?cas=<modify_index>` with the plan's body.
///
/// # Errors
/// [`Failure::Conflict`] when Consul refuses the `cas`; [`Failure::Failed`] with Consul's error
/// otherwise (or when the plan has no body).
pub(super) async fn write(
    context: &Context,
    change: &Change,
    entry: &EntryObject,
) -> Result<Option<String>, Failure> {
    let client = context.client(&change.cluster)?;
    let body = change.body.as_ref().ok_or_else(|| {
        Failure::Failed("the plan holds no body to write: make the plan again".into())
    })?;
    match client.write_entry(body, change.modify_index).await {
        Ok(true) => Ok(None),
        Ok(false) => Err(conflict(client, entry, change.modify_index).await),
        Err(error) => Err(Failure::write(&error)),
    }
}

/// `DELETE /v1/config/<kind>/<name>?cas=<modify_index>`.
///
/// # Errors
/// As for [`write()`]. A delete of an entry that is already gone succeeds (Consul's CAS delete
/// of a missing entry returns `true`).
pub(super) async fn delete(
    context: &Context,
    change: &Change,
    entry: &EntryObject,
) -> Result<Option<String>, Failure> {
    let client = context.client(&change.cluster)?;
    match client
        .delete_entry_at(&entry.key(), change.modify_index)
        .await
    {
        Ok(true) => Ok(None),
        Ok(false) => Err(conflict(client, entry, change.modify_index).await),
        Err(error) => Err(Failure::write(&error)),
    }
}

/// What moved, for a write Consul refused under `cas`.
async fn conflict(client: &Client, entry: &EntryObject, cas: u64) -> Failure {
    let why = match client.read_entry_at(&entry.key()).await {
        Ok(Some(live)) if cas == 0 => format!(
            "it was created by someone else since the plan (ModifyIndex {})",
            live.modify_index
        ),
        Ok(Some(live)) => format!(
            "it changed since the plan: ModifyIndex {cas} → {}",
            live.modify_index
        ),
        Ok(None) => "it was deleted by someone else since the plan".to_owned(),
        Err(_) => format!("Consul refused check-and-set index {cas}: it changed since the plan"),
    };
    Failure::Conflict(why)
}
