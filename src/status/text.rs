//! The status for a terminal: a table of peering sides, a table of clusters, the problems, and
//! with `--check` one last line saying whether the check passed and, if not, the first problem.
//! The tables fit 80 columns (names longer than [`NAME_WIDTH`] are cut). Colour as in `render::text`: escapes only when
//! the caller asks, and the CLI writes through `anstream`, which drops them off a terminal and
//! under `NO_COLOR`.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::time::short;
use super::{Stamp, Status};

/// The widest a cluster or peering name is shown.
pub const NAME_WIDTH: usize = 14;

/// How to render.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Whether to colour the output with ANSI escapes.
    pub color: bool,
    /// Whether to end with the `--check` verdict.
    pub check: bool,
}

/// A table cell: its text and its colour.
struct Cell(String, Style);

fn plain(text: impl Into<String>) -> Cell {
    Cell(text.into(), Style::new())
}

/// Writes `status` for a terminal.
///
/// # Errors
/// When writing to `out` fails.
pub fn render(status: &Status, out: &mut impl Write, options: Options) -> io::Result<()> {
    let mut rows = vec![
        [
            "CLUSTER",
            "PEERING",
            "STATE",
            "IMP",
            "EXP",
            "HEARTBEAT",
            "RECEIVE",
            "SEND",
        ]
        .map(plain)
        .into(),
    ];
    for peering in &status.peerings {
        for side in [&peering.acceptor, &peering.dialer] {
            if !side.ours {
                continue;
            }
            let known = |n: Option<usize>| n.map_or("-".to_owned(), |n| n.to_string());
            let state = side.state.clone().unwrap_or_else(|| "unknown".into());
            let style = state_style(&state);
            rows.push(vec![
                plain(cut(&side.cluster)),
                plain(cut(&side.peering)),
                Cell(state, style),
                plain(known(side.imported_services)),
                plain(known(side.exported_services)),
                age(side.last_heartbeat.as_ref(), side.state.is_some()),
                age(side.last_receive.as_ref(), side.state.is_some()),
                age(side.last_send.as_ref(), side.state.is_some()),
            ]);
        }
    }
    if rows.len() > 1 {
        table(out, &rows, options.color, &[3, 4])?;
    } else {
        writeln!(out, "No peerings are declared.")?;
    }
    writeln!(out)?;

    let mut rows = vec![
        ["CLUSTER", "REACHABLE", "DATACENTER", "VERSION", "CHANGES"]
            .map(plain)
            .into(),
    ];
    let mut errors = Vec::new();
    for cluster in &status.clusters {
        let changes = match (cluster.changes, cluster.conflicts) {
            (Some(0), Some(0)) => plain("0"),
            (Some(changes), Some(conflicts)) if conflicts > 0 => Cell(
                format!("{changes} +{conflicts} conflict"),
                color(AnsiColor::Red),
            ),
            (Some(changes), _) => Cell(changes.to_string(), color(AnsiColor::Yellow)),
            (None, _) => plain("unknown"),
        };
        let reachable = if cluster.reachable {
            Cell("yes".into(), color(AnsiColor::Green))
        } else {
            errors.push(format!(
                "{}: {}",
                cluster.name,
                cluster.error.clone().unwrap_or_default()
            ));
            Cell("NO".into(), color(AnsiColor::Red))
        };
        rows.push(vec![
            plain(cut(&cluster.name)),
            reachable,
            plain(cut(cluster.datacenter.as_deref().unwrap_or("-"))),
            plain(cluster.version.as_deref().unwrap_or("-")),
            changes,
        ]);
    }
    table(out, &rows, options.color, &[4])?;
    for error in &errors {
        for line in error.lines() {
            writeln!(out, "  {line}")?;
        }
    }

    if !status.problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "Problems:")?;
        for problem in &status.problems {
            writeln!(out, "  - {problem}")?;
        }
    }
    if options.check {
        writeln!(out)?;
        let line = if status.healthy() {
            paint(
                options.color,
                "check passed: all peerings ACTIVE, no drift",
                color(AnsiColor::Green),
            )
        } else {
            let problems = &status.problems;
            let more = match problems.len() {
                1 => String::new(),
                n => format!(" (and {} more above)", n - 1),
            };
            let first = problems.first().map_or("", String::as_str);
            paint(
                options.color,
                &format!("check failed: {first}{more}"),
                color(AnsiColor::Red),
            )
        };
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// An age column: how long ago, `never` when the side was read but has none, `-` otherwise.
fn age(stamp: Option<&Stamp>, read: bool) -> Cell {
    match stamp {
        Some(Stamp {
            age_seconds: Some(age),
            ..
        }) => plain(short(*age)),
        Some(Stamp { at, .. }) => plain(cut(at)),
        None if read => plain("never"),
        None => plain("-"),
    }
}

fn state_style(state: &str) -> Style {
    match state {
        "ACTIVE" => color(AnsiColor::Green),
        "PENDING" | "ESTABLISHING" => color(AnsiColor::Yellow),
        "unknown" => Style::new(),
        _ => color(AnsiColor::Red),
    }
}

/// `name` cut to [`NAME_WIDTH`] characters, with `…` when cut.
fn cut(name: &str) -> String {
    if name.chars().count() <= NAME_WIDTH {
        return name.to_owned();
    }
    let mut cut: String = name.chars().take(NAME_WIDTH - 1).collect();
    cut.push('…');
    cut
}

/// Writes `rows` as columns two spaces apart; the columns in `right` are right-aligned.
fn table(
    out: &mut impl Write,
    rows: &[Vec<Cell>],
    colored: bool,
    right: &[usize],
) -> io::Result<()> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|row| row.get(i))
                .map(|cell| cell.0.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::new();
        for (i, Cell(text, style)) in row.iter().enumerate() {
            let pad = " ".repeat(widths[i].saturating_sub(text.chars().count()));
            let text = paint(colored, text, *style);
            let last = i + 1 == row.len();
            if right.contains(&i) {
                line.push_str(&pad);
                line.push_str(&text);
            } else {
                line.push_str(&text);
                if !last {
                    line.push_str(&pad);
                }
            }
            if !last {
                line.push_str("  ");
            }
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn paint(colored: bool, text: &str, style: Style) -> String {
    if colored && style != Style::new() {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_owned()
    }
}

fn color(color: AnsiColor) -> Style {
    Style::new().fg_color(Some(color.into()))
}
