//! The grammar of Consul's HCL1 dialect (`hcl/parser/parser.go` in hashicorp/hcl v1), read
//! into a [`Node`] tree by recursive descent; how repeated keys combine is in `body.rs`.
//!
//! ```text
//! body  := (item ","?)*                     until end of file, or `}` inside braces
//! item  := key "=" value | key+ "{" body "}"
//! key   := identifier | "quoted string"
//! value := string | heredoc | number | bool | "{" body "}" | "[" list "]"
//! list  := ("," | value)*                   a value needs a `,` or `]` after it
//! ```
//!
//! The first syntax error stops the parse, as in HCL1; errors of repeated keys are all
//! collected, since the parse can go on past them.

use std::ops::Range;

use super::super::{Errors, MAX_DEPTH, Node, SyntaxError, Value, line_of};
use super::body::{Body, Key};
use super::lex::{Kind, Lexer, Token};

pub(super) struct Parser<'t> {
    text: &'t str,
    lexer: Lexer<'t>,
    peeked: Option<Token>,
    pub(super) errors: Errors,
}

/// `depth` is always the nesting level of the node being built: the root body is at 0.
impl<'t> Parser<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        Self {
            text,
            lexer: Lexer::new(text),
            peeked: None,
            errors: Errors::default(),
        }
    }

    fn peek(&mut self) -> Result<&Token, SyntaxError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lexer.next_token()?);
        }
        Ok(self.peeked.get_or_insert_with(|| unreachable_token(0)))
    }

    fn next(&mut self) -> Result<Token, SyntaxError> {
        match self.peeked.take() {
            Some(token) => Ok(token),
            None => self.lexer.next_token(),
        }
    }

    /// The whole file, as the root object.
    pub(super) fn file(&mut self) -> Result<Node, SyntaxError> {
        let body = self.body(0, None)?;
        Ok(Node::new(0..0, Value::Object(body.into_fields())))
    }

    /// Items until the end of the file, or until the `}` closing the `{` at `open` (left for
    /// the caller to take).
    fn body(&mut self, depth: usize, open: Option<&Range<usize>>) -> Result<Body, SyntaxError> {
        let text = self.text;
        let mut body = Body::default();
        loop {
            let token = self.peek()?;
            match (&token.kind, open) {
                (Kind::Eof, None) | (Kind::RBrace, Some(_)) => return Ok(body),
                (Kind::Eof, Some(open)) => return Err(not_closed(open, "{", "}")),
                (Kind::RBrace, None) => {
                    return Err(SyntaxError::new(token.span.clone(), "unexpected `}`")
                        .with_help("there is no `{` for it to close"));
                }
                (Kind::Ident | Kind::String(_) | Kind::Bool(_), _) => {
                    self.item(&mut body, depth)?
                }
                (_, open) => return Err(expected_key(token, open, text)),
            }
            if self.peek()?.kind == Kind::Comma {
                self.next()?;
            }
        }
    }

    fn item(&mut self, body: &mut Body, depth: usize) -> Result<(), SyntaxError> {
        let keys = self.keys()?;
        let token = self.next()?;
        let [first, labels @ ..] = keys.as_slice() else {
            let message = format!("expected a key, found {}", describe(&token, self.text));
            return Err(SyntaxError::new(token.span, message));
        };
        match token.kind {
            Kind::Assign if labels.is_empty() => {
                let value = self.value(depth + 1)?;
                body.attribute(first.clone(), value, self.text, &mut self.errors);
                Ok(())
            }
            Kind::Assign => Err(
                SyntaxError::new(token.span, "expected `{` after block labels")
                    .with_help("`key = value` takes a single key"),
            ),
            Kind::LBrace => self.block(body, &keys, token.span, depth),
            _ => {
                let shown: Vec<&str> = keys
                    .iter()
                    .map(|key| &self.text[key.span.clone()])
                    .collect();
                let message = format!(
                    "expected `=` or `{{` after `{}`, found {}",
                    shown.join(" "),
                    describe(&token, self.text)
                );
                Err(SyntaxError::new(token.span, message))
            }
        }
    }

    /// Identifiers and quoted strings up to the `=` or `{` after them.
    fn keys(&mut self) -> Result<Vec<Key>, SyntaxError> {
        let text = self.text;
        let mut keys = Vec::new();
        loop {
            let token = self.peek()?;
            let name = match &token.kind {
                Kind::Ident => text[token.span.clone()].to_string(),
                Kind::String(value) if !text[token.span.clone()].starts_with('<') => value.clone(),
                Kind::Bool(_) => {
                    let message = "`true` and `false` cannot be keys";
                    return Err(SyntaxError::new(token.span.clone(), message)
                        .with_help("quote the key: `\"true\"`"));
                }
                _ => return Ok(keys),
            };
            let span = token.span.clone();
            self.next()?;
            keys.push(Key { name, span });
        }
    }

    fn block(
        &mut self,
        body: &mut Body,
        keys: &[Key],
        open: Range<usize>,
        depth: usize,
    ) -> Result<(), SyntaxError> {
        let header =
            keys.first().map_or(0, |key| key.span.start)..keys.last().map_or(0, |key| key.span.end);
        let depth = depth + keys.len();
        check_depth(depth, &header)?;
        let inner = self.body(depth, Some(&open))?;
        self.next()?;
        let node = Node::new(header.clone(), Value::Object(inner.into_fields()));
        body.block(keys, header, node, self.text, &mut self.errors);
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        let token = self.next()?;
        let value = match token.kind {
            Kind::String(value) => Value::String(value),
            Kind::Number(number) => Value::Number(number),
            Kind::Bool(value) => Value::Bool(value),
            Kind::LBrace => return self.object(token.span, depth),
            Kind::LBrack => return self.list(token.span, depth),
            _ => return Err(not_a_value(&token, self.text)),
        };
        Ok(Node::new(token.span, value))
    }

    fn object(&mut self, open: Range<usize>, depth: usize) -> Result<Node, SyntaxError> {
        check_depth(depth, &open)?;
        let body = self.body(depth, Some(&open))?;
        let close = self.next()?;
        let span = open.start..close.span.end;
        Ok(Node::new(span, Value::Object(body.into_fields())))
    }

    fn list(&mut self, open: Range<usize>, depth: usize) -> Result<Node, SyntaxError> {
        check_depth(depth, &open)?;
        let text = self.text;
        let mut items = Vec::new();
        let mut need_comma = false;
        loop {
            let token = self.peek()?;
            match &token.kind {
                Kind::RBrack => break,
                Kind::Comma => need_comma = false,
                Kind::Eof => return Err(not_closed(&open, "[", "]")),
                _ if need_comma => {
                    let message = format!("expected `,` or `]`, found {}", describe(token, text));
                    return Err(SyntaxError::new(token.span.clone(), message)
                        .with_help("list items are separated by commas"));
                }
                _ => {
                    items.push(self.value(depth + 1)?);
                    need_comma = true;
                    continue;
                }
            }
            self.next()?;
        }
        let close = self.next()?;
        Ok(Node::new(open.start..close.span.end, Value::Array(items)))
    }
}

