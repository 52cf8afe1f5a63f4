//! One cluster's HTTP client: built from the workspace's [`ClusterSpec`] and Consul's
//! environment variables, it sends each request with the token header, the timeouts, the
//! retry policy and the request count, and turns every failure into an [`Error`] that names
//! the cluster, the request and Consul's own message.
//!
//! The typed calls live beside it (`agent.rs`, `peering.rs`, `config_entry.rs`); this file owns
//! only the plumbing they share.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use breaker::Breaker;

use reqwest::header::{CONTENT_TYPE, HeaderName};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::address::{Address, DEFAULT_ADDRESS};
use super::env::{self, Env, parse_bool};
use super::error::{ConfigProblem, Error, TransportFailure};
use super::permission::{self, Access};
use super::retry::RetryPolicy;
use super::server_name::PinnedName;
use super::tls::Tls;
use super::token::{self, Token};
use crate::model::ClusterSpec;

/// The header Consul reads the ACL token from.
const TOKEN_HEADER: HeaderName = HeaderName::from_static("x-consul-token");

/// Consul's error bodies are short; anything longer is a proxy's page and is cut here.
const MAX_MESSAGE_CHARS: usize = 2000;

/// Timeouts and retries; the defaults suit a CLI run against healthy agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientOptions {
    /// How long setting up a connection (TCP and TLS) may take: 5 s.
    pub connect_timeout: Duration,
    /// How long one request may take from start to the end of the body: 30 s (establish waits
    /// up to 3 s for the acceptor). Blocking queries set a longer timeout of their own.
    pub request_timeout: Duration,
    /// Retries for idempotent calls.
    pub retry: RetryPolicy,
    /// Whether a connection stays open for a later request once its reply is read: yes, for
    /// commands that go on writing or watching. A command that reads each list once (`plan`)
    /// closes each connection as its reply lands, while other replies are still on their way;
    /// kept open, all of them (one per list) were closed at exit, one after another, after the
    /// plan was printed.
    pub keep_alive: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            keep_alive: true,
        }
    }
}

/// An HTTP client for one cluster's Consul agent. Cheap to clone; clones share the request
/// count.
#[derive(Clone)]
pub struct Client {
    cluster: String,
    http: reqwest::Client,
    address: Address,
    /// Scheme, host (the TLS server name when one is set), port and path prefix.
    base: Url,
    token: Option<Arc<Token>>,
    partition: Option<String>,
    /// `CONSUL_NAMESPACE`: the namespace of requests that name none (Enterprise).
    namespace: Option<String>,
    retry: RetryPolicy,
    /// Replaces the client's request timeout when set ([`Client::within`]).
    request_timeout: Option<Duration>,
    requests: Arc<AtomicU64>,
    breaker: Arc<Breaker>,
}

impl Client {
    /// Builds the client for `spec` with the default [`ClientOptions`].
    ///
    /// # Errors
    /// See [`Client::with_options`].
    pub fn new(spec: &ClusterSpec, env: &Env, root: &Path) -> Result<Self, Error> {
        Self::with_options(spec, env, root, ClientOptions::default())
    }

    /// Builds the client for `spec`: the address, token, TLS and partition from the workspace
    /// first, then from Consul's environment variables in `env`. Relative paths in `spec`
    /// resolve against the workspace `root`. Sends nothing.
    ///
    /// # Errors
    /// [`Error::Config`] for an address that cannot be parsed, a token that cannot be found or
    /// read (an unset `token_env` variable is named), or TLS files that cannot be read or used.
    pub fn with_options(
        spec: &ClusterSpec,
        env: &Env,
        root: &Path,
        options: ClientOptions,
    ) -> Result<Self, Error> {
        let config_error = |problem| Error::Config {
            cluster: spec.name.clone(),
            problem,
        };
        let address = parse_address(spec, env).map_err(config_error)?;
        let token = token::resolve(&spec.token, env, root).map_err(config_error)?;
        let builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .user_agent(concat!("meshplan/", env!("CARGO_PKG_VERSION")));
        let builder = if options.keep_alive {
            builder
        } else {
            builder.pool_max_idle_per_host(0)
        };
        let (builder, base) =
            transport(builder, &address, spec, env, root).map_err(config_error)?;
        let http = builder.build().map_err(|err| {
            config_error(ConfigProblem::Build {
                reason: chain(&err.without_url()),
            })
        })?;
        let partition = spec
            .partition
            .clone()
            .or_else(|| env.non_empty(env::PARTITION).map(str::to_owned))
            .filter(|partition| !partition.is_empty());
        let namespace = env.non_empty(env::NAMESPACE).map(str::to_owned);
        Ok(Self {
            cluster: spec.name.clone(),
            http,
            address,
            base,
            token: token.map(Arc::new),
            partition,
            namespace,
            retry: options.retry,
            request_timeout: None,
            requests: Arc::new(AtomicU64::new(0)),
            breaker: Arc::new(Breaker::default()),
        })
    }

