//! Config-entry writes and deletes, each with check-and-set (consul-api.md §2.1).
//!
//! Creates send `cas=0` (only if still absent), updates, adopts and deletes the `ModifyIndex`
//! the plan saw. Consul's `false` is a conflict: someone else wrote in between, so nothing is
//! written and the outcome says what moved (one extra read, only then).
//!
//! Writes are sent once: a resent CAS write whose first attempt landed would come back `false`
//! and pass for a conflict. When the answer is lost (a reset, a timeout) or is a 5xx, which
//! Consul also sends for a write it committed, the entry is read back instead
//! ([`resolve_write`], [`resolve_delete`]): what it holds says whether the write was made, was
//! not, or changed nothing; only when it holds something else is the outcome left unknown.

use serde_json::Value;

use super::{Context, Done, Failure, UNKNOWN};
use crate::consul::{Client, Error};
use crate::model::LiveEntry;
use crate::model::normalize::{lift_singletons, normalized, same};
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
) -> Result<Done, Failure> {
    let client = context.client(&change.cluster)?;
    let body = change.body.as_ref().ok_or_else(|| {
        Failure::Failed("the plan holds no body to write: make the plan again".into())
    })?;
    match client.write_entry(body, change.modify_index).await {
        Ok(true) => Ok(Done::WRITTEN),
        Ok(false) => Err(conflict(client, entry, change.modify_index).await),
        Err(error) if error.write_may_have_landed() => {
            resolve_write(client, entry, body, change.modify_index, &error).await
        }
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
) -> Result<Done, Failure> {
    let client = context.client(&change.cluster)?;
    match client
        .delete_entry_at(&entry.key(), change.modify_index)
        .await
    {
        Ok(true) => Ok(Done::WRITTEN),
        Ok(false) => Err(conflict(client, entry, change.modify_index).await),
        Err(error) if error.write_may_have_landed() => {
            resolve_delete(client, entry, change.modify_index, &error).await
        }
        Err(error) => Err(Failure::write(&error)),
    }
}

/// What a write whose answer was lost did, from the entry read back: `body` stored is done
/// (unchanged when its `ModifyIndex` is still the plan's `cas`), the entry as the plan saw it is
/// not written, anything else unknown.
async fn resolve_write(
    client: &Client,
    entry: &EntryObject,
    body: &Value,
    cas: u64,
    error: &Error,
) -> Result<Done, Failure> {
    let now = read_back(client, entry, error).await?;
    let first = one_line(error);
    match now {
        Some(live) if holds(&entry.kind, body, &live) => {
            if cas != 0 && live.modify_index == cas {
                Ok(Done::Unchanged(format!(
                    "Consul already held it; read back after: {first}"
                )))
            } else {
                Ok(Done::Written(Some(format!(
                    "confirmed by reading it back after: {first}"
                ))))
            }
        }
        Some(live) if cas != 0 && live.modify_index == cas => Err(not_written(error)),
        None if cas == 0 => Err(not_written(error)),
        _ => Err(Failure::Failed(format!(
            "{error}\nreading it back shows neither the plan's nor the files' version: {UNKNOWN}"
        ))),
    }
}

/// What a delete whose answer was lost did: gone is deleted, the `ModifyIndex` the plan saw is
/// not deleted, anything else unknown.
async fn resolve_delete(
    client: &Client,
    entry: &EntryObject,
    cas: u64,
    error: &Error,
) -> Result<Done, Failure> {
    match read_back(client, entry, error).await? {
        None => Ok(Done::Written(Some(format!(
            "confirmed by reading it back after: {}",
            one_line(error)
        )))),
        Some(live) if live.modify_index == cas => Err(not_written(error)),
        Some(_) => Err(Failure::Failed(format!(
            "{error}\nreading it back shows it changed since the plan: {UNKNOWN}"
        ))),
    }
}

/// Reads the entry back (a GET, retried; `?consistent`, so the write is seen if the leader
/// made it).
async fn read_back(
    client: &Client,
    entry: &EntryObject,
    error: &Error,
) -> Result<Option<LiveEntry>, Failure> {
    client
        .read_entry(&entry.kind, &entry.name)
        .await
        .map_err(|read| {
            Failure::Failed(format!(
                "{error}\nreading it back failed too: {}\n{UNKNOWN}",
                one_line(&read)
            ))
        })
}

fn not_written(error: &Error) -> Failure {
    Failure::Failed(format!("{error}\nreading it back shows it was not written"))
}

/// `error` on one line: the read-back failure sits inside the write's own report, and a
/// breaker's refusal ends its first line with "the last failure:" and goes on below.
fn one_line(error: &Error) -> String {
    let text = error.to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(" ")
}

/// Whether the stored entry says what `body` says, compared as plans compare.
fn holds(kind: &str, body: &Value, live: &LiveEntry) -> bool {
    let stored = normalized(kind, Value::Object(live.body()));
    let mut wanted = normalized(kind, body.clone());
    lift_singletons(&mut wanted, &stored);
    same(&wanted, &stored)
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
