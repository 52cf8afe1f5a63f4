//! Sets `MESHPLAN_VERSION` for `--version`: the crate's version, and the commit when built from a
//! git checkout (`0.1.0 (1a2b3c4d5e6f)`). Without git, or outside a checkout (a crate
//! tarball), the version alone.

use std::path::Path;
use std::process::Command;

fn main() {
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let full = match commit() {
        Some(commit) => format!("{version} ({commit})"),
        None => version,
    };
    println!("cargo:rustc-env=MESHPLAN_VERSION={full}");
    // Rebuild the version when the checked-out commit changes.
    for path in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// The short hash of `HEAD`, when git is there and this is a checkout.
fn commit() -> Option<String> {
    let output = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()?;
    let hash = String::from_utf8(output.stdout).ok()?;
    let hash = hash.trim();
    (output.status.success() && !hash.is_empty()).then(|| hash.to_owned())
}
