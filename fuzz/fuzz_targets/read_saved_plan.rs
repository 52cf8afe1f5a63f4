//! A saved plan file (`plan --out`), as `show` and `apply PLANFILE` read it: parse, then render
//! in every format and write back. Bytes that are not UTF-8 are read lossily, so that mutations
//! of the seeds' strings are not all refused by the file read.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    meshplan_fuzz::check_saved_plan(&String::from_utf8_lossy(data));
});
