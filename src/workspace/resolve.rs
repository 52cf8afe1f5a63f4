//! The workspace file, resolved: defaults applied and every cross-check done, from
//! the workspace file's [`Parts`] to the clusters and peerings of [`crate::model::Desired`].
//!
//! A cluster block that could be read only in part still becomes a cluster, so that its entry
//! files are checked, but its own cross-checks are not reported: they would be about values
//! that are missing only because they could not be read.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, PathBuf};

use super::Parsed;
use super::diagnostic::Diagnostic;
use super::parts::Parts;
use super::raw::{RawCluster, RawPeering, RawTls};
use super::tree::{Node, Value};
use crate::model::{
    ClusterSpec, MARK_KEYS, Path, PeeringSide, PeeringSpec, Problem, TlsSpec, TokenSource,
};
use crate::suggest::closest;

/// Keys under which a token could be written literally; refused wherever they appear.
const LITERAL_TOKEN_KEYS: [&str; 3] = ["token", "peering_token", "acl_token"];

/// Removes literal tokens from the workspace file's tree, reporting each without echoing it.
///
/// This runs before serde so that the unknown-field error (whose snippet would show the
/// token) never happens for them.
pub fn refuse_literal_tokens(file: &mut Parsed, diags: &mut Vec<Diagnostic>) {
    let shown = file.shown.clone();
    let mut tables: Vec<&mut Node> = Vec::new();
    let Value::Object(fields) = &mut file.tree.value else {
        return;
    };
    for field in fields.iter_mut() {
        let node = &mut field.value;
        match (field.key.as_str(), &node.value) {
            ("cluster", Value::Object(_)) => {
                if let Value::Object(clusters) = &mut node.value {
                    tables.extend(clusters.iter_mut().map(|c| &mut c.value));
                }
            }
            ("peering", Value::Array(_)) => {
                if let Value::Array(items) = &mut node.value {
                    tables.extend(items.iter_mut());
                }
            }
            ("peering", Value::Object(_)) => tables.push(node),
            _ => {}
        }
    }
    for table in tables {
        let Value::Object(fields) = &mut table.value else {
            continue;
        };
        fields.retain(|field| {
            if !LITERAL_TOKEN_KEYS.contains(&field.key.as_str()) {
                return true;
            }
            diags.push(
                Diagnostic::error(format!(
                    "a literal token (`{}`) is not allowed in the workspace file",
                    field.key
                ))
                .at(
                    &shown,
                    field.key_span.clone(),
                    "tokens do not belong in reviewed files",
                )
                .redact(&shown, field.value.span.clone())
                .help("name an environment variable with `token_env` or a file with `token_file`"),
            );
            false
        });
    }
}

/// Byte ranges of whatever follows `token =` (or another literal-token key) on each line of a
/// workspace file's text, for redaction when the file cannot be parsed into a tree.
pub fn literal_token_lines(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut spans = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let key_len = trimmed
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '"'))
            .unwrap_or(trimmed.len());
        let key = trimmed[..key_len].trim_matches('"');
        let after_key = &trimmed[key_len..];
        let rest = after_key.trim_start();
        if LITERAL_TOKEN_KEYS.contains(&key) && (rest.starts_with('=') || rest.starts_with(':')) {
            let operator = after_key.len() - rest.len() + 1;
            let value_start = start + indent + key_len + operator;
            spans.push(value_start..start + line.trim_end().len());
        }
        start += line.len();
    }
    spans
}

/// The workspace file, resolved.
pub struct Resolved {
    /// The workspace's name; empty when the file has none (a problem is reported).
    pub workspace: String,
    pub ignore: Vec<String>,
    pub clusters: BTreeMap<String, ClusterSpec>,
    pub peerings: Vec<PeeringSpec>,
    /// Whether every peering block of the file was read: only then are the peer names of each
    /// cluster known (see [`Parts::peerings_complete`]).
    pub peerings_complete: bool,
}