/// Deeper input is refused rather than risking the stack (see [`MAX_DEPTH`]).
fn check_depth(depth: usize, span: &Range<usize>) -> Result<(), SyntaxError> {
    match depth <= MAX_DEPTH {
        true => Ok(()),
        false => Err(SyntaxError::new(
            span.clone(),
            format!("values are nested more than {MAX_DEPTH} levels deep"),
        )),
    }
}

fn not_closed(open: &Range<usize>, opening: &str, closing: &str) -> SyntaxError {
    SyntaxError::new(open.clone(), format!("this `{opening}` is not closed"))
        .with_help(format!("add the missing `{closing}`"))
}

fn not_a_value(token: &Token, text: &str) -> SyntaxError {
    let message = format!("expected a value, found {}", describe(token, text));
    let error = SyntaxError::new(token.span.clone(), message);
    match (&token.kind, &text[token.span.clone()]) {
        (Kind::Ident, "null") => {
            error.with_help("Consul's HCL has no `null`; leave the key out instead")
        }
        (Kind::Ident, _) => error.with_help(
            "Consul's HCL has no variables or expressions; quote text to write a string",
        ),
        _ => error,
    }
}

fn expected_key(token: &Token, open: Option<&Range<usize>>, text: &str) -> SyntaxError {
    let found = describe(token, text);
    let Some(open) = open else {
        return SyntaxError::new(token.span.clone(), format!("expected a key, found {found}"));
    };
    let message = format!("expected a key or `}}`, found {found}");
    let help = format!(
        "the `{{` on line {} is not closed before this",
        line_of(text, open.start)
    );
    SyntaxError::new(token.span.clone(), message).with_help(help)
}

/// How a token is named in a message.
fn describe(token: &Token, text: &str) -> String {
    match token.kind {
        Kind::Eof => "the end of the file".to_string(),
        Kind::String(_) if text[token.span.clone()].starts_with('<') => "a heredoc".to_string(),
        Kind::String(_) => "a string".to_string(),
        Kind::Number(_) => "a number".to_string(),
        _ => format!("`{}`", &text[token.span.clone()]),
    }
}

/// Never built: `peek` fills the slot just before reading it.
fn unreachable_token(at: usize) -> Token {
    Token {
        kind: Kind::Eof,
        span: at..at,
    }
}
