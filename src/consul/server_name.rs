//! Verifying a server certificate against a name other than the address's host
//! (`tls.server_name`, `CONSUL_TLS_SERVER_NAME`).
//!
//! reqwest has no option for the name rustls verifies against: it is always the URL's host. So
//! the client puts the server name in the URL and resolves that name to the real address with
//! this resolver. Every other name resolves normally. The real host may itself be a DNS name,
//! which is why this is a resolver rather than a fixed `ClientBuilder::resolve` entry: it is
//! looked up when a connection is made, not once when the client is built.
//!
//! # Caveats
//! Through an HTTP proxy (`HTTPS_PROXY`) the proxy resolves the URL's host, so a server name
//! that only this resolver knows does not work there.

use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Resolves `server_name` to `host`'s addresses, and any other name as itself.
#[derive(Debug, Clone)]
pub(crate) struct PinnedName {
    pub(crate) server_name: String,
    pub(crate) host: String,
}

impl Resolve for PinnedName {
    fn resolve(&self, name: Name) -> Resolving {
        let target = if name.as_str().eq_ignore_ascii_case(&self.server_name) {
            self.host.clone()
        } else {
            name.as_str().to_owned()
        };
        Box::pin(async move {
            // The connector puts the URL's port on every address.
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((target.as_str(), 0))
                .await?
                .collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[tokio::test]
    async fn the_server_name_resolves_to_the_real_host() {
        let pinned = PinnedName {
            server_name: "server.dc1.consul".into(),
            host: "127.0.0.1".into(),
        };
        let name = Name::from_str("server.dc1.consul").expect("a valid name");
        let addrs: Vec<SocketAddr> = pinned.resolve(name).await.expect("resolves").collect();
        assert_eq!(addrs, vec![SocketAddr::from(([127, 0, 0, 1], 0))]);
    }

    #[tokio::test]
    async fn other_names_resolve_as_themselves() {
        let pinned = PinnedName {
            server_name: "server.dc1.consul".into(),
            host: "127.0.0.1".into(),
        };
        let name = Name::from_str("::1").expect("a valid name");
        let addrs: Vec<SocketAddr> = pinned.resolve(name).await.expect("resolves").collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }
}
