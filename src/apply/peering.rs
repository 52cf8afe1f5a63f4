//! Peering changes: establish, re-establish and delete (consul-api.md §1.4–1.8).
//!
//! # Establish and re-establish
//! Both are one state machine over our sides (a side the files give to another team is never
//! touched):
//! 1. Re-read each of our sides and stop with a conflict if it moved since the plan (appeared,
//!    vanished, changed role, lost the mark, new `ModifyIndex`): peerings have no `cas`.
//! 2. Acceptor ours: a side that cannot take a new token ([`Prepare::Replace`]: TERMINATED,
//!    DELETING or a dialer) is deleted and waited for until gone; then a token is generated.
//!    Generating again for an existing acceptor is how Consul re-issues a token: older ones stop
//!    working, a connected stream is not disturbed. Acceptor not ours: the token comes from the
//!    `token_file`.
//! 3. Dialer not ours: the token goes to the `token_out` file (0600) and the change is done;
//!    the other team dials when they like, so nothing is waited for.
//! 4. Dialer ours: re-read it (the acceptor's replacement may have terminated it), replace it
//!    likewise if needed, establish with the token, then wait until every side of ours reports
//!    ACTIVE, polling every `poll_interval` for at most `active_timeout`.
//! 5. Our acceptor reports TERMINATED or DELETING during that wait: the deletion of an earlier
//!    dialer side reached it after the token this apply generated (Consul tells an acceptor
//!    late, so a plan made in that window sees it ACTIVE). It is replaced once, as a Replace
//!    does (re-read, delete, wait until gone, generate; the dialer side likewise), and waited
//!    for again; a second end fails the change. The change's note says so.
//!
//! # Guarantees
//! - The token exists only in memory ([`Secret`]) or in the `token_out` file.
//! - Establish is sent once: it consumes a single-use secret, so a resend whose first attempt
//!   landed would fail with 403. A 403 saying "a new peering token must be generated" is
//!   reported as a used or superseded token, not as an ACL problem.
//! - Generate-token is sent once: every call makes a new token and invalidates the previous
//!   one, so it is resent only when it cannot have reached Consul ([`Error::safe_to_resend_write`]:
//!   no connection, a 429, or Consul's "CA has not finished initializing" and "No cluster
//!   leader", which a fresh agent answers for a while). After a lost answer or a 5xx nothing is
//!   resent: the change fails, saying the token may or may not have been generated, and the
//!   next apply generates one that is used at once.
//!
//! # Delete
//! One side per change: re-read (already gone is done; a side that lost the mark is a
//! conflict), `DELETE`, then wait until it is gone (deletion is asynchronous). Its other side
//! turns TERMINATED, so the `ModifyIndex` is not compared here: the other side's delete in the
//! same wave would move it.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::fresh::peering_moved;
use super::{Context, Done, Failure, shown, token_file, wait};
use crate::consul::{Client, Error, Establish, GenerateToken, RetryPolicy};
use crate::model::{LivePeering, Owner, PeeringState, Secret};
use crate::plan::{PeeringEnd, PeeringObject};

/// Generate-token answers 500 for a short while after an agent starts (consul-api.md §1.10);
/// only those refusals, made before anything is generated, are resent.
const GENERATE_RETRY: RetryPolicy = RetryPolicy {
    attempts: 6,
    min_delay: Duration::from_millis(500),
    max_delay: Duration::from_secs(2),
};

/// One of our sides: its end in the plan and its cluster's client.
struct Side<'a> {
    end: &'a PeeringEnd,
    client: &'a Client,
}

impl<'a> Side<'a> {
    /// The side of `end` when it is ours.
    fn of(context: &'a Context, end: Option<&'a PeeringEnd>) -> Result<Option<Self>, Failure> {
        let Some(end) = end.filter(|end| end.ours) else {
            return Ok(None);
        };
        let client = context.client(&end.cluster)?;
        Ok(Some(Self { end, client }))
    }

    fn cluster(&self) -> &str {
        &self.end.cluster
    }

    async fn read(&self) -> Result<Option<LivePeering>, Failure> {
        self.client
            .read_peering(&self.end.peer_name)
            .await
            .map_err(|error| Failure::consul(&error))
    }
}

/// Which side of a peering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Acceptor,
    Dialer,
}

/// What to do with a side of ours that exists when a peering is (re-)established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Existing {
    /// Establish and re-establish: keep a side that can take a new token, delete one that
    /// cannot.
    KeepUsable,
    /// Replace: delete every side of ours first, since what must change (its `Meta`) cannot be
    /// changed in place.
    Delete,
}

