//! The schedule of an apply: which changes may run together (waves) and which change needs
//! which other one to have been written (dependencies).
//!
//! # Waves
//! The plan is already in apply order (`plan::order`): peerings, config-entry writes
//! dependencies first, entry deletes in reverse, peering deletes. Waves keep that order and add
//! concurrency where it is safe: a step never starts before the previous one ended, and within
//! a step each cluster's changes are cut into groups wherever the kind or its tier (resolvers
//! that name each other, `plan::order::Tiers`) changes, the `n`-th
//! groups of all clusters forming one wave. So entries of one kind on one cluster run together,
//! clusters run side by side, and no entry ever runs before one the plan put earlier on its
//! cluster. All peering (re-)establishes form one wave, as do all peering deletes.
//!
//! # Dependencies
//! A change whose dependency was not written (conflicted, failed, skipped) is skipped, and says
//! why. The rules, all within one cluster:
//! - an entry write that names a peer (any `Peer` field in its body, e.g. exported-services
//!   `Services[].Consumers[].Peer`, intentions `Sources[].Peer`, resolver failover targets)
//!   depends on the establish or re-establish of that peering on that cluster;
//! - a service-intentions write depends on the service-defaults write of the same name and on
//!   any proxy-defaults write (the protocol L7 permissions need), and on the jwt-provider
//!   writes it names (`JWT.Providers[].Name`, also inside permissions);
//! - a service-defaults delete depends on the service-intentions delete of the same name
//!   (Consul refuses to drop the protocol L7 intentions still need);
//! - a service-resolver write depends on the writes of the resolvers it names (a redirect or
//!   failover to a subset needs that subset), and a service-resolver delete on the deletes of
//!   the resolvers that name it.
//!
//! Everything else goes on when something fails.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::report::{Outcome, Status};
use crate::model::entry::SERVICE_INTENTIONS;
use crate::model::normalize::fold_key;
use crate::plan::order::{self, Step, Tiers};
use crate::plan::{Action, Change, Object};

const SERVICE_DEFAULTS: &str = "service-defaults";
const PROXY_DEFAULTS: &str = "proxy-defaults";
const JWT_PROVIDER: &str = "jwt-provider";
const SERVICE_RESOLVER: &str = "service-resolver";

/// What starts a new group of a cluster's changes when it changes: the kind and its tier.
type Cut<'a> = (&'a str, u32);

/// The waves of change indexes and each change's dependencies.
#[derive(Debug, Default)]
pub(super) struct Schedule {
    waves: Vec<Vec<usize>>,
    dependencies: HashMap<usize, Vec<usize>>,
}

impl Schedule {
    /// The schedule of `changes` (a plan's, in its order). Changes that write nothing (peering
    /// adopts) are left out.
    pub(super) fn of(changes: &[Change]) -> Self {
        let index = Index::of(changes);
        let tiers = Tiers::of(changes);
        // (step, cluster) → the (kind, tier) of its current group, and that group's number.
        let mut groups: HashMap<(Step, &str), (Cut, usize)> = HashMap::new();
        let mut waves: BTreeMap<(Step, usize), Vec<usize>> = BTreeMap::new();
        let mut dependencies = HashMap::new();
        for (i, change) in changes.iter().enumerate().filter(|(_, c)| c.writes()) {
            let step = order::step(change);
            let (cluster, kind) = match &change.object {
                // All peering changes of a step run together, whatever their cluster.
                Object::Peering(_) => ("", ""),
                Object::Entry(entry) => (change.cluster.as_str(), entry.kind.as_str()),
            };
            let cut = (kind, tiers.of_change(change));
            let group = groups.entry((step, cluster)).or_insert((cut, 0));
            if group.0 != cut {
                *group = (cut, group.1 + 1);
            }
            waves.entry((step, group.1)).or_default().push(i);
            dependencies.insert(i, index.dependencies(change));
        }
        Self {
            waves: waves.into_values().collect(),
            dependencies,
        }
    }

    /// The waves, in the order they run.
    pub(super) fn waves(&self) -> impl Iterator<Item = &[usize]> {
        self.waves.iter().map(Vec::as_slice)
    }

