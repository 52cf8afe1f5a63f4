//! `meshplan validate` on the fixture corpus in `tests/cases/`: every workspace under `good/`
//! is valid, and every one under `bad/` fails with exactly the diagnostics of its reviewed
//! snapshot (`tests/it/snapshots/it__validate__<name>.snap`). A new case is a new
//! folder; run `INSTA_UPDATE=always cargo test --test it validate` and review its snapshot.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The token written literally in `bad/literal-token*/meshplan.hcl`.
const LITERAL_TOKEN: &str = "b3a1c6f0-secret-acl-token-9d2e";

/// Runs the real binary from the repository root, so paths show as `tests/cases/...`.
fn validate(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_meshplan"))
        .arg("validate")
        .arg(dir)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("meshplan runs")
}

/// The case folders of one family (`good` or `bad`), relative to the repository root.
fn cases(family: &str) -> Vec<PathBuf> {
    let family = Path::new("tests/cases").join(family);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join(&family))
        .expect("the case family is readable")
        .map(|entry| entry.expect("a readable case").file_name())
        .map(|name| family.join(name))
        .filter(|dir| root.join(dir).is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no cases in {}", family.display());
    dirs
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

/// The locations of a text report: `--> file:line:col` of each problem and `::: file:line:col`
/// of the places that explain it (a problem about a whole file or folder names just its path).
fn locations(report: &str) -> impl Iterator<Item = &str> {
    report.lines().filter_map(|line| {
        let line = line.trim_start();
        line.strip_prefix("--> ")
            .or_else(|| line.strip_prefix("::: "))
    })
}

/// What is wrong with a location: a path that does not exist, or a line or column that is not
/// in the file.
fn location_problem(location: &str) -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some((file, line, column)) = split_location(location) else {
        // A link that leads nowhere is itself the place of the problem: it need not resolve.
        let missing = root.join(location).symlink_metadata().is_err();
        return missing.then(|| format!("`{location}` does not exist"));
    };
    let Ok(source) = std::fs::read_to_string(root.join(file)) else {
        return Some(format!("`{location}`: `{file}` is not a readable file"));
    };
    // `split`, not `lines`: an empty file still has a line 1.
    match line.checked_sub(1).and_then(|i| source.split('\n').nth(i)) {
        Some(text) if (1..=text.chars().count() + 1).contains(&column) => None,
        Some(_) => Some(format!("`{location}`: line {line} has no column {column}")),
        None => Some(format!("`{location}`: `{file}` has no line {line}")),
    }
}

/// `file:line:column` split into its parts.
fn split_location(location: &str) -> Option<(&str, usize, usize)> {
    let (rest, column) = location.rsplit_once(':')?;
    let (file, line) = rest.rsplit_once(':')?;
    Some((file, line.parse().ok()?, column.parse().ok()?))
}

#[test]
fn good_cases_are_valid() {
    let mut failures = String::new();
    for dir in cases("good") {
        let output = validate(&dir, &[]);
        if output.status.code() != Some(0) || !output.stderr.is_empty() {
            let _ = writeln!(
                failures,
                "{}: exit {:?}\n{}",
                dir.display(),
                output.status.code(),
                text(&output.stderr)
            );
        }
    }
    assert!(failures.is_empty(), "good cases that failed:\n{failures}");
}

/// Each case's report is its snapshot, `it__validate__<name>.snap`. Every case runs, and the
/// failures (snapshot mismatches included) are reported together, by case name.
#[test]
fn bad_cases_fail_with_their_reviewed_diagnostics() {
    let mut failures = String::new();
    for dir in cases("bad") {
        let name = dir
            .file_name()
            .expect("a case folder")
            .to_string_lossy()
            .into_owned();
        let output = validate(&dir, &[]);
        let stderr = text(&output.stderr);
        if output.status.code() != Some(1) {
            let _ = writeln!(
                failures,
                "{name}: exit {:?}, expected 1",
                output.status.code()
            );
        }
        if !output.stdout.is_empty() {
            let _ = writeln!(
                failures,
                "{name}: wrote to stdout: {}",
                text(&output.stdout)
            );
        }
        for problem in locations(&stderr).filter_map(location_problem) {
            let _ = writeln!(failures, "{name}: {problem}");
        }
        let snapshot = std::panic::catch_unwind(|| insta::assert_snapshot!(name.as_str(), stderr));
        if snapshot.is_err() {
            let _ = writeln!(
                failures,
                "{name}: the report differs from its snapshot (diff above)"
            );
        }
    }
    assert!(failures.is_empty(), "bad cases:\n{failures}");
}