/// What a side needs before a token is generated or used on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prepare {
    /// Absent (generate or establish creates it) or usable as it is.
    Keep,
    /// Delete it and wait until it is gone: it cannot take a new token.
    Replace,
}

fn prepare(role: Role, now: Option<&LivePeering>, existing: Existing) -> Prepare {
    let Some(now) = now else {
        return Prepare::Keep;
    };
    if existing == Existing::Delete {
        return Prepare::Replace;
    }
    let wrong_role = match role {
        Role::Acceptor => now.is_dialer(),
        Role::Dialer => !now.is_dialer(),
    };
    match (&now.state, wrong_role) {
        (_, true) => Prepare::Replace,
        // A TERMINATED acceptor returns tokens that can never be used (§1.5); a DELETING side
        // refuses every write (§1.7).
        (PeeringState::Terminated | PeeringState::Deleting, false) => Prepare::Replace,
        (
            PeeringState::Pending
            | PeeringState::Establishing
            | PeeringState::Active
            | PeeringState::Failing
            | PeeringState::Other(_),
            false,
        ) => Prepare::Keep,
    }
}

/// Establishes or re-establishes `peering` (see the module docs). The note says where a token
/// was written or that the peering is ACTIVE.
///
/// # Errors
/// [`Failure::Conflict`] when a side moved since the plan; [`Failure::Failed`] for a failed
/// call, an unusable token file, or a peering not ACTIVE within `active_timeout`.
pub(super) async fn establish(
    context: &Context,
    peering: &PeeringObject,
    existing: Existing,
) -> Result<Done, Failure> {
    let acceptor = Side::of(context, peering.acceptor.as_ref())?;
    let dialer = Side::of(context, peering.dialer.as_ref())?;
    let acceptor_now = match &acceptor {
        Some(side) => unmoved(side).await?,
        None => None,
    };
    if let Some(side) = &dialer {
        unmoved(side).await?;
    }
    let token = match &acceptor {
        Some(side) => {
            make_way(
                context,
                side,
                Role::Acceptor,
                acceptor_now.as_ref(),
                existing,
            )
            .await?;
            generate(side, peering).await?
        }
        None => {
            token_file::read(&context.root, required(&peering.token_file, "token_file")?).await?
        }
    };
    let Some(dialer) = dialer else {
        let out = required(&peering.token_out, "token_out")?;
        token_file::write(&context.root, out, &token)?;
        return Ok(Done::Written(Some(format!("token written to {out}"))));
    };
    dial(context, &dialer, token, peering, existing).await?;
    let sides: Vec<&Side<'_>> = acceptor.iter().chain([&dialer]).collect();
    let ended = match wait_active(context, peering, &sides).await? {
        Waited::Active => return Ok(Done::WRITTEN),
        Waited::Ended(ended) => ended,
    };
    let replaceable = ended.state.is_some();
    let Some(acceptor) = acceptor.filter(|side| replaceable && side.cluster() == ended.cluster)
    else {
        return Err(ended.failure(peering));
    };
    replace_ended(context, &acceptor, &ended, peering).await?;
    let token = generate(&acceptor, peering).await?;
    dial(context, &dialer, token, peering, Existing::Delete).await?;
    match wait_active(context, peering, &[&acceptor, &dialer]).await? {
        Waited::Active => Ok(Done::Written(Some(format!(
            "{} reported {} after its new token, ended late by a side deleted earlier; \
             replaced it once",
            ended.cluster,
            ended.shown()
        )))),
        Waited::Ended(again) => Err(again.failure(peering)),
    }
}

/// Makes way on our dialer side (re-read first: the acceptor's replacement may have
/// terminated it) and establishes it with `token`, which is dropped once sent.
async fn dial(
    context: &Context,
    dialer: &Side<'_>,
    token: Secret,
    peering: &PeeringObject,
    existing: Existing,
) -> Result<(), Failure> {
    let now = dialer.read().await?;
    make_way(context, dialer, Role::Dialer, now.as_ref(), existing).await?;
    establish_with(dialer, &token, peering).await
}

