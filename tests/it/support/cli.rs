//! Running the `meshplan` binary as a user would, and the workspace-file text tests write.

#![allow(
    dead_code,
    reason = "shared by every test module, and each module uses only part of it"
)]

use std::path::Path;

use tempfile::TempDir;

use super::consul::Cluster;

/// What a run of the binary did.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `meshplan ARGS DIR` with only `env` of Consul's and meshplan's variables, no colour.
pub fn meshplan(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Run {
    Run::of(command(args, env).arg(dir))
}

/// The `meshplan ARGS` command with only `env` of Consul's and meshplan's variables, no colour:
/// for runs without a folder argument, and for daemons to spawn.
pub fn command(args: &[&str], env: &[(&str, &str)]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_meshplan"));
    command
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE");
    for (name, _) in std::env::vars() {
        if name.starts_with("CONSUL_") || name.starts_with("MESHPLAN_") {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied());
    command
}

impl Run {
    /// Runs `command` to its end.
    pub fn of(command: &mut std::process::Command) -> Run {
        let output = command.output().expect("meshplan runs");
        Run {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
        }
    }
}

/// A `cluster` block named after `agent`, at its address.
pub fn cluster_block(agent: &Cluster) -> String {
    format!(
        "cluster \"{}\" {{\n  address = \"{}\"\n}}\n",
        agent.name(),
        agent.http_addr()
    )
}

/// A workspace folder named `name` on `agent`, with `entries` (file name, text) in its folder.
pub fn workspace(name: &str, agent: &Cluster, entries: &[(String, String)]) -> TempDir {
    let dir = TempDir::new().expect("a temp dir");
    let text = format!("workspace = \"{name}\"\n{}", cluster_block(agent));
    write(dir.path(), "meshplan.hcl", &text);
    for (file, text) in entries {
        write(dir.path(), &format!("{}/{file}", agent.name()), text);
    }
    dir
}

/// Writes `text` to `rel` under `root`, creating folders.
pub fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create the folder");
    std::fs::write(path, text).expect("write the file");
}

/// A service-defaults entry file for `name`: (file name, text).
pub fn defaults(name: &str) -> (String, String) {
    (
        format!("{name}-defaults.hcl"),
        format!("Kind = \"service-defaults\"\nName = \"{name}\"\nProtocol = \"http\"\n"),
    )
}

/// A service-defaults entry file for each of `names`.
pub fn entries(names: &[&str]) -> Vec<(String, String)> {
    names.iter().map(|name| defaults(name)).collect()
}

#[track_caller]
pub fn assert_exit(run: &Run, code: i32) {
    assert_eq!(run.code, Some(code), "{run}");
}
