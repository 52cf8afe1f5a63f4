//! A fault-injecting HTTP/1.1 proxy between meshplan and a real agent, on loopback only: it
//! forwards each request to the agent unless a [`Rule`] says otherwise, and records every
//! request it received and whether the agent answered it, so that tests can count writes.
//!
//! Faults are what an agent cannot be made to do on demand: a 5xx or 429 instead of the answer
//! (before or after the agent saw the request), a connection cut after the request reached the
//! agent, a delay, or no answer at all.

#![allow(
    dead_code,
    reason = "shared by every test module, and each module uses only part of it"
)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// What the proxy does to a request a [`Rule`] matches.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Answers this status without forwarding: the agent never sees the request.
    Refuse(u16),
    /// Forwards, then answers this status instead of the agent's answer: the write is made.
    FailAfter(u16),
    /// Forwards, then closes the connection without an answer.
    CutAfter,
    /// Waits this long, then forwards.
    Delay(Duration),
    /// Never answers.
    Hang,
}

/// A fault for the next `times` requests whose method is `method` and whose path (with the
/// query) starts with `prefix`.
#[derive(Debug, Clone)]
pub struct Rule {
    pub method: &'static str,
    pub prefix: &'static str,
    pub fault: Fault,
    pub times: usize,
}

/// One request the proxy received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// With the query string.
    pub path: String,
    pub body: Vec<u8>,
    /// Whether the agent answered it (what it did with it, it did).
    pub answered: bool,
}

#[derive(Default)]
struct State {
    upstream: String,
    rules: Vec<Rule>,
    seen: Vec<Seen>,
    /// The accept loop and every connection's task, for [`FaultProxy::kill`].
    tasks: Vec<AbortHandle>,
    /// Killed: a connection accepted meanwhile is closed at once.
    killed: bool,
}