/// Clusters and peerings from the workspace file's parts; problems go to `diags`.
pub fn resolve(parts: Parts, file: &Parsed, diags: &mut Vec<Diagnostic>) -> Resolved {
    let mut problems = Vec::new();
    let workspace = match parts.top.workspace {
        None if parts.workspace_written => String::new(),
        name => workspace_name(name, file, &mut problems),
    };
    let mut unreported = Vec::new();
    let clusters: BTreeMap<String, ClusterSpec> = parts
        .clusters
        .into_iter()
        .map(|part| {
            let path = Path::root().key("cluster").key(&part.name);
            let found = if part.complete {
                &mut problems
            } else {
                &mut unreported
            };
            let spec = cluster(&part.name, part.raw, &path, found);
            (part.name, spec)
        })
        .collect();
    overlapping_entries(&clusters, &mut problems);
    let read = parts.peerings.len();
    let peerings = parts
        .peerings
        .into_iter()
        .filter_map(|(i, raw)| {
            let spec = peering(raw, &clusters, &peering_path(file, i), &mut problems)?;
            Some((i, spec))
        })
        .collect::<Vec<_>>();
    duplicate_peer_names(&peerings, file, &mut problems);
    diags.extend(problems.iter().map(|problem| file.diagnostic(problem)));
    Resolved {
        workspace,
        ignore: parts.top.ignore,
        clusters,
        // A peering refused here (a cluster peering with itself) names no peers either.
        peerings_complete: parts.peerings_complete && peerings.len() == read,
        peerings: peerings.into_iter().map(|(_, spec)| spec).collect(),
    }
}

/// The workspace's name, which marks everything it writes: required, since without it two
/// workspaces on one cluster could not tell their objects apart.
fn workspace_name(name: Option<String>, file: &Parsed, problems: &mut Vec<Problem>) -> String {
    let example = match file.rel.extension().and_then(|e| e.to_str()) {
        Some("toml") => "workspace = \"payments-mesh\"` at the top of the file",
        _ => "workspace = \"payments-mesh\"` to the file",
    };
    let Some(name) = name else {
        problems.push(
            Problem::value(Path::root(), "the workspace has no name")
                .with_help(format!(
                    "add `{example}: meshplan marks what it writes with the name and deletes only \
                     what carries it, so workspaces sharing a cluster never touch each other's objects"
                )),
        );
        return String::new();
    };
    if !is_workspace_name(&name) {
        problems.push(
            Problem::value(
                Path::root().key("workspace"),
                format!("`{name}` is not a valid workspace name"),
            )
            .with_help("use letters, digits, `-`, `_` and `.`, at most 128 characters: it is stored in the `Meta` of what meshplan writes"),
        );
    }
    name
}

/// Letters, digits, `-`, `_`, `.`; 1 to 128 characters (a Consul meta value may be longer, but a
/// name is read by people in plans and in `consul config read`).
fn is_workspace_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The path of the `i`th peering: `peering[i]`, or `peering` when the file has only one block
/// and so no array.
fn peering_path(file: &Parsed, i: usize) -> Path {
    let base = Path::root().key("peering");
    match file.tree.get("peering").map(|field| &field.value.value) {
        Some(Value::Array(_)) => base.index(i),
        _ => base,
    }
}

