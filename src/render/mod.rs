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

use crate::plan::{Action, Change, Object, PeeringEnd, PeeringObject};

/// The symbol in front of a change, Terraform-like: `+` create and establish, `~` update, `-`
/// delete, `<=` adopt (taken over as it is), `-/+` re-establish (replaced).
pub(crate) fn symbol(action: Action) -> &'static str {
    match action {
        Action::Create | Action::Establish => "+",
        Action::Update => "~",
        Action::Delete => "-",
        Action::Adopt => "<=",
        Action::Reestablish => "-/+",
    }
}

/// `service-intentions/web will be created`, `peering cluster-02 will be re-established`.
pub(crate) fn headline(change: &Change) -> String {
    let done = match change.action {
        Action::Create => "created",
        Action::Update => "updated",
        Action::Delete => "deleted",
        Action::Adopt => "adopted",
        Action::Establish => "established",
        Action::Reestablish => "re-established",
    };
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
        && matches!(change.action, Action::Establish | Action::Reestablish)
    {
        notes.extend(how(peering));
    }
    if let Some(reason) = &change.reason {
        notes.push(format!("why: {reason}"));
    }
    if !change.changed.is_empty() {
        notes.push(format!("changed: {}", change.changed.join(", ")));
    }
    if change.destructive {
        notes.push(
            "warning: this is destructive; the peers stop sharing services and imported data \
             is deleted"
                .to_owned(),
        );
    }
    notes
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
