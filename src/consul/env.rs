//! The process environment as the Consul client sees it, captured once.
//!
//! The client reads Consul's own variables (`CONSUL_HTTP_ADDR`, `CONSUL_HTTP_TOKEN`, ...) and
//! the variables that workspace files name in `token_env`. Both come from this one snapshot, so
//! nothing else in the crate reads `std::env` and tests can hand the client any environment they
//! like. Values may be tokens: `Debug` shows the names only and values are wiped on drop.

use std::collections::BTreeMap;
use std::fmt;

use zeroize::Zeroizing;

/// `CONSUL_HTTP_ADDR`: `host:port`, `http(s)://host:port[/prefix]` or `unix:///path`.
pub const HTTP_ADDR: &str = "CONSUL_HTTP_ADDR";
/// `CONSUL_HTTP_SSL`: `true` switches an address without scheme to https.
pub const HTTP_SSL: &str = "CONSUL_HTTP_SSL";
/// `CONSUL_HTTP_TOKEN`: the ACL token itself.
pub const HTTP_TOKEN: &str = "CONSUL_HTTP_TOKEN";
/// `CONSUL_HTTP_TOKEN_FILE`: a file holding the ACL token; beats `CONSUL_HTTP_TOKEN`.
pub const HTTP_TOKEN_FILE: &str = "CONSUL_HTTP_TOKEN_FILE";
/// `CONSUL_CACERT`: a PEM file of CA certificates to trust instead of the system roots.
pub const CACERT: &str = "CONSUL_CACERT";
/// `CONSUL_CAPATH`: a folder of PEM files of CA certificates.
pub const CAPATH: &str = "CONSUL_CAPATH";
/// `CONSUL_CLIENT_CERT`: the client certificate (PEM) for mutual TLS.
pub const CLIENT_CERT: &str = "CONSUL_CLIENT_CERT";
/// `CONSUL_CLIENT_KEY`: the client certificate's private key (PEM).
pub const CLIENT_KEY: &str = "CONSUL_CLIENT_KEY";
/// `CONSUL_TLS_SERVER_NAME`: the name the server certificate is verified against.
pub const TLS_SERVER_NAME: &str = "CONSUL_TLS_SERVER_NAME";
/// `CONSUL_HTTP_SSL_VERIFY`: `false` turns certificate verification off.
pub const HTTP_SSL_VERIFY: &str = "CONSUL_HTTP_SSL_VERIFY";
/// `CONSUL_PARTITION`: the Enterprise admin partition sent as `?partition=`.
pub const PARTITION: &str = "CONSUL_PARTITION";
/// `CONSUL_NAMESPACE`: the Enterprise namespace sent as `?ns=` where a request names none.
pub const NAMESPACE: &str = "CONSUL_NAMESPACE";

/// A snapshot of environment variables.
#[derive(Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, Zeroizing<String>>,
}

impl Env {
    /// Captures the whole process environment (variables that are not UTF-8 are left out),
    /// since `token_env` may name any variable.
    pub fn from_process() -> Self {
        Self::from_vars(std::env::vars_os().filter_map(|(name, value)| {
            Some((name.into_string().ok()?, value.into_string().ok()?))
        }))
    }

    /// An environment with exactly these variables, for tests and embedding.
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            vars: vars
                .into_iter()
                .map(|(name, value)| (name.into(), Zeroizing::new(value.into())))
                .collect(),
        }
    }

    /// The variable's value, `None` when unset (an empty value is returned as set).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|value| value.as_str())
    }

    /// The variable's value when set and not empty, which is how Consul's client reads its
    /// own variables.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|value| !value.is_empty())
    }
}

/// Names only: values may be tokens.
impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env")
            .field("names", &self.vars.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Parses a boolean the way Go's `strconv.ParseBool` does, as Consul's client does for
/// `CONSUL_HTTP_SSL` and `CONSUL_HTTP_SSL_VERIFY`.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_names_but_never_values() {
        let env = Env::from_vars([(HTTP_TOKEN, "canary-value-1234")]);
        let debug = format!("{env:?}");
        assert!(debug.contains(HTTP_TOKEN), "{debug}");
        assert!(!debug.contains("canary-value-1234"), "{debug}");
    }

    #[test]
    fn empty_values_are_set_but_not_non_empty() {
        let env = Env::from_vars([(PARTITION, "")]);
        assert_eq!(env.get(PARTITION), Some(""));
        assert_eq!(env.non_empty(PARTITION), None);
        assert_eq!(env.get(HTTP_ADDR), None);
    }

    #[test]
    fn booleans_parse_like_go() {
        assert_eq!(parse_bool("True"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("yes"), None);
    }
}
