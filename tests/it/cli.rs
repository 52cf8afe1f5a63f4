//! Command-line conventions: `--version` with the commit, shell completions that load, a man
//! page, `-C DIR`, a `--format` a command does not support refused, `schema` on stdout.

use std::path::Path;
use std::process::Command;

fn meshplan(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_meshplan"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("meshplan runs")
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

#[test]
fn version_names_the_crate_version() {
    let output = meshplan(&["--version"]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(
        text.starts_with(&format!("meshplan {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
}

#[test]
fn bash_completions_load_in_a_shell() {
    let binary = env!("CARGO_BIN_EXE_meshplan");
    let script = format!("source <('{binary}' completions bash) && complete -p meshplan");
    let output = Command::new("bash")
        .args(["-c", &script])
        .output()
        .expect("bash runs");
    let text = stdout(&output);
    assert!(output.status.success(), "{output:?}");
    assert!(text.contains("meshplan"), "{text}");
    for shell in ["zsh", "fish"] {
        assert!(
            meshplan(&["completions", shell]).status.success(),
            "{shell}"
        );
    }
}

#[test]
fn the_man_page_is_roff_naming_every_command() {
    let output = meshplan(&["man"]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.contains(".TH meshplan 1"), "{text}");
    for command in ["validate", "plan", "apply", "show", "watch", "schema"] {
        assert!(text.contains(command), "{command}");
    }
}

#[test]
fn dash_c_runs_as_if_started_in_that_folder() {
    let output = meshplan(&["-C", "examples", "validate", "seed"]);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout(&output).starts_with("seed is valid"));
}

#[test]
fn a_format_the_command_does_not_support_is_refused() {
    let output = meshplan(&["validate", "--format", "markdown", "examples/seed"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid value 'markdown'"), "{stderr}");
}

#[test]
fn schema_prints_every_schema_on_stdout_without_out() {
    let output = meshplan(&["schema"]);
    assert!(output.status.success());
    let all: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let names: Vec<&String> = all.as_object().expect("an object").keys().collect();
    for name in names {
        let committed = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("schemas")
            .join(name);
        assert!(committed.is_file(), "{name} is committed");
    }
}
