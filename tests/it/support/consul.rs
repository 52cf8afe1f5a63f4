//! Real Consul clusters for integration tests.
//!
//! Each [`Cluster`] is one `consul agent -dev` process acting as its own datacenter: a single
//! server with Connect and peering on (dev defaults), listening on 127.0.0.1 only. Every port is
//! picked free at start so tests can run in parallel, and a port that another process grabs in
//! the meantime makes the harness relaunch on fresh ports. Dropping a [`Cluster`] kills the agent
//! and removes its data dir, so a test leaves nothing behind even when it panics, and a
//! panicking test prints the agent's log to help explain why.
//!
//! Meant for use from `#[tokio::test]`: start-up waits are async, teardown is synchronous.

#![allow(
    dead_code,
    reason = "shared by every test module, and each module uses only part of it"
)]

use std::collections::BTreeSet;
use std::fs::File;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long an agent may take to become ready; a dev agent usually needs a few seconds, a loaded
/// CI machine running many agents at once needs more.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// How often readiness is probed while an agent starts.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Per-request bound, so a hung agent cannot stall the readiness loop past its deadline.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Launches per cluster before port clashes are treated as a harness bug rather than bad luck.
const MAX_LAUNCHES: u32 = 5;

/// Logged at debug level once the server can present its peering TLS certificate, which
/// dialers need (`agent/consul/servercert/manager.go`).
const PEERING_SERVER_NAME_LOG: &str = "updating auto TLS server name";

/// How many log lines a start-up failure quotes in its panic message (the whole log follows
/// on stderr when the half-started cluster is dropped).
const LOG_TAIL_LINES: usize = 40;

/// One running `consul agent -dev`: a single-server datacenter named after the cluster.
pub struct Cluster {
    name: String,
    extra_hcl: Vec<String>,
    ports: Ports,
    /// Sent with readiness probes: with ACLs on and default deny, intentions need a token.
    management_token: Option<String>,
    agent: Child,
    log_path: PathBuf,
    /// Holds the data dir and the log; removed on drop, after the agent is killed.
    dir: TempDir,
}

impl Cluster {
    /// Starts `consul agent -dev` as its own datacenter `name` with node name `name`, every port
    /// on a free loopback port, and waits until it is ready.
    ///
    /// Ready means: a leader is elected, the Connect CA has roots (needed to generate peering
    /// tokens), the server can present its peering TLS certificate (else a dialer fails and
    /// retries seconds later) and config entries for intentions can be written.
    ///
    /// A peering established within about 5 s of start-up may still take up to 5 s to turn
    /// ACTIVE: the dialer's peering sync loop is rate-limited (0.2 runs/s, burst 5) and start-up
    /// uses up the burst. Allow for it in timeouts; there is no readiness signal for it.
    ///
    /// # Panics
    ///
    /// When the agent exits during start-up for any reason but a port clash, or is not ready
    /// within 60 s. The message quotes the end of the agent's log.
    pub async fn start(name: &str) -> Cluster {
        Self::start_with(name, &[]).await
    }

    /// Same as [`Cluster::start`], with extra HCL config fragments passed via `-hcl`, which
    /// override the flags the harness sets (for example ACLs on with default deny and an
    /// initial management token, which readiness probes then use). Leave `log_level` alone:
    /// readiness needs a debug log line.
    pub async fn start_with(name: &str, extra_hcl: &[&str]) -> Cluster {
        Self::launch(name, &owned(extra_hcl)).into_ready().await
    }