/// Deletes our acceptor side that this apply gave a token and that then reported TERMINATED or
/// DELETING: the deletion of an earlier other side reached it after the new token (Consul
/// tells an acceptor late). Re-read first, so only the side that ended, still carrying this
/// workspace's mark, is deleted.
async fn replace_ended(
    context: &Context,
    acceptor: &Side<'_>,
    ended: &Ended,
    peering: &PeeringObject,
) -> Result<(), Failure> {
    let now = acceptor.read().await?;
    let still_ended = now
        .as_ref()
        .is_none_or(|now| matches!(now.state, PeeringState::Terminated | PeeringState::Deleting));
    if !still_ended {
        return Err(Failure::Conflict(format!(
            "{} reported {}, then changed again before it could be replaced",
            ended.cluster,
            ended.shown()
        )));
    }
    let mark = Owner::from_meta(|key| peering.meta.get(key).map(String::as_str));
    if let Some(now) = now.as_ref().filter(|now| now.owner() != mark) {
        return Err(Failure::Conflict(format!(
            "{} reported {}, and its side is owned by {}, not this workspace: it is not \
             this workspace's to replace",
            ended.cluster,
            ended.shown(),
            now.owner()
        )));
    }
    tracing::info!(
        peering = %label(peering),
        cluster = %ended.cluster,
        state = %ended.shown(),
        "the acceptor side ended after its new token: replacing it once"
    );
    make_way(
        context,
        acceptor,
        Role::Acceptor,
        now.as_ref(),
        Existing::Delete,
    )
    .await
}

fn required<'a>(path: &'a Option<String>, key: &str) -> Result<&'a str, Failure> {
    path.as_deref().ok_or_else(|| {
        Failure::Failed(format!(
            "the plan names no `{key}` for this one-sided peering: make the plan again"
        ))
    })
}

/// Re-reads `side` and returns it, unless it moved since the plan.
async fn unmoved(side: &Side<'_>) -> Result<Option<LivePeering>, Failure> {
    let now = side.read().await?;
    match peering_moved(side.end.seen.as_ref(), now.as_ref(), false) {
        None => Ok(now),
        Some(moved) => Err(Failure::Conflict(format!(
            "{}'s side changed since the plan: {moved}",
            side.cluster()
        ))),
    }
}

/// Deletes `side` and waits until it is gone, when it cannot take a new token.
async fn make_way(
    context: &Context,
    side: &Side<'_>,
    role: Role,
    now: Option<&LivePeering>,
    existing: Existing,
) -> Result<(), Failure> {
    match prepare(role, now, existing) {
        Prepare::Keep => Ok(()),
        Prepare::Replace => {
            let name = &side.end.peer_name;
            side.client
                .delete_peering(name)
                .await
                .map_err(|error| Failure::consul(&error))?;
            wait_gone(context, side.cluster(), side.client, name).await
        }
    }
}

async fn generate(side: &Side<'_>, peering: &PeeringObject) -> Result<Secret, Failure> {
    let body = GenerateToken {
        peer_name: &side.end.peer_name,
        partition: side.end.partition.as_deref(),
        meta: &peering.meta,
        server_external_addresses: &peering.server_external_addresses,
    };
    GENERATE_RETRY
        .run_when(
            || side.client.generate_token(&body),
            Error::safe_to_resend_write,
        )
        .await
        .map_err(|error| Failure::write(&error))
}

async fn establish_with(
    side: &Side<'_>,
    token: &Secret,
    peering: &PeeringObject,
) -> Result<(), Failure> {
    let body = Establish {
        peer_name: &side.end.peer_name,
        token,
        partition: side.end.partition.as_deref(),
        meta: &peering.meta,
    };
    match side.client.establish(&body).await {
        Ok(()) => Ok(()),
        Err(error) if error.status() == Some(403) && is_spent_token(&error) => {
            let remedy = match &peering.token_file {
                Some(path) => format!(
                    "the token in `{path}` cannot be used again: ask the owners of {} for a new one",
                    peering
                        .acceptor
                        .as_ref()
                        .map_or("the acceptor", |end| &end.cluster)
                ),
                None => "run apply again to generate a new one".to_owned(),
            };
            Err(Failure::Failed(format!(
                "{} refused the peering token: it was already used, or a newer token superseded \
                 it; a new peering token must be generated ({remedy})\n{error}",
                side.cluster()
            )))
        }
        Err(error) => Err(Failure::write(&error)),
    }
}

fn is_spent_token(error: &crate::consul::Error) -> bool {
    error
        .message()
        .is_some_and(|message| message.contains("a new peering token must be generated"))
}