    /// This client for a command that must be over within `total`: each request may take at
    /// most a quarter of it (and never more than the client's own timeout), so that an agent
    /// that stops answering is found out, and its breaker opened, while time is left to report.
    pub fn within(mut self, total: Duration, options: &ClientOptions) -> Self {
        self.request_timeout = Some(options.request_timeout.min(total / 4));
        self
    }

    /// The cluster's name in the workspace.
    pub fn cluster(&self) -> &str {
        &self.cluster
    }

    /// The agent's address, e.g. `https://consul-01.internal:8501` or `unix:///run/consul.sock`.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// The admin partition sent with every partition-aware request, if any.
    pub fn partition(&self) -> Option<&str> {
        self.partition.as_deref()
    }

    /// The namespace (`CONSUL_NAMESPACE`) sent with namespaced requests that name none.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// Whether the settings say the cluster is Consul Enterprise (a partition or a namespace
    /// is set): only then are `ns=default` and `ns=*` sent, since CE refuses any `ns`
    /// (`agent/http_ce.go`, `parseEntMeta`).
    pub fn is_enterprise(&self) -> bool {
        self.partition.is_some() || self.namespace.is_some()
    }

    /// HTTP requests sent so far by this client and its clones, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Sends `request`, resending it on transient failures when it is idempotent.
    ///
    /// # Errors
    /// [`Error::Transport`] when no response came, [`Error::Status`] for a non-2xx status.
    pub(crate) async fn execute(&self, request: Request) -> Result<Reply, Error> {
        let url = self.url(&request);
        let path = self.shown_path(&url);
        if request.idempotent {
            self.retry.run(|| self.attempt(&request, &url, &path)).await
        } else {
            self.attempt(&request, &url, &path).await
        }
    }

