//! Heredocs of Consul's HCL1 dialect, byte for byte as HCL1 reads them.
//!
//! Where a heredoc ends is `scanHeredoc` in `hcl/scanner/scanner.go`; what it holds is
//! `unindentHeredoc` in `hcl/token/token.go`. Both have surprises that Consul keeps, so they
//! are reproduced rather than tidied:
//!
//! - `<<EOF` ends at the first later line holding only `EOF`, optionally indented, and that
//!   line must end with a newline (a closing `EOF` at the very end of the file is not seen).
//! - `<<EOF` keeps everything before the closing line's `EOF`, so an indented closing marker
//!   leaves its indentation at the end of the value: `<<EOF\nhi\n  EOF\n` is `"hi\n  "`.
//! - `<<-EOF` needs its closing line to be at least one byte longer than `EOF` itself (HCL1
//!   compares lengths with the `-` counted), so an unindented closing `EOF` does not end it.
//!   When every line starts with the closing line's indentation, that indentation is removed
//!   from each line; otherwise the text is kept as written, minus the closing indentation.
//! - No escapes and no `${ … }` processing: the text is taken as it is.

use std::ops::Range;

use super::super::SyntaxError;
use super::lex::{is_digit, is_letter};

/// The heredoc starting with the `<` at `start`: its value and the offset after the newline
/// that ends its closing line.
///
/// # Errors
/// A `<` that does not start `<<`, a bad or empty anchor, a heredoc that is never closed, or a
/// closing line that does not fit the opening one.
pub(super) fn heredoc(text: &str, start: usize) -> Result<(String, usize), SyntaxError> {
    let bytes = text.as_bytes();
    if bytes.get(start + 1) != Some(&b'<') {
        let message = "expected `<<` to start a heredoc";
        return Err(SyntaxError::new(start..start + 1, message));
    }
    let anchor_start = start + 2;
    let indented = bytes.get(anchor_start) == Some(&b'-');
    let name_start = anchor_start + usize::from(indented);
    let rest = text.get(name_start..).unwrap_or_default();
    let name_len = rest
        .char_indices()
        .find(|(_, c)| !(is_letter(*c) || is_digit(*c)))
        .map_or(rest.len(), |(at, _)| at);
    let name_end = name_start + name_len;
    let newline = match (bytes.get(name_end), bytes.get(name_end + 1)) {
        (Some(b'\n'), _) => name_end,
        (Some(b'\r'), Some(b'\n')) => name_end + 1,
        _ => return Err(bad_anchor(text, start, name_end)),
    };
    if name_len == 0 {
        let message = "a heredoc needs a name after `<<`, such as `<<EOF`";
        return Err(SyntaxError::new(start..newline, message));
    }
    // The anchor as HCL1 keeps it: with the `-` and a carriage return before the newline.
    let anchor = &text[anchor_start..newline];
    let marker = &text[name_start..newline];
    let end = closing_line_end(text, newline + 1, anchor.len(), marker)
        .ok_or_else(|| not_closed(start..newline, &text[name_start..name_end], indented))?;
    let token = &text[start..end];
    let value = match indented {
        false => plain_value(token),
        true => indented_value(token),
    };
    value
        .map(|value| (value, end))
        .ok_or_else(|| mismatched_ends(start..end))
}

fn bad_anchor(text: &str, start: usize, at: usize) -> SyntaxError {
    let end = text
        .get(at..)
        .and_then(|rest| rest.chars().next())
        .map_or(at, |c| at + c.len_utf8());
    match at >= text.len() {
        true => SyntaxError::new(start..at, "this heredoc is not closed"),
        false => SyntaxError::new(at..end, "invalid character in heredoc anchor")
            .with_help("the line must end right after the name, as in `<<EOF`"),
    }
}

fn not_closed(opening: Range<usize>, name: &str, indented: bool) -> SyntaxError {
    let mut help = format!("end it with a line holding only `{name}`, followed by a newline");
    if indented {
        help.push_str(&format!(
            "; after `<<-`, HCL1 only sees the closing `{name}` when it is indented"
        ));
    }
    SyntaxError::new(opening, "this heredoc is not closed").with_help(help)
}

fn mismatched_ends(span: Range<usize>) -> SyntaxError {
    SyntaxError::new(
        span,
        "this heredoc's opening and closing lines end differently",
    )
    .with_help("use the same line endings (both `\\n` or both `\\r\\n`) on both lines")
}

/// The offset after the newline of the first line from `from` on that closes the heredoc: at
/// least `min_len` bytes long, whitespace, then `marker`, then only carriage returns.
fn closing_line_end(text: &str, from: usize, min_len: usize, marker: &str) -> Option<usize> {
    let mut line_start = from;
    loop {
        let line_len = text.get(line_start..)?.find('\n')?;
        let line = &text[line_start..line_start + line_len];
        if line.len() >= min_len && closes(line, marker) {
            return Some(line_start + line_len + 1);
        }
        line_start += line_len + 1;
    }
}

/// Go's `^[[:space:]]*MARKER\r*\z`.
fn closes(line: &str, marker: &str) -> bool {
    let trimmed = line.trim_start_matches([' ', '\t', '\n', '\u{b}', '\u{c}', '\r']);
    trimmed
        .strip_prefix(marker)
        .is_some_and(|rest| rest.bytes().all(|b| b == b'\r'))
}

/// `<<EOF`: from after the opening line up to the closing marker, indentation included.
fn plain_value(token: &str) -> Option<String> {
    let first_newline = token.find('\n')?;
    let end = (token.len() + 1).checked_sub(first_newline)?;
    token.get(first_newline + 1..end).map(str::to_owned)
}

/// `<<-EOF`: the lines without the closing line's indentation, when all of them have it.
fn indented_value(token: &str) -> Option<String> {
    let first_newline = token.find('\n')?;
    let end = (token.len() + 2).checked_sub(first_newline)?;
    let body = token.get(first_newline + 1..end)?;
    let lines: Vec<&str> = body.split('\n').collect();
    let (prefix, content) = lines.split_last()?;
    if !lines.iter().all(|line| line.starts_with(prefix)) {
        let end = end.checked_sub(1)?;
        let kept = token.get(first_newline + 1..end)?;
        return Some(kept.trim_end_matches([' ', '\t']).to_owned());
    }
    let mut value = String::with_capacity(body.len());
    for line in content {
        value.push_str(&line[prefix.len()..]);
        value.push('\n');
    }
    Some(value)
}