    /// The cluster's name, which is also its datacenter and node name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Base URL of the HTTP API, e.g. `http://127.0.0.1:34567`.
    pub fn http_addr(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.http)
    }

    pub fn http_port(&self) -> u16 {
        self.ports.http
    }

    /// The port peering tokens from this cluster point dialers at.
    pub fn grpc_tls_port(&self) -> u16 {
        self.ports.grpc_tls
    }

    /// The agent's log (stdout and stderr) so far.
    pub fn logs(&self) -> String {
        std::fs::read(&self.log_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_else(|err| format!("<cannot read {}: {err}>", self.log_path.display()))
    }

    /// Freezes the agent (SIGSTOP), as a hung process or a paused machine: connections are
    /// still accepted and requests still received, but nothing is answered until
    /// [`Cluster::thaw`]. Dropping a frozen cluster still kills it.
    pub fn freeze(&self) {
        super::cli::send("STOP", self.agent.id());
    }

    /// Resumes a frozen agent (SIGCONT): it answers what it received meanwhile.
    pub fn thaw(&self) {
        super::cli::send("CONT", self.agent.id());
    }

    /// Spawns the agent without waiting for it, so several agents can boot at the same time.
    fn launch(name: &str, extra_hcl: &[String]) -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix(&format!("meshplan-{name}-"))
            .tempdir()
            .expect("create a temp dir for the consul agent");
        let log_path = dir.path().join("agent.log");
        let ports = Ports::free();
        let agent = agent_command(name, &ports, dir.path(), extra_hcl)
            .stdin(Stdio::null())
            .stdout(log_file(&log_path))
            .stderr(log_file(&log_path))
            .spawn()
            .unwrap_or_else(|err| panic!("cannot run {}: {err}", consul_binary().display()));
        Cluster {
            name: name.to_owned(),
            extra_hcl: extra_hcl.to_vec(),
            ports,
            management_token: management_token(extra_hcl),
            agent,
            log_path,
            dir,
        }
    }

    /// Waits for readiness, relaunching on fresh ports whenever one was taken.
    async fn into_ready(mut self) -> Cluster {
        for _ in 1..MAX_LAUNCHES {
            match self.wait_until_ready().await {
                Startup::Ready => return self,
                Startup::PortClash => self = Self::launch(&self.name, &self.extra_hcl),
            }
        }
        match self.wait_until_ready().await {
            Startup::Ready => self,
            Startup::PortClash => self.fail("kept hitting ports in use; giving up"),
        }
    }

    async fn wait_until_ready(&mut self) -> Startup {
        let client = probe_client();
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = self.agent.try_wait().expect("poll the consul agent") {
                if self.logs().contains("address already in use") {
                    return Startup::PortClash;
                }
                self.fail(&format!("exited with {status} while starting"));
            }
            let Err(missing) = self.readiness(&client).await else {
                return Startup::Ready;
            };
            if Instant::now() >= deadline {
                self.fail(&format!(
                    "not ready after {READY_TIMEOUT:?}, still waiting for {missing}"
                ));
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// One round of readiness probes (consul-api.md section 7): `Err` names the first condition
    /// not met yet.
    async fn readiness(&self, client: &reqwest::Client) -> Result<(), &'static str> {
        // Our own server must lead: any other answer means another process holds our HTTP port.
        let own_server = format!("127.0.0.1:{}", self.ports.server);
        let leader = self.get_json(client, "/v1/status/leader").await;
        if !leader.is_some_and(|leader| leader == *own_server) {
            return Err("our own server to lead");
        }
        // Peering tokens need the Connect CA.
        let roots = self.get_json(client, "/v1/agent/connect/ca/roots").await;
        let roots = roots.as_ref().and_then(|roots| roots["Roots"].as_array());
        if roots.is_none_or(Vec::is_empty) {
            return Err("Connect CA roots");
        }
        // Until then, a dialer's TLS handshake with this server fails and the dialer backs off
        // for a few seconds. The server name is set about a second after the CA is ready, and
        // this debug log line is the only outside sign of it.
        if !self.logs().contains(PEERING_SERVER_NAME_LOG) {
            return Err("the peering TLS server name (a debug log line)");
        }
        // Succeeds only once the leader has finished migrating intentions to config entries.
        let probe = format!(
            "/v1/config/service-intentions/readiness-probe-{}",
            unique_suffix()
        );
        let deleted = self
            .request(client, reqwest::Method::DELETE, &probe)
            .send()
            .await;
        if !deleted.is_ok_and(|response| response.status() == reqwest::StatusCode::OK) {
            return Err("intentions to be writable");
        }
        Ok(())
    }

    /// GETs `path` and parses JSON; `None` on any failure, since failures just mean "not yet".
    async fn get_json(&self, client: &reqwest::Client, path: &str) -> Option<serde_json::Value> {
        let response = self
            .request(client, reqwest::Method::GET, path)
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.json().await.ok()
    }

    fn request(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        let request = client.request(method, format!("{}{path}", self.http_addr()));
        match &self.management_token {
            Some(token) => request.header("X-Consul-Token", token),
            None => request,
        }
    }

    /// Panics with `what` and the end of the agent's log.
    fn fail(&self, what: &str) -> ! {
        let log = self.logs();
        let tail: Vec<&str> = log.lines().rev().take(LOG_TAIL_LINES).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!(
            "consul agent for cluster {:?} {what}; its log ends with:\n{}",
            self.name,
            tail.join("\n")
        )
    }
}

/// Leaves out the management token.
impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("name", &self.name)
            .field("ports", &self.ports)
            .field("pid", &self.agent.id())
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Errors only mean the agent is already gone.
        let _ = self.agent.kill();
        let _ = self.agent.wait();
        if std::thread::panicking() {
            print_log(&self.name, &self.logs());
        }
        // `dir` is removed when the fields drop, now that nothing writes to it.
    }
}

#[allow(
    clippy::print_stderr,
    reason = "the test harness captures stderr and shows it only for the failed test"
)]
fn print_log(name: &str, log: &str) {
    eprintln!("----- consul agent log for cluster {name:?} -----\n{log}\n----- end of log -----");
}

