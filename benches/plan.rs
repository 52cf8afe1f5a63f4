//! `meshplan plan` against live clusters, beside `curl` fetching the same lists in parallel.
//!
//! Run through `scripts/bench-plan`, which starts three dev clusters and loads them. Prints,
//! for one workspace: how many HTTP requests a plan makes (list calls, plus one agent/self per
//! cluster for the datacenter check), the plan's wall time (refresh, plan and text rendering),
//! and the wall time of `curl --parallel` fetching the same URLs. With `MESHPLAN_BIN` set to a
//! meshplan binary, also the wall time of `meshplan plan DIR` as a whole process (start-up,
//! loading the files, refresh, plan, output), the figure a user sees; the three are run in turn
//! in each round, each round starting with the next, so that the machine's load and the
//! agents' pauses weigh on all alike. A fourth turn runs curl and `meshplan validate DIR` at the
//! same time: the lists fetched while the files are loaded, neither waiting for the other, which
//! is as fast as a plan that must do both can be on this machine. With `AGENT_PIDS` set to the
//! agents' process ids, also the CPU the agents spend answering curl and a whole plan: on a
//! machine whose cores the agents share, every millisecond of CPU a plan spends beside them
//! delays their answers. Then the whole process and curl once more each, after the machine has
//! been idle for a few seconds, as a plan runs in a CI job: memory the kernel hands out after a
//! pause can cost far more to touch than memory a process just freed. Last, the time only
//! opening, reading and closing the workspace's files takes.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark's output is its figures"
)]

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use meshplan::consul::{Client, Env, kinds_to_list, refresh};
use meshplan::model::Desired;
use meshplan::{plan, render, workspace};

/// Rounds when `ROUNDS` is not set: on a loaded two-core machine, seven rounds left the ratio
/// of one run anywhere between 1.1x and 1.7x.
const DEFAULT_ROUNDS: usize = 21;

/// Runs after an idle pause when `IDLE_ROUNDS` is not set, and the pause: a virtual machine's
/// kernel gives free memory back to its host after about two seconds, and a process that then
/// touches it waits for the host to provide it again.
const DEFAULT_IDLE_ROUNDS: usize = 5;
const IDLE: Duration = Duration::from_secs(3);

