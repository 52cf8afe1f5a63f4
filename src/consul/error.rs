//! What can go wrong talking to Consul, worded for the person who has to fix it.
//!
//! Every message starts with the cluster; request errors go on with the method and path (the
//! query string holds only `cas`, `partition` and `peer`: tokens travel in a header) and then
//! Consul's own text. A 403 gets a `hint:` line naming the permission the endpoint needs.
//! Nothing here ever holds a token: errors carry where a token came from, never its text.

use std::path::{Path, PathBuf};

use reqwest::Method;

/// An error from building a [`super::Client`] or from one of its calls.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cluster's settings cannot be turned into a client.
    #[error("cluster {cluster:?}: {problem}")]
    Config {
        cluster: String,
        problem: ConfigProblem,
    },

    /// No HTTP response: the connection, TLS or the response body failed, or time ran out.
    #[error(
        "cluster {cluster:?}: {method} {path}: {}{address}: {reason}{}",
        failure.verb(),
        hint_line(transport_hint(reason))
    )]
    Transport {
        cluster: String,
        method: Method,
        path: String,
        /// The agent's address, e.g. `https://consul-01.internal:8501`.
        address: String,
        failure: TransportFailure,
        /// The whole chain of causes, without the URL.
        reason: String,
    },

    /// Consul answered with an error status.
    #[error(
        "cluster {cluster:?}: {method} {path}: HTTP {status}: {message}{}",
        hint_line(hint.as_deref())
    )]
    Status {
        cluster: String,
        method: Method,
        path: String,
        status: u16,
        /// Consul's plain-text error body, trimmed.
        message: String,
        /// What the status likely means here, e.g. the ACL permission a 403 points at.
        hint: Option<String>,
    },

    /// Not sent: the cluster's agent stopped answering (several requests in a row timed out or
    /// could not connect), so requests to it are refused here for a while instead of each
    /// waiting out its own timeout.
    #[error(
        "cluster {cluster:?}: {method} {path}: not sent: the agent at {address} stopped \
         answering ({failures} requests in a row timed out or could not connect); the last \
         failure:\n{last}"
    )]
    Unanswered {
        cluster: String,
        method: Method,
        path: String,
        address: String,
        failures: u32,
        /// The last failure counted, as reported (with its hint, if it has one).
        last: String,
    },

    /// Consul answered with success but a body this client cannot read.
    #[error("cluster {cluster:?}: {method} {path}: unexpected response: {reason}")]
    Decode {
        cluster: String,
        method: Method,
        path: String,
        reason: String,
    },
}

/// Why a request got no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportFailure {
    /// The connection (TCP, Unix socket or TLS handshake) could not be made.
    Connect,
    /// The connect or request timeout ran out.
    Timeout,
    /// The connection failed after the request was (perhaps) sent.
    Other,
}

impl TransportFailure {
    fn verb(self) -> &'static str {
        match self {
            Self::Connect => "cannot connect to ",
            Self::Timeout => "timed out waiting for ",
            Self::Other => "request failed at ",
        }
    }
}

/// A cluster setting that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigProblem {
    #[error("environment variable `{variable}` named by `token_env` is not set")]
    TokenEnvUnset { variable: String },
    #[error("the ACL token from {origin} is empty")]
    TokenEmpty { origin: String },
    #[error("the ACL token from {origin} has characters that cannot go in an HTTP header")]
    TokenNotHeader { origin: String },
    #[error("cannot read {what} `{}`: {error}", path.display())]
    ReadFile {
        what: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{what} `{}` is not usable PEM: {reason}", path.display())]
    Pem {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error(
        "a client certificate needs its key and a key its certificate: set both `cert_file` and \
         `key_file` (or CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY)"
    )]
    HalfIdentity,
    #[error("invalid address{}: {reason}", shown_address(address))]
    Address { address: String, reason: String },
    #[error("`{variable}` must be true or false, not `{value}`")]
    NotBool {
        variable: &'static str,
        value: String,
    },
    #[error("cannot build the HTTP client: {reason}")]
    Build { reason: String },
}

