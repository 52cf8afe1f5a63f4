//! What an apply did: one [`Outcome`] per change it was asked to write, and the text that tells
//! the user (sections for written, conflicted, failed and skipped changes, then a summary in the
//! words plans use).
//!
//! Texts come from the Consul client's errors, which name the cluster, the request and Consul's
//! message and never hold a token; nothing here adds one.

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};
use serde::Serialize;

use super::{Done, Failure, StopReason, UNKNOWN};
use crate::plan::{Action, Change};

/// The result of an apply, in plan order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    pub outcomes: Vec<Outcome>,
    /// Why the apply was stopped early, when it was: the summary says so even when nothing
    /// was left to skip (a signal during the wait for a peering, the last change under way).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<StopReason>,
}

/// What happened to one change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The change's index in `Plan::changes`.
    pub change: usize,
    /// The cluster the change was made on (for a peering: the acceptor's, when it is ours).
    pub cluster: String,
    /// `service-intentions/web`, `peering cluster-02`.
    pub object: String,
    pub action: Action,
    pub status: Status,
}

/// Whether a change was written, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// Done; `note` adds what the user should know (where a token was written). `unchanged`:
    /// Consul already held what the files say, so the write changed nothing.
    Written {
        note: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        unchanged: bool,
    },
    /// Someone else changed the object since the plan: nothing was written to it.
    Conflicted { why: String },
    /// The change failed; the error says what is known about what was written.
    Failed { error: String },
    /// Not attempted: a change it depends on was not written, the apply was interrupted or ran
    /// out of time, or the cluster had stopped answering.
    Skipped { because: String },
}

/// How many changes ended how, and how many were written per action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub written: usize,
    pub conflicted: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Written changes that changed nothing (counted in `written`, not per action).
    pub unchanged: usize,
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub adopted: usize,
    pub established: usize,
    pub reestablished: usize,
}

/// The reason given to changes that never started because the apply was interrupted.
pub(super) const INTERRUPTED: &str = "interrupted";

/// The reason given to changes that never started because the time limit ran out.
pub(super) const TIMED_OUT: &str = "the time limit (--timeout) ran out";

impl Outcome {
    pub(super) fn new(index: usize, change: &Change, status: Status) -> Self {
        Self {
            change: index,
            cluster: change.cluster.clone(),
            object: change.object.to_string(),
            action: change.action,
            status,
        }
    }

    /// One line: `cluster-01: created service-intentions/web`, or what went wrong (the first
    /// line of an error or reason only).
    pub fn line(&self) -> String {
        let (cluster, object, done) = (&self.cluster, &self.object, self.action.past());
        match &self.status {
            Status::Written {
                unchanged: true,
                note,
            } => {
                let why = note.as_deref().unwrap_or("Consul already held it");
                format!("{cluster}: {object} unchanged ({why})")
            }
            Status::Written { note: None, .. } => format!("{cluster}: {done} {object}"),
            Status::Written {
                note: Some(note), ..
            } => format!("{cluster}: {done} {object} ({note})"),
            Status::Conflicted { why } => {
                format!("{cluster}: {object} not {done}: conflict: {why}")
            }
            Status::Failed { error } => {
                let first = error.lines().next().unwrap_or_default();
                format!("{cluster}: {object} not {done}: {first}")
            }
            Status::Skipped { because } => {
                let first = because.lines().next().unwrap_or_default();
                format!("{cluster}: {object} not {done}: skipped: {first}")
            }
        }
    }
}

impl Status {
    pub(super) fn skipped(because: String) -> Self {
        Self::Skipped { because }
    }

    /// The status of a change that ran: written (with its note) or why not.
    pub(super) fn of(result: Result<Done, Failure>) -> Self {
        match result {
            Ok(Done::Written(note)) => Self::Written {
                note,
                unchanged: false,
            },
            Ok(Done::Unchanged(why)) => Self::Written {
                note: Some(why),
                unchanged: true,
            },
            Err(Failure::Conflict(why)) => Self::Conflicted { why },
            Err(Failure::Failed(error)) => Self::Failed { error },
            Err(Failure::NotAttempted(because)) => Self::Skipped { because },
        }
    }