fn main() {
    // `cargo bench` passes `--bench`; the workspace folder is the one other argument.
    let Some(dir) = std::env::args().skip(1).find(|arg| !arg.starts_with("--")) else {
        eprintln!("usage: cargo bench --bench plan -- WORKSPACE_DIR (see scripts/bench-plan)");
        std::process::exit(2);
    };
    let desired = match workspace::load(&PathBuf::from(&dir)) {
        Ok(desired) => desired,
        Err(failure) => {
            eprint!(
                "{}",
                workspace::diagnostic::render_text(&failure.diagnostics, &failure.sources, false)
            );
            std::process::exit(1);
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let urls = urls(&desired);
    let entries: usize = desired.entries.values().map(|e| e.len()).sum();
    println!(
        "workspace: {} clusters, {entries} config entries in the files",
        desired.clusters.len()
    );

    let binary = std::env::var_os("MESHPLAN_BIN").map(PathBuf::from);
    let rounds = count("ROUNDS", DEFAULT_ROUNDS);
    let mut plan_times = Vec::new();
    let mut process_times = Vec::new();
    let mut curl_times = Vec::new();
    let mut beside_times = Vec::new();
    let agents = Agents::from_env();
    let (mut curl_cpu, mut process_cpu) = (Duration::ZERO, Duration::ZERO);
    let mut requests = 0;
    let mut changes = 0;
    // Each round starts with the next of the four: the agents collect their garbage every few
    // reads, and in a fixed order that pause would fall on the same one of them every round.
    for round in 0..rounds {
        for turn in 0..4 {
            match (round + turn) % 4 {
                0 => {
                    let (time, sent, planned) = runtime.block_on(plan_once(&desired));
                    plan_times.push(time);
                    (requests, changes) = (sent, planned);
                }
                1 => {
                    let before = agents.cpu();
                    curl_times.push(curl(&urls));
                    curl_cpu += agents.cpu().saturating_sub(before);
                }
                2 => {
                    if let Some(binary) = &binary {
                        let before = agents.cpu();
                        process_times.push(process(binary, &dir));
                        process_cpu += agents.cpu().saturating_sub(before);
                    }
                }
                _ => {
                    if let Some(binary) = &binary {
                        beside_times.push(beside(binary, &dir, &urls));
                    }
                }
            }
        }
    }
    let clusters = desired.clusters.len();
    println!(
        "HTTP requests per plan: {requests} ({} list calls + {clusters} agent/self); curl fetches the same {} URLs",
        urls.len() - clusters,
        urls.len()
    );
    println!("plan changes: {changes}");
    let (plan, curl) = (median(&mut plan_times), median(&mut curl_times));
    println!(
        "meshplan plan (refresh + plan + render), median of {rounds}: {:>8.1} ms",
        ms(plan)
    );
    println!(
        "curl --parallel of the same URLs,        median of {rounds}: {:>8.1} ms",
        ms(curl)
    );
    println!(
        "ratio plan / curl: {:.2}x",
        plan.as_secs_f64() / curl.as_secs_f64()
    );
    if !process_times.is_empty() {
        let process = median(&mut process_times);
        println!(
            "meshplan plan as a whole process,       median of {rounds}: {:>8.1} ms",
            ms(process)
        );
        println!(
            "ratio whole-process plan / curl: {:.2}x (target <= 1.25x)",
            process.as_secs_f64() / curl.as_secs_f64()
        );
        let beside = median(&mut beside_times);
        println!(
            "curl with meshplan validate beside it,  median of {rounds}: {:>8.1} ms: {:.2}x curl; the whole-process plan is {:.2}x this",
            ms(beside),
            beside.as_secs_f64() / curl.as_secs_f64(),
            process.as_secs_f64() / beside.as_secs_f64()
        );
        if agents.is_set() {
            let per_run = |total: Duration| ms(total) / rounds as f64;
            println!(
                "the agents' CPU per curl run / per whole-process plan, mean of {rounds}: {:.1} / {:.1} ms",
                per_run(curl_cpu),
                per_run(process_cpu)
            );
        }
    }
    if let Some(binary) = &binary {
        after_idle(binary, &dir, &urls);
    }
    let (files, read) = read_files(&dir);
    println!(
        "opening, reading and closing the {files} files alone, one thread: {:.1} ms (the kernel's part of any load)",
        ms(read)
    );
}

/// Reads every file under `dir` once, on one thread, and times it: what the kernel takes to
/// open, read and close the workspace's files, which no loader avoids (the files are in the
/// page cache by now, so the time is CPU).
fn read_files(dir: &str) -> (usize, Duration) {
    let paths: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|entry| entry.expect("the workspace can be walked"))
        .filter(|entry| entry.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .collect();
    let start = Instant::now();
    for path in &paths {
        std::hint::black_box(std::fs::read(path).expect("a workspace file can be read"));
    }
    (paths.len(), start.elapsed())
}

/// Times the whole process and curl, each after the machine has been idle for [`IDLE`], and
/// prints their medians and ratio.
fn after_idle(binary: &std::path::Path, dir: &str, urls: &[String]) {
    let rounds = count("IDLE_ROUNDS", DEFAULT_IDLE_ROUNDS);
    let (mut process_times, mut curl_times) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        std::thread::sleep(IDLE);
        process_times.push(process(binary, dir));
        std::thread::sleep(IDLE);
        curl_times.push(curl(urls));
    }
    let (process, curl) = (median(&mut process_times), median(&mut curl_times));
    let idle = IDLE.as_secs();
    println!(
        "after {idle} s idle, whole process / curl, median of {rounds}: {:.1} / {:.1} ms: {:.2}x",
        ms(process),
        ms(curl),
        process.as_secs_f64() / curl.as_secs_f64()
    );
}

/// Runs curl and `meshplan validate DIR` at the same time and times them until both end.
fn beside(binary: &std::path::Path, dir: &str, urls: &[String]) -> Duration {
    let start = Instant::now();
    let mut validate = Command::new(binary)
        .args(["validate", dir])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("meshplan runs");
    curl(urls);
    let status = validate.wait().expect("meshplan validate ends");
    let elapsed = start.elapsed();
    assert!(status.success(), "meshplan validate failed: {status}");
    elapsed
}

/// The Consul agents, by the process ids in `AGENT_PIDS` (none when it is not set).
struct Agents(Vec<u32>);

impl Agents {
    fn from_env() -> Self {
        let pids = std::env::var("AGENT_PIDS").unwrap_or_default();
        Self(
            pids.split_whitespace()
                .map(|pid| pid.parse().expect("AGENT_PIDS holds process ids"))
                .collect(),
        )
    }

    fn is_set(&self) -> bool {
        !self.0.is_empty()
    }

    /// The CPU time (user and system) the agents have spent so far. `/proc` counts it in ticks
    /// of 10 ms (`USER_HZ`, 100 on Linux): read around every run and summed, the mean of 21
    /// runs is good to about half a millisecond.
    fn cpu(&self) -> Duration {
        const TICK: Duration = Duration::from_millis(10);
        let ticks: u64 = self
            .0
            .iter()
            .map(|pid| {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .expect("an agent of AGENT_PIDS is running");
                // The fields after the command name, which is in parentheses and may hold
                // spaces: utime and stime are the 12th and 13th of them.
                let (_, fields) = stat.rsplit_once(')').expect("a /proc stat line");
                let mut fields = fields.split_whitespace().skip(11);
                let mut next = || -> u64 {
                    fields
                        .next()
                        .and_then(|field| field.parse().ok())
                        .expect("utime and stime")
                };
                next() + next()
            })
            .sum();
        TICK * u32::try_from(ticks).expect("ticks fit")
    }
}

/// The positive number in the environment variable `name`, or `default`.
fn count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .filter(|&value| value > 0)
        .unwrap_or(default)
}

