//! TLS settings for a cluster's HTTPS API: the workspace's `tls` block, each absent field falling
//! back to Consul's variable (`CONSUL_CACERT`/`CONSUL_CAPATH`, `CONSUL_CLIENT_CERT`,
//! `CONSUL_CLIENT_KEY`, `CONSUL_TLS_SERVER_NAME`, `CONSUL_HTTP_SSL_VERIFY`).
//!
//! Paths from the workspace resolve against its root; paths from the environment are taken as
//! given, as Consul's own client does. Verification is on unless turned off explicitly. A CA
//! replaces the system roots, like Consul's client. The server name is applied by the client
//! (see `client.rs`): reqwest cannot override the name a certificate is verified against.

use std::path::{Path, PathBuf};

use reqwest::{Certificate, ClientBuilder, Identity};
use zeroize::Zeroizing;

use super::env::{self, Env, parse_bool};
use super::error::ConfigProblem;
use crate::model::TlsSpec;

/// Resolved TLS settings, loaded and parsed.
#[derive(Default)]
pub(crate) struct Tls {
    /// The only roots to trust; `None` means the system roots.
    roots: Option<Vec<Certificate>>,
    identity: Option<Identity>,
    /// The name to verify the server certificate against, when not the address's host.
    pub(crate) server_name: Option<String>,
    verify: bool,
}

impl Tls {
    /// Reads every file the settings name.
    ///
    /// # Errors
    /// A file that cannot be read or holds no usable PEM, a certificate without its key (or the
    /// reverse), or a `CONSUL_HTTP_SSL_VERIFY` that is not a boolean.
    pub(crate) fn load(
        spec: Option<&TlsSpec>,
        env: &Env,
        root: &Path,
    ) -> Result<Self, ConfigProblem> {
        let spec = spec.cloned().unwrap_or_default();
        let setting = |own: &Option<PathBuf>, variable: &str| match own {
            Some(path) => Some(root.join(path)),
            None => env.non_empty(variable).map(PathBuf::from),
        };
        let roots = match setting(&spec.ca_file, env::CACERT) {
            Some(path) => Some(load_bundle(&path)?),
            None => env
                .non_empty(env::CAPATH)
                .map(|dir| load_dir(Path::new(dir)))
                .transpose()?,
        };
        let identity = match (
            setting(&spec.cert_file, env::CLIENT_CERT),
            setting(&spec.key_file, env::CLIENT_KEY),
        ) {
            (Some(cert), Some(key)) => Some(load_identity(&cert, &key)?),
            (None, None) => None,
            _ => return Err(ConfigProblem::HalfIdentity),
        };
        let server_name = spec
            .server_name
            .or_else(|| env.non_empty(env::TLS_SERVER_NAME).map(str::to_owned))
            .map(|name| strip_port(&name).to_owned())
            .filter(|name| !name.is_empty());
        let verify = match spec.verify {
            Some(verify) => verify,
            None => verify_from_env(env)?,
        };
        Ok(Self {
            roots,
            identity,
            server_name,
            verify,
        })
    }

    /// Puts the roots, the client identity and the verification switch on `builder`.
    pub(crate) fn apply(self, mut builder: ClientBuilder) -> ClientBuilder {
        if let Some(roots) = self.roots {
            builder = builder.tls_certs_only(roots);
        }
        if let Some(identity) = self.identity {
            builder = builder.identity(identity);
        }
        if !self.verify {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        builder
    }
}

fn verify_from_env(env: &Env) -> Result<bool, ConfigProblem> {
    match env.non_empty(env::HTTP_SSL_VERIFY) {
        None => Ok(true),
        Some(value) => parse_bool(value).ok_or_else(|| ConfigProblem::NotBool {
            variable: env::HTTP_SSL_VERIFY,
            value: value.to_owned(),
        }),
    }
}

/// `consul.internal:8501` → `consul.internal`, as Consul's client does.
fn strip_port(name: &str) -> &str {
    match name.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => name,
    }
}

fn read(what: &'static str, path: &Path) -> Result<Zeroizing<Vec<u8>>, ConfigProblem> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|error| ConfigProblem::read_file(what, path, error))
}