fn cluster(name: &str, raw: RawCluster, path: &Path, problems: &mut Vec<Problem>) -> ClusterSpec {
    if !is_peer_name(name) {
        problems.push(
            Problem::key(path.clone(), format!("cluster name `{name}` is not a valid peer name"))
                .with_help("use lower-case letters, digits and `-`, at most 63 characters: the other side of a peering names it so"),
        );
    }
    let token = match (raw.token_env, raw.token_file) {
        (Some(_), Some(_)) => {
            problems.push(Problem::key(
                path.key("token_file"),
                "set `token_env` or `token_file`, not both",
            ));
            TokenSource::Default
        }
        (Some(var), None) if var.trim().is_empty() => {
            problems.push(Problem::value(
                path.key("token_env"),
                "`token_env` must name an environment variable",
            ));
            TokenSource::Default
        }
        (Some(var), None) => TokenSource::Env(var),
        (None, Some(file)) => TokenSource::File(PathBuf::from(file)),
        (None, None) => TokenSource::Default,
    };
    if let Some(address) = &raw.address {
        check_address(address, &path.key("address"), problems);
    }
    let written = PathBuf::from(raw.entries.unwrap_or_else(|| name.to_owned()));
    // `./east` and `east` are one folder.
    let entries_dir: PathBuf = written
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect();
    if !is_inside_workspace(&written) {
        problems.push(Problem::value(
            path.key("entries"),
            "`entries` must be a folder inside the workspace (relative, without `..`)",
        ));
    }
    ClusterSpec {
        name: name.to_owned(),
        address: raw.address,
        token,
        datacenter: raw.datacenter.unwrap_or_else(|| name.to_owned()),
        partition: raw.partition,
        entries_dir,
        tls: raw
            .tls
            .map(|tls| self::tls(tls, &path.key("tls"), problems)),
    }
}

/// One folder of entries per cluster: a folder inside another cluster's would apply the same
/// files to both.
fn overlapping_entries(clusters: &BTreeMap<String, ClusterSpec>, problems: &mut Vec<Problem>) {
    for (name, cluster) in clusters {
        let other = clusters.iter().find(|(other, spec)| {
            *other != name && cluster.entries_dir.starts_with(&spec.entries_dir)
        });
        if let Some((other, spec)) = other {
            problems.push(
                Problem::value(
                    Path::root().key("cluster").key(name),
                    format!(
                        "the entries of `{name}` (`{}`) are inside those of `{other}` (`{}`)",
                        cluster.entries_dir.display(),
                        spec.entries_dir.display()
                    ),
                )
                .with_help("give each cluster a folder of its own with `entries`"),
            );
        }
    }
}

fn tls(raw: RawTls, path: &Path, problems: &mut Vec<Problem>) -> TlsSpec {
    if raw.cert_file.is_some() != raw.key_file.is_some() {
        let missing = if raw.cert_file.is_some() {
            "key_file"
        } else {
            "cert_file"
        };
        problems.push(Problem::value(
            path.clone(),
            format!(
                "a client certificate needs both `cert_file` and `key_file`; `{missing}` is missing"
            ),
        ));
    }
    TlsSpec {
        ca_file: raw.ca_file.map(PathBuf::from),
        cert_file: raw.cert_file.map(PathBuf::from),
        key_file: raw.key_file.map(PathBuf::from),
        server_name: raw.server_name,
        verify: raw.verify,
    }
}

/// Accepts what Consul's own client accepts in `CONSUL_HTTP_ADDR`.
fn check_address(address: &str, path: &Path, problems: &mut Vec<Problem>) {
    let rest = match address.split_once("://") {
        Some(("http" | "https", rest)) => rest,
        Some(("unix", socket)) if !socket.is_empty() => return,
        Some((scheme, _)) => {
            problems.push(
                Problem::value(path.clone(), format!("unknown scheme `{scheme}://`"))
                    .with_help("use `http://`, `https://` or `unix://`"),
            );
            return;
        }
        None => address,
    };
    let host_port = rest.split('/').next().unwrap_or_default();
    if host_port.is_empty() {
        problems.push(Problem::value(path.clone(), "the address has no host"));
    }
}