    /// A change still waiting for Consul's answer when the apply stopped at once.
    pub(super) fn abandoned(reason: StopReason) -> Self {
        let why = match reason {
            StopReason::Signal => "stopped at once (interrupted)",
            StopReason::Deadline => "stopped when the time limit (--timeout) ran out",
        };
        Self::Failed {
            error: format!("{why} while waiting for Consul's answer: {UNKNOWN}"),
        }
    }

    /// A change whose task panicked: a bug, and what it wrote is unknown.
    pub(super) fn panicked(error: &tokio::task::JoinError) -> Self {
        Self::Failed {
            error: format!(
                "meshplan bug: {error}; it may or may not have been written; run plan again"
            ),
        }
    }
}

impl ApplyReport {
    /// Whether every change was written.
    pub fn is_success(&self) -> bool {
        self.outcomes
            .iter()
            .all(|outcome| matches!(outcome.status, Status::Written { .. }))
    }

    /// Whether the apply stopped because it was interrupted.
    pub fn was_interrupted(&self) -> bool {
        self.stopped == Some(StopReason::Signal)
    }

    /// Whether the apply stopped because its time limit ran out.
    pub fn timed_out(&self) -> bool {
        self.stopped == Some(StopReason::Deadline)
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for outcome in &self.outcomes {
            let count = match (&outcome.status, outcome.action) {
                (Status::Conflicted { .. }, _) => &mut counts.conflicted,
                (Status::Failed { .. }, _) => &mut counts.failed,
                (Status::Skipped { .. }, _) => &mut counts.skipped,
                (
                    Status::Written {
                        unchanged: true, ..
                    },
                    _,
                ) => {
                    counts.written += 1;
                    &mut counts.unchanged
                }
                (Status::Written { .. }, action) => {
                    counts.written += 1;
                    match action {
                        Action::Create => &mut counts.created,
                        Action::Update => &mut counts.updated,
                        Action::Delete => &mut counts.deleted,
                        Action::Adopt => &mut counts.adopted,
                        Action::Establish => &mut counts.established,
                        Action::Reestablish | Action::Replace => &mut counts.reestablished,
                        Action::TakeOver => &mut counts.adopted,
                        // Never executed: a plan with a conflict is refused whole.
                        Action::Conflict => &mut counts.skipped,
                    }
                }
            };
            *count += 1;
        }
        counts
    }

    /// The last line: `Apply complete: 2 created, 1 updated, 0 deleted, 1 peering
    /// established.` or `Apply failed: 3 written, 1 conflicted, 0 failed, 3 skipped.`
    pub fn summary(&self) -> String {
        let counts = self.counts();
        if !self.is_success() {
            let how = if self.was_interrupted() {
                "interrupted"
            } else if self.timed_out() {
                "stopped (time limit)"
            } else {
                "failed"
            };
            return format!(
                "Apply {how}: {} written{}, {} conflicted, {} failed, {} skipped.",
                counts.written,
                unchanged(&counts),
                counts.conflicted,
                counts.failed,
                counts.skipped
            );
        }
        complete(&counts)
    }

    /// Writes the report: what was written, what conflicted, what failed, what was skipped,
    /// then the summary. Colour (ANSI escapes) only when `color`.
    ///
    /// # Errors
    /// When writing to `out` fails.
    pub fn render(&self, out: &mut impl Write, color: bool) -> io::Result<()> {
        let paint = Paint(color);
        for (section, (title, marker, hue)) in SECTIONS.iter().enumerate() {
            let mut outcomes = self
                .outcomes
                .iter()
                .filter(|outcome| outcome.status.section() == section)
                .peekable();
            if outcomes.peek().is_none() {
                continue;
            }
            writeln!(out, "{}", paint.style(title, bold()))?;
            for outcome in outcomes {
                let symbol = marker.unwrap_or_else(|| outcome.action.symbol());
                render_outcome(outcome, symbol, *hue, paint, out)?;
            }
            writeln!(out)?;
        }
        writeln!(out, "{}", paint.style(&self.summary(), bold()))?;
        if !self.is_success() {
            writeln!(
                out,
                "hint: run `meshplan plan` again to see what is left to do"
            )?;
        }
        Ok(())
    }
}

