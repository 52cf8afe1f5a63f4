//! No secret reaches any output. Every command runs at the most verbose logging (`-vvv`, and
//! `RUST_LOG=trace` or `--log-format json` in turn; both let every dependency's trace through)
//! against two ACL-enabled agents (default deny), with a management token, a token Consul does
//! not know, a read-only token (the printed `--for plan` policy, which lacks every write) and
//! a token that cannot be sent at all, each given in every way meshplan takes one:
//! `CONSUL_HTTP_TOKEN`, `CONSUL_HTTP_TOKEN_FILE`, and the workspace's `token_env` and
//! `token_file`.
//!
//! The first apply establishes a peering between the two clusters (its token only in memory;
//! re-established later, after its dialer side is deleted by hand) and generates a token for a
//! peer managed elsewhere (`token_out`), which that peer's own workspace then dials with, from
//! its `token_file`. A proxy in front of the acceptor keeps what the agent answered, so the
//! peering tokens that were in flight, and the establishment secret inside each, are known and
//! searched for too.
//!
//! Searched: every run's stdout and stderr, the watcher's health and metrics pages, and every
//! file under the test's folder (workspaces, plan files, imports, the watcher's logs, HOME and
//! TMPDIR), except the token files meshplan reads and the `token_out` files it writes. A secret
//! planted in a control file proves the search finds what is there.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::cli::{Run, command, defaults, meshplan, write};
use crate::support::consul::Cluster;
use crate::support::http::{client, poll_until, send_with_token, success_json};
use crate::support::proxy::Proxy;
use crate::watch::{free_listen, get};

/// How long a watcher may take to finish its first reconcile, and a peering to be deleted.
const WITHIN: Duration = Duration::from_secs(30);

/// Where a cluster's token comes from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// `CONSUL_HTTP_TOKEN`.
    ConsulToken,
    /// `CONSUL_HTTP_TOKEN_FILE`.
    ConsulTokenFile,
    /// The workspace's `token_env`.
    TokenEnv,
    /// The workspace's `token_file`.
    TokenFile,
}

const SOURCES: [Source; 4] = [
    Source::ConsulToken,
    Source::ConsulTokenFile,
    Source::TokenEnv,
    Source::TokenFile,
];

/// Which token is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Two UUIDs joined by a control character, which no HTTP header may hold.
    Malformed,
    /// A random UUID Consul does not know.
    Wrong,
    /// A real token that may read what plan reads, and write nothing.
    ReadOnly,
    /// The initial management token.
    Management,
}

/// A secret to search for, and what it is.
struct Secret {
    what: String,
    value: String,
}

/// A fresh random UUID, the form of Consul's ACL tokens.
fn uuid() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/uuid")
        .expect("a random UUID")
        .trim()
        .to_owned()
}

/// Both agents, the proxy in front of the acceptor, and the tokens.
struct Estate {
    one: Cluster,
    two: Cluster,
    proxy: Proxy,
    management: String,
    /// The two halves of the malformed token, each searched for on its own: a control
    /// character may be printed escaped.
    malformed: [String; 2],
    malformed_token: String,
    wrong: String,
    read_only: String,
}

impl Estate {
    fn secret(&self, kind: Kind) -> &str {
        match kind {
            Kind::Malformed => &self.malformed_token,
            Kind::Wrong => &self.wrong,
            Kind::ReadOnly => &self.read_only,
            Kind::Management => &self.management,
        }
    }

    /// A request to `agent` with the management token; its answer.
    async fn manage(
        &self,
        agent: &Cluster,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        send_with_token(agent, &self.management, method, path, body).await
    }
}

