//! `tree::parse` on any text as JSON: a tree that converts to JSON, or syntax errors whose
//! spans render as diagnostics. Bytes that are not UTF-8 are not text and are skipped (the
//! loader reports them when reading the file).
#![no_main]

use libfuzzer_sys::fuzz_target;
use meshplan::workspace::tree::Format;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        meshplan_fuzz::check_parse(Format::Json, text);
    }
});
