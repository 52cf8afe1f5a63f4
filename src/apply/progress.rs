//! Progress on stderr while an apply runs.
//!
//! On a terminal, one indicatif bar over all changes whose message is what is being done now
//! (and, while a peering is waited for, the states its sides report); finished changes are
//! printed above it. Elsewhere (CI logs), one plain line per finished change, e.g.
//! `cluster-01: created service-intentions/frontend-service`, and one per state a wait sees
//! change (`waiting: peering cluster-01 ⇄ cluster-02: cluster-01 reports PENDING, ...`), so that
//! a log shows what a long wait is stuck on. Off: nothing at all, for callers that render the
//! report themselves (tests, `watch`).
//!
//! Lines come from [`Outcome::line`] and the waits' state reports, neither of which ever holds a
//! token.

use std::io::{IsTerminal, Write};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::report::Outcome;

/// Where progress goes.
pub(super) enum Progress {
    Off,
    /// Holds the last waiting message printed: a wait polls, and prints only what changed.
    Lines(Mutex<String>),
    Bar(ProgressBar),
}

const TEMPLATE: &str = "{spinner} [{elapsed}] {bar:30} {pos}/{len} {wide_msg}";

impl Progress {
    /// Progress for `total` changes: off unless `enabled`; a bar when stderr is a terminal.
    pub(super) fn start(enabled: bool, total: usize) -> Self {
        if !enabled {
            return Self::Off;
        }
        if !std::io::stderr().is_terminal() {
            return Self::Lines(Mutex::default());
        }
        let style =
            ProgressStyle::with_template(TEMPLATE).unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = ProgressBar::new(total as u64).with_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        Self::Bar(bar)
    }

    /// A change starts on `cluster`.
    pub(super) fn started(&self, cluster: &str, object: &str) {
        if let Self::Bar(bar) = self {
            bar.set_message(format!("{cluster}: {object}"));
        }
    }

    /// Something is being waited for: `what` says what and what was seen last.
    pub(super) fn waiting(&self, what: String) {
        match self {
            Self::Off => {}
            Self::Lines(last) => {
                let mut last = last.lock().unwrap_or_else(PoisonError::into_inner);
                if *last != what {
                    // Best effort, as for finished changes.
                    let _ = writeln!(std::io::stderr().lock(), "waiting: {what}");
                    *last = what;
                }
            }
            Self::Bar(bar) => bar.set_message(what),
        }
    }

    /// A change ended (or was skipped).
    pub(super) fn finished(&self, outcome: &Outcome) {
        match self {
            Self::Off => {}
            Self::Lines(_) => {
                // Progress is best effort: a closed stderr must not stop an apply.
                let _ = writeln!(std::io::stderr().lock(), "{}", outcome.line());
            }
            Self::Bar(bar) => {
                bar.println(outcome.line());
                bar.inc(1);
            }
        }
    }

    /// The apply ended: the bar goes away (the report follows).
    pub(super) fn finish(&self) {
        if let Self::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
