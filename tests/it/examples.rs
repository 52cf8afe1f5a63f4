//! Every workspace under examples/ is valid, and the TOML twin of the seed scenario loads to
//! the same model as the HCL original.

use std::path::{Path, PathBuf};

use meshplan::model::{Desired, DesiredEntry};
use meshplan::workspace;

fn examples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("examples/ is readable")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|dir| dir.join("meshplan.hcl").is_file() || dir.join("meshplan.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn load(dir: &Path) -> Desired {
    match workspace::load(dir) {
        Ok(desired) => desired,
        Err(failure) => panic!(
            "{} does not load:\n{}",
            dir.display(),
            workspace::diagnostic::render_text(&failure.diagnostics, &failure.sources, false)
        ),
    }
}

#[test]
fn every_example_workspace_is_valid() {
    let examples = examples();
    assert!(
        examples.len() >= 2,
        "expected the seed examples, found {examples:?}"
    );
    for dir in examples {
        load(&dir);
    }
}

#[test]
fn the_toml_seed_loads_to_the_same_model_as_the_hcl_seed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let hcl = load(&root.join("seed"));
    let toml = load(&root.join("seed-toml"));
    assert_eq!(hcl.clusters, toml.clusters);
    assert_eq!(hcl.peerings, toml.peerings);
    let entries = |desired: &Desired| {
        desired
            .entries
            .iter()
            .map(|(cluster, entries)| {
                let entries: Vec<_> = entries
                    .iter()
                    .map(|(key, DesiredEntry { entry, .. })| (key.clone(), entry.clone()))
                    .collect();
                (cluster.clone(), entries)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(entries(&hcl), entries(&toml));
    assert_eq!(entries(&hcl).iter().map(|(_, e)| e.len()).sum::<usize>(), 2);
}
