//! One config-entry file, through the whole loader: parse, key renaming, deserialization,
//! validation, peer checks and merge. The entry loader is private to `meshplan::workspace`, so
//! the file goes into a fixed workspace (`cluster-01` peers with `cluster-02`) and
//! `workspace::load` reads it. The first byte picks the file's format; the rest is the file.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use meshplan::workspace::tree::Format;

const WORKSPACE: &str = r#"
cluster "cluster-01" {}
cluster "cluster-02" {}
peering {
  acceptor = "cluster-01"
  dialer   = "cluster-02"
}
"#;

/// The workspace is made once; each input replaces its one entry file.
fn workspace() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(dir.path().join("meshplan.hcl"), WORKSPACE).expect("workspace file");
        std::fs::create_dir(dir.path().join("cluster-01")).expect("entries folder");
        dir
    })
    .path()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, entry)) = data.split_first() else {
        return;
    };
    let format = [Format::Hcl, Format::Toml, Format::Json][usize::from(selector % 3)];
    let root = workspace();
    let file: PathBuf = root
        .join("cluster-01")
        .join(format!("entry.{}", meshplan_fuzz::extension(format)));
    std::fs::write(&file, entry).expect("entry file");
    meshplan_fuzz::check_load(root);
    std::fs::remove_file(&file).expect("entry file removed");
});
