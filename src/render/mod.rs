//! Renderers of a [`Plan`]: [`text`] for terminals, [`markdown`] for pull-request comments,
//! [`json`] for programs (and saved plans). All consume the same plan and write to an
//! `impl Write`; none decides about colour or where output goes (the CLI does, from the
//! terminal and `NO_COLOR`).
//!
//! This module also holds the words shared by text and Markdown, so that both describe a
//! change alike: its headline, its notes and its symbol.

pub mod diff;
pub mod json;
pub mod markdown;
pub mod text;

#[cfg(test)]
mod tests;

use crate::plan::{Action, Change, Object, PeeringEnd, PeeringObject, Plan};

/// `service-intentions/web will be created`, `peering cluster-02 will be re-established`,
/// `service-intentions/web belongs to another workspace and will not be written`.
pub(crate) fn headline(change: &Change) -> String {
    if change.action == Action::Conflict {
        return format!(
            "{} belongs to another workspace and will not be written",
            change.object
        );
    }
    let done = change.action.past();
    let warning = if change.destructive {
        " (destructive)"
    } else {
        ""
    };
    format!("{} will be {done}{warning}", change.object)
}

/// The lines that explain a change: how a peering is made, why, which fields change, and a
/// warning for what cannot be undone.
pub(crate) fn notes(change: &Change) -> Vec<String> {
    let mut notes = Vec::new();
    if let Object::Peering(peering) = &change.object
        && matches!(
            change.action,
            Action::Establish | Action::Reestablish | Action::Replace
        )
    {
        notes.extend(how(peering));
    }
    if let Some(reason) = &change.reason {
        notes.push(format!("why: {reason}"));
    }
    if change.differences.is_empty() && !change.changed.is_empty() {
        notes.push(format!("changed: {}", change.changed.join(", ")));
    }
    notes.extend(change.differences.iter().cloned());
    if change.destructive {
        notes.push(
            "warning: this is destructive; the peers stop sharing services and imported data \
             is deleted"
                .to_owned(),
        );
    }
    notes
}

/// The plan's last line: its summary, and how many peering sides are not ACTIVE, so that "No
/// changes" never reads as "all is well" while a peering waits or is broken.
pub(crate) fn summary_line(plan: &Plan) -> String {
    match plan.not_active.len() {
        0 => plan.summary.to_string(),
        1 => format!("{} 1 peering side is not ACTIVE.", plan.summary),
        n => format!("{} {n} peering sides are not ACTIVE.", plan.summary),
    }
}

/// Peerings that are not ACTIVE though nothing is planned for them: `peering cluster-02 on
/// cluster-01 is PENDING: waiting for ...`.
pub(crate) fn peering_notes(plan: &Plan) -> Vec<String> {
    plan.not_active
        .iter()
        .map(|side| {
            format!(
                "peering {} on {} is {}: {}",
                side.peering, side.cluster, side.state, side.advice
            )
        })
        .collect()
}

/// What a reviewer must know about the plan as a whole, beyond its changes: clusters it empties
/// (refused by apply unless allowed) and objects marked without a workspace name (said once).
pub(crate) fn warnings(plan: &Plan) -> Vec<String> {
    let mut warnings: Vec<String> = plan
        .emptied
        .iter()
        .map(|emptied| {
            let what = format!(
                "this plan deletes every config entry workspace `{}` owns on {} ({}): is its \
                 folder missing or empty, or is this the wrong checkout?",
                plan.workspace, emptied.cluster, emptied.deletes
            );
            if emptied.allowed {
                format!("{what} Allowed by --allow-delete-all.")
            } else {
                format!("{what} apply refuses it unless --allow-delete-all is given.")
            }
        })
        .collect();
    if !plan.unclaimed.is_empty() {
        let objects: Vec<String> = plan
            .unclaimed
            .iter()
            .map(|u| format!("{}: {}", u.cluster, u.object))
            .collect();
        warnings.push(format!(
            "{} {} meshplan's mark without a workspace name and no file declares {}: {}. \
             meshplan never deletes these. To claim one, declare it in this workspace's files \
             (the next apply adds the workspace's name to its mark); to remove one, delete it \
             with the consul CLI.",
            plan.unclaimed.len(),
            if plan.unclaimed.len() == 1 {
                "object carries"
            } else {
                "objects carry"
            },
            if plan.unclaimed.len() == 1 {
                "it"
            } else {
                "them"
            },
            objects.join(", ")
        ));
    }
    warnings
}

/// How a peering is (re-)established: where the token is made and where it is used.
fn how(peering: &PeeringObject) -> Option<String> {
    let (acceptor, dialer) = (peering.acceptor.as_ref()?, peering.dialer.as_ref()?);
    let generate = format!("token generated on {}", named(acceptor));
    let establish = format!("established on {}", named(dialer));
    Some(match (acceptor.ours, dialer.ours) {
        (true, true) => format!("{generate}, {establish}"),
        (true, false) => match &peering.token_out {
            Some(path) => format!("{generate} and written to {path} for {}", dialer.cluster),
            None => generate,
        },
        _ => match &peering.token_file {
            Some(path) => format!("{establish} with the token in {path}"),
            None => establish,
        },
    })
}

/// `cluster-01 (peer name "cluster-02")`.
fn named(end: &PeeringEnd) -> String {
    format!("{} (peer name {:?})", end.cluster, end.peer_name)
}