/// The workspace file: both clusters (cluster-01 through the proxy) and, `with_peerings`, a
/// peering between them and one whose dialer is managed elsewhere, its token written to
/// `out/partner.token`.
fn workspace_file(estate: &Estate, source: Source, with_peerings: bool) -> String {
    let token = |cluster: &str| match source {
        Source::ConsulToken | Source::ConsulTokenFile => String::new(),
        Source::TokenEnv => format!("  token_env = \"{}\"\n", token_variable(cluster)),
        Source::TokenFile => format!("  token_file = \"tokens/{cluster}.token\"\n"),
    };
    let clusters = format!(
        "workspace = \"secrets\"\n\
         cluster \"cluster-01\" {{\n  address = \"{}\"\n{}}}\n\
         cluster \"cluster-02\" {{\n  address = \"{}\"\n{}}}\n",
        estate.proxy.http_addr(),
        token("cluster-01"),
        estate.two.http_addr(),
        token("cluster-02"),
    );
    if !with_peerings {
        return clusters;
    }
    format!(
        "{clusters}peering {{\n  acceptor = \"cluster-01\"\n  dialer = \"cluster-02\"\n}}\n\
         peering {{\n  acceptor = \"cluster-01\"\n  dialer = \"partner\"\n  \
         token_out = \"out/partner.token\"\n}}\n"
    )
}

fn token_variable(cluster: &str) -> String {
    format!("{}_TOKEN", cluster.replace('-', "").to_uppercase())
}

/// A workspace folder for `source`: its file and entries (a service exported to cluster-02).
fn make_workspace(estate: &Estate, source: Source, dir: &Path) {
    write(dir, "meshplan.hcl", &workspace_file(estate, source, true));
    let (file, text) = defaults("web");
    write(dir, &format!("cluster-01/{file}"), &text);
    write(
        dir,
        "cluster-01/exported-services.hcl",
        "Kind = \"exported-services\"\nName = \"default\"\nServices = [\n  {\n    \
         Name = \"web\"\n    Consumers = [{ Peer = \"cluster-02\" }]\n  }\n]\n",
    );
}