fn peering(
    raw: RawPeering,
    clusters: &BTreeMap<String, ClusterSpec>,
    path: &Path,
    problems: &mut Vec<Problem>,
) -> Option<PeeringSpec> {
    let acceptor_ours = clusters.contains_key(&raw.acceptor);
    let dialer_ours = clusters.contains_key(&raw.dialer);
    if raw.acceptor == raw.dialer {
        problems.push(Problem::value(
            path.key("dialer"),
            format!("`{}` cannot peer with itself", raw.dialer),
        ));
        return None;
    }
    if !acceptor_ours && !dialer_ours {
        let names: Vec<&str> = clusters.keys().map(String::as_str).collect();
        let mut problem = Problem::value(
            path.clone(),
            format!(
                "neither `{}` nor `{}` is a cluster of this workspace",
                raw.acceptor, raw.dialer
            ),
        );
        if let Some(best) = closest(&raw.acceptor, &names).or_else(|| closest(&raw.dialer, &names))
        {
            problem = problem.with_help(format!("did you mean `{best}`?"));
        }
        problems.push(problem);
        return None;
    }
    check_token_handover(&raw, acceptor_ours, dialer_ours, path, problems);
    check_meta(&raw.meta, &path.key("meta"), problems);
    for (i, address) in raw.server_external_addresses.iter().enumerate() {
        if !is_host_port(address) {
            problems.push(Problem::value(
                path.key("server_external_addresses").index(i),
                format!("`{address}` is not `host:port`"),
            ));
        }
    }
    let acceptor = side(
        &raw.acceptor,
        raw.name_on_acceptor,
        &raw.dialer,
        raw.acceptor_partition,
        acceptor_ours,
    );
    let dialer = side(
        &raw.dialer,
        raw.name_on_dialer,
        &raw.acceptor,
        raw.dialer_partition,
        dialer_ours,
    );
    for (side, key) in [(&acceptor, "name_on_acceptor"), (&dialer, "name_on_dialer")] {
        if side.ours && !is_peer_name(&side.peer_name) {
            problems.push(
                Problem::value(
                    path.key(key),
                    format!("`{}` is not a valid peering name", side.peer_name),
                )
                .with_help("use lower-case letters, digits and `-`, at most 63 characters"),
            );
        }
    }
    Some(PeeringSpec {
        acceptor,
        dialer,
        meta: raw.meta,
        token_out: raw.token_out.map(PathBuf::from),
        token_out_exists: false,
        token_file: raw.token_file.map(PathBuf::from),
        server_external_addresses: raw.server_external_addresses,
    })
}

fn side(
    cluster: &str,
    name: Option<String>,
    other: &str,
    partition: Option<String>,
    ours: bool,
) -> PeeringSide {
    PeeringSide {
        cluster: cluster.to_owned(),
        peer_name: name.unwrap_or_else(|| other.to_owned()),
        partition,
        ours,
    }
}

/// The token travels in memory when both sides are ours; otherwise through a file, and only
/// in the direction that matches which side is ours.
fn check_token_handover(
    raw: &RawPeering,
    acceptor_ours: bool,
    dialer_ours: bool,
    path: &Path,
    problems: &mut Vec<Problem>,
) {
    let mut refuse = |key: &str, why: String| problems.push(Problem::key(path.key(key), why));
    match (acceptor_ours, dialer_ours) {
        (true, true) => {
            if raw.token_out.is_some() {
                refuse("token_out", "`token_out` is for a peering whose dialer is managed elsewhere; both sides are clusters of this workspace".into());
            }
            if raw.token_file.is_some() {
                refuse("token_file", "`token_file` is for a peering whose acceptor is managed elsewhere; both sides are clusters of this workspace".into());
            }
        }
        (true, false) => {
            if raw.token_file.is_some() {
                refuse(
                    "token_file",
                    format!(
                        "`{}` accepts this peering, so it makes the token: use `token_out`",
                        raw.acceptor
                    ),
                );
            } else if raw.token_out.is_none() {
                problems.push(
                    Problem::value(path.clone(), format!("`{}` is not a cluster of this workspace, so the token must be handed over", raw.dialer))
                        .with_help("add `token_out = \"tokens/<name>.token\"`: meshplan writes the token there (mode 0600) for the other team"),
                );
            }
        }
        (false, true) => {
            if raw.token_out.is_some() {
                refuse(
                    "token_out",
                    format!(
                        "`{}` dials this peering, so it needs a token: use `token_file`",
                        raw.dialer
                    ),
                );
            } else if raw.token_file.is_none() {
                problems.push(
                    Problem::value(path.clone(), format!("`{}` is not a cluster of this workspace, so the token must come from it", raw.acceptor))
                        .with_help("add `token_file = \"tokens/<name>.token\"` with the token the other team generated"),
                );
            }
        }
        (false, false) => {}
    }
}

