//! A scripted HTTP/1.1 responder for the client's unit tests: it answers each request with the
//! next canned response (the last one repeats) and records what it received. Real Consul
//! behaviour is tested against real agents in `tests/it/consul_client.rs`; this only covers
//! what an agent cannot be made to do on demand (a 503, a proxy echoing a header).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A response: status and body.
pub(crate) type Canned = (u16, &'static str);

/// What the fake received, one raw request (head and body) per entry.
#[derive(Clone, Default)]
pub(crate) struct Received(Arc<Mutex<Vec<String>>>);

impl Received {
    pub(crate) fn all(&self) -> Vec<String> {
        self.0.lock().map(|r| r.clone()).unwrap_or_default()
    }

    fn push(&self, request: String) -> usize {
        let mut requests = self.0.lock().unwrap_or_else(|e| e.into_inner());
        requests.push(request);
        requests.len() - 1
    }
}

/// Serves `responses` on a loopback TCP port; returns `127.0.0.1:PORT`.
pub(crate) async fn serve_tcp(responses: Vec<Canned>) -> (String, Received) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let received = Received::default();
    let log = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            answer(stream, &responses, &log).await;
        }
    });
    (address, received)
}

/// Serves `responses` on a Unix socket at `path`.
#[cfg(unix)]
pub(crate) async fn serve_unix(path: &std::path::Path, responses: Vec<Canned>) -> Received {
    let listener = tokio::net::UnixListener::bind(path).expect("bind");
    let received = Received::default();
    let log = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            answer(stream, &responses, &log).await;
        }
    });
    received
}

/// Reads one request and answers it, closing the connection.
async fn answer(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    responses: &[Canned],
    log: &Received,
) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    while !complete(&request) {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    let index = log.push(String::from_utf8_lossy(&request).into_owned());
    let (status, body) = responses[index.min(responses.len() - 1)];
    let response = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nX-Consul-Index: 77\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Whether the head has arrived and, after it, as many bytes as its Content-Length.
fn complete(request: &[u8]) -> bool {
    let text = String::from_utf8_lossy(request);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    body.len() >= length
}
