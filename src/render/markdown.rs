//! The plan as GitHub-flavoured Markdown, for a pull-request comment: a summary table per
//! cluster, the summary line, then one collapsed `<details>` block per change with its notes
//! and a ```` ```diff ```` of the entry.
//!
//! GitHub refuses comments over 65,536 characters, so the output stays under [`LIMIT`]: it is
//! cut at a change boundary, with a note saying how many changes were left out and to run
//! `meshplan plan` locally.

use std::io::{self, Write};

use super::diff;
use super::{headline, notes, peering_notes, summary_line, warnings};
use crate::plan::{Change, Plan, Summary};

/// The most characters (bytes, which is stricter) a rendering may have.
pub const LIMIT: usize = 60_000;

/// Room kept for the truncation note.
const NOTE_ROOM: usize = 400;

/// Writes `plan` as Markdown.
///
/// # Errors
/// When writing to `out` fails.
pub fn render(plan: &Plan, out: &mut impl Write) -> io::Result<()> {
    let mut text = head(plan);
    let blocks = blocks(plan);
    let total = blocks.len();
    let mut shown = 0;
    for block in &blocks {
        if text.len() + block.len() + NOTE_ROOM > LIMIT {
            break;
        }
        text.push_str(block);
        shown += 1;
    }
    if shown < total {
        text.push_str(&format!(
            "\n> **{} of {total} changes are not shown** to keep this comment under GitHub's \
             size limit. Run `meshplan plan` locally to see the whole plan.\n",
            total - shown
        ));
    }
    out.write_all(text.as_bytes())
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

/// One block per change, in plan order; the first of each cluster carries its heading.
fn blocks(plan: &Plan) -> Vec<String> {
    let mut blocks = Vec::new();
    for cluster in &plan.clusters {
        let mut heading = Some(format!("\n#### `{cluster}`\n"));
        for change in plan.changes_on(cluster) {
            let mut block = heading.take().unwrap_or_default();
            block.push_str(&change_block(change));
            blocks.push(block);
        }
    }
    blocks
}

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
    let lines: Vec<String> = diff::lines(change)
        .iter()
        .map(diff::Line::unified)
        .collect();
    if !lines.is_empty() {
        if !notes.is_empty() {
            block.push('\n');
        }
        let body = lines.join("\n");
        let fence = fence(&body);
        block.push_str(&format!("{fence}diff\n{body}\n{fence}\n"));
    }
    block.push_str("\n</details>\n");
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
