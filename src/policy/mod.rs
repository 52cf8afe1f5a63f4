//! The least-privilege Consul ACL policy each cluster's token needs for `plan` and for `apply`
//! of a workspace: a pure function from the [`Desired`] state to rules, and the rules as the HCL
//! Consul's `/v1/acl/policy` takes.
//!
//! The rules follow what `consul/` sends and what Consul checks for each request:
//! - `GET /v1/agent/self` (the datacenter check): `agent:read` on the agent's node. The node's
//!   name is not in the files, so the rule is `agent_prefix ""`; narrow it to
//!   `agent "<node>"` once the node is known.
//! - `GET /v1/peerings` on every cluster: `peering:read` (Consul's `PeeringList`).
//! - generate-token, establish and delete on a cluster that is a side of a declared peering:
//!   `peering:write`; apply also re-reads peerings (covered by write).
//! - `GET /v1/config/<kind>` for every kind needs no rule: Consul filters what the token may
//!   not read out of the list instead of refusing it. Each declared entry needs its kind's
//!   `CanRead` for plan and `CanWrite` for apply (Consul's `agent/structs/config_entry*.go`):
//!   exported-services, mesh and the other mesh-wide kinds `mesh`; service-intentions
//!   `intentions` on the destination (`service_prefix ""` for `*`; Consul wants a `policy` in
//!   every service rule, so these say `policy = "read"` too); service-defaults `service`
//!   on the name; routers, splitters and resolvers `service` on the name and, to write, `read`
//!   on the services they route to (`service_prefix ""`, since the targets are in the bodies);
//!   gateways read as `service` and write as `mesh`; proxy-defaults is readable by anyone and
//!   written with `mesh`.
//! - Exporting a service needs no rule on the service: Consul checks only `mesh:write`.
//! - `--lock KEY` (a Consul session lock for `watch`): `key:write` on the key and
//!   `session:write` on the agent's node (`session_prefix ""`, for the same reason as above).
//!
//! The rules cover the files as they are. Consul's lists leave out what a token may not read,
//! so an object the files no longer declare (to be deleted) may be invisible to a narrower
//! token: apply removals with the old policy first, then narrow it.

use std::collections::BTreeMap;
use std::fmt;

use crate::model::Desired;
use crate::model::entry::SERVICE_INTENTIONS;

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Purpose {
    /// `meshplan plan` (and `status`): reads only.
    Plan,
    /// `meshplan apply` (and `watch`): plans, then writes.
    Apply,
}

impl Purpose {
    fn level(self) -> Level {
        match self {
            Self::Plan => Level::Read,
            Self::Apply => Level::Write,
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Plan => "plan",
            Self::Apply => "apply",
        })
    }
}

/// An ACL access level; write includes read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Read,
    Write,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

/// What a rule grants access to, in Consul's policy language.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resource {
    /// `agent_prefix "" { policy = ... }`
    AgentPrefix(String),
    /// `peering = ...`
    Peering,
    /// `mesh = ...`
    Mesh,
    /// `service "<name>" { policy = ... }`
    Service(String),
    /// `service_prefix "<prefix>" { policy = ... }`
    ServicePrefix(String),
    /// `service "<name>" { intentions = ... }`
    Intentions(String),
    /// `service_prefix "<prefix>" { intentions = ... }`
    IntentionsPrefix(String),
    /// `key "<key>" { policy = ... }`
    Key(String),
    /// `session_prefix "<prefix>" { policy = ... }`
    SessionPrefix(String),
}

/// One permission, with the requests that need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub resource: Resource,
    pub level: Level,
    /// Why meshplan needs it: the requests, for a comment beside the rule.
    pub why: String,
}

/// The rules one cluster's token needs for one purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterPolicy {
    pub cluster: String,
    pub purpose: Purpose,
    /// One rule per resource, in the order they are printed.
    pub rules: Vec<Rule>,
}

/// A Consul session lock for `watch --lock KEY`, held on one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    pub key: String,
    pub cluster: String,
}

/// The rules `cluster`'s token needs for `purpose` on the workspace `desired` (with `lock`'s
/// rules when the lock is held on that cluster). `None` when `cluster` is not a cluster of the
/// workspace.
pub fn for_cluster(
    desired: &Desired,
    cluster: &str,
    purpose: Purpose,
    lock: Option<&Lock>,
) -> Option<ClusterPolicy> {
    desired.clusters.get(cluster)?;
    let mut rules = Rules::default();
    rules.add(
        Resource::AgentPrefix(String::new()),
        Level::Read,
        "GET /v1/agent/self: the datacenter check",
    );
    let peers = desired
        .peerings
        .iter()
        .flat_map(|peering| peering.our_sides())
        .any(|side| side.cluster == cluster);
    let peering_level = if peers { purpose.level() } else { Level::Read };
    let peering_why = match peering_level {
        Level::Read => "GET /v1/peerings",
        Level::Write => "GET /v1/peerings; peering token, establish and delete",
    };
    rules.add(Resource::Peering, peering_level, peering_why);
    for key in desired
        .entries
        .get(cluster)
        .into_iter()
        .flat_map(|e| e.keys())
    {
        entry_rules(&mut rules, &key.kind, &key.name, purpose);
    }
    if let Some(lock) = lock.filter(|lock| lock.cluster == cluster) {
        rules.add(
            Resource::Key(lock.key.clone()),
            Level::Write,
            "watch --lock: acquire and release the lock key",
        );
        rules.add(
            Resource::SessionPrefix(String::new()),
            Level::Write,
            "watch --lock: the lock's session on the agent's node",
        );
    }
    Some(ClusterPolicy {
        cluster: cluster.to_owned(),
        purpose,
        rules: rules.into_sorted(),
    })
}