impl ConfigProblem {
    pub(crate) fn read_file(what: &'static str, path: &Path, error: std::io::Error) -> Self {
        Self::ReadFile {
            what,
            path: path.to_owned(),
            error,
        }
    }
}

/// The address in backticks (credentials in it were masked when the problem was made).
fn shown_address(address: &str) -> String {
    format!(" `{address}`")
}

/// What to do about a transport failure whose cause says where people usually get stuck.
fn transport_hint(reason: &str) -> Option<&'static str> {
    if reason.contains("invalid HTTP version parsed") {
        Some(
            "the address answers in another protocol: Consul's gRPC ports (8502, 8503) do not \
             serve the HTTP API; use the HTTP port (8500, or 8501 with https://)",
        )
    } else if reason.contains("UnknownIssuer") {
        Some(
            "the agent's certificate is not signed by a CA this machine trusts: set the \
             cluster's `tls { ca_file = \"...\" }` (or CONSUL_CACERT) to Consul's CA",
        )
    } else if reason.contains("NotValidForName") {
        Some(
            "the agent's certificate is not valid for the address's host name: set the \
             cluster's `tls { server_name = \"...\" }` (or CONSUL_TLS_SERVER_NAME) to a name it \
             is valid for",
        )
    } else if reason.contains("InvalidContentType") || reason.contains("CorruptMessage") {
        Some(
            "the address does not speak TLS: use http:// for Consul's HTTP port, or https:// \
             with the HTTPS port (8501)",
        )
    } else {
        None
    }
}

fn hint_line(hint: Option<&str>) -> String {
    hint.map(|hint| format!("\nhint: {hint}"))
        .unwrap_or_default()
}

impl Error {
    /// The cluster the error is about.
    pub fn cluster(&self) -> &str {
        match self {
            Self::Config { cluster, .. }
            | Self::Transport { cluster, .. }
            | Self::Status { cluster, .. }
            | Self::Unanswered { cluster, .. }
            | Self::Decode { cluster, .. } => cluster,
        }
    }

    /// The HTTP status Consul answered with, if it answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Consul's error text, if it answered with an error status.
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Status { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Whether the same request may succeed when sent again: no connection, a timeout, a rate
    /// limit (429) or a server-side failure (5xx) other than the permanent ones Consul also
    /// reports as 500. Only idempotent calls are ever resent.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { .. } => true,
            Self::Status {
                status, message, ..
            } => match status {
                429 | 502 | 503 | 504 => true,
                500 => !is_unknown_kind_message(message),
                _ => false,
            },
            Self::Config { .. } | Self::Decode { .. } | Self::Unanswered { .. } => false,
        }
    }

    /// Whether a write that failed with this error may nevertheless have been made: the request
    /// may have reached Consul (no answer came, or a 5xx came, which Consul also sends after
    /// a write it committed but could not confirm, and which a proxy in between sends for
    /// anything), unless Consul's message says it stopped before acting. A success status
    /// whose body cannot be read counts too: Consul acted.
    pub fn write_may_have_landed(&self) -> bool {
        match self {
            Self::Transport { failure, .. } => *failure != TransportFailure::Connect,
            Self::Status {
                status, message, ..
            } => *status >= 500 && !refused_before_acting(message),
            Self::Decode { .. } => true,
            Self::Config { .. } | Self::Unanswered { .. } => false,
        }
    }

    /// Whether resending a write that failed with this error cannot make it twice: no
    /// connection was made, a rate limit refused it (429), or Consul's message says it stopped
    /// before acting. The only resend allowed for calls that are not idempotent.
    pub fn safe_to_resend_write(&self) -> bool {
        match self {
            Self::Status { status: 429, .. } => true,
            Self::Transport { .. } | Self::Status { .. } => {
                self.is_transient() && !self.write_may_have_landed()
            }
            Self::Config { .. } | Self::Decode { .. } | Self::Unanswered { .. } => false,
        }
    }

    /// Whether the request was not sent because the cluster stopped answering.
    pub fn is_unanswered(&self) -> bool {
        matches!(self, Self::Unanswered { .. })
    }

    /// Whether Consul refused a config entry kind it does not know (an older version, or an
    /// Enterprise-only kind on CE): `invalid config entry kind: <kind>`, sent as 500 by the
    /// list and read endpoints and as 400 by write and delete.
    pub fn is_unknown_kind(&self) -> bool {
        matches!(self, Self::Status { status: 400 | 500, message, .. } if is_unknown_kind_message(message))
    }
}