/// Starts several clusters concurrently: all agents boot at once, so this takes about as long
/// as starting one.
pub async fn start_clusters(names: &[&str]) -> Vec<Cluster> {
    let launched: Vec<Cluster> = names
        .iter()
        .map(|name| Cluster::launch(name, &[]))
        .collect();
    let mut ready = Vec::with_capacity(launched.len());
    for cluster in launched {
        ready.push(cluster.into_ready().await);
    }
    ready
}

/// Path of the consul binary: `$MESHPLAN_CONSUL`, else the last line printed by
/// `scripts/install-consul`, run at most once per test process since it may build Consul.
pub fn consul_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| match std::env::var_os("MESHPLAN_CONSUL") {
            Some(path) if !path.is_empty() => PathBuf::from(path),
            _ => install_consul(),
        })
        .clone()
}

fn install_consul() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install-consul");
    // stderr is inherited so a first-time build shows its progress.
    let output = Command::new(&script)
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|err| panic!("cannot run {}: {err}", script.display()));
    assert!(
        output.status.success(),
        "{} failed with {}; set MESHPLAN_CONSUL to a consul binary to skip it",
        script.display(),
        output.status
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let path = stdout
        .lines()
        .rfind(|line| !line.trim().is_empty())
        .unwrap_or_else(|| panic!("{} printed no path", script.display()));
    PathBuf::from(path.trim())
}

/// What a start-up attempt came to, short of a panic.
enum Startup {
    Ready,
    PortClash,
}

/// The agent's listening ports. DNS is disabled instead: no test needs it.
#[derive(Debug)]
struct Ports {
    http: u16,
    server: u16,
    serf_lan: u16,
    serf_wan: u16,
    grpc: u16,
    grpc_tls: u16,
}

impl Ports {
    /// Picks six distinct free loopback ports that this process has not handed out before, so
    /// concurrent tests never pick the same ones. Another process can still take one before
    /// the agent binds it; the agent then exits and is relaunched.
    fn free() -> Ports {
        static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
        let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        // Listeners stay open until all six are picked, so the OS cannot repeat a port.
        let mut listeners = Vec::new();
        let mut ports = Vec::new();
        while ports.len() < 6 {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
            let port = listener.local_addr().expect("listener address").port();
            if handed_out.insert(port) {
                ports.push(port);
            }
            listeners.push(listener);
        }
        Ports {
            http: ports[0],
            server: ports[1],
            serf_lan: ports[2],
            serf_wan: ports[3],
            grpc: ports[4],
            grpc_tls: ports[5],
        }
    }
}

/// The agent command line. Dev mode gives a one-server datacenter with Connect and peering on,
/// raft in memory and a random node id; the flags move every port and keep it on loopback.
fn agent_command(name: &str, ports: &Ports, dir: &Path, extra_hcl: &[String]) -> Command {
    let mut command = Command::new(consul_binary());
    command
        .args(["agent", "-dev", "-bind=127.0.0.1", "-client=127.0.0.1"])
        // Dev mode's default already, made explicit: readiness reads a debug log line.
        .arg("-log-level=debug")
        .arg(format!("-datacenter={name}"))
        .arg(format!("-node={name}"))
        .arg(format!("-data-dir={}", dir.join("data").display()))
        .arg("-dns-port=-1")
        .arg(format!("-http-port={}", ports.http))
        .arg(format!("-server-port={}", ports.server))
        .arg(format!("-serf-lan-port={}", ports.serf_lan))
        .arg(format!("-serf-wan-port={}", ports.serf_wan))
        .arg(format!("-grpc-port={}", ports.grpc))
        .arg(format!("-grpc-tls-port={}", ports.grpc_tls));
    for fragment in extra_hcl {
        command.arg(format!("-hcl={fragment}"));
    }
    command
}

/// A handle on the agent's log file; stdout and stderr share it, appending.
fn log_file(path: &Path) -> File {
    File::options()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|err| panic!("open {}: {err}", path.display()))
}

/// The initial management token set by the extra HCL (`acl { tokens { initial_management }}`),
/// if any: readiness probes need it once ACLs default to deny.
fn management_token(extra_hcl: &[String]) -> Option<String> {
    extra_hcl.iter().rev().find_map(|fragment| {
        let config: serde_json::Value = hcl::from_str(fragment).ok()?;
        let token = config["acl"]["tokens"]["initial_management"].as_str()?;
        Some(token.to_owned())
    })
}

/// A name suffix unique across concurrently running test processes: pid plus a counter.
fn unique_suffix() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Probes go straight to 127.0.0.1, never through a proxy from the environment.
fn probe_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(PROBE_TIMEOUT)
        .build()
        .expect("build an HTTP client")
}

fn owned(fragments: &[&str]) -> Vec<String> {
    fragments.iter().map(|&s| s.to_owned()).collect()
}
