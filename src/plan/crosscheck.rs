//! Checks no single file can settle, where the files and the clusters as read decide together,
//! made before anything is written: what Consul would refuse at apply is refused at plan, at
//! the file (and, by the caller, the line) that says it.
//!
//! - L7 intention permissions (`Sources[].Permissions`) need an HTTP-family protocol (`http`,
//!   `http2`, `grpc`) for the destination service, as Consul's write checks it: the protocol
//!   is the service-defaults entry's `Protocol`, else the global proxy-defaults'
//!   `Config.protocol`, else `tcp`; each entry as the files declare it, else as the cluster
//!   holds it. An intentions entry only the cluster holds is checked too when a file sets the
//!   protocol it would break: Consul refuses that service-defaults write. What this workspace
//!   owns and no file declares counts as gone: the plan deletes it (intentions losing L7
//!   permissions before any protocol change, `plan::order`).
//! - Enterprise-only features are refused against a Community Edition server (an agent whose
//!   version has no `+ent`): a non-default `Namespace` or `Partition` of an entry or an
//!   intention source, sameness groups, service-defaults `RateLimits`, and the kinds only
//!   Enterprise has. Consul CE refuses each of them on write.
//!
//! Pure: the caller reads the clusters and shows the findings.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::model::normalize::folds_to;
use crate::model::{
    ConfigEntry, Desired, DesiredEntry, EntryKey, Live, LiveCluster, LiveEntry, Path, Problem,
};

/// Protocols that carry L7 (HTTP) traffic, as Consul's `IsProtocolHTTPLike` lists them.
const HTTP_FAMILY: [&str; 3] = ["http", "http2", "grpc"];

/// Kinds only Consul Enterprise knows.
const ENTERPRISE_KINDS: [&str; 2] = ["sameness-group", "control-plane-request-limit"];

const SERVICE_DEFAULTS: &str = "service-defaults";
const PROXY_DEFAULTS: &str = "proxy-defaults";
const SERVICE_INTENTIONS: &str = "service-intentions";

/// A problem with what one entry says, on one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub cluster: String,
    pub entry: EntryKey,
    /// The files that declare the entry, relative to the workspace root.
    pub files: Vec<PathBuf>,
    pub problem: Problem,
}

/// Every finding of every cluster present in both `desired` and `live`, cluster by cluster.
pub fn cross_check(desired: &Desired, live: &Live) -> Vec<Finding> {
    let none = BTreeMap::new();
    let mut findings = Vec::new();
    for (cluster, live_cluster) in &live.clusters {
        if !desired.clusters.contains_key(cluster) {
            continue;
        }
        let declared = desired.entries.get(cluster).unwrap_or(&none);
        let view = Cluster {
            name: cluster,
            workspace: &desired.workspace,
            declared,
            live: live_cluster,
        };
        findings.extend(view.l7_protocols());
        if !live_cluster.version.contains("+ent") {
            findings.extend(view.enterprise_only());
        }
    }
    findings
}

/// One cluster's entries: as declared, and as read.
struct Cluster<'a> {
    name: &'a str,
    /// The workspace's name: what it owns and no file declares is deleted by the plan.
    workspace: &'a str,
    declared: &'a BTreeMap<EntryKey, DesiredEntry>,
    live: &'a LiveCluster,
}

/// Where an entry (and so a service's protocol) comes from.
enum Origin<'a> {
    File(&'a DesiredEntry),
    /// As the cluster holds it.
    Cluster(&'a LiveEntry),
    Default,
}

impl<'a> Origin<'a> {
    /// The entry's body as a JSON object: borrowed where it is kept as one, serialized for the
    /// kinds meshplan models, decoded for an entry as the cluster holds it. `None` for Consul's
    /// default.
    fn body(&self) -> Option<Cow<'a, Map<String, Value>>> {
        match *self {
            Self::File(entry) => Some(json(&entry.entry)),
            Self::Cluster(entry) => Some(Cow::Owned(entry.body())),
            Self::Default => None,
        }
    }

    /// Whether the entry may hold intention permissions: false only for declared intentions
    /// none of whose sources has any, which is told without serializing them.
    fn may_have_permissions(&self) -> bool {
        match self {
            Self::File(DesiredEntry {
                entry: ConfigEntry::ServiceIntentions(intentions),
                ..
            }) => intentions
                .sources
                .iter()
                .any(|source| !source.permissions.is_empty()),
            _ => true,
        }
    }
}