    async fn attempt(&self, request: &Request, url: &Url, path: &str) -> Result<Reply, Error> {
        if let Some(failures) = self.breaker.open() {
            return Err(Error::Unanswered {
                cluster: self.cluster.clone(),
                method: request.method.clone(),
                path: path.to_owned(),
                address: self.address.to_string(),
                failures,
                last: self.breaker.last_failure(),
            });
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut builder = self.http.request(request.method.clone(), url.clone());
        if let Some(token) = &self.token {
            builder = builder.header(TOKEN_HEADER, token.header.clone());
        }
        if let Some(timeout) = request.timeout.or(self.request_timeout) {
            builder = builder.timeout(timeout);
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let transport_error = |err| self.transport_error(&request.method, path, err);
        let started = std::time::Instant::now();
        let response = builder.send().await.map_err(|err| {
            tracing::debug!(cluster = %self.cluster, method = %request.method, path, "no response");
            self.count_failure(transport_error(err))
        })?;
        self.breaker.answered();
        let status = response.status();
        tracing::debug!(
            cluster = %self.cluster,
            method = %request.method,
            path,
            status = status.as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "consul request"
        );
        let index = response
            .headers()
            .get("x-consul-index")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse().ok());
        let filtered = response
            .headers()
            .get("x-consul-results-filtered-by-acls")
            .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"true"));
        // A reply may hold a peering token: keep the copy we own wiped on drop. The body is
        // taken over from the response, not copied, whenever the response holds it alone.
        let body = Zeroizing::new(Vec::from(
            response
                .bytes()
                .await
                .map_err(|err| self.count_failure(transport_error(err)))?,
        ));
        if !status.is_success() {
            return Err(self.status_error(request, path, status, &body));
        }
        Ok(Reply {
            method: request.method.clone(),
            path: path.to_owned(),
            index,
            filtered,
            body,
        })
    }

    /// Counts a timeout or a refused connection towards the breaker; returns `error`.
    fn count_failure(&self, error: Error) -> Error {
        if let Error::Transport {
            failure: TransportFailure::Timeout | TransportFailure::Connect,
            ..
        } = &error
            && let Some(failures) = self.breaker.failed_with(error.to_string())
        {
            tracing::warn!(
                cluster = %self.cluster,
                address = %self.address,
                failures,
                "the agent stopped answering: no more requests are sent to it for {}s",
                breaker::COOL_DOWN.as_secs()
            );
        }
        error
    }

    fn url(&self, request: &Request) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push("v1").extend(&request.segments);
        }
        let mut query: Vec<(&str, &str)> = request
            .query
            .iter()
            .map(|(key, value)| (*key, value.as_str()))
            .collect();
        let partition = request.partition.as_deref().or(self.partition.as_deref());
        if request.partitioned
            && let Some(partition) = partition
        {
            query.push(("partition", partition));
        }
        let namespace = match &request.namespace {
            Namespace::Unnamed => None,
            Namespace::Cluster => self.namespace.as_deref(),
            Namespace::Named(namespace) => Some(namespace.as_str()),
            Namespace::Default => self.is_enterprise().then_some("default"),
            Namespace::All => self.is_enterprise().then_some("*"),
        };
        if let Some(namespace) = namespace {
            query.push(("ns", namespace));
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// `/v1/config?cas=12`: the path as Consul's docs write it, without the address's prefix.
    fn shown_path(&self, url: &Url) -> String {
        let prefix = match &self.address {
            Address::Tcp { prefix, .. } => prefix.as_str(),
            Address::Unix { .. } => "",
        };
        let path = url.path().strip_prefix(prefix).unwrap_or(url.path());
        match url.query() {
            Some(query) => format!("{path}?{query}"),
            None => path.to_owned(),
        }
    }

    fn transport_error(&self, method: &Method, path: &str, error: reqwest::Error) -> Error {
        let failure = if error.is_timeout() {
            TransportFailure::Timeout
        } else if error.is_connect() {
            TransportFailure::Connect
        } else {
            TransportFailure::Other
        };
        Error::Transport {
            cluster: self.cluster.clone(),
            method: method.clone(),
            path: path.to_owned(),
            address: self.address.to_string(),
            failure,
            reason: chain(&error.without_url()),
        }
    }

    fn status_error(
        &self,
        request: &Request,
        path: &str,
        status: StatusCode,
        body: &[u8],
    ) -> Error {
        let mut message = String::from_utf8_lossy(body).trim().to_owned();
        // Consul never echoes the token, but a proxy in between might.
        if let Some(token) = self.token.as_ref().and_then(|t| t.header.to_str().ok()) {
            message = message.replace(token, "****");
        }
        if let Some((cut, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS) {
            message.truncate(cut);
            message.push_str(" [...]");
        }
        if message.is_empty() {
            message = status.canonical_reason().unwrap_or("no message").to_owned();
        }
        let origin = self.token.as_ref().map(|token| token.origin.as_str());
        let hint = permission::hint(&request.access, status.as_u16(), &message, origin);
        Error::Status {
            cluster: self.cluster.clone(),
            method: request.method.clone(),
            path: path.to_owned(),
            status: status.as_u16(),
            message,
            hint,
        }
    }

    /// Parses a reply's JSON body.
    ///
    /// # Errors
    /// [`Error::Decode`] naming the request and serde's reason.
    pub(crate) fn decode<T: DeserializeOwned>(&self, reply: &Reply) -> Result<T, Error> {
        serde_json::from_slice(&reply.body).map_err(|err| self.decode_error(reply, err.to_string()))
    }

    pub(crate) fn decode_error(&self, reply: &Reply, reason: String) -> Error {
        Error::Decode {
            cluster: self.cluster.clone(),
            method: reply.method.clone(),
            path: reply.path.clone(),
            reason,
        }
    }
}

/// The address from the workspace, else `CONSUL_HTTP_ADDR`, else Consul's default.
fn parse_address(spec: &ClusterSpec, env: &Env) -> Result<Address, ConfigProblem> {
    let force_https = match env.non_empty(env::HTTP_SSL) {
        None => false,
        Some(value) => parse_bool(value).ok_or_else(|| ConfigProblem::NotBool {
            variable: env::HTTP_SSL,
            value: value.to_owned(),
        })?,
    };
    let text = spec
        .address
        .as_deref()
        .or_else(|| env.non_empty(env::HTTP_ADDR))
        .unwrap_or(DEFAULT_ADDRESS);
    Address::parse(text, force_https).map_err(|reason| ConfigProblem::Address {
        address: without_credentials(text),
        reason,
    })
}

/// `http://user:pass@host` → `http://****@host`: an address may hold a password.
fn without_credentials(address: &str) -> String {
    let (scheme, rest) = address.split_once("://").unwrap_or(("", address));
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) if scheme.is_empty() => format!("****{}", &rest[at..]),
        Some(at) => format!("{scheme}://****{}", &rest[at..]),
        None => address.to_owned(),
    }
}