/// Runs `meshplan plan DIR` (output discarded) and times it.
fn process(binary: &std::path::Path, dir: &str) -> Duration {
    let start = Instant::now();
    let status = Command::new(binary)
        .args(["plan", dir])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("meshplan runs");
    let elapsed = start.elapsed();
    assert!(status.success(), "meshplan plan failed: {status}");
    elapsed
}

/// One plan as `meshplan plan` makes it: fresh clients, refresh, plan, text rendering.
async fn plan_once(desired: &Desired) -> (Duration, u64, usize) {
    let start = Instant::now();
    let env = Env::from_process();
    let clients: Vec<(String, Client)> = desired
        .clusters
        .values()
        .map(|spec| {
            (
                spec.name.clone(),
                Client::new(spec, &env, &desired.root).expect("a client"),
            )
        })
        .collect();
    let built = start.elapsed();
    let live = refresh(&clients, desired)
        .await
        .expect("the clusters can be read");
    let refreshed = start.elapsed();
    let plan = plan::plan(desired, &live);
    let planned = start.elapsed();
    let mut out = Vec::new();
    render::text::render(&plan, &mut out, render::text::Options { color: false }).expect("renders");
    let elapsed = start.elapsed();
    eprintln!(
        "  clients {:.1} ms, refresh {:.1} ms, plan {:.1} ms, render {:.1} ms",
        ms(built),
        ms(refreshed - built),
        ms(planned - refreshed),
        ms(elapsed - planned)
    );
    let sent = clients
        .iter()
        .map(|(_, client)| client.requests_sent())
        .sum();
    (elapsed, sent, plan.changes.len())
}

/// The URLs a refresh reads, as it sends them: agent/self, the peering list and one list per
/// kind, per cluster. Config entries are listed `?consistent` (the leader confirms it still
/// leads before answering), so curl asks for the same: a reference that skipped it would be
/// answered with less work than meshplan is.
fn urls(desired: &Desired) -> Vec<String> {
    let mut urls = Vec::new();
    for (name, spec) in &desired.clusters {
        let base = spec
            .address
            .clone()
            .unwrap_or_else(|| "http://127.0.0.1:8500".to_owned());
        urls.push(format!("{base}/v1/agent/self"));
        urls.push(format!("{base}/v1/peerings"));
        for kind in kinds_to_list(desired.entries.get(name)) {
            urls.push(format!("{base}/v1/config/{kind}?consistent="));
        }
    }
    urls
}

/// Fetches every URL with one `curl --parallel` (all at once, bodies discarded).
fn curl(urls: &[String]) -> Duration {
    let mut command = Command::new("curl");
    command.args([
        "--silent",
        "--no-progress-meter",
        "--parallel",
        "--parallel-immediate",
        "--parallel-max",
        "100",
    ]);
    command.args(["--noproxy", "*"]);
    for url in urls {
        command.args(["-o", "/dev/null", url]);
    }
    let start = Instant::now();
    let status = command.status().expect("curl runs");
    let elapsed = start.elapsed();
    assert!(status.success(), "curl failed: {status}");
    elapsed
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