/// `entry` as a JSON object: borrowed for the kinds kept as written, serialized for the kinds
/// meshplan models (a plan checks thousands of them, most of which need no JSON at all; see
/// [`may_use_enterprise`] and [`Origin::may_have_permissions`]).
fn json(entry: &ConfigEntry) -> Cow<'_, Map<String, Value>> {
    match entry {
        ConfigEntry::Other(document) => Cow::Borrowed(&document.body),
        typed => match typed.to_json() {
            Value::Object(map) => Cow::Owned(map),
            _ => Cow::Owned(Map::new()),
        },
    }
}

impl Cluster<'_> {
    fn finding(&self, entry: &DesiredEntry, problem: Problem) -> Finding {
        Finding {
            cluster: self.name.to_owned(),
            entry: entry.entry.key(),
            files: entry.files.clone(),
            problem,
        }
    }

    /// The entry of `kind` named `name` in the default namespace and partition: as declared,
    /// else as the cluster holds it, unless this workspace owns it (undeclared, the plan
    /// deletes it, before any protocol change when it is intentions with L7 permissions).
    fn entry(&self, kind: &str, name: &str) -> Option<Origin<'_>> {
        let in_default_scope = |key: &EntryKey| {
            is_default(key.namespace.as_deref()) && is_default(key.partition.as_deref())
        };
        if let Some((_, entry)) =
            named(self.declared, kind, name).find(|(key, _)| in_default_scope(key))
        {
            return Some(Origin::File(entry));
        }
        named(&self.live.entries, kind, name)
            .find(|(key, entry)| in_default_scope(key) && !entry.owner().is(self.workspace))
            .map(|(_, entry)| Origin::Cluster(entry))
    }

    /// `service`'s protocol, lowercased, and where it comes from.
    fn protocol(&self, service: &str) -> (String, Origin<'_>) {
        if let Some(origin) = self.entry(SERVICE_DEFAULTS, service)
            && let Some(entry) = origin.body()
            && let Some(protocol) = member(&*entry, "protocol").and_then(non_empty)
        {
            return (protocol.to_ascii_lowercase(), origin);
        }
        if let Some(origin) = self.entry(PROXY_DEFAULTS, "global")
            && let Some(entry) = origin.body()
            && let Some(protocol) = member(&*entry, "config")
                .and_then(|config| member(config, "protocol"))
                .and_then(non_empty)
        {
            return (protocol.to_ascii_lowercase(), origin);
        }
        ("tcp".to_owned(), Origin::Default)
    }

    /// Intentions entries with L7 permissions whose destination's protocol is not HTTP-like.
    fn l7_protocols(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        let mut names: Vec<&str> = names_of_kind(self.declared, SERVICE_INTENTIONS)
            .chain(names_of_kind(&self.live.entries, SERVICE_INTENTIONS))
            .filter(|name| *name != "*")
            .collect();
        // Two runs, each in order: a stable sort merges them in one pass.
        names.sort();
        names.dedup();
        for name in names {
            let Some(intentions_origin) = self.entry(SERVICE_INTENTIONS, name) else {
                continue;
            };
            if !intentions_origin.may_have_permissions() {
                continue;
            }
            let Some(at) = intentions_origin
                .body()
                .and_then(|body| first_permissions(&body))
            else {
                continue;
            };
            let (protocol, origin) = self.protocol(name);
            if HTTP_FAMILY.contains(&protocol.as_str()) {
                continue;
            }
            let from = match &origin {
                Origin::File(entry) => format!(
                    "set by {}/{} in {}",
                    entry.entry.key().kind,
                    entry.entry.key().name,
                    shown_files(entry)
                ),
                Origin::Cluster(_) => "as the cluster holds it".to_owned(),
                Origin::Default => "Consul's default: no service-defaults or proxy-defaults \
                                    sets one"
                    .to_owned(),
            };
            let message = format!(
                "service {name:?} has protocol {protocol:?} ({from}), which is incompatible with \
                 L7 intention permissions"
            );
            let help = format!(
                "set `Protocol = \"http\"` (or http2, grpc) in service-defaults for {name:?}, or \
                 remove the permissions"
            );
            match (intentions_origin, origin) {
                (Origin::File(entry), _) => {
                    findings.push(self.finding(entry, Problem::key(at, message).with_help(help)))
                }
                (_, Origin::File(setter)) => {
                    let path = protocol_path(setter);
                    let message = format!(
                        "{message}: the intentions the cluster holds for {name:?} have L7 \
                         permissions, and Consul refuses this protocol for them"
                    );
                    findings.push(self.finding(setter, Problem::value(path, message)));
                }
                _ => {}
            }
        }
        findings
    }

    /// Every use of an Enterprise-only feature in the declared entries.
    fn enterprise_only(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (key, entry) in self.declared {
            if !may_use_enterprise(key, &entry.entry) {
                continue;
            }
            for problem in enterprise_features(key, &json(&entry.entry)) {
                let problem = Problem {
                    message: format!(
                        "{}, and the cluster runs Consul Community Edition",
                        problem.message
                    ),
                    help: Some(
                        "remove it for this cluster: Consul CE refuses it on write".to_owned(),
                    ),
                    ..problem
                };
                findings.push(self.finding(entry, problem));
            }
        }
        findings
    }
}