/// Points `builder` at the address (a Unix socket, or TCP with TLS when https) and returns the
/// base URL requests are built on.
fn transport(
    builder: reqwest::ClientBuilder,
    address: &Address,
    spec: &ClusterSpec,
    env: &Env,
    root: &Path,
) -> Result<(reqwest::ClientBuilder, Url), ConfigProblem> {
    let build_error = |reason: String| ConfigProblem::Build { reason };
    // Plain HTTP needs no roots; not loading the platform's saves milliseconds per cluster on
    // every run.
    let plain = |builder: reqwest::ClientBuilder| builder.tls_certs_only(Vec::new());
    match address {
        // Every request goes over the socket; the URL's host is only sent as `Host`.
        Address::Unix { path } => {
            let base =
                Url::parse("http://localhost/").map_err(|err| build_error(err.to_string()))?;
            Ok((unix_socket(plain(builder), path)?, base))
        }
        Address::Tcp {
            https: false,
            host,
            port,
            prefix,
        } => Ok((plain(builder), base_url("http", host, *port, prefix)?)),
        Address::Tcp {
            https: true,
            host,
            port,
            prefix,
        } => {
            let tls = Tls::load(spec.tls.as_ref(), env, root)?;
            let (builder, url_host) = match tls.server_name.clone() {
                Some(server_name) if !server_name.eq_ignore_ascii_case(host) => {
                    let pinned = PinnedName {
                        server_name: server_name.clone(),
                        host: host.clone(),
                    };
                    (builder.dns_resolver(pinned), server_name)
                }
                _ => (builder, host.clone()),
            };
            Ok((
                tls.apply(builder),
                base_url("https", &url_host, *port, prefix)?,
            ))
        }
    }
}

#[cfg(unix)]
fn unix_socket(
    builder: reqwest::ClientBuilder,
    path: &Path,
) -> Result<reqwest::ClientBuilder, ConfigProblem> {
    Ok(builder.unix_socket(path.to_owned()))
}

#[cfg(not(unix))]
fn unix_socket(
    _builder: reqwest::ClientBuilder,
    _path: &Path,
) -> Result<reqwest::ClientBuilder, ConfigProblem> {
    Err(ConfigProblem::Build {
        reason: "unix:// addresses need a Unix system".into(),
    })
}

fn base_url(scheme: &str, host: &str, port: u16, prefix: &str) -> Result<Url, ConfigProblem> {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    Url::parse(&format!("{scheme}://{host}:{port}{prefix}/")).map_err(|err| {
        ConfigProblem::Address {
            address: format!("{scheme}://{host}:{port}{prefix}"),
            reason: err.to_string(),
        }
    })
}

/// An error and its causes on one line, each cause once.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if parts.last().is_none_or(|last| !last.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// Leaves out the token: only where it came from is shown.
impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("cluster", &self.cluster)
            .field("address", &self.address.to_string())
            .field(
                "token",
                &self.token.as_ref().map(|token| token.origin.as_str()),
            )
            .field("partition", &self.partition)
            .field("namespace", &self.namespace)
            .field("retry", &self.retry)
            .field("request_timeout", &self.request_timeout)
            .field("requests_sent", &self.requests_sent())
            .finish_non_exhaustive()
    }
}

