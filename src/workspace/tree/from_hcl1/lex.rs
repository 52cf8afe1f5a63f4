//! Tokens of Consul's HCL1 dialect, with their byte spans and decoded values.
//!
//! The token rules are those of `hcl/scanner/scanner.go` in hashicorp/hcl (v1); string values
//! follow `hcl/strconv/quote.go` and heredoc values `unindentHeredoc` in `hcl/token/token.go`.
//! Heredocs live in `heredoc.rs`, quoted strings in `string.rs`.

use std::num::IntErrorKind;
use std::ops::Range;

use super::super::SyntaxError;
use super::{heredoc, string};

/// What a token is, with the decoded value of literals.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Ident,
    Bool(bool),
    Number(serde_json::Number),
    /// A quoted string or a heredoc, decoded.
    String(String),
    LBrack,
    RBrack,
    LBrace,
    RBrace,
    Comma,
    Assign,
    /// `.`, `+` and `-` on their own: HCL1 scans them but no value may use them.
    Operator,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub kind: Kind,
    pub span: Range<usize>,
}

pub(super) struct Lexer<'t> {
    text: &'t str,
    pos: usize,
}

impl<'t> Lexer<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        Self { text, pos: 0 }
    }

    fn peek_char(&self) -> Option<char> {
        self.text.get(self.pos..)?.chars().next()
    }

    fn char_at(&self, at: usize) -> Option<char> {
        self.text.get(at..)?.chars().next()
    }

    /// The next token after whitespace and comments.
    ///
    /// # Errors
    /// A character HCL1 does not allow, or a malformed comment, number, string or heredoc.
    pub(super) fn next_token(&mut self) -> Result<Token, SyntaxError> {
        self.skip_trivia()?;
        let start = self.pos;
        let Some(c) = self.peek_char() else {
            return Ok(Token {
                kind: Kind::Eof,
                span: start..start,
            });
        };
        let kind = match c {
            c if is_letter(c) => self.ident(),
            '0'..='9' => self.number()?,
            '-' if self.char_at(start + 1).is_some_and(|c| c.is_ascii_digit()) => self.number()?,
            '.' if self.char_at(start + 1).is_some_and(|c| c.is_ascii_digit()) => self.number()?,
            '"' => {
                let (value, end) = string::quoted(self.text, start)?;
                self.pos = end;
                Kind::String(value)
            }
            '<' => {
                let (value, end) = heredoc::heredoc(self.text, start)?;
                self.pos = end;
                // The span ends with the closing marker, as HCL2's does, not after its newline.
                let shown = self.text[start..end].trim_end_matches(['\n', '\r']);
                let span = start..start + shown.len();
                return Ok(Token {
                    kind: Kind::String(value),
                    span,
                });
            }
            _ => self.punctuation(c)?,
        };
        Ok(Token {
            kind,
            span: start..self.pos,
        })
    }

    fn punctuation(&mut self, c: char) -> Result<Kind, SyntaxError> {
        let kind = match c {
            '[' => Kind::LBrack,
            ']' => Kind::RBrack,
            '{' => Kind::LBrace,
            '}' => Kind::RBrace,
            ',' => Kind::Comma,
            '=' => Kind::Assign,
            '.' | '+' | '-' => Kind::Operator,
            _ => return Err(illegal(self.pos, c)),
        };
        self.pos += c.len_utf8();
        Ok(kind)
    }

    /// Whitespace is space, tab, newline and carriage return only; comments are `#`, `//` and
    /// (not nested) `/* */`.
    fn skip_trivia(&mut self) -> Result<(), SyntaxError> {
        let bytes = self.text.as_bytes();
        loop {
            match bytes.get(self.pos) {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.pos += 1,
                Some(b'#') => self.skip_line(),
                Some(b'/') => match bytes.get(self.pos + 1) {
                    Some(b'/') => self.skip_line(),
                    Some(b'*') => self.skip_block_comment()?,
                    _ => {
                        let span = self.pos..self.pos + 1;
                        let message = "expected `//` or `/*` to start a comment";
                        return Err(SyntaxError::new(span, message));
                    }
                },
                _ => return Ok(()),
            }
        }
    }

    fn skip_line(&mut self) {
        let rest = &self.text.as_bytes()[self.pos..];
        self.pos += rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
    }

    fn skip_block_comment(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        match self.text.get(start + 2..).and_then(|rest| rest.find("*/")) {
            Some(end) => {
                self.pos = start + 2 + end + 2;
                Ok(())
            }
            None => Err(
                SyntaxError::new(start..start + 2, "this comment is not closed")
                    .with_help("end it with `*/`; comments do not nest"),
            ),
        }
    }

    /// Letters, digits, `_`, `-` and `.` after a first letter; `true` and `false` are booleans.
    fn ident(&mut self) -> Kind {
        let start = self.pos;
        let rest = &self.text[start..];
        let len = rest
            .char_indices()
            .find(|(_, c)| !(is_letter(*c) || is_digit(*c) || *c == '-' || *c == '.'))
            .map_or(rest.len(), |(at, _)| at);
        self.pos = start + len;
        match &rest[..len] {
            "true" => Kind::Bool(true),
            "false" => Kind::Bool(false),
            _ => Kind::Ident,
        }
    }

    /// HCL1 numbers: decimal, `0x` hexadecimal and leading-zero octal integers (64-bit, as
    /// Go's `strconv.ParseInt(text, 0, 64)` reads them), and floats with a fraction or an
    /// exponent; an optional leading `-`.
    fn number(&mut self) -> Result<Kind, SyntaxError> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let mut at = start + usize::from(bytes.get(start) == Some(&b'-'));
        let digits_from = at;
        if bytes.get(at) == Some(&b'0') && matches!(bytes.get(at + 1), Some(b'x' | b'X')) {
            at += 2;
            let hex_end = skip_while(bytes, at, |b| b.is_ascii_hexdigit());
            self.pos = hex_end;
            if hex_end == at {
                return Err(SyntaxError::new(
                    start..hex_end,
                    "illegal hexadecimal number",
                ));
            }
            return integer(self.text, start..hex_end, at, 16);
        }
        at = skip_while(bytes, at, |b| b.is_ascii_digit());
        let mut float = false;
        if bytes.get(at) == Some(&b'.') {
            float = true;
            at = skip_while(bytes, at + 1, |b| b.is_ascii_digit());
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            float = true;
            at += 1;
            if matches!(bytes.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            at = skip_while(bytes, at, |b| b.is_ascii_digit());
        }
        self.pos = at;
        if float {
            return floating(self.text, start..at);
        }
        let leading_zero = bytes.get(digits_from) == Some(&b'0') && at - digits_from > 1;
        match leading_zero {
            true => integer(self.text, start..at, digits_from + 1, 8),
            false => integer(self.text, start..at, digits_from, 10),
        }
    }
}