/// Whether `entry` (of `key`) may use an Enterprise-only feature: false only for entries of
/// the modelled kinds that name no partition, namespace or sameness group anywhere, which is
/// told from their fields without serializing them. [`enterprise_features`] says which.
fn may_use_enterprise(key: &EntryKey, entry: &ConfigEntry) -> bool {
    let named = |name: &Option<String>| !is_default(name.as_deref());
    match entry {
        ConfigEntry::ServiceIntentions(intentions) => {
            named(&key.namespace)
                || named(&key.partition)
                || intentions
                    .sources
                    .iter()
                    .any(|source| source.extras.is_some())
        }
        ConfigEntry::ExportedServices(exported) => {
            named(&key.partition)
                || exported.services.iter().any(|service| {
                    service
                        .consumers
                        .iter()
                        .any(|consumer| consumer.sameness_group.is_some())
                })
        }
        ConfigEntry::Other(_) => true,
    }
}

/// The Enterprise-only features `entry` (of `key`) uses.
fn enterprise_features(key: &EntryKey, entry: &Map<String, Value>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let root = Path::root();
    if ENTERPRISE_KINDS.contains(&key.kind.as_str()) {
        let kind_key = key_spelling(entry, "kind").unwrap_or("Kind");
        problems.push(Problem::value(
            root.key(kind_key),
            format!("kind {:?} is a Consul Enterprise feature", key.kind),
        ));
        return problems;
    }
    non_default_names(entry, &root, &mut problems);
    match key.kind.as_str() {
        SERVICE_INTENTIONS => {
            for (source, at) in items(entry, "sources", &root) {
                non_default_names(source, &at, &mut problems);
                sameness_group(source, &at, &mut problems);
            }
        }
        "exported-services" => {
            for (service, at) in items(entry, "services", &root) {
                for (consumer, at) in items(service, "consumers", &at) {
                    sameness_group(consumer, &at, &mut problems);
                }
            }
        }
        "service-resolver" => {
            if let Some((failover_key, Value::Object(failover))) = field(entry, "failover") {
                for (subset, target) in failover {
                    let at = root.key(failover_key).key(subset.as_str());
                    sameness_group(target, &at, &mut problems);
                }
            }
            if let Some((redirect_key, redirect)) = field(entry, "redirect") {
                let at = root.key(redirect_key);
                non_default_names(redirect, &at, &mut problems);
                sameness_group(redirect, &at, &mut problems);
            }
        }
        SERVICE_DEFAULTS => {
            if let Some((rate_key, limits)) = field(entry, "ratelimits")
                && !is_empty(limits)
            {
                problems.push(Problem::key(
                    root.key(rate_key),
                    "rate limiting (`RateLimits`) is a Consul Enterprise feature",
                ));
            }
        }
        _ => {}
    }
    problems
}