/// A file holding `secret` on a line, as `echo` writes it, with permissions `mode`.
fn write_token(path: &Path, secret: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("the token's folder");
    std::fs::write(path, format!("{secret}\n")).expect("write the token");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// The token files `source` reads for the workspace in `dir`, written with `secret`, and the
/// variables to run with. Every file written is added to `exempt`.
fn give_token(
    source: Source,
    secret: &str,
    dir: &Path,
    inputs: &Path,
    exempt: &mut Vec<PathBuf>,
) -> Vec<(String, String)> {
    match source {
        Source::ConsulToken => vec![("CONSUL_HTTP_TOKEN".into(), secret.into())],
        Source::ConsulTokenFile => {
            let path = inputs.join("consul.token");
            // Readable by its group, as a careless `echo >` under umask 027 leaves it: meshplan
            // warns, naming the file and never its content.
            write_token(&path, secret, 0o640);
            exempt.push(path.clone());
            vec![("CONSUL_HTTP_TOKEN_FILE".into(), path.display().to_string())]
        }
        Source::TokenEnv => ["cluster-01", "cluster-02"]
            .iter()
            .map(|cluster| (token_variable(cluster), secret.to_owned()))
            .collect(),
        Source::TokenFile => {
            for cluster in ["cluster-01", "cluster-02"] {
                let path = dir.join(format!("tokens/{cluster}.token"));
                write_token(&path, secret, 0o600);
                exempt.push(path);
            }
            Vec::new()
        }
    }
}

/// Runs commands with one token given one way, at the most verbose logging, and keeps every
/// output for the search.
struct Runner {
    label: String,
    env: Vec<(String, String)>,
    logging: Vec<&'static str>,
    outputs: Vec<(String, String)>,
}

impl Runner {
    /// With `token_env` (the token's variables and files), HOME and TMPDIR under `root`, and
    /// the logging flags: `-vvv` with `RUST_LOG=trace`, or `-vvv --log-format json`.
    fn new(label: String, token_env: Vec<(String, String)>, root: &Path, json: bool) -> Self {
        let mut env = token_env;
        env.push(("HOME".into(), root.join("home").display().to_string()));
        env.push(("TMPDIR".into(), root.join("tmp").display().to_string()));
        let logging = if json {
            vec!["-vvv", "--log-format", "json"]
        } else {
            env.push(("RUST_LOG".into(), "trace".into()));
            vec!["-vvv"]
        };
        Self {
            label,
            env,
            logging,
            outputs: Vec::new(),
        }
    }

    fn env(&self) -> Vec<(&str, &str)> {
        self.env
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect()
    }

    /// `meshplan -vvv ... ARGS TARGET`.
    fn run(&mut self, args: &[&str], target: &Path) -> Run {
        let args: Vec<&str> = self.logging.iter().chain(args).copied().collect();
        let run = meshplan(&args, target, &self.env());
        self.keep(&args.join(" "), format!("{run}"));
        run
    }

    fn keep(&mut self, what: &str, text: String) {
        self.outputs
            .push((format!("`{what}` ({})", self.label), text));
    }
}

/// A watcher, killed if the test fails before it stops it.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `meshplan watch` on `dir` until its first reconcile is over (as its metrics count),
/// keeps its health and metrics pages, and stops it with SIGTERM. Its log goes to `log`.
/// `locked`, it holds a session lock (created, renewed, released with the token) and runs
/// until a reconcile under the lock succeeded.
async fn watch_once(runner: &mut Runner, dir: &Path, log: &Path, locked: bool) {
    let (port, listen) = free_listen();
    let dir = dir.to_str().expect("a UTF-8 path");
    let mut args = runner.logging.clone();
    args.extend(["watch", dir, "--resync", "300", "--listen", &listen]);
    if locked {
        args.extend(["--lock", "meshplan/secrets", "--lock-delay", "0"]);
    }
    std::fs::create_dir_all(log.parent().expect("a folder")).expect("the log's folder");
    let stderr = std::fs::File::create(log).expect("the watcher's log");
    let child = command(&args, &runner.env())
        .stdout(stderr.try_clone().expect("the log again"))
        .stderr(stderr)
        .spawn()
        .expect("meshplan watch starts");
    let mut daemon = Daemon(child);
    let metrics = poll_until(WITHIN, "the watcher's first reconcile", async || {
        let (_, metrics) = get(port, "/metrics").await?;
        let reconciles: f64 = metrics
            .lines()
            .filter(|line| line.starts_with("meshplan_watch_reconciles_total"))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        let ready = !locked || get(port, "/readyz").await?.1.contains("lock held");
        (reconciles >= 1.0 && ready).then_some(metrics)
    })
    .await;
    runner.keep("watch: /metrics", metrics);
    for page in ["/healthz", "/readyz"] {
        let (status, body) = get(port, page).await.expect("the watcher answers");
        runner.keep(&format!("watch: {page}"), format!("{status} {body}"));
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &daemon.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let code = daemon.0.wait().expect("the watcher exits").code();
    let text = std::fs::read_to_string(log).unwrap_or_default();
    assert_eq!(code, Some(0), "{}:\n{text}", runner.label);
}

/// The peering tokens in the agent's answers (`{"PeeringToken":"..."}`).
fn peering_tokens(proxy: &Proxy) -> Vec<String> {
    const KEY: &str = "\"PeeringToken\"";
    let mut tokens = Vec::new();
    for answer in proxy.answers() {
        let text = String::from_utf8_lossy(&answer).into_owned();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(KEY) {
            rest = &rest[at + KEY.len()..];
            let value = rest
                .trim_start_matches([':', ' '])
                .strip_prefix('"')
                .and_then(|value| value.split('"').next());
            if let Some(value) = value {
                tokens.push(value.to_owned());
            }
        }
    }
    tokens
}

/// The `EstablishmentSecret` inside a peering token (base64 of a JSON object).
fn establishment_secret(token: &str) -> String {
    use std::io::Write as _;
    let mut decode = std::process::Command::new("base64")
        .arg("-d")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("base64 runs");
    decode
        .stdin
        .take()
        .expect("its stdin")
        .write_all(token.as_bytes())
        .expect("the token to decode");
    let decoded = decode.wait_with_output().expect("base64 decodes");
    assert!(decoded.status.success(), "a peering token is base64");
    let json: Value = serde_json::from_slice(&decoded.stdout).expect("a peering token is JSON");
    json["EstablishmentSecret"]
        .as_str()
        .expect("an EstablishmentSecret")
        .to_owned()
}

/// Where each secret appears: in `outputs`, and in every file under `root` but `exempt`.
fn leaks(
    secrets: &[Secret],
    outputs: &[(String, String)],
    root: &Path,
    exempt: &[PathBuf],
) -> (Vec<String>, usize) {
    let mut found = Vec::new();
    let mut searched = 0;
    let mut search = |place: &str, text: &str| {
        searched += 1;
        for secret in secrets {
            if text.contains(&secret.value) {
                found.push(format!("{} in {place}", secret.what));
            }
        }
    };
    for (place, text) in outputs {
        search(place, text);
    }
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.expect("a readable folder");
        if !entry.file_type().is_file() || exempt.iter().any(|path| path == entry.path()) {
            continue;
        }
        let bytes = std::fs::read(entry.path()).expect("a readable file");
        search(
            &entry.path().display().to_string(),
            &String::from_utf8_lossy(&bytes),
        );
    }
    (found, searched)
}

/// Creates the read-only token on both agents, from `meshplan policy --for plan`.
async fn grant_read_only(estate: &Estate, dir: &Path) {
    for agent in [&estate.one, &estate.two] {
        let printed = meshplan(
            &["policy", "--cluster", agent.name(), "--for", "plan"],
            dir,
            &[],
        );
        assert_eq!(printed.code, Some(0), "{printed}");
        let policy = estate
            .manage(
                agent,
                reqwest::Method::PUT,
                "/v1/acl/policy",
                Some(json!({"Name": "read-only", "Rules": printed.stdout})),
            )
            .await;
        estate
            .manage(
                agent,
                reqwest::Method::PUT,
                "/v1/acl/token",
                Some(json!({
                    "SecretID": estate.read_only,
                    "Description": "read-only",
                    "Policies": [{"ID": policy["ID"]}],
                })),
            )
            .await;
    }
}

/// Every command that reads a workspace, with `runner`'s token given the way `source` gives
/// it, on the workspace in `dir`; `name` tells this round's files apart. The token files
/// written are added to `exempt`.
async fn every_command(
    runner: &mut Runner,
    estate: &Estate,
    (source, kind): (Source, Kind),
    dir: &Path,
    name: &str,
    exempt: &mut Vec<PathBuf>,
) {
    let root = dir.parent().expect("the test's folder");
    let label = runner.label.clone();
    assert_eq!(runner.run(&["validate"], dir).code, Some(0));
    assert_eq!(runner.run(&["policy"], dir).code, Some(0));
    let plan = runner.run(&["plan"], dir);
    let refused = matches!(kind, Kind::Malformed | Kind::Wrong);
    let expected = if refused { 1 } else { 0 };
    assert_eq!(plan.code, Some(expected), "{label}:\n{plan}");
    let why = match kind {
        Kind::Malformed => "cannot go in an HTTP header",
        Kind::Wrong => "ACL not found",
        Kind::ReadOnly | Kind::Management => "",
    };
    assert!(plan.stderr.contains(why), "{label}:\n{plan}");
    if matches!(source, Source::ConsulTokenFile) {
        let warning = "is readable by others (mode 0640)";
        assert!(plan.stderr.contains(warning), "{label}:\n{plan}");
    }
    runner.run(&["plan", "--format", "json"], dir);
    runner.run(&["plan", "--format", "markdown"], dir);
    let saved = root.join(format!("plans/{name}.plan"));
    std::fs::create_dir_all(saved.parent().expect("a folder")).expect("plans/");
    runner.run(
        &["plan", "--out", saved.to_str().expect("a UTF-8 path")],
        dir,
    );
    if saved.exists() {
        runner.run(&["show"], &saved);
        runner.run(&["show", "--format", "json"], &saved);
        runner.run(&["show", "--format", "markdown"], &saved);
        runner.run(&["apply"], &saved);
    }
    let apply = runner.run(&["apply", "--auto-approve"], dir);
    let expected = if kind == Kind::Management { 0 } else { 1 };
    assert_eq!(apply.code, Some(expected), "{label}:\n{apply}");
    runner.run(&["status"], dir);
    runner.run(&["status", "--check"], dir);
    runner.run(&["status", "--format", "json"], dir);
    let clusters = ["--cluster", "cluster-01", "--cluster", "cluster-02"];
    runner.run(&[&["import", "--dry-run"][..], &clusters].concat(), dir);
    // A real import writes files: into a folder of its own, with the clusters alone.
    let imported = root.join(format!("imports/{name}"));
    let text = workspace_file(estate, source, false);
    write(&imported, "meshplan.hcl", &text);
    let inputs = root.join("inputs");
    give_token(source, estate.secret(kind), &imported, &inputs, exempt);
    runner.run(&[&["import"][..], &clusters].concat(), &imported);
    let log = root.join(format!("logs/watch-{name}.log"));
    watch_once(runner, dir, &log, kind == Kind::Management).await;
}

/// The other team's side: a workspace of cluster-02 alone dials with the token `token_out`
/// wrote, read from its own `token_file`; with a token that may not, then one that may.
fn dial_with_the_handed_over_token(
    estate: &Estate,
    root: &Path,
    exempt: &mut Vec<PathBuf>,
) -> Vec<(String, String)> {
    // Each round's workspace has its own `token_out` file, and a PENDING peering whose file is
    // missing gets a new token: the one that still works is the newest written.
    let newest = (0..SOURCES.len())
        .map(|i| root.join(format!("workspace-{i}/out/partner.token")))
        .filter_map(|path| Some((std::fs::metadata(&path).ok()?.modified().ok()?, path)))
        .max()
        .map(|(_, path)| path)
        .expect("a token_out file was written");
    let handed = std::fs::read_to_string(newest).expect("the token handed over");
    let dialer = root.join("dialer");
    write(
        &dialer,
        "meshplan.hcl",
        &format!(
            "workspace = \"partner\"\n\
             cluster \"cluster-02\" {{\n  address = \"{}\"\n  token_env = \"CLUSTER02_TOKEN\"\n}}\n\
             peering {{\n  acceptor = \"cluster-01-partner\"\n  dialer = \"cluster-02\"\n  \
             token_file = \"tokens/cluster-01.peering\"\n}}\n",
            estate.two.http_addr()
        ),
    );
    let handed_path = dialer.join("tokens/cluster-01.peering");
    write_token(&handed_path, handed.trim(), 0o600);
    exempt.push(handed_path);
    let mut outputs = Vec::new();
    for kind in [Kind::ReadOnly, Kind::Management] {
        let token_env = vec![(token_variable("cluster-02"), estate.secret(kind).to_owned())];
        let label = format!("{kind:?} token, the dialer's workspace");
        let mut runner = Runner::new(label.clone(), token_env, root, kind == Kind::Management);
        assert_eq!(runner.run(&["plan"], &dialer).code, Some(0));
        let apply = runner.run(&["apply", "--auto-approve"], &dialer);
        let expected = if kind == Kind::Management { 0 } else { 1 };
        assert_eq!(apply.code, Some(expected), "{label}:\n{apply}");
        runner.run(&["status", "--format", "json"], &dialer);
        outputs.append(&mut runner.outputs);
    }
    outputs
}

/// The state of `agent`'s peering `name` (`None` once it is gone).
async fn peering_state(estate: &Estate, agent: &Cluster, name: &str) -> Option<String> {
    let response = client()
        .get(format!("{}/v1/peering/{name}", agent.http_addr()))
        .header("X-Consul-Token", &estate.management)
        .send()
        .await
        .expect("GET the peering");
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return None;
    }
    let peering = success_json(response, "GET the peering").await;
    peering["State"].as_str().map(str::to_owned)
}

