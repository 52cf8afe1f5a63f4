//! Config-entry files in Consul's HCL dialect (HCL1) → [`Node`].
//!
//! `consul config write file.hcl` reads its file with HCL1 (github.com/hashicorp/hcl v1:
//! `hcl.Decode` into a `map[string]interface{}` in Consul's `command/helpers/helpers.go`
//! `ParseConfigEntry`), not with HCL2, so examples copied from Consul's docs use HCL1 syntax
//! that an HCL2 parser refuses, such as a block inside a list item:
//! `Permissions = [ { HTTP { PathExact = "/" } } ]`. The workspace file stays HCL2
//! (`from_hcl.rs`); only config-entry files use this dialect. This is meshplan's own lexer and
//! parser, written from HCL1's documented behaviour; no crate reads HCL1.
//!
//! # What it accepts
//! - `key = value` and blocks `key { … }`, `key "label" … { … }`, anywhere: at the top, inside
//!   blocks and objects, inside list items. Keys are identifiers (letters, digits, `_`, `-`,
//!   `.`) or quoted strings. Commas between items are optional; one trailing comma is allowed
//!   in objects, and lists take any number of commas (`hcl/parser/parser.go`).
//! - Values: quoted strings, heredocs, numbers, `true` and `false`, lists (nested), objects.
//! - Comments `#`, `//` and `/* */` (`hcl/scanner/scanner.go`).
//!
//! # HCL1 behaviours reproduced
//! - Labels become levels of objects, as `from_hcl.rs` does, and repeated blocks make a list
//!   (`decoder.go`; the shape is that of `from_hcl.rs`, see `from_hcl1/body.rs`).
//! - Strings: HCL1's escapes, and `${ … }` kept as literal text, because HCL1 never evaluates
//!   it and Consul stores it as written (`hcl/strconv/quote.go`, see `from_hcl1/string.rs`).
//! - Heredocs, including how `<<EOF` keeps the closing marker's indentation and what `<<-EOF`
//!   strips (`hcl/scanner/scanner.go`, `hcl/token/token.go`, see `from_hcl1/heredoc.rs`).
//! - User data (`Config`, `Arguments`) in HCL1's shape, objects as lists of one, since that
//!   is what Consul stores for it (see `from_hcl1/user_data.rs`).
//! - Numbers: decimal, `0x` hexadecimal and leading-zero octal integers, floats with a fraction
//!   or an exponent, a leading `-` (`hcl/scanner/scanner.go` `scanNumber`, read by Go's
//!   `strconv.ParseInt(text, 0, 64)` and `ParseFloat`).
//!
//! # What it refuses, and why
//! - A string, number or bool key written twice: HCL1 silently keeps the last one (or fails,
//!   depending on what the two are), so the file would not say what Consul stores.
//! - Escapes that make bytes that are not UTF-8, and surrogates: Consul would store U+FFFD.
//! - `null`, identifiers as values, and operators: HCL1 has no such values either.
//! - A heredoc without a name (`<<` then a newline), which HCL1 reads in surprising ways.
//! - Blocks of one key with different numbers of labels, and the same labels twice, as
//!   `from_hcl.rs` refuses them: HCL1's decoder mixes such blocks in ways no file means.
//!
//! Beyond ASCII, identifiers take Rust's alphabetic and numeric characters, a little more than
//! Go's letters and digits (see `from_hcl1/lex.rs`).
//!
//! # Guarantees
//! Never panics, never nests deeper than [`MAX_DEPTH`](super::MAX_DEPTH), and reads the text in
//! one pass (keys are found through hash maps). The first syntax error ends the parse, as in
//! HCL1; errors about repeated keys are all reported.

use super::{Node, SyntaxError};

mod body;
mod heredoc;
mod lex;
mod parse;
mod string;
#[cfg(test)]
mod tests;
mod user_data;

pub(super) fn parse(text: &str) -> Result<Node, Vec<SyntaxError>> {
    let mut parser = parse::Parser::new(text);
    match parser.file() {
        Ok(mut root) => {
            user_data::as_hcl1_reads_it(&mut root);
            parser.errors.finish(root)
        }
        Err(error) => Err(vec![error]),
    }
}