/// A `Namespace` or `Partition` member of `object` other than empty or `default`.
fn non_default_names(object: &impl Object, at: &Path, out: &mut Vec<Problem>) {
    for (folded, what) in [
        ("namespace", "namespaces"),
        ("partition", "admin partitions"),
    ] {
        if let Some((key, value)) = field(object, folded)
            && let Some(name) = value.as_str()
            && !is_default(Some(name))
        {
            out.push(Problem::value(
                at.key(key),
                format!("{what} are a Consul Enterprise feature ({name:?})"),
            ));
        }
    }
}

fn sameness_group(object: &Value, at: &Path, out: &mut Vec<Problem>) {
    if let Some((key, value)) = field(object, "samenessgroup")
        && value.as_str().is_some_and(|group| !group.is_empty())
    {
        out.push(Problem::value(
            at.key(key),
            "sameness groups are a Consul Enterprise feature",
        ));
    }
}

/// The path of the first `Sources[].Permissions` that is not empty.
fn first_permissions(intentions: &Map<String, Value>) -> Option<Path> {
    items(intentions, "sources", &Path::root())
        .into_iter()
        .find_map(|(source, at)| match field(source, "permissions") {
            Some((key, permissions)) if !is_empty(permissions) => Some(at.key(key)),
            _ => None,
        })
}

/// Where a service-defaults or proxy-defaults entry sets the protocol.
fn protocol_path(entry: &DesiredEntry) -> Path {
    let json = json(&entry.entry);
    if let Some((key, _)) = field(&*json, "protocol") {
        return Path::root().key(key);
    }
    match field(&*json, "config") {
        Some((config_key, config)) => {
            let at = Path::root().key(config_key);
            match field(config, "protocol") {
                Some((key, _)) => at.key(key),
                None => at,
            }
        }
        None => Path::root(),
    }
}

/// A JSON object: an entry's body, or a value in it (which may turn out not to be one).
trait Object {
    fn members(&self) -> Option<&Map<String, Value>>;
}

impl Object for Value {
    fn members(&self) -> Option<&Map<String, Value>> {
        self.as_object()
    }
}

impl Object for Map<String, Value> {
    fn members(&self) -> Option<&Map<String, Value>> {
        Some(self)
    }
}

/// The elements of the list under `folded` in `object`, with their paths; a single object
/// where the list is expected (an HCL file's single block) is its only element.
fn items<'a>(object: &'a impl Object, folded: &str, at: &Path) -> Vec<(&'a Value, Path)> {
    match field(object, folded) {
        Some((key, Value::Array(list))) => list
            .iter()
            .enumerate()
            .map(|(index, item)| (item, at.key(key).index(index)))
            .collect(),
        Some((key, item @ Value::Object(_))) => vec![(item, at.key(key))],
        _ => Vec::new(),
    }
}

/// The member of `object` whose key folds to `folded`, with the key as written.
fn field<'a>(object: &'a impl Object, folded: &str) -> Option<(&'a str, &'a Value)> {
    object
        .members()
        .and_then(|map| map.iter().find(|(key, _)| folds_to(key, folded)))
        .map(|(key, value)| (key.as_str(), value))
}

fn member<'a>(object: &'a impl Object, folded: &str) -> Option<&'a Value> {
    field(object, folded).map(|(_, value)| value)
}

fn key_spelling<'a>(object: &'a impl Object, folded: &str) -> Option<&'a str> {
    field(object, folded).map(|(key, _)| key)
}