/// The dialer's side of the peering between the two clusters, deleted by hand, is
/// re-established: one more token in flight, through another path of apply.
async fn reestablish(estate: &Estate, root: &Path) -> Vec<(String, String)> {
    estate
        .manage(
            &estate.two,
            reqwest::Method::DELETE,
            "/v1/peering/cluster-01",
            None,
        )
        .await;
    // Deletion is asynchronous on both sides: plan once the acceptor knows its peer is gone.
    let what = "cluster-02's side is gone and cluster-01's is TERMINATED";
    poll_until(WITHIN, what, async || {
        let dialer = peering_state(estate, &estate.two, "cluster-01").await;
        let acceptor = peering_state(estate, &estate.one, "cluster-02").await;
        (dialer.is_none() && acceptor.as_deref() == Some("TERMINATED")).then_some(())
    })
    .await;
    let dir = root.join("workspace-0");
    let token_env = vec![("CONSUL_HTTP_TOKEN".to_owned(), estate.management.clone())];
    let label = "Management token, re-establishing".to_owned();
    let mut runner = Runner::new(label.clone(), token_env, root, true);
    let plan = runner.run(&["plan"], &dir);
    assert!(
        plan.stdout
            .contains("peering cluster-02 will be re-established"),
        "{label}:\n{plan}"
    );
    let apply = runner.run(&["apply", "--auto-approve"], &dir);
    assert_eq!(apply.code, Some(0), "{label}:\n{apply}");
    let again = runner.run(&["plan", "--detailed-exitcode"], &dir);
    assert_eq!(again.code, Some(0), "{label}:\n{again}");
    runner.outputs
}

