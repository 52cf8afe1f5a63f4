//! A whole workspace: the workspace file and any entry files, with names and contents from the
//! input (see `meshplan_fuzz::files` for the archive format), loaded by `workspace::load`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let files = meshplan_fuzz::files(data);
    let dir = meshplan_fuzz::write_workspace(&files);
    meshplan_fuzz::check_load(dir.path());
});
