//! A loopback HTTP/1.1 proxy in front of a real agent: it records every request line that goes
//! through it and, per request, forwards it, delays it, answers it itself or resets the
//! connection, as a [`Rule`] decides. For what an agent cannot be made to do (a 500, a 429, a
//! reset, a slow reply) and for counting what a client sent.
//!
//! Each client connection gets its own upstream connection. Requests are parsed (head and
//! `Content-Length` body) so that each can be recorded and decided; responses are copied back
//! byte for byte, and kept (per connection, as sent) for tests that need to know what a client
//! was given, such as a peering token. Clients that pipeline are not supported (reqwest does not
//! pipeline).

#![allow(
    dead_code,
    reason = "shared by every test module, and each module uses only part of it"
)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request that went through the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    /// The path with its query, e.g. `/v1/config?cas=0`.
    pub path: String,
}

impl Seen {
    /// Whether this request can change Consul's state (any method but GET and HEAD).
    pub fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD")
    }
}

/// What to do with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Forward,
    /// Forward after this long.
    Delay(Duration),
    /// Answer with this status and body; the agent never sees the request.
    Respond(u16, String),
    /// Close the connection without an answer.
    Reset,
}

/// Decides each request's [`Action`]; the default forwards everything.
pub type Rule = Arc<dyn Fn(&Seen) -> Action + Send + Sync>;

/// The bytes the agent sent back on each connection, one buffer per connection.
type Answers = Arc<Mutex<Vec<Arc<Mutex<Vec<u8>>>>>>;

/// A running proxy; dropping it stops accepting (open connections end with their clients).
pub struct Proxy {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    rule: Arc<Mutex<Rule>>,
    answers: Answers,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// A proxy on a free loopback port in front of `127.0.0.1:upstream_port`, forwarding all.
    pub async fn start(upstream_port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("the proxy's address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let rule: Arc<Mutex<Rule>> = Arc::new(Mutex::new(Arc::new(|_: &Seen| Action::Forward)));
        let answers = Answers::default();
        let task = tokio::spawn({
            let seen = Arc::clone(&seen);
            let rule = Arc::clone(&rule);
            let answers = Arc::clone(&answers);
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let seen = Arc::clone(&seen);
                    let rule = Arc::clone(&rule);
                    let answer = Arc::default();
                    answers
                        .lock()
                        .expect("the answers")
                        .push(Arc::clone(&answer));
                    tokio::spawn(async move {
                        let _ = serve(client, upstream_port, seen, rule, answer).await;
                    });
                }
            }
        });
        Proxy {
            port,
            seen,
            rule,
            answers,
            task,
        }
    }

    /// The base URL to give clients instead of the agent's, e.g. `http://127.0.0.1:40123`.
    pub fn http_addr(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Replaces the rule for requests from now on.
    pub fn set_rule(&self, rule: impl Fn(&Seen) -> Action + Send + Sync + 'static) {
        *self.rule.lock().expect("the rule") = Arc::new(rule);
    }

    /// Every request seen so far, in order of arrival.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("the requests").clone()
    }

    /// What the agent sent back so far (status lines, headers and bodies), one transcript per
    /// client connection.
    pub fn answers(&self) -> Vec<Vec<u8>> {
        self.answers
            .lock()
            .expect("the answers")
            .iter()
            .map(|answer| answer.lock().expect("an answer").clone())
            .collect()
    }

    /// The writes seen so far whose path starts with `prefix` (e.g. `/v1/config`).
    pub fn writes_to(&self, prefix: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|seen| seen.is_write() && seen.path.starts_with(prefix))
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One client connection: requests parsed and decided, responses copied back.
async fn serve(
    client: TcpStream,
    upstream_port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    rule: Arc<Mutex<Rule>>,
    answer: Arc<Mutex<Vec<u8>>>,
) -> std::io::Result<()> {
    let upstream = TcpStream::connect(("127.0.0.1", upstream_port)).await?;
    let (mut client_read, client_write) = client.into_split();
    let (mut upstream_read, mut upstream_write) = upstream.into_split();
    let client_write = Arc::new(tokio::sync::Mutex::new(client_write));
    let back = tokio::spawn({
        let client_write = Arc::clone(&client_write);
        async move {
            let mut buffer = vec![0; 16 * 1024];
            loop {
                let read = upstream_read.read(&mut buffer).await?;
                if read == 0 {
                    break;
                }
                answer
                    .lock()
                    .expect("the answer")
                    .extend_from_slice(&buffer[..read]);
                client_write.lock().await.write_all(&buffer[..read]).await?;
            }
            client_write.lock().await.shutdown().await
        }
    });
    let mut pending = Vec::new();
    let outcome = loop {
        let Some(request) = read_request(&mut client_read, &mut pending).await? else {
            break Ok(());
        };
        seen.lock()
            .expect("the requests")
            .push(request.seen.clone());
        let action = (rule.lock().expect("the rule").clone())(&request.seen);
        match action {
            Action::Forward => upstream_write.write_all(&request.bytes).await?,
            Action::Delay(delay) => {
                tokio::time::sleep(delay).await;
                upstream_write.write_all(&request.bytes).await?;
            }
            Action::Respond(status, body) => {
                let response = format!(
                    "HTTP/1.1 {status} Injected\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                client_write
                    .lock()
                    .await
                    .write_all(response.as_bytes())
                    .await?;
            }
            Action::Reset => break Ok(()),
        }
    };
    back.abort();
    outcome
}

struct Request {
    seen: Seen,
    /// The head and body as received, to forward unchanged.
    bytes: Vec<u8>,
}

/// Reads one request (head, then a `Content-Length` body); `None` at the end of the stream.
/// `pending` holds bytes read past the previous request.
async fn read_request(
    reader: &mut (impl AsyncRead + Unpin),
    pending: &mut Vec<u8>,
) -> std::io::Result<Option<Request>> {
    let head_end = loop {
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if !fill(reader, pending).await? {
            return Ok(None);
        }
    };
    let head = String::from_utf8_lossy(&pending[..head_end]).into_owned();
    let mut words = head.split_whitespace();
    let method = words.next().unwrap_or_default().to_owned();
    let path = words.next().unwrap_or_default().to_owned();
    let length: usize = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    while pending.len() < head_end + length {
        if !fill(reader, pending).await? {
            return Ok(None);
        }
    }
    let rest = pending.split_off(head_end + length);
    let bytes = std::mem::replace(pending, rest);
    Ok(Some(Request {
        seen: Seen { method, path },
        bytes,
    }))
}

/// Reads more bytes into `buffer`; `false` at the end of the stream.
async fn fill(
    reader: &mut (impl AsyncRead + Unpin),
    buffer: &mut Vec<u8>,
) -> std::io::Result<bool> {
    let mut chunk = [0; 8192];
    let read = reader.read(&mut chunk).await?;
    buffer.extend_from_slice(&chunk[..read]);
    Ok(read > 0)
}