/// Consul's rules for peering metadata (the service-meta rules), plus meshplan's own mark.
fn check_meta(meta: &BTreeMap<String, String>, path: &Path, problems: &mut Vec<Problem>) {
    if meta.len() > 64 {
        problems.push(Problem::value(
            path.clone(),
            format!("at most 64 meta pairs are allowed, found {}", meta.len()),
        ));
    }
    for (key, value) in meta {
        let at = path.key(key);
        if MARK_KEYS.contains(&key.as_str()) {
            problems.push(Problem::key(
                at,
                format!("`{key}` is set by meshplan itself to mark what it owns"),
            ));
        } else if key.starts_with("consul-") {
            problems.push(Problem::key(
                at,
                "meta keys starting with `consul-` are reserved by Consul",
            ));
        } else if key.is_empty()
            || key.len() > 128
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            problems.push(Problem::key(
                at,
                "meta keys are 1 to 128 letters, digits, `_` or `-`",
            ));
        } else if value.len() > 512 {
            problems.push(Problem::value(at, "meta values are at most 512 characters"));
        }
    }
}

/// Two peerings with the same local name on one cluster would be one peering in Consul. Each
/// peering comes with its index among the file's peering blocks.
fn duplicate_peer_names(
    peerings: &[(usize, PeeringSpec)],
    file: &Parsed,
    problems: &mut Vec<Problem>,
) {
    let mut seen: HashMap<(&str, Option<&str>, &str), usize> = HashMap::new();
    for (i, peering) in peerings {
        let i = *i;
        for side in peering.our_sides() {
            let key = (
                side.cluster.as_str(),
                side.partition.as_deref(),
                side.peer_name.as_str(),
            );
            if let Some(first) = seen.insert(key, i) {
                problems.push(
                    Problem::value(
                        peering_path(file, i),
                        format!("`{}` already has a peering named `{}`", side.cluster, side.peer_name),
                    )
                    .with_help(format!("see peering {} of this file; give one of them another name with `name_on_acceptor` or `name_on_dialer`", first + 1)),
                );
            }
        }
    }
}

/// Consul's peering-name rule: `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`.
pub fn is_peer_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let ok = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    (1..=63).contains(&bytes.len())
        && bytes.first().is_some_and(ok)
        && bytes.last().is_some_and(ok)
        && bytes.iter().all(|b| ok(b) || *b == b'-')
}

fn is_host_port(address: &str) -> bool {
    address
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0))
}

fn is_inside_workspace(dir: &std::path::Path) -> bool {
    !dir.as_os_str().is_empty()
        && dir
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_names_follow_consul_rules() {
        assert!(is_peer_name("cluster-01"));
        assert!(is_peer_name("a"));
        assert!(!is_peer_name("Cluster-01"));
        assert!(!is_peer_name("-a"));
        assert!(!is_peer_name("a-"));
        assert!(!is_peer_name(&"a".repeat(64)));
        assert!(!is_peer_name(""));
    }

    #[test]
    fn token_lines_are_found_even_in_unparsable_text() {
        let text = "cluster \"a\" {\n  token = \"s3cr3t\n}\n";
        let spans = literal_token_lines(text);
        assert_eq!(spans.len(), 1);
        assert_eq!(&text[spans[0].clone()], " \"s3cr3t");
        assert!(literal_token_lines("token_env = \"X\"\n").is_empty());
    }

    #[test]
    fn entries_folders_must_stay_inside_the_workspace() {
        assert!(is_inside_workspace(std::path::Path::new(
            "cluster-01/entries"
        )));
        assert!(!is_inside_workspace(std::path::Path::new("../elsewhere")));
        assert!(!is_inside_workspace(std::path::Path::new("/etc")));
    }
}