/// The report's sections, in order: title, marker and colour. Written changes carry the plan's
/// marker of their action (`+`, `~`, `-`, ...), so the report reads like the plan.
const SECTIONS: [(&str, Option<&str>, AnsiColor); 5] = [
    ("Written:", None, AnsiColor::Green),
    (
        "Unchanged (Consul already held what the files say):",
        Some("="),
        AnsiColor::Green,
    ),
    (
        "Conflicted (changed by someone else since the plan; nothing was written to them):",
        Some("!"),
        AnsiColor::Yellow,
    ),
    ("Failed:", Some("x"), AnsiColor::Red),
    ("Skipped (not attempted):", Some("?"), AnsiColor::Magenta),
];

impl Status {
    /// The index of the status's section in [`SECTIONS`].
    fn section(&self) -> usize {
        match self {
            Self::Written {
                unchanged: false, ..
            } => 0,
            Self::Written {
                unchanged: true, ..
            } => 1,
            Self::Conflicted { .. } => 2,
            Self::Failed { .. } => 3,
            Self::Skipped { .. } => 4,
        }
    }
}

/// One outcome: its line, then the rest of a multi-line error or reason, indented.
fn render_outcome(
    outcome: &Outcome,
    symbol: &str,
    hue: AnsiColor,
    paint: Paint,
    out: &mut impl Write,
) -> io::Result<()> {
    let style = Style::new().fg_color(Some(hue.into()));
    writeln!(out, "  {} {}", paint.style(symbol, style), outcome.line())?;
    let more = match &outcome.status {
        Status::Failed { error: text } | Status::Skipped { because: text } => text,
        Status::Written { .. } | Status::Conflicted { .. } => return Ok(()),
    };
    for line in more.lines().skip(1) {
        writeln!(out, "      {line}")?;
    }
    Ok(())
}

/// `Apply complete: 2 created, 1 updated, 0 deleted, 1 peering established.`: the plan's
/// summary in the past tense; adopts and peerings only when there are some.
fn complete(counts: &Counts) -> String {
    let mut line = format!(
        "Apply complete: {} created, {} updated, {} deleted",
        counts.created, counts.updated, counts.deleted
    );
    if counts.adopted > 0 {
        line.push_str(&format!(", {} adopted", counts.adopted));
    }
    if counts.established > 0 {
        line.push_str(&format!(", {} established", peerings(counts.established)));
    }
    if counts.reestablished > 0 {
        line.push_str(&format!(
            ", {} re-established",
            peerings(counts.reestablished)
        ));
    }
    if counts.unchanged > 0 {
        line.push_str(&format!(
            ", {} unchanged (already as the files say)",
            counts.unchanged
        ));
    }
    line.push('.');
    line
}

/// ` (2 of them unchanged)`, when some writes changed nothing.
fn unchanged(counts: &Counts) -> String {
    match counts.unchanged {
        0 => String::new(),
        n => format!(" ({n} of them unchanged)"),
    }
}

fn peerings(n: usize) -> String {
    match n {
        1 => "1 peering".to_owned(),
        n => format!("{n} peerings"),
    }
}

fn bold() -> Style {
    Style::new().effects(Effects::BOLD)
}