/// The rules for one declared config entry of `kind` named `name`: its kind's `CanRead` for
/// plan, `CanWrite` for apply.
fn entry_rules(rules: &mut Rules, kind: &str, name: &str, purpose: Purpose) {
    let level = purpose.level();
    let what = format!("{kind}/{name}");
    let why = match purpose {
        Purpose::Plan => format!("read {what}"),
        Purpose::Apply => format!("write {what}"),
    };
    match kind {
        SERVICE_INTENTIONS if name == "*" => {
            rules.add(Resource::IntentionsPrefix(String::new()), level, &why)
        }
        SERVICE_INTENTIONS => rules.add(Resource::Intentions(name.to_owned()), level, &why),
        "service-defaults" => rules.add(Resource::Service(name.to_owned()), level, &why),
        "service-router" | "service-splitter" | "service-resolver" => {
            rules.add(Resource::Service(name.to_owned()), level, &why);
            if purpose == Purpose::Apply {
                rules.add(
                    Resource::ServicePrefix(String::new()),
                    Level::Read,
                    &format!("write {what}: the services it routes to"),
                );
            }
        }
        "ingress-gateway" | "terminating-gateway" | "api-gateway" => match purpose {
            Purpose::Plan => rules.add(Resource::Service(name.to_owned()), Level::Read, &why),
            Purpose::Apply => rules.add(Resource::Mesh, Level::Write, &why),
        },
        "proxy-defaults" => {
            if purpose == Purpose::Apply {
                rules.add(Resource::Mesh, Level::Write, &why);
            }
        }
        // exported-services, mesh and every other mesh-wide kind.
        _ => rules.add(Resource::Mesh, level, &why),
    }
}

/// Rules being gathered: one per resource, at the highest level asked for, with every reason.
#[derive(Default)]
struct Rules(BTreeMap<Resource, (Level, Vec<String>)>);

impl Rules {
    fn add(&mut self, resource: Resource, level: Level, why: &str) {
        // Reasons hold names from the files, and go in a comment that ends at the line's end.
        let why: String = why
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        let (held, reasons) = self.0.entry(resource).or_insert((level, Vec::new()));
        *held = (*held).max(level);
        if !reasons.contains(&why) {
            reasons.push(why);
        }
    }

    fn into_sorted(self) -> Vec<Rule> {
        self.0
            .into_iter()
            .map(|(resource, (level, reasons))| Rule {
                resource,
                level,
                why: reasons.join("; "),
            })
            .collect()
    }
}

/// What `meshplan policy` prints: for each of `clusters` (of the workspace) and each of
/// `purposes`, the policy as HCL ([`render_hcl`]), a blank line between them.
pub fn render_all<'a>(
    desired: &Desired,
    clusters: impl IntoIterator<Item = &'a str>,
    purposes: &[Purpose],
    lock: Option<&Lock>,
) -> String {
    let mut texts = Vec::new();
    for cluster in clusters {
        for purpose in purposes {
            if let Some(policy) = for_cluster(desired, cluster, *purpose, lock) {
                texts.push(render_hcl(&policy, &desired.workspace));
            }
        }
    }
    texts.join("\n")
}

/// The rules as Consul's policy HCL, one rule per line with why it is needed beside it, under
/// a comment that names the cluster, the purpose and the workspace.
pub fn render_hcl(policy: &ClusterPolicy, workspace: &str) -> String {
    let mut out = format!(
        "# meshplan {} of workspace \"{workspace}\" on cluster \"{}\"\n",
        policy.purpose, policy.cluster
    );
    for rule in &policy.rules {
        let level = rule.level.as_str();
        let why = &rule.why;
        let block = |kind: &str, name: &str, field: &str| {
            let name = quoted(name);
            format!("{kind} {name} {{\n  {field} = \"{level}\" # {why}\n}}\n")
        };
        // Consul refuses a service rule without `policy`; `read` is the least that does not
        // deny what the token's other policies may grant (a `deny` would win over them).
        let intentions = |kind: &str, name: &str| {
            let name = quoted(name);
            format!(
                "{kind} {name} {{\n  policy = \"read\" # required beside intentions\n  \
                 intentions = \"{level}\" # {why}\n}}\n"
            )
        };
        let text = match &rule.resource {
            Resource::AgentPrefix(prefix) => block("agent_prefix", prefix, "policy"),
            Resource::Peering => format!("peering = \"{level}\" # {why}\n"),
            Resource::Mesh => format!("mesh = \"{level}\" # {why}\n"),
            Resource::Service(name) => block("service", name, "policy"),
            Resource::ServicePrefix(prefix) => block("service_prefix", prefix, "policy"),
            Resource::Intentions(name) => intentions("service", name),
            Resource::IntentionsPrefix(prefix) => intentions("service_prefix", prefix),
            Resource::Key(key) => block("key", key, "policy"),
            Resource::SessionPrefix(prefix) => block("session_prefix", prefix, "policy"),
        };
        out.push_str(&text);
    }
    out
}

/// `name` as an HCL string: names come from the files, which allow any string, so quotes,
/// backslashes and line breaks in one are escaped.
fn quoted(name: &str) -> String {
    let mut out = String::from("\"");
    for c in name.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests;
