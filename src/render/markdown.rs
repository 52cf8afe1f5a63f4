//! The plan as GitHub-flavoured Markdown, for a pull-request comment, in the order a reviewer
//! needs it:
//! 1. a summary table per cluster and the summary line, with notes and warnings;
//! 2. every change that destroys something or cannot be applied (peering deletes and
//!    replacements, entry deletes, conflicts), in full, never collapsed: what a reviewer must
//!    not miss;
//! 3. every other change, each in a collapsed `<details>` block with its notes and a
//!    ```` ```diff ```` of the entry.
//!
//! GitHub refuses comments over 65,536 characters, so the output stays under [`LIMIT`]. What
//! gives way, in order: the details of the other changes (counted, with how to see them), then
//! the diffs of the destructive ones. Each destructive change keeps its line; only a plan with
//! more destructive changes than even one line each can hold loses some, and the comment says
//! how many, in bold, at the top of that section.

use std::io::{self, Write};

use super::diff;
use super::{headline, notes, peering_notes, summary_line, warnings};
use crate::plan::{Action, Change, Plan, Summary};

/// The most characters (bytes, which is stricter) a rendering may have.
pub const LIMIT: usize = 60_000;

/// Room kept for the closing notes.
const NOTE_ROOM: usize = 600;

/// Writes `plan` as Markdown.
///
/// # Errors
/// When writing to `out` fails.
pub fn render(plan: &Plan, out: &mut impl Write) -> io::Result<()> {
    let (destructive, other): (Vec<&Change>, Vec<&Change>) =
        plan.changes.iter().partition(|change| must_see(change));
    let mut text = head(plan);
    if !destructive.is_empty() {
        text.push_str(&destructive_section(
            &destructive,
            LIMIT - NOTE_ROOM - text.len(),
        ));
    }
    if !other.is_empty() {
        text.push_str(&other_section(plan, &other, LIMIT - NOTE_ROOM - text.len()));
    }
    out.write_all(text.as_bytes())
}

/// Whether a reviewer must see the change in full: it destroys something, deletes an entry, or
/// cannot be applied.
fn must_see(change: &Change) -> bool {
    change.destructive || matches!(change.action, Action::Delete | Action::Conflict)
}

/// The destructive changes: each one's line and notes, then its diff while there is `room`.
fn destructive_section(changes: &[&Change], room: usize) -> String {
    let lines: Vec<String> = changes.iter().map(|change| summary_item(change)).collect();
    let mut text = format!(
        "\n#### :warning: Destructive changes and conflicts ({})\n\n",
        changes.len()
    );
    let needed: usize = lines.iter().map(String::len).sum();
    if text.len() + needed > room {
        let fit = fitting(&lines, room.saturating_sub(text.len() + 200));
        text.push_str(&format!(
            "> **{} of {} destructive changes are not listed**: the comment cannot hold them. \
             Run `meshplan show` on the saved plan, or `meshplan plan`, to see them all.\n\n",
            changes.len() - fit,
            changes.len()
        ));
        lines[..fit].iter().for_each(|line| text.push_str(line));
        return text;
    }
    let mut room = room - text.len() - needed;
    for (change, line) in changes.iter().zip(&lines) {
        text.push_str(line);
        let diff = diff_block(change, "  ");
        if !diff.is_empty() && diff.len() < room {
            room -= diff.len() + 1;
            text.push('\n');
            text.push_str(&diff);
        }
    }
    text
}

/// How many of `lines`, from the first, fit in `room`.
fn fitting(lines: &[String], room: usize) -> usize {
    let mut used = 0;
    lines
        .iter()
        .take_while(|line| {
            used += line.len();
            used <= room
        })
        .count()
}

/// `- `-` **cluster-01**: peering cluster-02 will be deleted (destructive)` and its notes.
fn summary_item(change: &Change) -> String {
    let mut item = format!(
        "- <code>{}</code> **{}**: {}\n",
        escape(change.action.symbol()),
        escape(&change.cluster),
        escape(&headline(change))
    );
    for note in notes(change) {
        item.push_str(&format!("  - {}\n", escape_markdown(&escape(&note))));
    }
    item
}