fn load_bundle(path: &Path) -> Result<Vec<Certificate>, ConfigProblem> {
    let pem = read("CA file", path)?;
    let pem_error = |reason: String| ConfigProblem::Pem {
        what: "CA file",
        path: path.to_owned(),
        reason,
    };
    let certs = Certificate::from_pem_bundle(&pem).map_err(|err| pem_error(err.to_string()))?;
    if certs.is_empty() {
        return Err(pem_error("no certificate in it".into()));
    }
    Ok(certs)
}

/// Every file of a `CONSUL_CAPATH` folder, in name order.
fn load_dir(dir: &Path) -> Result<Vec<Certificate>, ConfigProblem> {
    let read_error = |error| ConfigProblem::read_file("CA folder", dir, error);
    let mut files = std::fs::read_dir(dir)
        .map_err(read_error)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_error)?;
    files.sort();
    let mut certs = Vec::new();
    for file in files.iter().filter(|file| file.is_file()) {
        certs.extend(load_bundle(file)?);
    }
    if certs.is_empty() {
        return Err(ConfigProblem::Pem {
            what: "CA folder",
            path: dir.to_owned(),
            reason: "no certificate in it".into(),
        });
    }
    Ok(certs)
}

/// rustls wants the key and the certificate chain in one PEM buffer.
fn load_identity(cert: &Path, key: &Path) -> Result<Identity, ConfigProblem> {
    let mut pem = read("client key", key)?;
    pem.push(b'\n');
    pem.extend_from_slice(&read("client certificate", cert)?);
    Identity::from_pem(&pem).map_err(|err| ConfigProblem::Pem {
        what: "client certificate and key",
        path: cert.to_owned(),
        reason: err.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_is_on_by_default_and_env_can_turn_it_off() {
        let on = Tls::load(None, &Env::default(), Path::new("/")).map(|tls| tls.verify);
        assert!(matches!(on, Ok(true)));
        let env = Env::from_vars([(env::HTTP_SSL_VERIFY, "false")]);
        let off = Tls::load(None, &env, Path::new("/")).map(|tls| tls.verify);
        assert!(matches!(off, Ok(false)));
    }

    #[test]
    fn the_workspace_setting_beats_the_environment() {
        let env = Env::from_vars([
            (env::HTTP_SSL_VERIFY, "false"),
            (env::TLS_SERVER_NAME, "env.name"),
        ]);
        let spec = TlsSpec {
            verify: Some(true),
            server_name: Some("files.name:8501".into()),
            ..TlsSpec::default()
        };
        let tls = Tls::load(Some(&spec), &env, Path::new("/")).expect("settings load");
        assert!(tls.verify);
        assert_eq!(tls.server_name.as_deref(), Some("files.name"));
    }

    #[test]
    fn an_unparsable_verify_switch_is_an_error() {
        let env = Env::from_vars([(env::HTTP_SSL_VERIFY, "nope")]);
        assert!(matches!(
            Tls::load(None, &env, Path::new("/")),
            Err(ConfigProblem::NotBool { .. })
        ));
    }

    #[test]
    fn a_certificate_without_a_key_is_an_error() {
        let spec = TlsSpec {
            cert_file: Some("client.pem".into()),
            ..TlsSpec::default()
        };
        assert!(matches!(
            Tls::load(Some(&spec), &Env::default(), Path::new("/")),
            Err(ConfigProblem::HalfIdentity)
        ));
    }

    #[test]
    fn a_relative_ca_file_resolves_against_the_root_and_must_hold_pem() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("ca.pem"), "not pem").expect("write");
        let spec = TlsSpec {
            ca_file: Some("ca.pem".into()),
            ..TlsSpec::default()
        };
        let err = Tls::load(Some(&spec), &Env::default(), dir.path())
            .err()
            .map(|e| e.to_string());
        let expected = dir.path().join("ca.pem").display().to_string();
        assert!(err.is_some_and(|e| e.contains(&expected) && e.contains("PEM")));
    }

    #[test]
    fn ports_are_stripped_from_server_names_but_ipv6_is_left_alone() {
        assert_eq!(strip_port("consul.internal:8501"), "consul.internal");
        assert_eq!(strip_port("consul.internal"), "consul.internal");
        assert_eq!(strip_port("::1"), "::1");
    }
}