/// One request, described once so that its URL, its error messages, its 403 hint and whether
/// it may be retried all agree.
pub(crate) struct Request {
    method: Method,
    /// Path segments after `/v1`, percent-encoded when the URL is built.
    segments: Vec<String>,
    query: Vec<(&'static str, String)>,
    /// Whether a `?partition=` goes on this request: its own, else the cluster's.
    partitioned: bool,
    /// The request's own partition (an entry's `Partition`), over the cluster's.
    partition: Option<String>,
    /// Which `?ns=` goes on this request.
    namespace: Namespace,
    body: Option<Zeroizing<Vec<u8>>>,
    access: Access,
    idempotent: bool,
    /// Replaces the client's request timeout (a blocking query waits longer than it).
    timeout: Option<Duration>,
}

impl Request {
    /// A GET (idempotent) of `/v1/<segments>`.
    pub(crate) fn get(segments: &[&str], access: Access) -> Self {
        Self::new(Method::GET, segments, access, true)
    }

    /// A request that is sent once whatever happens.
    pub(crate) fn once(method: Method, segments: &[&str], access: Access) -> Self {
        Self::new(method, segments, access, false)
    }

    /// A write that Consul documents as idempotent, so it may be resent.
    pub(crate) fn idempotent(method: Method, segments: &[&str], access: Access) -> Self {
        Self::new(method, segments, access, true)
    }

    fn new(method: Method, segments: &[&str], access: Access, idempotent: bool) -> Self {
        Self {
            method,
            segments: segments.iter().map(|s| (*s).to_owned()).collect(),
            query: Vec::new(),
            partitioned: false,
            partition: None,
            namespace: Namespace::Unnamed,
            body: None,
            access,
            idempotent,
            timeout: None,
        }
    }

    /// How long this request may take, instead of the client's request timeout.
    pub(crate) fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// `?consistent`: the leader confirms it still leads before answering, so that a read right
    /// after a leader change cannot miss the last writes (consul-api.md §4).
    pub(crate) fn consistent(self) -> Self {
        self.query("consistent", "")
    }

    pub(crate) fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    /// Adds the cluster's `?partition=` when it has one (Consul CE refuses even `default`).
    pub(crate) fn partitioned(mut self) -> Self {
        self.partitioned = true;
        self
    }

    /// Sends `partition` instead of the cluster's (an entry's own `Partition`).
    pub(crate) fn in_partition(mut self, partition: Option<&str>) -> Self {
        self.partitioned = true;
        self.partition = partition.map(str::to_owned);
        self
    }

    /// Which namespace this request names.
    pub(crate) fn namespace(mut self, namespace: Namespace) -> Self {
        self.namespace = namespace;
        self
    }

    /// A JSON body; wiped from memory on drop, since a peering token may be in it.
    pub(crate) fn json(mut self, body: &impl serde::Serialize) -> Self {
        // The bodies are derived structs and JSON values, which always serialize; were one not
        // to, Consul would refuse the empty body with a 400 naming the request.
        self.body = Some(Zeroizing::new(serde_json::to_vec(body).unwrap_or_default()));
        self
    }
}

/// The `?ns=` of a request. Consul Enterprise reads it on namespaced endpoints (config
/// entries, health); Consul CE refuses the parameter whatever its value (`agent/http_ce.go`),
/// so the defaults and the wildcard are sent only to a cluster [`Client::is_enterprise`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Namespace {
    /// No `ns`: the endpoint is not namespaced (peerings, agent).
    #[default]
    Unnamed,
    /// The cluster's `CONSUL_NAMESPACE`, when set.
    Cluster,
    /// This namespace: an entry's own `Namespace`.
    Named(String),
    /// `default` on Enterprise: an entry that names no namespace is in `default`, whatever the
    /// token's or the environment's namespace, so that a plan does not depend on them.
    Default,
    /// `*`, every namespace, on Enterprise: lists that must see entries in any namespace.
    All,
}

impl Namespace {
    /// An entry's namespace as its key holds it (`None`: the default namespace).
    pub(crate) fn of_entry(namespace: Option<&str>) -> Self {
        namespace.map_or(Self::Default, |namespace| Self::Named(namespace.to_owned()))
    }
}

/// A successful response: the body and Consul's `X-Consul-Index`.
pub(crate) struct Reply {
    method: Method,
    path: String,
    pub(crate) index: Option<u64>,
    /// Whether Consul left out results the token may not read
    /// (`X-Consul-Results-Filtered-By-ACLs`): a list, then, is not everything there is.
    pub(crate) filtered: bool,
    pub(crate) body: Zeroizing<Vec<u8>>,
}

mod breaker;
#[cfg(test)]
mod tests;
