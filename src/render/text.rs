//! The plan for a terminal, Terraform-like: changes grouped by cluster, each with a symbol
//! (`+` create, `~` update, `-` delete, `<=` adopt, `-/+` re-establish), its notes and a unified
//! diff of the entry, then the summary line.
//!
//! Colour (anstyle escapes) only when the caller asks for it: whether the output is a terminal
//! and whether `NO_COLOR` is set is the CLI's decision, not the renderer's.

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};

use super::diff::{self, LineKind};
use super::{headline, notes, peering_notes, summary_line, warnings};
use crate::plan::{Action, Change, Plan};

/// How to render.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Whether to colour the output with ANSI escapes.
    pub color: bool,
}

/// Writes `plan` for a terminal.
///
/// # Errors
/// When writing to `out` fails.
pub fn render(plan: &Plan, out: &mut impl Write, options: Options) -> io::Result<()> {
    let paint = Paint(options.color);
    if !plan.changes.is_empty() {
        writeln!(out, "meshplan will perform the following actions:")?;
    }
    for cluster in &plan.clusters {
        let mut changes = plan.changes_on(cluster).peekable();
        if changes.peek().is_none() {
            continue;
        }
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            paint.style(&format!("cluster {cluster:?}"), bold())
        )?;
        for change in changes {
            change_block(change, out, paint)?;
        }
    }
    if !plan.changes.is_empty() {
        writeln!(out)?;
    }
    for note in peering_notes(plan) {
        writeln!(out, "{} {note}\n", paint.style("note:", bold()))?;
    }
    for warning in warnings(plan) {
        let label = paint.style("warning:", color(AnsiColor::Yellow).bold());
        writeln!(out, "{label} {warning}\n")?;
    }
    writeln!(out, "{}", paint.style(&summary_line(plan), bold()))
}

/// One change: symbol and headline, notes, diff.
fn change_block(change: &Change, out: &mut impl Write, paint: Paint) -> io::Result<()> {
    let style = action_style(change);
    let symbol = format!("{:>3}", change.action.symbol());
    writeln!(
        out,
        "  {} {}",
        paint.style(&symbol, style),
        paint.style(&headline(change), bold())
    )?;
    for note in notes(change) {
        let style = if note.starts_with("warning:") {
            action_style(change)
        } else {
            Style::new()
        };
        writeln!(out, "        {}", paint.style(&note, style))?;
    }
    for line in diff::lines(change) {
        let style = match line.kind {
            LineKind::Header => bold(),
            LineKind::Hunk => color(AnsiColor::Cyan),
            LineKind::Context => Style::new(),
            LineKind::Removed => color(AnsiColor::Red),
            LineKind::Added => color(AnsiColor::Green),
        };
        writeln!(out, "        {}", paint.style(&line.unified(), style))?;
    }
    Ok(())
}

fn action_style(change: &Change) -> Style {
    let style = match change.action {
        Action::Create | Action::Establish => color(AnsiColor::Green),
        Action::Update => color(AnsiColor::Yellow),
        Action::Delete => color(AnsiColor::Red),
        Action::Adopt | Action::TakeOver => color(AnsiColor::Cyan),
        Action::Reestablish | Action::Replace => color(AnsiColor::Magenta),
        Action::Conflict => color(AnsiColor::Red).bold(),
    };
    if change.destructive {
        style.effects(Effects::BOLD)
    } else {
        style
    }
}

fn color(color: AnsiColor) -> Style {
    Style::new().fg_color(Some(color.into()))
}

fn bold() -> Style {
    Style::new().effects(Effects::BOLD)
}

/// Applies styles, or does nothing when colour is off.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn style(self, text: &str, style: Style) -> String {
        if self.0 && style != Style::new() {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    }
}
