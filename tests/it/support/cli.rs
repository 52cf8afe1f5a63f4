//! Running the `meshplan` binary as a user would, and the workspace-file text tests write.

#![allow(
    dead_code,
    reason = "shared by every test module, and each module uses only part of it"
)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::{NamedTempFile, TempDir};

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
pub fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_meshplan"));
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
    pub fn of(command: &mut Command) -> Run {
        let output = command.output().expect("meshplan runs");
        Run {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
        }
    }
}

/// `meshplan` running in the background, for tests that act while it runs (signals, faults).
///
/// Its stdout and stderr go to files, so it never blocks on a pipe nobody reads; every wait is
/// bounded; dropping it kills it, so a failing test leaves no process behind.
pub struct Background {
    child: Child,
    stdout: NamedTempFile,
    stderr: NamedTempFile,
}

impl Background {
    /// Starts `meshplan ARGS DIR` as [`meshplan`] runs it, without waiting.
    pub fn start(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Self {
        let stdout = NamedTempFile::new().expect("a file for stdout");
        let stderr = NamedTempFile::new().expect("a file for stderr");
        let child = command(args, env)
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(stdout.reopen().expect("the stdout file"))
            .stderr(stderr.reopen().expect("the stderr file"))
            .spawn()
            .expect("meshplan starts");
        Self {
            child,
            stdout,
            stderr,
        }
    }

    /// What it wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.stderr.path()).unwrap_or_default()
    }

    /// Waits until `found` holds of its stderr; panics after `timeout` (or when it exited
    /// first), naming `what` and quoting stderr.
    pub async fn wait_for_stderr(
        &mut self,
        timeout: Duration,
        what: &str,
        found: impl Fn(&str) -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        loop {
            let stderr = self.stderr();
            if found(&stderr) {
                return;
            }
            let exited = self.child.try_wait().expect("poll meshplan");
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "waiting until {what}: {} after {timeout:?}; stderr:\n{stderr}",
                exited.map_or("not yet".to_owned(), |status| format!("exited ({status})"))
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Sends `signal` (`INT`, `TERM`, ...) without waiting.
    pub fn signal(&self, signal: &str) {
        send(signal, self.child.id());
    }

    /// Waits for it to exit; panics after `timeout`, killing it and quoting what it wrote.
    pub async fn wait(mut self, timeout: Duration) -> Run {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("poll meshplan") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "meshplan did not exit within {timeout:?}:\n{}",
                    self.output(None)
                );
            }
            tokio::time::sleep(POLL).await;
        };
        self.output(status.code())
    }

    fn output(&self, code: Option<i32>) -> Run {
        Run {
            code,
            stdout: std::fs::read_to_string(self.stdout.path()).unwrap_or_default(),
            stderr: self.stderr(),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // Errors only mean it already exited.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How often [`Background`] looks at what it wrote, or whether it exited.
const POLL: Duration = Duration::from_millis(20);

/// Sends `signal` (`INT`, `STOP`, ...) to process `pid` with kill(1): the crate forbids unsafe
/// code, and tests need no more than this.
pub fn send(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} {pid}: {status}");
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