/// `cluster-01 ⇄ cluster-02`.
fn label(peering: &PeeringObject) -> String {
    let cluster =
        |end: &Option<PeeringEnd>| end.as_ref().map_or("?", |end| &end.cluster).to_owned();
    format!(
        "{} ⇄ {}",
        cluster(&peering.acceptor),
        cluster(&peering.dialer)
    )
}

/// How a wait for ACTIVE ended.
enum Waited {
    Active,
    /// A side reported a state it never leaves for ACTIVE.
    Ended(Ended),
}

/// A side gone, DELETING or TERMINATED while it was waited for.
struct Ended {
    cluster: String,
    /// TERMINATED or DELETING; `None`: the side is gone.
    state: Option<PeeringState>,
}

impl Ended {
    /// `TERMINATED`, `DELETING` or `gone`.
    fn shown(&self) -> &str {
        self.state.as_ref().map_or("gone", PeeringState::as_str)
    }

    fn failure(&self, peering: &PeeringObject) -> Failure {
        let what = match &self.state {
            None => "has no such peering any more".to_owned(),
            Some(state) => format!("reports {}", state.as_str()),
        };
        Failure::Failed(format!(
            "peering {} did not turn ACTIVE: {} {what}",
            label(peering),
            self.cluster
        ))
    }
}