/// The commands that read no cluster, run with a token in the environment all the same.
fn offline_commands(estate: &Estate, root: &Path) -> Vec<(String, String)> {
    let token_env = vec![("CONSUL_HTTP_TOKEN".to_owned(), estate.management.clone())];
    let mut runner = Runner::new("offline commands".into(), token_env, root, false);
    runner.run(&["schema", "--out"], &root.join("schemas"));
    runner.run(&["completions"], Path::new("bash"));
    let man = Run::of(&mut command(&["-vvv", "man"], &runner.env()));
    runner.keep("-vvv man", format!("{man}"));
    runner.outputs
}

/// The ACL tokens, and each peering token with the establishment secret inside it.
fn secrets(estate: &Estate, peering_tokens: &[String]) -> Vec<Secret> {
    let mut secrets = vec![
        Secret {
            what: "the management token".into(),
            value: estate.management.clone(),
        },
        Secret {
            what: "the wrong token".into(),
            value: estate.wrong.clone(),
        },
        Secret {
            what: "the malformed token's first half".into(),
            value: estate.malformed[0].clone(),
        },
        Secret {
            what: "the malformed token's second half".into(),
            value: estate.malformed[1].clone(),
        },
        Secret {
            what: "the read-only token".into(),
            value: estate.read_only.clone(),
        },
    ];
    for (i, token) in peering_tokens.iter().enumerate() {
        secrets.push(Secret {
            what: format!("the establishment secret of peering token {i}"),
            value: establishment_secret(token),
        });
        secrets.push(Secret {
            what: format!("peering token {i}"),
            value: token.clone(),
        });
    }
    secrets
}