fn non_empty(value: &Value) -> Option<&str> {
    value.as_str().filter(|text| !text.is_empty())
}

/// The entries of `map` of `kind` named `name`, in every namespace and partition: keys sort by
/// kind and name first, so these are one range, found without a scan (a cluster's L7 intentions
/// each look up their service's protocol).
fn named<'m, V>(
    map: &'m BTreeMap<EntryKey, V>,
    kind: &str,
    name: &str,
) -> impl Iterator<Item = (&'m EntryKey, &'m V)> {
    let first = EntryKey {
        kind: kind.to_owned(),
        name: name.to_owned(),
        namespace: None,
        partition: None,
    };
    map.range(first..)
        .take_while(move |(key, _)| key.kind == kind && key.name == name)
}

/// The names of the entries of `kind` in `map`, in order (repeated for each namespace and
/// partition that has one).
fn names_of_kind<'m, V>(
    map: &'m BTreeMap<EntryKey, V>,
    kind: &str,
) -> impl Iterator<Item = &'m str> {
    let first = EntryKey {
        kind: kind.to_owned(),
        name: String::new(),
        namespace: None,
        partition: None,
    };
    map.range(first..)
        .take_while(move |(key, _)| key.kind == kind)
        .map(|(key, _)| key.name.as_str())
}