/// The other changes, cluster by cluster, each collapsed; the details that do not fit in `room`
/// are counted instead.
fn other_section(plan: &Plan, changes: &[&Change], room: usize) -> String {
    let mut text = format!("\n#### Other changes ({})\n", changes.len());
    let mut left_out = 0;
    for cluster in &plan.clusters {
        let mut heading = Some(format!("\n##### `{cluster}`\n"));
        for change in changes.iter().filter(|change| &change.cluster == cluster) {
            let mut block = heading.clone().unwrap_or_default();
            block.push_str(&change_block(change));
            if text.len() + block.len() > room {
                left_out += 1;
                continue;
            }
            heading = None;
            text.push_str(&block);
        }
    }
    if left_out > 0 {
        text.push_str(&format!(
            "\n> **{left_out} of {} other changes are not shown in detail** to keep this comment \
             under GitHub's size limit. Run `meshplan show` on the saved plan, or `meshplan \
             plan`, to see the whole plan.\n",
            changes.len()
        ));
    }
    text
}

/// The title, the table per cluster and the summary line.
fn head(plan: &Plan) -> String {
    let mut text = String::from("### meshplan plan\n\n");
    text.push_str("| Cluster | Create | Update | Delete | Adopt | Peerings |\n");
    text.push_str("|:--|--:|--:|--:|--:|:--|\n");
    for cluster in &plan.clusters {
        let counts = Summary::of(plan.changes_on(cluster));
        text.push_str(&format!(
            "| `{cluster}` | {} | {} | {} | {} | {} |\n",
            counts.create,
            counts.update,
            counts.delete,
            counts.adopt,
            peerings(&counts)
        ));
    }
    text.push_str(&format!("\n**{}**\n", summary_line(plan)));
    for note in peering_notes(plan) {
        text.push_str(&format!(
            "\n> [!NOTE]\n> {}\n",
            escape_markdown(&escape(&note))
        ));
    }
    for warning in warnings(plan) {
        text.push_str(&format!(
            "\n> [!WARNING]\n> {}\n",
            escape_markdown(&escape(&warning))
        ));
    }
    text
}

/// `1 to establish, 1 to re-establish`, or `-`.
fn peerings(counts: &Summary) -> String {
    let mut parts = Vec::new();
    if counts.establish > 0 {
        parts.push(format!("{} to establish", counts.establish));
    }
    if counts.reestablish > 0 {
        parts.push(format!("{} to re-establish", counts.reestablish));
    }
    if counts.replace > 0 {
        parts.push(format!("{} to replace", counts.replace));
    }
    if parts.is_empty() {
        "-".to_owned()
    } else {
        parts.join(", ")
    }
}

/// One change, collapsed: its headline as the summary, its notes and diff inside.
fn change_block(change: &Change) -> String {
    let mut block = format!(
        "\n<details><summary><code>{}</code> {}</summary>\n\n",
        escape(change.action.symbol()),
        escape(&headline(change))
    );
    let notes = notes(change);
    for note in &notes {
        block.push_str(&format!("- {}\n", escape_markdown(&escape(note))));
    }
    let diff = diff_block(change, "");
    if !diff.is_empty() {
        block.push('\n');
        block.push_str(&diff);
    }
    block.push_str("\n</details>\n");
    block
}

/// The change's diff as a fenced ```` ```diff ```` block, each line after `indent`; empty when
/// it has none.
fn diff_block(change: &Change, indent: &str) -> String {
    let lines: Vec<String> = diff::lines(change)
        .iter()
        .map(diff::Line::unified)
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    let body = lines.join("\n");
    let fence = fence(&body);
    let mut block = format!("{indent}{fence}diff\n");
    for line in body.lines() {
        block.push_str(&format!("{indent}{line}\n"));
    }
    block.push_str(&format!("{indent}{fence}\n"));
    block
}

/// A code fence longer than any run of backticks in `body`, so that it cannot end early.
fn fence(body: &str) -> String {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// Text for HTML and Markdown contexts: `<`, `>` and `&` escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Text for a Markdown paragraph: emphasis and code characters escaped (`Sources[*]`, `*`).
fn escape_markdown(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '_' | '`' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