fn is_unknown_kind_message(message: &str) -> bool {
    message.contains("invalid config entry kind")
}

/// Consul's 500 messages that are sent before anything is written (consul-api.md §1.8, §1.10):
/// an unknown kind, no leader to write through, a Connect CA not ready to sign peering tokens.
const REFUSED_BEFORE_ACTING: [&str; 3] = [
    "invalid config entry kind",
    "No cluster leader",
    "CA has not finished initializing",
];

fn refused_before_acting(message: &str) -> bool {
    REFUSED_BEFORE_ACTING
        .iter()
        .any(|refusal| message.contains(refusal))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(reason: &str) -> String {
        Error::Transport {
            cluster: "cluster-01".into(),
            method: Method::GET,
            path: "/v1/agent/self".into(),
            address: "http://127.0.0.1:8502".into(),
            failure: TransportFailure::Other,
            reason: reason.into(),
        }
        .to_string()
    }

    fn status(status: u16, message: &str) -> Error {
        Error::Status {
            cluster: "c".into(),
            method: Method::PUT,
            path: "/v1/config?cas=0".into(),
            status,
            message: message.into(),
            hint: None,
        }
    }

    fn failed(failure: TransportFailure) -> Error {
        Error::Transport {
            cluster: "c".into(),
            method: Method::POST,
            path: "/v1/peering/token".into(),
            address: "http://127.0.0.1:8500".into(),
            failure,
            reason: "x".into(),
        }
    }

    #[test]
    fn a_5xx_on_a_write_is_ambiguous_unless_consul_says_it_did_nothing() {
        assert!(status(500, "timed out enqueuing operation").write_may_have_landed());
        assert!(status(502, "Bad Gateway").write_may_have_landed());
        assert!(!status(500, "No cluster leader").write_may_have_landed());
        assert!(!status(429, "rate limited").write_may_have_landed());
        assert!(!status(400, "bad request").write_may_have_landed());
        assert!(failed(TransportFailure::Other).write_may_have_landed());
        assert!(failed(TransportFailure::Timeout).write_may_have_landed());
        assert!(!failed(TransportFailure::Connect).write_may_have_landed());
    }

    #[test]
    fn a_write_is_resent_only_when_it_cannot_have_landed() {
        assert!(failed(TransportFailure::Connect).safe_to_resend_write());
        assert!(status(429, "rate limited").safe_to_resend_write());
        assert!(status(500, "CA has not finished initializing").safe_to_resend_write());
        assert!(!failed(TransportFailure::Other).safe_to_resend_write());
        assert!(!failed(TransportFailure::Timeout).safe_to_resend_write());
        assert!(!status(500, "boom").safe_to_resend_write());
        assert!(!status(403, "Permission denied").safe_to_resend_write());
    }

    #[test]
    fn a_grpc_port_or_an_untrusted_certificate_gets_a_hint() {
        let grpc = transport("error sending request: invalid HTTP version parsed");
        assert!(
            grpc.contains("\nhint: ") && grpc.contains("HTTP port (8500"),
            "{grpc}"
        );
        let issuer = transport("invalid peer certificate: UnknownIssuer");
        assert!(issuer.contains("ca_file"), "{issuer}");
        assert!(!transport("connection refused").contains("hint:"));
    }
}