/// Applies styles, or does nothing when colour is off.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn style(self, text: &str, style: Style) -> String {
        if self.0 {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(action: Action, object: &str, status: Status) -> Outcome {
        Outcome {
            change: 0,
            cluster: "cluster-01".into(),
            object: object.into(),
            action,
            status,
        }
    }

    fn written() -> Status {
        Status::Written {
            note: None,
            unchanged: false,
        }
    }

    #[test]
    fn a_write_that_changed_nothing_is_reported_unchanged_not_written() {
        let unchanged = Status::of(Ok(Done::Unchanged("Consul already held it".into())));
        let report = ApplyReport {
            outcomes: vec![
                outcome(Action::Create, "service-defaults/a", written()),
                outcome(Action::Update, "service-defaults/b", unchanged),
            ],
            stopped: None,
        };
        let counts = report.counts();
        assert_eq!(
            (counts.created, counts.updated, counts.unchanged),
            (1, 0, 1)
        );
        let text = rendered(&report);
        assert!(
            text.contains("  = cluster-01: service-defaults/b unchanged (Consul already held it)"),
            "{text}"
        );
        assert!(
            text.contains("Apply complete: 1 created, 0 updated, 0 deleted, 1 unchanged"),
            "{text}"
        );
    }

    fn rendered(report: &ApplyReport) -> String {
        let mut out = Vec::new();
        report.render(&mut out, false).expect("render to memory");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn a_complete_apply_ends_with_the_plan_words_in_the_past_tense() {
        let report = ApplyReport {
            outcomes: vec![
                outcome(Action::Establish, "peering cluster-02", written()),
                outcome(Action::Create, "exported-services/default", written()),
                outcome(Action::Create, "service-intentions/web", written()),
                outcome(Action::Update, "service-defaults/web", written()),
                outcome(Action::Delete, "service-defaults/old", written()),
            ],
            stopped: None,
        };
        assert!(report.is_success());
        assert_eq!(
            report.summary(),
            "Apply complete: 2 created, 1 updated, 1 deleted, 1 peering established."
        );
        let text = rendered(&report);
        for line in [
            "  + cluster-01: created service-intentions/web\n",
            "  ~ cluster-01: updated service-defaults/web\n",
            "  - cluster-01: deleted service-defaults/old\n",
        ] {
            assert!(text.contains(line), "{line:?} in {text}");
        }
    }

    #[test]
    fn a_failed_apply_lists_each_kind_of_outcome_and_counts_them() {
        let report = ApplyReport {
            outcomes: vec![
                outcome(Action::Create, "exported-services/default", written()),
                outcome(
                    Action::Update,
                    "service-intentions/web",
                    Status::Conflicted {
                        why: "ModifyIndex 12 → 15".into(),
                    },
                ),
                outcome(
                    Action::Create,
                    "service-intentions/api",
                    Status::Failed {
                        error: "cluster \"cluster-01\": HTTP 403: denied\nhint: needs x".into(),
                    },
                ),
                outcome(
                    Action::Create,
                    "service-intentions/db",
                    Status::Skipped {
                        because: "it depends on service-defaults/db on cluster-01, which failed"
                            .into(),
                    },
                ),
            ],
            stopped: None,
        };
        let text = rendered(&report);
        for expected in [
            "Written:\n  + cluster-01: created exported-services/default\n",
            "  ! cluster-01: service-intentions/web not updated: conflict: ModifyIndex 12 → 15\n",
            "Failed:\n  x cluster-01: service-intentions/api not created: cluster \"cluster-01\": HTTP 403: denied\n      hint: needs x\n",
            "  ? cluster-01: service-intentions/db not created: skipped: it depends on",
            "Apply failed: 1 written, 1 conflicted, 1 failed, 1 skipped.\n",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
    }

    #[test]
    fn a_reason_over_several_lines_is_indented_under_its_change() {
        let because = "not sent: the agent stopped answering; the last failure:\nPUT timed out";
        let report = ApplyReport {
            outcomes: vec![outcome(
                Action::Create,
                "service-defaults/web",
                Status::Skipped {
                    because: because.into(),
                },
            )],
            stopped: None,
        };
        assert_eq!(
            report.outcomes[0].line(),
            "cluster-01: service-defaults/web not created: skipped: not sent: the agent stopped \
             answering; the last failure:"
        );
        let text = rendered(&report);
        assert!(
            text.contains("the last failure:\n      PUT timed out\n"),
            "{text}"
        );
    }

    #[test]
    fn an_interrupted_apply_says_so() {
        let report = ApplyReport {
            stopped: Some(StopReason::Signal),
            outcomes: vec![outcome(
                Action::Create,
                "mesh/mesh",
                Status::Skipped {
                    because: INTERRUPTED.into(),
                },
            )],
        };
        assert_eq!(
            report.summary(),
            "Apply interrupted: 0 written, 0 conflicted, 0 failed, 1 skipped."
        );
        // Stopped while waiting for a peering: nothing was left to skip, still interrupted.
        let waiting = ApplyReport {
            stopped: Some(StopReason::Signal),
            outcomes: vec![outcome(
                Action::Establish,
                "peering cluster-02",
                Status::Failed {
                    error: "interrupted while waiting for peering cluster-01 ⇄ cluster-02".into(),
                },
            )],
        };
        assert_eq!(
            waiting.summary(),
            "Apply interrupted: 0 written, 0 conflicted, 1 failed, 0 skipped."
        );
    }

    #[test]
    fn colour_is_only_added_when_asked_for() {
        let report = ApplyReport::default();
        let mut out = Vec::new();
        report.render(&mut out, true).expect("render");
        assert!(String::from_utf8_lossy(&out).contains("\u{1b}["));
        assert_eq!(
            rendered(&report),
            "Apply complete: 0 created, 0 updated, 0 deleted.\n"
        );
    }
}
