//! Quoted strings of Consul's HCL1 dialect: where they end (`hcl/scanner/scanner.go`
//! `scanString`) and what they hold (`hcl/strconv/quote.go` `Unquote`).
//!
//! - Escapes `\a \b \f \n \r \t \v \\ \"`, three octal digits `\NNN`, `\xNN`, `\uNNNN` and
//!   `\UNNNNNNNN`. Escapes that would write a byte that is not UTF-8 (`\x80` to `\xff`, octal
//!   200 and up) or a surrogate code point are refused: Go would put an invalid byte or U+FFFD
//!   in the string, and Consul would store U+FFFD, not what was written.
//! - `${ … }` is copied as written, braces balanced, quotes and escapes inside it untouched: HCL1
//!   neither unescapes nor evaluates it, so Consul stores the text itself.
//! - A string ends on its line: a newline before the closing quote is an error.

use std::ops::Range;

use super::super::SyntaxError;

/// The string starting with the `"` at `start`: its value and the offset after its closing
/// quote.
///
/// # Errors
/// An unclosed string, an unknown or malformed escape, or an escape Consul would not store as
/// written.
pub(super) fn quoted(text: &str, start: usize) -> Result<(String, usize), SyntaxError> {
    let mut value = String::new();
    let mut at = start + 1;
    loop {
        let Some(c) = text.get(at..).and_then(|rest| rest.chars().next()) else {
            return Err(unclosed(start, false));
        };
        match c {
            '\n' => return Err(unclosed(start, false)),
            '"' => return Ok((value, at + 1)),
            '\\' => {
                let (decoded, end) = escape(text, at)?;
                value.push(decoded);
                at = end;
            }
            '$' if text.as_bytes().get(at + 1) == Some(&b'{') => {
                let end = interpolation(text, at, start)?;
                value.push_str(&text[at..end]);
                at = end;
            }
            c => {
                value.push(c);
                at += c.len_utf8();
            }
        }
    }
}

fn unclosed(start: usize, inside_template: bool) -> SyntaxError {
    let help = match inside_template {
        false => {
            "end it with `\"` on the same line; for text on several lines use a heredoc, `<<EOF`"
        }
        true => {
            "a `${` in a string runs to its `}`, quotes included, and HCL1 has no escape for it"
        }
    };
    SyntaxError::new(start..start + 1, "this string is not closed on its line").with_help(help)
}

/// The end of the `${ … }` starting at `at`: braces are counted, quotes do not end the string,
/// and escapes are checked but kept as written.
fn interpolation(text: &str, at: usize, string_start: usize) -> Result<usize, SyntaxError> {
    let mut depth = 1;
    let mut pos = at + 2;
    while depth > 0 {
        let Some(c) = text.get(pos..).and_then(|rest| rest.chars().next()) else {
            return Err(unclosed(string_start, true));
        };
        match c {
            '\n' => return Err(unclosed(string_start, true)),
            '{' => depth += 1,
            '}' => depth -= 1,
            '\\' => {
                pos = escape_syntax(text, pos)?.1;
                continue;
            }
            _ => {}
        }
        pos += c.len_utf8();
    }
    Ok(pos)
}

/// The character an escape at `at` (a backslash) stands for, and the offset after it.
fn escape(text: &str, at: usize) -> Result<(char, usize), SyntaxError> {
    let (code, end) = escape_syntax(text, at)?;
    let span = at..end;
    let raw_byte = matches!(text.as_bytes().get(at + 1), Some(b'x' | b'0'..=b'7'));
    if raw_byte && code >= 0x80 {
        let message = "this escape writes a byte that is not UTF-8";
        let help = "Consul would store U+FFFD instead; write the character itself or use `\\u`";
        return Err(SyntaxError::new(span, message).with_help(help));
    }
    match char::from_u32(code) {
        Some(c) => Ok((c, end)),
        None if code <= 0x10FFFF => Err(SyntaxError::new(span, "a surrogate is not a character")
            .with_help("Consul would store U+FFFD instead; write the character itself")),
        None => Err(SyntaxError::new(
            span,
            "escape beyond the last Unicode character",
        )),
    }
}

/// The code an escape at `at` gives and the offset after it, checking only its form.
fn escape_syntax(text: &str, at: usize) -> Result<(u32, usize), SyntaxError> {
    let bytes = text.as_bytes();
    let Some(&kind) = bytes.get(at + 1) else {
        return Err(SyntaxError::new(at..at + 1, "unknown escape"));
    };
    let simple = match kind {
        b'a' => Some(0x07),
        b'b' => Some(0x08),
        b'f' => Some(0x0c),
        b'n' => Some(u32::from(b'\n')),
        b'r' => Some(u32::from(b'\r')),
        b't' => Some(u32::from(b'\t')),
        b'v' => Some(0x0b),
        b'\\' | b'"' => Some(u32::from(kind)),
        _ => None,
    };
    if let Some(code) = simple {
        return Ok((code, at + 2));
    }
    let (first, count, radix) = match kind {
        b'0'..=b'7' => (at + 1, 3, 8),
        b'x' => (at + 2, 2, 16),
        b'u' => (at + 2, 4, 16),
        b'U' => (at + 2, 8, 16),
        _ => return Err(unknown_escape(text, at)),
    };
    let digits = text.get(first..first + count).filter(|digits| {
        digits
            .chars()
            .all(|c| c.to_digit(radix).is_some_and(|_| c.is_ascii()))
    });
    let code = digits.and_then(|digits| u32::from_str_radix(digits, radix).ok());
    match code {
        Some(code) if radix == 8 && code > 0xff => Err(SyntaxError::new(
            at..first + count,
            "octal escape beyond \\377",
        )),
        Some(code) => Ok((code, first + count)),
        None => {
            let end = first.min(text.len());
            let message = format!("`\\{}` needs {count} digits", char::from(kind));
            Err(SyntaxError::new(at..end, message))
        }
    }
}

fn unknown_escape(text: &str, at: usize) -> SyntaxError {
    let end = text
        .get(at + 1..)
        .and_then(|rest| rest.chars().next())
        .map_or(at + 1, |c| at + 1 + c.len_utf8());
    let span: Range<usize> = at..end;
    SyntaxError::new(span, "unknown escape").with_help(
        "HCL1 knows \\a \\b \\f \\n \\r \\t \\v \\\\ \\\" \\NNN \\xNN \\uNNNN \\UNNNNNNNN",
    )
}