    /// How many changes are scheduled.
    pub(super) fn len(&self) -> usize {
        self.dependencies.len()
    }

    /// Why change `index` must be skipped: a dependency that ran and was not written. A
    /// dependency that has not run (a plan out of order) does not block.
    pub(super) fn blocked(
        &self,
        index: usize,
        changes: &[Change],
        done: &BTreeMap<usize, Outcome>,
    ) -> Option<String> {
        let dependencies = self.dependencies.get(&index)?;
        dependencies.iter().find_map(|dependency| {
            let outcome = done.get(dependency)?;
            let which = match &outcome.status {
                Status::Written { .. } => return None,
                Status::Conflicted { .. } => "conflicted",
                Status::Failed { .. } => "failed",
                Status::Skipped { .. } => "was skipped",
            };
            let needed = &changes[*dependency];
            Some(format!(
                "it depends on {} on {}, which {which}",
                needed.object, needed.cluster
            ))
        })
    }
}

/// The changes that others can depend on, by what identifies them.
#[derive(Default)]
struct Index<'a> {
    /// (cluster, local peer name) → the establish or re-establish of that peering.
    establishes: HashMap<(&'a str, &'a str), usize>,
    /// (cluster, kind, name) → the write of that entry.
    writes: HashMap<(&'a str, &'a str, &'a str), usize>,
    /// (cluster, kind, name) → the delete of that entry.
    deletes: HashMap<(&'a str, &'a str, &'a str), usize>,
    /// The service-resolver deletes: cluster, change, the other services the live entry names.
    resolver_deletes: Vec<(&'a str, usize, Vec<&'a str>)>,
}

impl<'a> Index<'a> {
    fn of(changes: &'a [Change]) -> Self {
        let mut index = Self::default();
        for (i, change) in changes.iter().enumerate() {
            match (&change.object, change.action) {
                (
                    Object::Peering(peering),
                    Action::Establish | Action::Reestablish | Action::Replace,
                ) => {
                    // Only our ends are established by this change; an end of another team's
                    // workspace is theirs to make, and nothing here can wait for it. An end the
                    // peering does not describe (`None`) has nothing to establish.
                    let ends = [&peering.acceptor, &peering.dialer];
                    for end in ends.into_iter().flatten().filter(|end| end.ours) {
                        let key = (end.cluster.as_str(), end.peer_name.as_str());
                        index.establishes.insert(key, i);
                    }
                }
                (Object::Entry(entry), action) => {
                    let key = (
                        change.cluster.as_str(),
                        entry.kind.as_str(),
                        entry.name.as_str(),
                    );
                    match action {
                        Action::Delete => index.deletes.insert(key, i),
                        _ => index.writes.insert(key, i),
                    };
                    if action == Action::Delete && entry.kind == SERVICE_RESOLVER {
                        let named = change.before.as_ref().map(order::services);
                        let named = named.unwrap_or_default().into_iter();
                        let named = named.filter(|service| *service != entry.name).collect();
                        index.resolver_deletes.push((key.0, i, named));
                    }
                }
                (Object::Peering(_), _) => {}
            }
        }
        index
    }

    /// The changes `change` depends on (see the module docs).
    fn dependencies(&self, change: &Change) -> Vec<usize> {
        let Object::Entry(entry) = &change.object else {
            return Vec::new();
        };
        let cluster = change.cluster.as_str();
        let name = entry.name.as_str();
        if change.action == Action::Delete {
            return match entry.kind.as_str() {
                SERVICE_DEFAULTS => self.delete_of(cluster, SERVICE_INTENTIONS, name),
                SERVICE_RESOLVER => self.resolver_deletes_naming(cluster, name),
                _ => Vec::new(),
            };
        }
        let Some(body) = &change.body else {
            return Vec::new();
        };
        let mut needs: Vec<usize> = peers(body)
            .iter()
            .filter_map(|peer| self.establishes.get(&(cluster, *peer)).copied())
            .collect();
        if entry.kind == SERVICE_RESOLVER {
            for service in order::services(body) {
                if service != name {
                    needs.extend(self.write_of(cluster, SERVICE_RESOLVER, service));
                }
            }
        }
        if entry.kind == SERVICE_INTENTIONS {
            needs.extend(self.write_of(cluster, SERVICE_DEFAULTS, name));
            needs.extend(self.writes_of_kind(cluster, PROXY_DEFAULTS));
            for provider in jwt_providers(body) {
                needs.extend(self.write_of(cluster, JWT_PROVIDER, provider));
            }
        }
        needs.sort_unstable();
        needs.dedup();
        needs
    }

    fn write_of(&self, cluster: &str, kind: &str, name: &str) -> Vec<usize> {
        self.writes
            .get(&(cluster, kind, name))
            .copied()
            .into_iter()
            .collect()
    }

    fn delete_of(&self, cluster: &str, kind: &str, name: &str) -> Vec<usize> {
        self.deletes
            .get(&(cluster, kind, name))
            .copied()
            .into_iter()
            .collect()
    }

    /// The deletes of resolvers on `cluster` whose live entry names `service`.
    fn resolver_deletes_naming(&self, cluster: &str, service: &str) -> Vec<usize> {
        self.resolver_deletes
            .iter()
            .filter(|(c, _, names)| *c == cluster && names.contains(&service))
            .map(|(_, i, _)| *i)
            .collect()
    }

    fn writes_of_kind(&self, cluster: &str, kind: &str) -> Vec<usize> {
        self.writes
            .iter()
            .filter(|((c, k, _), _)| *c == cluster && *k == kind)
            .map(|(_, i)| *i)
            .collect()
    }
}

/// Every peer an entry names: the string value of any member named `Peer` (or Consul's alias
/// `peer_name`), at any depth, keys matched as Consul matches them.
fn peers(body: &Value) -> Vec<&str> {
    order::strings_named(body, &["peer", "peername"])
}

/// The JWT providers an intentions entry names: `JWT.Providers[].Name` of the entry and of
/// each source's permissions.
fn jwt_providers(body: &Value) -> Vec<&str> {
    let mut paths = at(body, &["jwt", "providers", "name"]);
    paths.extend(at(
        body,
        &["sources", "permissions", "jwt", "providers", "name"],
    ));
    paths.into_iter().filter_map(Value::as_str).collect()
}

/// The values at `path` (folded keys), stepping into every element of the arrays on the way.
fn at<'a>(value: &'a Value, path: &[&str]) -> Vec<&'a Value> {
    let Some((first, rest)) = path.split_first() else {
        return vec![value];
    };
    match value {
        Value::Array(items) => items.iter().flat_map(|item| at(item, path)).collect(),
        Value::Object(map) => map
            .iter()
            .filter(|(key, _)| fold_key(key) == *first)
            .flat_map(|(_, member)| at(member, rest))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::entry::EXPORTED_SERVICES;
    use crate::plan::{EntryObject, PeeringEnd, PeeringObject};

    fn entry(cluster: &str, kind: &str, name: &str, action: Action, body: Value) -> Change {
        let object = Object::Entry(EntryObject {
            kind: kind.into(),
            name: name.into(),
            namespace: None,
            partition: None,
        });
        let mut change = Change::new(cluster, object, action, 0);
        change.body = (action != Action::Delete).then_some(body);
        change
    }

    fn end(cluster: &str, peer_name: &str) -> PeeringEnd {
        PeeringEnd {
            cluster: cluster.into(),
            peer_name: peer_name.into(),
            partition: None,
            ours: true,
            seen: None,
        }
    }

    fn peering(action: Action) -> Change {
        Change {
            cluster: "cluster-01".into(),
            object: Object::Peering(PeeringObject {
                name: "cluster-02".into(),
                acceptor: Some(end("cluster-01", "cluster-02")),
                dialer: Some(end("cluster-02", "cluster-01")),
                meta: BTreeMap::new(),
                server_external_addresses: Vec::new(),
                token_out: None,
                token_file: None,
            }),
            ..entry("cluster-01", "x", "x", action, Value::Null)
        }
    }

    /// The seed plan plus service-defaults and another cluster, in plan order.
    fn seed() -> Vec<Change> {
        vec![
            peering(Action::Establish),
            entry(
                "cluster-01",
                "service-defaults",
                "frontend-service",
                Action::Create,
                json!({"Protocol": "http"}),
            ),
            entry(
                "cluster-02",
                "service-defaults",
                "api",
                Action::Create,
                json!({}),
            ),
            entry(
                "cluster-01",
                SERVICE_INTENTIONS,
                "frontend-service",
                Action::Create,
                json!({"Sources": [{"Name": "backend-service", "Peer": "cluster-02"}]}),
            ),
            entry(
                "cluster-01",
                SERVICE_INTENTIONS,
                "other",
                Action::Create,
                json!({"Sources": [{"Name": "a"}]}),
            ),
            entry(
                "cluster-01",
                EXPORTED_SERVICES,
                "default",
                Action::Create,
                json!({"services": [{"name": "frontend-service",
                                     "consumers": [{"peer_name": "cluster-02"}]}]}),
            ),
        ]
    }

    #[test]
    fn peerings_run_first_then_each_kind_group_with_the_same_groups_of_other_clusters() {
        let schedule = Schedule::of(&seed());
        let waves: Vec<&[usize]> = schedule.waves().collect();
        assert_eq!(waves, [&[0][..], &[1, 2], &[3, 4], &[5]]);
        assert_eq!(schedule.len(), 6);
    }

    #[test]
    fn entries_naming_a_peer_depend_on_its_establish_and_intentions_on_their_defaults() {
        let index = Index::of(&[]);
        assert!(index.dependencies(&seed()[3]).is_empty());
        let changes = seed();
        let index = Index::of(&changes);
        assert_eq!(index.dependencies(&changes[3]), [0, 1]);
        assert!(index.dependencies(&changes[4]).is_empty());
        assert_eq!(
            index.dependencies(&changes[5]),
            [0],
            "lowercase keys, peer_name alias"
        );
    }

    #[test]
    fn a_failed_dependency_skips_its_dependents_with_the_reason() {
        let changes = seed();
        let schedule = Schedule::of(&changes);
        let mut done = BTreeMap::new();
        let failed = Status::Failed {
            error: "boom".into(),
        };
        done.insert(1, Outcome::new(1, &changes[1], failed));
        let because = schedule.blocked(3, &changes, &done);
        assert_eq!(
            because.as_deref(),
            Some("it depends on service-defaults/frontend-service on cluster-01, which failed")
        );
        assert_eq!(schedule.blocked(4, &changes, &done), None);
    }

    #[test]
    fn intentions_depend_on_proxy_defaults_and_the_jwt_providers_they_name() {
        let changes = vec![
            entry("c", JWT_PROVIDER, "okta", Action::Create, json!({})),
            entry("c", JWT_PROVIDER, "auth0", Action::Update, json!({})),
            entry("c", PROXY_DEFAULTS, "global", Action::Update, json!({})),
            entry(
                "c",
                SERVICE_INTENTIONS,
                "api",
                Action::Create,
                json!({
                    "Sources": [{"Name": "web", "Permissions": [
                        {"Action": "allow", "HTTP": {"PathPrefix": "/"},
                         "JWT": {"Providers": [{"Name": "okta"}]}}]}]
                }),
            ),
        ];
        let index = Index::of(&changes);
        assert_eq!(index.dependencies(&changes[3]), [0, 2]);
    }

    #[test]
    fn a_service_defaults_delete_depends_on_the_intentions_delete_of_the_same_name() {
        let changes = vec![
            entry("c", SERVICE_INTENTIONS, "api", Action::Delete, Value::Null),
            entry("c", SERVICE_DEFAULTS, "api", Action::Delete, Value::Null),
            entry("c", SERVICE_DEFAULTS, "web", Action::Delete, Value::Null),
        ];
        let index = Index::of(&changes);
        assert_eq!(index.dependencies(&changes[1]), [0]);
        assert!(index.dependencies(&changes[2]).is_empty());
        let schedule = Schedule::of(&changes);
        let waves: Vec<&[usize]> = schedule.waves().collect();
        assert_eq!(waves, [&[0][..], &[1, 2]]);
    }

    #[test]
    fn peering_adopts_write_nothing_and_are_not_scheduled() {
        let changes = vec![peering(Action::Adopt), peering(Action::Delete)];
        let schedule = Schedule::of(&changes);
        assert_eq!(schedule.waves().collect::<Vec<_>>(), [&[1][..]]);
    }

    fn deleted(cluster: &str, kind: &str, name: &str, before: Value) -> Change {
        let mut change = entry(cluster, kind, name, Action::Delete, Value::Null);
        change.before = Some(before);
        change
    }

    #[test]
    fn a_resolver_naming_another_is_written_after_it_and_deleted_before_it() {
        let redirect = json!({"Redirect": {"Service": "b", "ServiceSubset": "v2"}});
        let failover = json!({"Failover": {"*": {"Targets": [{"Service": "a"}]}}});
        let mut changes = vec![
            entry("c", SERVICE_RESOLVER, "a", Action::Create, redirect.clone()),
            entry("c", SERVICE_RESOLVER, "b", Action::Create, json!({})),
            entry("c", SERVICE_RESOLVER, "c", Action::Create, failover.clone()),
            entry("d", SERVICE_RESOLVER, "a", Action::Create, redirect.clone()),
        ];
        crate::plan::order::sort(&mut changes);
        let names: Vec<String> = changes.iter().map(|c| c.object.to_string()).collect();
        assert!(
            names[..3].ends_with(&[
                "service-resolver/a".to_owned(),
                "service-resolver/c".to_owned()
            ]),
            "{names:?}"
        );
        assert_eq!(names[0], "service-resolver/b", "{names:?}");
        let schedule = Schedule::of(&changes);
        let waves: Vec<&[usize]> = schedule.waves().collect();
        assert_eq!(waves, [&[0, 3][..], &[1], &[2]], "{names:?}");
        let index = Index::of(&changes);
        assert_eq!(index.dependencies(&changes[1]), [0]);
        assert_eq!(index.dependencies(&changes[2]), [1]);
        assert!(
            index.dependencies(&changes[3]).is_empty(),
            "another cluster's b"
        );

        let mut changes = vec![
            deleted("c", SERVICE_RESOLVER, "b", json!({})),
            deleted("c", SERVICE_RESOLVER, "a", redirect),
        ];
        crate::plan::order::sort(&mut changes);
        assert_eq!(changes[0].object.to_string(), "service-resolver/a");
        let schedule = Schedule::of(&changes);
        let waves: Vec<&[usize]> = schedule.waves().collect();
        assert_eq!(waves, [&[0][..], &[1]]);
        assert_eq!(Index::of(&changes).dependencies(&changes[1]), [0]);
    }

    #[test]
    fn resolvers_naming_each_other_still_get_a_schedule() {
        let changes = vec![
            entry(
                "c",
                SERVICE_RESOLVER,
                "a",
                Action::Create,
                json!({"Redirect": {"Service": "b"}}),
            ),
            entry(
                "c",
                SERVICE_RESOLVER,
                "b",
                Action::Create,
                json!({"Redirect": {"Service": "a"}}),
            ),
        ];
        assert_eq!(Schedule::of(&changes).len(), 2);
    }

    #[test]
    fn deleting_intentions_with_l7_permissions_comes_before_the_protocol_goes_back_to_tcp() {
        let l7 = json!({"Sources": [{"Name": "web", "Permissions": [{"Action": "allow"}]}]});
        let mut changes = vec![
            entry(
                "c",
                SERVICE_DEFAULTS,
                "api",
                Action::Update,
                json!({"Protocol": "tcp"}),
            ),
            deleted("c", SERVICE_INTENTIONS, "api", l7),
            deleted(
                "c",
                SERVICE_INTENTIONS,
                "web",
                json!({"Sources": [{"Name": "x"}]}),
            ),
        ];
        crate::plan::order::sort(&mut changes);
        let names: Vec<String> = changes.iter().map(|c| c.object.to_string()).collect();
        assert_eq!(
            names,
            [
                "service-intentions/api",
                "service-defaults/api",
                "service-intentions/web"
            ]
        );
        let schedule = Schedule::of(&changes);
        let waves: Vec<&[usize]> = schedule.waves().collect();
        assert_eq!(waves, [&[0][..], &[1], &[2]]);
    }
}
