//! Where a cluster's HTTP API is, parsed the way Consul's Go client parses `CONSUL_HTTP_ADDR`.
//!
//! Accepted forms (consul-api.md §5): `host:port`, `http://host:port`, `https://host:port`,
//! either with a `/path/prefix`, and `unix:///path/to.sock`. Any other scheme is refused.
//! `CONSUL_HTTP_SSL=true` turns `host:port` and even `http://` into https, because Consul's
//! client never downgrades once TLS was asked for.

use std::fmt;
use std::path::PathBuf;

use reqwest::Url;

/// The address Consul's client uses when nothing else is configured.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:8500";

/// A parsed API address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// HTTP or HTTPS over TCP.
    Tcp {
        https: bool,
        /// A DNS name or an IP address, without brackets.
        host: String,
        port: u16,
        /// A path prefix put before `/v1/...` (a reverse proxy's mount point), `""` for none.
        prefix: String,
    },
    /// Plain HTTP over a Unix domain socket.
    Unix { path: PathBuf },
}

impl Address {
    /// Parses `text`; `force_https` is `CONSUL_HTTP_SSL`.
    ///
    /// # Errors
    /// An unknown scheme, an empty host or socket path, a bad port, or credentials in the
    /// address. The message never repeats an address that holds credentials.
    pub fn parse(text: &str, force_https: bool) -> Result<Self, String> {
        let text = text.trim();
        let (scheme, rest) = match text.split_once("://") {
            Some((scheme, rest)) => (Some(scheme), rest),
            None => (None, text),
        };
        let https = match scheme {
            None | Some("http") => force_https,
            Some("https") => true,
            Some("unix") => return Self::parse_unix(rest),
            Some(other) => {
                return Err(format!(
                    "unknown protocol scheme `{other}`: use `http://`, `https://` or `unix://`"
                ));
            }
        };
        Self::parse_tcp(rest, https)
    }

    fn parse_unix(path: &str) -> Result<Self, String> {
        if path.is_empty() {
            return Err("`unix://` needs a socket path, as in `unix:///run/consul.sock`".into());
        }
        Ok(Self::Unix {
            path: PathBuf::from(path),
        })
    }

    fn parse_tcp(rest: &str, https: bool) -> Result<Self, String> {
        let (authority, prefix) = match rest.split_once('/') {
            Some((authority, prefix)) => (authority, format!("/{}", prefix.trim_end_matches('/'))),
            None => (rest, String::new()),
        };
        if authority.contains('@') {
            return Err("credentials in the address are not supported".into());
        }
        let scheme = if https { "https" } else { "http" };
        let url = Url::parse(&format!("{scheme}://{authority}/"))
            .map_err(|err| format!("`{authority}` is not `host:port`: {err}"))?;
        let host = match url.host_str() {
            Some(host) if !host.is_empty() => host.trim_start_matches('[').trim_end_matches(']'),
            _ => return Err("the address has no host".into()),
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| format!("`{authority}` has no port"))?;
        Ok(Self::Tcp {
            https,
            host: host.to_owned(),
            port,
            prefix: if prefix == "/" { String::new() } else { prefix },
        })
    }

    pub fn is_https(&self) -> bool {
        matches!(self, Self::Tcp { https: true, .. })
    }
}

impl fmt::Display for Address {
    /// `https://host:8501/prefix` or `unix:///path`: what connection errors name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp {
                https,
                host,
                port,
                prefix,
            } => {
                let scheme = if *https { "https" } else { "http" };
                if host.contains(':') {
                    write!(f, "{scheme}://[{host}]:{port}{prefix}")
                } else {
                    write!(f, "{scheme}://{host}:{port}{prefix}")
                }
            }
            Self::Unix { path } => write!(f, "unix://{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(https: bool, host: &str, port: u16, prefix: &str) -> Address {
        Address::Tcp {
            https,
            host: host.into(),
            port,
            prefix: prefix.into(),
        }
    }

    #[test]
    fn host_and_port_without_scheme_is_http() {
        assert_eq!(
            Address::parse("127.0.0.1:8500", false),
            Ok(tcp(false, "127.0.0.1", 8500, ""))
        );
    }

    #[test]
    fn consul_http_ssl_upgrades_even_an_explicit_http_scheme() {
        assert_eq!(
            Address::parse("consul:8501", true),
            Ok(tcp(true, "consul", 8501, ""))
        );
        assert_eq!(
            Address::parse("http://consul:8501", true),
            Ok(tcp(true, "consul", 8501, ""))
        );
    }

    #[test]
    fn https_scheme_and_path_prefix_are_kept() {
        let address = Address::parse("https://consul-01.internal:8501/consul/", false);
        assert_eq!(
            address,
            Ok(tcp(true, "consul-01.internal", 8501, "/consul"))
        );
        assert_eq!(
            address.map(|a| a.to_string()),
            Ok("https://consul-01.internal:8501/consul".into())
        );
    }

    #[test]
    fn missing_port_takes_the_scheme_default_like_go() {
        assert_eq!(
            Address::parse("https://consul", false),
            Ok(tcp(true, "consul", 443, ""))
        );
    }

    #[test]
    fn ipv6_hosts_lose_their_brackets_and_get_them_back_in_display() {
        let address = Address::parse("[::1]:8500", false);
        assert_eq!(address, Ok(tcp(false, "::1", 8500, "")));
        assert_eq!(
            address.map(|a| a.to_string()),
            Ok("http://[::1]:8500".into())
        );
    }

    #[test]
    fn unix_socket_paths_are_taken_whole() {
        assert_eq!(
            Address::parse("unix:///run/consul/http.sock", false),
            Ok(Address::Unix {
                path: "/run/consul/http.sock".into()
            })
        );
        assert!(Address::parse("unix://", false).is_err());
    }

    #[test]
    fn unknown_schemes_are_refused_by_name() {
        let err = Address::parse("ftp://consul:21", false).unwrap_err();
        assert!(err.contains("`ftp`"), "{err}");
    }

    #[test]
    fn credentials_are_refused_without_being_repeated() {
        let err = Address::parse("http://user:hunter2@consul:8500", false).unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn bad_ports_are_refused() {
        assert!(Address::parse("consul:99999", false).is_err());
    }
}
