//! With `--format json`, a failing command still prints one JSON document on stdout: the error,
//! with the `format_version` of the command's own JSON (or, for a workspace with problems,
//! validate's diagnostics). And a `--format` a command does not support is refused by the
//! command line, for every command.

use std::net::TcpListener;
use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::cli::{Run, assert_exit, meshplan, write};

/// The plan's and the diagnostics' `format_version` today.
const FORMAT_VERSION: u64 = 1;

/// Parses stdout as one JSON document.
#[track_caller]
fn document(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|error| panic!("{error}: {run}"))
}

/// The error document's message, after checking its shape.
#[track_caller]
fn error_message(run: &Run) -> String {
    assert_exit(run, 1);
    let document = document(run);
    assert_eq!(document["format_version"], FORMAT_VERSION, "{run}");
    let causes = document["error"]["causes"].as_array().expect("causes");
    assert!(!causes.is_empty(), "{run}");
    document["error"]["message"]
        .as_str()
        .expect("a message")
        .to_owned()
}

/// A loopback port nobody listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("an address").port()
}

/// A valid workspace whose one cluster is at `address`.
fn workspace_at(address: &str) -> TempDir {
    let dir = TempDir::new().expect("a temp dir");
    let text = format!(
        "workspace = \"platform\"\ncluster \"cluster-01\" {{\n  address = \"{address}\"\n}}\n"
    );
    write(dir.path(), "meshplan.hcl", &text);
    dir
}

#[test]
fn plan_reports_an_unreachable_cluster_as_json() {
    let dir = workspace_at(&format!("http://127.0.0.1:{}", closed_port()));
    let run = meshplan(&["plan", "--format", "json"], dir.path(), &[]);
    let message = error_message(&run);
    assert!(message.contains("cluster-01"), "{run}");
    assert!(
        !run.stderr.contains(&format!("error: {message}")),
        "no second, text report: {run}"
    );

    // The same failure in text: on stderr, nothing on stdout.
    let text = meshplan(&["plan"], dir.path(), &[]);
    assert_exit(&text, 1);
    assert!(text.stdout.is_empty(), "{text}");
    assert!(text.stderr.contains("error: "), "{text}");
}

#[test]
fn show_reports_a_missing_plan_file_as_json() {
    let dir = TempDir::new().expect("a temp dir");
    let missing = dir.path().join("missing.plan");
    let run = meshplan(&["show", "--format", "json"], &missing, &[]);
    let message = error_message(&run);
    assert!(message.contains("cannot read"), "{run}");
    assert!(message.contains("missing.plan"), "{run}");

    for format in ["text", "markdown"] {
        let text = meshplan(&["show", "--format", format], &missing, &[]);
        assert_exit(&text, 1);
        assert!(text.stdout.is_empty(), "{text}");
    }
}

#[test]
fn a_folder_that_cannot_be_entered_is_a_json_error_for_validate() {
    let dir = TempDir::new().expect("a temp dir");
    let run = meshplan(
        &["-C", "does-not-exist", "validate", "--format", "json"],
        dir.path(),
        &[],
    );
    let message = error_message(&run);
    assert!(message.contains("does-not-exist"), "{run}");
}

#[test]
fn plan_reports_a_workspace_with_problems_as_validates_diagnostics() {
    let dir = TempDir::new().expect("a temp dir");
    write(
        dir.path(),
        "meshplan.hcl",
        "workspace = \"platform\"\nclustr {}\n",
    );
    let run = meshplan(&["plan", "--format", "json"], dir.path(), &[]);
    assert_exit(&run, 1);
    let report = document(&run);
    assert_eq!(report["format_version"], FORMAT_VERSION);
    let diagnostics = report["diagnostics"].as_array().expect("diagnostics");
    assert!(!diagnostics.is_empty(), "{run}");
    assert!(diagnostics[0]["message"].is_string(), "{run}");

    let validate = meshplan(&["validate", "--format", "json"], dir.path(), &[]);
    assert_exit(&validate, 1);
    assert_eq!(
        document(&validate),
        report,
        "plan and validate report the same problems"
    );
}

/// `meshplan ARGS` in the repository, where `examples/seed` is.
fn in_repository(args: &[&str]) -> Run {
    meshplan(args, Path::new(env!("CARGO_MANIFEST_DIR")), &[])
}

#[test]
fn every_command_refuses_a_format_it_does_not_support() {
    // (command line, what clap names): a value the command's formats lack, or `--format`
    // itself on a command that prints no format. The repository folder comes last.
    let unsupported: &[(&[&str], &str)] = &[
        (
            &["validate", "--format", "markdown"],
            "invalid value 'markdown'",
        ),
        (&["validate", "--format", "xml"], "invalid value 'xml'"),
        (&["plan", "--format", "xml"], "invalid value 'xml'"),
        (&["show", "--format", "yaml"], "invalid value 'yaml'"),
        (
            &["apply", "--format", "json"],
            "unexpected argument '--format'",
        ),
        (
            &["watch", "--format", "json"],
            "unexpected argument '--format'",
        ),
        (
            &["schema", "--format", "json"],
            "unexpected argument '--format'",
        ),
        (
            &["completions", "bash", "--format", "json"],
            "unexpected argument '--format'",
        ),
        (
            &["man", "--format", "json"],
            "unexpected argument '--format'",
        ),
    ];
    for (args, refusal) in unsupported {
        let run = in_repository(args);
        assert_exit(&run, 2);
        assert!(run.stderr.contains(refusal), "{args:?}: {run}");
    }
}
