//! Running the `meshplan` binary as a user would, and the workspace-file text tests write.

#![allow(
    dead_code,
    reason = "shared by every test module, and each module uses only part of it"
)]

use std::path::Path;

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
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_meshplan"));
    command
        .args(args)
        .arg(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE");
    for (name, _) in std::env::vars() {
        if name.starts_with("CONSUL_") || name.starts_with("MESHPLAN_") {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied());
    let output = command.output().expect("meshplan runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
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