/// Waits until every side in `sides` reports ACTIVE, or one of them ends.
async fn wait_active(
    context: &Context,
    peering: &PeeringObject,
    sides: &[&Side<'_>],
) -> Result<Waited, Failure> {
    let label = label(peering);
    let last = Mutex::new(String::from("no side could be read yet"));
    let (last_ref, label_ref) = (&last, &label);
    let interrupted = || {
        Failure::Failed(format!(
            "interrupted while waiting for peering {label} to turn ACTIVE: it was established; \
             run plan again to see its state"
        ))
    };
    let check = move || async move {
        let report = match states(sides).await? {
            States::Ended(ended) => return Ok(Some(Waited::Ended(ended))),
            States::Active => return Ok(Some(Waited::Active)),
            States::Waiting(report) => report,
        };
        context
            .progress
            .waiting(format!("peering {label_ref}: {report}"));
        *last_ref.lock().unwrap_or_else(PoisonError::into_inner) = report;
        Ok(None)
    };
    let timeout = context.options.active_timeout;
    let wait = tokio::time::timeout(timeout, wait::until(context.options.poll_interval, check));
    // A read under way does not hold up a stop: the wait is dropped, the read cancelled.
    let waited = tokio::select! {
        waited = wait => waited,
        () = context.options.interrupt.triggered() => Ok(Err(interrupted())),
    };
    match waited {
        Ok(result) => result,
        Err(_) => Err(Failure::Failed(format!(
            "peering {label} is not ACTIVE after {}: {}",
            shown(timeout),
            last.into_inner().unwrap_or_else(PoisonError::into_inner)
        ))),
    }
}

/// What one read of every side found.
enum States {
    Active,
    /// Not all ACTIVE yet: `cluster-01 reports PENDING, ...`.
    Waiting(String),
    /// A side is gone, DELETING or TERMINATED: it will not turn ACTIVE.
    Ended(Ended),
}

/// Reads every side.
///
/// # Errors
/// A failed read.
async fn states(sides: &[&Side<'_>]) -> Result<States, Failure> {
    let mut reports = Vec::new();
    let mut active = true;
    for side in sides {
        let state = side.read().await?.map(|now| now.state);
        let cluster = side.cluster().to_owned();
        match &state {
            None | Some(PeeringState::Terminated | PeeringState::Deleting) => {
                return Ok(States::Ended(Ended { cluster, state }));
            }
            Some(state) => {
                active &= *state == PeeringState::Active;
                reports.push(format!("{cluster} reports {}", state.as_str()));
            }
        }
    }
    Ok(if active {
        States::Active
    } else {
        States::Waiting(reports.join(", "))
    })
}

/// Deletes one side of a peering (see the module docs).
///
/// # Errors
/// [`Failure::Conflict`] when the side lost meshplan's mark; [`Failure::Failed`] for a failed
/// call or a side still there after `active_timeout`.
pub(super) async fn delete(
    context: &Context,
    cluster: &str,
    peering: &PeeringObject,
) -> Result<Done, Failure> {
    let client = context.client(cluster)?;
    let name = &peering.name;
    let now = client
        .read_peering(name)
        .await
        .map_err(|error| Failure::consul(&error))?;
    let Some(now) = now else {
        return Ok(Done::Written(Some("it was already gone".to_owned())));
    };
    let planned_owner = [&peering.acceptor, &peering.dialer]
        .into_iter()
        .flatten()
        .find(|end| end.cluster == cluster)
        .and_then(|end| end.seen.as_ref())
        .and_then(|seen| seen.workspace.clone());
    let owned = planned_owner.is_some_and(|workspace| now.owner().is(&workspace));
    if !owned {
        return Err(Failure::Conflict(
            "it no longer carries this workspace's mark, so it is not this workspace's to delete"
                .to_owned(),
        ));
    }
    client
        .delete_peering(name)
        .await
        .map_err(|error| Failure::consul(&error))?;
    wait_gone(context, cluster, client, name).await?;
    Ok(Done::WRITTEN)
}

/// Waits until peering `name` on `cluster` is gone (deletion is asynchronous).
async fn wait_gone(
    context: &Context,
    cluster: &str,
    client: &Client,
    name: &str,
) -> Result<(), Failure> {
    let last = Mutex::new(String::from("not read yet"));
    let last_ref = &last;
    let check = move || async move {
        let now = client
            .read_peering(name)
            .await
            .map_err(|error| Failure::consul(&error))?;
        let Some(now) = now else {
            return Ok(Some(()));
        };
        let state = now.state.as_str().to_owned();
        context
            .progress
            .waiting(format!("{cluster}: peering {name} is {state}"));
        *last_ref.lock().unwrap_or_else(PoisonError::into_inner) = state;
        Ok(None)
    };
    let timeout = context.options.active_timeout;
    let wait = tokio::time::timeout(timeout, wait::until(context.options.poll_interval, check));
    let waited = tokio::select! {
        waited = wait => waited,
        () = context.options.interrupt.triggered() => Ok(Err(Failure::Failed(format!(
            "interrupted while waiting for peering {name} on {cluster} to be deleted: the \
             delete was sent; run plan again to see its state"
        )))),
    };
    match waited {
        Ok(result) => result,
        Err(_) => Err(Failure::Failed(format!(
            "peering {name} on {cluster} is still {} {} after it was deleted",
            last.into_inner().unwrap_or_else(PoisonError::into_inner),
            shown(timeout)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn live(state: PeeringState, dialer: bool) -> LivePeering {
        LivePeering {
            name: "p".into(),
            id: "id".into(),
            state,
            meta: BTreeMap::new(),
            peer_id: None,
            peer_server_addresses: if dialer {
                vec!["127.0.0.1:8503".into()]
            } else {
                Vec::new()
            },
            remote_datacenter: None,
            imported_services: 0,
            exported_services: 0,
            last_heartbeat: None,
            modify_index: 1,
        }
    }

    #[test]
    fn absent_and_working_sides_are_kept_and_broken_ones_replaced() {
        assert_eq!(
            prepare(Role::Acceptor, None, Existing::KeepUsable),
            Prepare::Keep
        );
        let pending = live(PeeringState::Pending, false);
        assert_eq!(
            prepare(Role::Acceptor, Some(&pending), Existing::KeepUsable),
            Prepare::Keep
        );
        let failing_dialer = live(PeeringState::Failing, true);
        assert_eq!(
            prepare(Role::Dialer, Some(&failing_dialer), Existing::KeepUsable),
            Prepare::Keep
        );
        for state in [PeeringState::Terminated, PeeringState::Deleting] {
            assert_eq!(
                prepare(
                    Role::Acceptor,
                    Some(&live(state.clone(), false)),
                    Existing::KeepUsable
                ),
                Prepare::Replace
            );
            assert_eq!(
                prepare(Role::Dialer, Some(&live(state, true)), Existing::KeepUsable),
                Prepare::Replace
            );
        }
    }

    #[test]
    fn a_replacement_deletes_every_existing_side() {
        let active = live(PeeringState::Active, false);
        assert_eq!(
            prepare(Role::Acceptor, Some(&active), Existing::Delete),
            Prepare::Replace
        );
        assert_eq!(
            prepare(Role::Acceptor, None, Existing::Delete),
            Prepare::Keep
        );
    }

    #[test]
    fn a_side_in_the_wrong_role_is_replaced() {
        let dialer = live(PeeringState::Active, true);
        assert_eq!(
            prepare(Role::Acceptor, Some(&dialer), Existing::KeepUsable),
            Prepare::Replace
        );
        let acceptor = live(PeeringState::Active, false);
        assert_eq!(
            prepare(Role::Dialer, Some(&acceptor), Existing::KeepUsable),
            Prepare::Replace
        );
    }
}