/// The `token_out` files written: mode 0600, each holding a token the acceptor gave.
fn token_outs(root: &Path, peering_tokens: &[String]) -> Vec<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    let mut written = Vec::new();
    for i in 0..SOURCES.len() {
        let path = root.join(format!("workspace-{i}/out/partner.token"));
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let mode = std::fs::metadata(&path)
            .expect("its mode")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{}", path.display());
        assert!(
            peering_tokens.contains(&text.trim().to_owned()),
            "{} holds a token the acceptor gave",
            path.display()
        );
        written.push(path);
    }
    assert!(!written.is_empty(), "the token_out file was written");
    written
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acl_or_peering_token_reaches_any_output_log_or_file() {
    let management = uuid();
    let acl = format!(
        "acl {{\n  enabled = true\n  default_policy = \"deny\"\n  tokens {{\n    \
         initial_management = \"{management}\"\n  }}\n}}"
    );
    let fragments = [acl.as_str()];
    let (one, two) = tokio::join!(
        Cluster::start_with("cluster-01", &fragments),
        Cluster::start_with("cluster-02", &fragments)
    );
    let proxy = Proxy::start(one.http_port()).await;
    let malformed = [uuid(), uuid()];
    let estate = Estate {
        one,
        two,
        proxy,
        management,
        malformed_token: format!("{}\u{7}{}", malformed[0], malformed[1]),
        malformed,
        wrong: uuid(),
        read_only: uuid(),
    };
    let temp = TempDir::new().expect("a temp dir");
    let root = temp.path();
    for folder in ["home", "tmp"] {
        std::fs::create_dir_all(root.join(folder)).expect("a folder");
    }
    let mut exempt = Vec::new();
    let mut outputs = Vec::new();

    for (i, source) in SOURCES.into_iter().enumerate() {
        let dir = root.join(format!("workspace-{i}"));
        make_workspace(&estate, source, &dir);
        if i == 0 {
            grant_read_only(&estate, &dir).await;
        }
        // Something to write in every round.
        estate
            .manage(
                &estate.one,
                reqwest::Method::DELETE,
                "/v1/config/service-defaults/web",
                None,
            )
            .await;
        for kind in [
            Kind::Malformed,
            Kind::Wrong,
            Kind::ReadOnly,
            Kind::Management,
        ] {
            let inputs = root.join("inputs");
            let token_env = give_token(source, estate.secret(kind), &dir, &inputs, &mut exempt);
            let label = format!("{kind:?} token from {source:?}");
            let mut runner = Runner::new(label, token_env, root, i % 2 == 1);
            let name = format!("{i}-{kind:?}");
            every_command(
                &mut runner,
                &estate,
                (source, kind),
                &dir,
                &name,
                &mut exempt,
            )
            .await;
            outputs.append(&mut runner.outputs);
        }
    }
    outputs.append(&mut reestablish(&estate, root).await);
    outputs.append(&mut dial_with_the_handed_over_token(
        &estate,
        root,
        &mut exempt,
    ));
    outputs.append(&mut offline_commands(&estate, root));
    let all: String = outputs.iter().map(|(_, text)| text.as_str()).collect();
    assert!(
        all.contains("consul request") && all.contains("hyper_util"),
        "the logs are not at trace for meshplan and its HTTP client"
    );

    let peering_tokens = peering_tokens(&estate.proxy);
    assert!(
        peering_tokens.len() >= 3,
        "both peerings' tokens and the re-established one's went through the proxy: {} seen",
        peering_tokens.len()
    );
    let mut secrets = secrets(&estate, &peering_tokens);
    // The one place a peering token may be written.
    exempt.extend(token_outs(root, &peering_tokens));

    // The search finds a secret that is there, in a file and in an output.
    let planted = Secret {
        what: "the planted secret".into(),
        value: uuid(),
    };
    let control = root.join("control/planted.txt");
    let text = format!("before {} after\n", planted.value);
    write(root, "control/planted.txt", &text);
    outputs.push(("the control output".into(), format!("x{}y", planted.value)));
    secrets.push(planted);
    let (mut found, searched) = leaks(&secrets, &outputs, root, &exempt);
    let planted = [
        format!("the planted secret in {}", control.display()),
        "the planted secret in the control output".to_owned(),
    ];
    for expected in &planted {
        assert!(found.contains(expected), "the search missed {expected}");
    }
    found.retain(|leak| !planted.contains(leak));
    assert!(
        found.is_empty(),
        "secrets found in {searched} outputs and files searched:\n{}",
        found.join("\n")
    );
}