/// A running proxy; stops with the test's runtime.
#[derive(Clone)]
pub struct FaultProxy {
    address: String,
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    /// A proxy on a free loopback port in front of `upstream` (`http://127.0.0.1:PORT`).
    pub async fn start(upstream: &str) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let state = Arc::new(Mutex::new(State {
            upstream: upstream.to_owned(),
            ..State::default()
        }));
        let proxy = FaultProxy { address, state };
        proxy.listen(listener);
        proxy
    }

    fn listen(&self, listener: TcpListener) {
        let shared = Arc::clone(&self.state);
        let mut state = self.lock();
        state.killed = false;
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
                if state.killed {
                    return;
                }
                let task = tokio::spawn(serve(stream, Arc::clone(&shared)));
                state.tasks.push(task.abort_handle());
            }
        });
        state.tasks.push(accept.abort_handle());
    }

    /// Dies as a killed process would, and as an agent killed behind it looks to its clients:
    /// every open connection is closed, answered or not, and new ones are refused. What it
    /// received is kept ([`FaultProxy::seen`]).
    pub fn kill(&self) {
        let mut state = self.lock();
        state.killed = true;
        for task in state.tasks.drain(..) {
            task.abort();
        }
    }

    /// Listens again at the same address after [`FaultProxy::kill`], with the same rules.
    pub async fn restart(&self) {
        let address = self.address.trim_start_matches("http://");
        // The old listener closes once the runtime drops its aborted task: a moment later.
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(address).await {
                Ok(listener) => break listener,
                Err(error) => {
                    tries += 1;
                    assert!(tries < 100, "bind {address} again: {error}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        };
        self.listen(listener);
    }

    /// `http://127.0.0.1:PORT`, for a workspace's `address`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Adds a rule after those already there; the first matching rule with times left wins.
    pub fn add(&self, method: &'static str, prefix: &'static str, fault: Fault, times: usize) {
        self.lock().rules.push(Rule {
            method,
            prefix,
            fault,
            times,
        });
    }

    /// No more faults: everything is forwarded.
    pub fn clear(&self) {
        self.lock().rules.clear();
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }

    /// Requests with `method` whose path starts with `prefix` that the agent answered.
    pub fn answered(&self, method: &str, prefix: &str) -> usize {
        self.lock()
            .seen
            .iter()
            .filter(|seen| seen.answered && seen.method == method && seen.path.starts_with(prefix))
            .count()
    }

    /// The `Name` of each JSON body of a request with `method` whose path starts with
    /// `prefix` that the agent answered, with how often.
    pub fn answered_names(&self, method: &str, prefix: &str) -> BTreeMap<String, usize> {
        let mut names = BTreeMap::new();
        for seen in self.lock().seen.iter() {
            if seen.answered && seen.method == method && seen.path.starts_with(prefix) {
                let body: serde_json::Value =
                    serde_json::from_slice(&seen.body).expect("a JSON body");
                let name = body["Name"].as_str().expect("a Name").to_owned();
                *names.entry(name).or_insert(0) += 1;
            }
        }
        names
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One client connection: requests one after another (keep-alive).
async fn serve(stream: TcpStream, state: Arc<Mutex<State>>) {
    let mut reader = BufReader::new(stream);
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client");
    loop {
        let Some((method, path, headers, body)) = read_request(&mut reader).await else {
            return;
        };
        let (fault, upstream, index) = {
            let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
            let fault = state
                .rules
                .iter_mut()
                .find(|rule| {
                    rule.times > 0 && rule.method == method && path.starts_with(rule.prefix)
                })
                .map(|rule| {
                    rule.times -= 1;
                    rule.fault
                });
            state.seen.push(Seen {
                method: method.clone(),
                path: path.clone(),
                body: body.clone(),
                answered: false,
            });
            (fault, state.upstream.clone(), state.seen.len() - 1)
        };
        let forward = async || {
            let mut request = http.request(
                method.parse().expect("a method"),
                format!("{upstream}{path}"),
            );
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            let response = request.body(body.clone()).send().await.ok()?;
            let status = response.status().as_u16();
            let consul_index = response
                .headers()
                .get("x-consul-index")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let bytes = response.bytes().await.ok()?.to_vec();
            state.lock().unwrap_or_else(PoisonError::into_inner).seen[index].answered = true;
            Some((status, consul_index, bytes))
        };
        let stream = reader.get_mut();
        let written = match fault {
            Some(Fault::Refuse(status)) => respond(stream, status, None, b"injected fault").await,
            Some(Fault::FailAfter(status)) => {
                let _ = forward().await;
                respond(stream, status, None, b"injected fault after the write").await
            }
            Some(Fault::CutAfter) => {
                let _ = forward().await;
                return;
            }
            Some(Fault::Hang) => std::future::pending().await,
            Some(Fault::Delay(delay)) => {
                tokio::time::sleep(delay).await;
                relay(stream, forward().await).await
            }
            None => relay(stream, forward().await).await,
        };
        if written.is_err() {
            return;
        }
    }
}

/// The agent's answer, or a 502 when it gave none.
async fn relay(
    stream: &mut TcpStream,
    answer: Option<(u16, Option<String>, Vec<u8>)>,
) -> std::io::Result<()> {
    match answer {
        Some((status, index, body)) => respond(stream, status, index.as_deref(), &body).await,
        None => respond(stream, 502, None, b"the agent did not answer").await,
    }
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    index: Option<&str>,
    body: &[u8],
) -> std::io::Result<()> {
    let index = index
        .map(|index| format!("X-Consul-Index: {index}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "HTTP/1.1 {status} Fault\r\nContent-Length: {}\r\nContent-Type: application/json\r\n{index}\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await
}

type Request = (String, String, Vec<(String, String)>, Vec<u8>);

/// The next request on the connection; `None` when it closed.
async fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).await.ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
        if name == "content-length" {
            length = value.parse().ok()?;
        }
        if ["x-consul-token", "content-type"].contains(&name.as_str()) {
            headers.push((name, value));
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    Some((method, path, headers, body))
}