fn skip_while(bytes: &[u8], mut at: usize, keep: impl Fn(u8) -> bool) -> usize {
    while bytes.get(at).is_some_and(|b| keep(*b)) {
        at += 1;
    }
    at
}

/// An integer written at `span` whose digits start at `digits`.
fn integer(text: &str, span: Range<usize>, digits: usize, radix: u32) -> Result<Kind, SyntaxError> {
    let negative = text.as_bytes().get(span.start) == Some(&b'-');
    let written = text.get(digits..span.end).unwrap_or_default();
    if radix == 8 && written.bytes().any(|b| b == b'8' || b == b'9') {
        return Err(SyntaxError::new(span, "illegal octal number")
            .with_help("a number starting with `0` is octal in HCL1; drop the leading zero"));
    }
    let magnitude = match i128::from_str_radix(written, radix) {
        Ok(magnitude) => magnitude,
        // Too many digits for i128 is out of range; anything else (no digits at all, as in
        // `0x`) is not a number.
        Err(error) if matches!(error.kind(), IntErrorKind::PosOverflow) => {
            return Err(SyntaxError::new(span, "number out of range"));
        }
        Err(_) => return Err(SyntaxError::new(span, "invalid number")),
    };
    let value = if negative { -magnitude } else { magnitude };
    match i64::try_from(value) {
        Ok(value) => Ok(Kind::Number(value.into())),
        Err(_) => Err(SyntaxError::new(span, "number out of range")),
    }
}

fn floating(text: &str, span: Range<usize>) -> Result<Kind, SyntaxError> {
    let written = text.get(span.clone()).unwrap_or_default();
    let Ok(value) = written.parse::<f64>() else {
        return Err(SyntaxError::new(span, "invalid number"));
    };
    match serde_json::Number::from_f64(value).filter(|_| value.is_finite()) {
        Some(number) => Ok(Kind::Number(number)),
        None => Err(SyntaxError::new(span, "number out of range")),
    }
}

fn illegal(at: usize, c: char) -> SyntaxError {
    let span = at..at + c.len_utf8();
    let message = match c {
        '\0' => "unexpected null character".to_string(),
        '\u{E123}' => "U+E123 is reserved in HCL1 and cannot appear in a file".to_string(),
        ':' => "expected `=`, found `:`".to_string(),
        _ => format!("unexpected character `{}`", c.escape_debug()),
    };
    SyntaxError::new(span, message)
}

/// A letter as HCL1's scanner sees one. Beyond ASCII, Rust's `Alphabetic` stands in for Go's
/// `unicode.IsLetter` and `is_numeric` for `unicode.IsDigit`; both are a little wider (letter
/// numbers and a few marks), so a few identifiers Consul refuses are read here.
pub(super) fn is_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && c.is_alphabetic())
}

pub(super) fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}