fn is_default(name: Option<&str>) -> bool {
    name.is_none_or(|name| name.is_empty() || name.eq_ignore_ascii_case("default"))
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

fn shown_files(entry: &DesiredEntry) -> String {
    entry
        .files
        .iter()
        .map(|file| file.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{ConfigEntry, Document, LiveEntry};

    fn document(body: Value) -> ConfigEntry {
        let map = body.as_object().unwrap().clone();
        let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
        ConfigEntry::Other(Document {
            kind: text("Kind").unwrap(),
            name: text("Name").unwrap_or_else(|| "mesh".to_owned()),
            namespace: text("Namespace"),
            partition: text("Partition"),
            body: map,
        })
    }

    /// Declares each entry in its file, typed for the kinds meshplan models (whose checks
    /// avoid serializing them when they can).
    fn desired(entries: &[(&str, Value)]) -> Desired {
        let mut desired = crate::plan::tests::workspace(&["c1"]);
        let declared = desired.entries.entry("c1".to_owned()).or_default();
        for (file, body) in entries {
            let kind = body["Kind"].as_str().unwrap();
            let entry = if matches!(kind, "exported-services" | SERVICE_INTENTIONS) {
                crate::plan::tests::config_entry(body.clone())
            } else {
                document(body.clone())
            };
            declared.insert(
                entry.key(),
                DesiredEntry {
                    entry,
                    files: vec![PathBuf::from(file)],
                },
            );
        }
        desired
    }

    fn live(version: &str, entries: &[Value]) -> Live {
        let mut cluster = LiveCluster {
            version: version.to_owned(),
            ..LiveCluster::default()
        };
        for body in entries {
            cluster.entries.insert(
                document(body.clone()).key(),
                LiveEntry::new(body.as_object().unwrap(), 1),
            );
        }
        Live {
            clusters: BTreeMap::from([("c1".to_owned(), cluster)]),
        }
    }

    fn messages(desired: &Desired, live: &Live) -> Vec<String> {
        cross_check(desired, live)
            .into_iter()
            .map(|f| {
                format!(
                    "{}: {}: {}",
                    f.files[0].display(),
                    f.problem.path,
                    f.problem.message
                )
            })
            .collect()
    }

    fn l7(name: &str) -> Value {
        json!({"Kind": "service-intentions", "Name": name, "Sources": [
            {"Name": "a", "Action": "allow"},
            {"Name": "b", "Permissions": [{"Action": "allow", "HTTP": {"PathPrefix": "/"}}]}]})
    }

    #[test]
    fn l7_permissions_need_an_http_protocol_from_files_or_the_cluster() {
        let files = desired(&[("web.hcl", l7("web"))]);
        assert_eq!(
            messages(&files, &live("1.22.7", &[])),
            [
                "web.hcl: Sources[1].Permissions: service \"web\" has protocol \"tcp\" (Consul's \
              default: no service-defaults or proxy-defaults sets one), which is incompatible \
              with L7 intention permissions"
            ]
        );
        let http =
            json!({"Kind": "proxy-defaults", "Name": "global", "Config": {"protocol": "http"}});
        assert!(messages(&files, &live("1.22.7", std::slice::from_ref(&http))).is_empty());
        let tcp = json!({"Kind": "service-defaults", "Name": "web", "Protocol": "tcp"});
        let with_tcp = desired(&[("web.hcl", l7("web")), ("web-defaults.hcl", tcp)]);
        let found = messages(&with_tcp, &live("1.22.7", &[http]));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].contains("set by service-defaults/web in web-defaults.hcl"),
            "{found:?}"
        );
    }

    #[test]
    fn a_protocol_file_that_breaks_live_l7_intentions_is_refused() {
        let tcp = json!({"Kind": "service-defaults", "Name": "web", "protocol": "tcp"});
        let files = desired(&[("web-defaults.hcl", tcp)]);
        let found = messages(&files, &live("1.22.7", &[l7("web")]));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("web-defaults.hcl: protocol: "),
            "{found:?}"
        );
    }

    #[test]
    fn live_l7_intentions_this_workspace_owns_and_no_file_declares_are_going_away() {
        let tcp = json!({"Kind": "service-defaults", "Name": "web", "Protocol": "tcp"});
        let files = desired(&[("web-defaults.hcl", tcp)]);
        let ours = crate::plan::tests::marked(l7("web"));
        assert!(messages(&files, &live("1.22.7", &[ours])).is_empty());
        let theirs = crate::plan::tests::marked_by(l7("web"), Some("another"));
        assert_eq!(messages(&files, &live("1.22.7", &[theirs])).len(), 1);
    }

    #[test]
    fn enterprise_features_are_refused_on_community_edition_only() {
        let files = desired(&[
            (
                "a.hcl",
                json!({"Kind": "service-defaults", "Name": "a", "Namespace": "shop",
                             "RateLimits": {"InstanceLevel": {"RequestsPerSecond": 1}}}),
            ),
            (
                "b.hcl",
                json!({"Kind": "service-intentions", "Name": "b", "Sources": [
                {"Name": "x", "Partition": "p", "Action": "allow"},
                {"Name": "y", "SamenessGroup": "g", "Action": "allow"},
                {"Name": "z", "Namespace": "default", "Action": "allow"}]}),
            ),
            ("c.hcl", json!({"Kind": "sameness-group", "Name": "g"})),
            (
                "d.hcl",
                json!({"Kind": "service-resolver", "Name": "d",
                             "Failover": {"*": {"SamenessGroup": "g"}}}),
            ),
            (
                "e.hcl",
                json!({"Kind": "exported-services", "Name": "default", "Services": [
                {"Name": "s", "Consumers": [{"Peer": "p"}, {"SamenessGroup": "g"}]}]}),
            ),
            (
                "f.hcl",
                json!({"Kind": "service-intentions", "Name": "f", "Sources": [
                {"Name": "x", "Peer": "p", "Action": "allow"}]}),
            ),
        ]);
        let found = messages(&files, &live("1.22.7", &[]));
        let at: Vec<String> = found
            .iter()
            .map(|f| f.split(": ").take(2).collect::<Vec<_>>().join(": "))
            .collect();
        assert_eq!(
            at,
            [
                "e.hcl: Services[0].Consumers[1].SamenessGroup",
                "c.hcl: Kind",
                "a.hcl: Namespace",
                "a.hcl: RateLimits",
                "b.hcl: Sources[0].Partition",
                "b.hcl: Sources[1].SamenessGroup",
                "d.hcl: Failover.*.SamenessGroup",
            ]
        );
        assert!(found[2].ends_with("and the cluster runs Consul Community Edition"));
        assert!(messages(&files, &live("1.22.7+ent", &[])).is_empty());
    }
}