#[test]
fn literal_tokens_never_reach_the_output() {
    for case in ["literal-token", "literal-token-in-broken-file"] {
        assert_token_is_hidden(&Path::new("tests/cases/bad").join(case));
    }
}

fn assert_token_is_hidden(dir: &Path) {
    let source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(dir)
            .join("meshplan.hcl"),
    );
    assert!(
        source
            .expect("the case is readable")
            .contains(LITERAL_TOKEN),
        "the case holds the token"
    );
    for args in [&[][..], &["--format", "json"]] {
        let output = validate(dir, args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
            let shown = text(bytes);
            assert!(
                !shown.contains(LITERAL_TOKEN),
                "{args:?}: the token is on {stream}:\n{shown}"
            );
        }
    }
}

/// The JSON report lists the same problems as the text report, each located in its file.
#[test]
fn json_output_locates_every_problem() {
    let dir = Path::new("tests/cases/bad/several-problems");
    let output = validate(dir, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    assert_eq!(report["format_version"], 1, "{report:#}");
    let diagnostics = report["diagnostics"]
        .as_array()
        .expect("a diagnostics array");

    let text_report = text(&validate(dir, &[]).stderr);
    let mut text_locations: Vec<&str> = text_report
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("--> "))
        .collect();
    assert_eq!(
        diagnostics.len(),
        text_locations.len(),
        "{report:#}\n{text_report}"
    );

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut json_locations = Vec::new();
    for diagnostic in diagnostics {
        assert_eq!(diagnostic["severity"], "error", "{diagnostic:#}");
        assert!(
            diagnostic["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{diagnostic:#}"
        );
        let file = diagnostic["file"]
            .as_str()
            .expect("every problem names a file");
        let location = match (diagnostic["line"].as_u64(), diagnostic["column"].as_u64()) {
            (Some(line), Some(column)) if line > 0 && column > 0 => {
                format!("{file}:{line}:{column}")
            }
            // Only a problem about a whole folder has no line.
            _ if root.join(file).is_dir() => file.to_owned(),
            _ => panic!("no line and column: {diagnostic:#}"),
        };
        json_locations.push(location);
    }
    json_locations.sort();
    text_locations.sort_unstable();
    assert_eq!(json_locations, text_locations);
}

/// A cluster folder that cannot be read is an error naming it, never "0 config entries". Root
/// reads a folder whatever its mode, so when the tests run as root (as in CI) the binary runs as
/// `nobody` through `setpriv`; without `setpriv` the test fails rather than pass unchecked.
#[test]
fn an_unreadable_cluster_folder_is_an_error_naming_it() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    // Under the system's temporary folder, which every user can enter, unlike the checkout.
    let dir = tempfile::tempdir_in(std::env::temp_dir()).expect("a temporary folder");
    let root = dir.path();
    mode(root, 0o755);
    std::fs::write(
        root.join("meshplan.hcl"),
        "workspace = \"w\"\ncluster \"cluster-01\" {}\n",
    )
    .expect("the workspace file");
    let folder = root.join("cluster-01");
    std::fs::create_dir(&folder).expect("the cluster folder");
    std::fs::write(
        folder.join("web.hcl"),
        "Kind = \"service-defaults\"\nName = \"web\"\n",
    )
    .expect("an entry");
    let binary = root.join("meshplan");
    std::fs::copy(env!("CARGO_BIN_EXE_meshplan"), &binary).expect("a copy of the binary");
    mode(&binary, 0o755);
    mode(&folder, 0o000);

    let as_root = std::fs::metadata("/proc/self").expect("/proc").uid() == 0;
    let mut command = if as_root {
        let mut setpriv = std::process::Command::new("setpriv");
        setpriv
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&binary);
        setpriv
    } else {
        std::process::Command::new(&binary)
    };
    let output = command
        .arg("validate")
        .arg(root)
        .env("NO_COLOR", "1")
        .output()
        .expect("meshplan runs (as root, through setpriv)");
    mode(&folder, 0o755);

    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let named = format!("cannot read `{}`", folder.display());
    assert!(stderr.contains(&named), "{stderr}");
}

/// The kinds refresh lists on every cluster (to find what meshplan owns) are kinds an entry
/// file may name.
#[test]
fn every_kind_refresh_lists_is_a_kind_entry_files_may_name() {
    for kind in meshplan::consul::kinds_to_list(None) {
        assert!(meshplan::model::kinds::is_known(&kind), "{kind}");
    }
}
