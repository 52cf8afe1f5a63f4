//! The rules per cluster and purpose, on hand-built workspaces and on the seed example.

use std::path::Path;

use serde_json::json;

use super::*;
use crate::plan::tests::{declare, workspace};

fn rendered(desired: &Desired, cluster: &str, purpose: Purpose, lock: Option<&Lock>) -> String {
    let policy = for_cluster(desired, cluster, purpose, lock).expect("a cluster");
    render_hcl(&policy, &desired.workspace)
}

fn seed() -> Desired {
    crate::workspace::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/seed"))
        .expect("the seed loads")
}

#[test]
fn the_seed_acceptor_reads_for_plan_and_writes_for_apply() {
    let desired = seed();
    let plan = rendered(&desired, "cluster-01", Purpose::Plan, None);
    assert_eq!(
        plan,
        "# meshplan plan of workspace \"platform-mesh\" on cluster \"cluster-01\"\n\
         agent_prefix \"\" {\n  policy = \"read\" # GET /v1/agent/self: the datacenter check\n}\n\
         peering = \"read\" # GET /v1/peerings\n\
         mesh = \"read\" # read exported-services/default\n\
         service \"frontend-service\" {\n  policy = \"read\" # required beside intentions\n  \
         intentions = \"read\" # read service-intentions/frontend-service\n}\n"
    );
    let apply = rendered(&desired, "cluster-01", Purpose::Apply, None);
    assert!(apply.contains("peering = \"write\""), "{apply}");
    assert!(apply.contains("mesh = \"write\""), "{apply}");
    assert!(
        apply.contains("  intentions = \"write\" # write service-intentions/frontend-service"),
        "{apply}"
    );
}

#[test]
fn a_cluster_without_entries_needs_only_the_agent_and_peerings() {
    let desired = seed();
    let policy = for_cluster(&desired, "cluster-02", Purpose::Apply, None).expect("a cluster");
    let resources: Vec<_> = policy.rules.iter().map(|r| &r.resource).collect();
    assert_eq!(
        resources,
        [&Resource::AgentPrefix(String::new()), &Resource::Peering]
    );
    assert_eq!(policy.rules[1].level, Level::Write, "cluster-02 dials");
}

#[test]
fn a_cluster_in_no_peering_only_reads_peerings_even_to_apply() {
    let desired = workspace(&["solo"]);
    let policy = for_cluster(&desired, "solo", Purpose::Apply, None).expect("a cluster");
    let peering = policy
        .rules
        .iter()
        .find(|r| r.resource == Resource::Peering);
    assert_eq!(peering.map(|r| r.level), Some(Level::Read));
}

#[test]
fn each_kind_asks_for_what_consul_checks() {
    let mut desired = workspace(&["c1"]);
    for entry in [
        json!({"Kind": "service-defaults", "Name": "web", "Protocol": "http"}),
        json!({"Kind": "service-router", "Name": "web", "Routes": []}),
        json!({"Kind": "service-intentions", "Name": "*", "Sources": [{"Name": "a", "Action": "deny"}]}),
        json!({"Kind": "proxy-defaults", "Name": "global"}),
        json!({"Kind": "mesh", "Name": "mesh"}),
        json!({"Kind": "ingress-gateway", "Name": "in", "Listeners": []}),
    ] {
        declare(&mut desired, "c1", entry);
    }
    let plan = for_cluster(&desired, "c1", Purpose::Plan, None).expect("a cluster");
    let levels: BTreeMap<_, _> = plan.rules.iter().map(|r| (&r.resource, r.level)).collect();
    assert_eq!(
        levels.get(&Resource::Service("web".into())),
        Some(&Level::Read)
    );
    assert_eq!(
        levels.get(&Resource::Service("in".into())),
        Some(&Level::Read)
    );
    assert_eq!(
        levels.get(&Resource::IntentionsPrefix(String::new())),
        Some(&Level::Read)
    );
    assert_eq!(levels.get(&Resource::Mesh), Some(&Level::Read), "mesh");
    assert_eq!(levels.get(&Resource::ServicePrefix(String::new())), None);

    let apply = for_cluster(&desired, "c1", Purpose::Apply, None).expect("a cluster");
    let levels: BTreeMap<_, _> = apply.rules.iter().map(|r| (&r.resource, r.level)).collect();
    assert_eq!(
        levels.get(&Resource::Service("web".into())),
        Some(&Level::Write)
    );
    assert_eq!(
        levels.get(&Resource::Service("in".into())),
        None,
        "gateways write as mesh"
    );
    assert_eq!(levels.get(&Resource::Mesh), Some(&Level::Write));
    assert_eq!(
        levels.get(&Resource::ServicePrefix(String::new())),
        Some(&Level::Read),
        "the router's targets"
    );
    let mesh = apply.rules.iter().find(|r| r.resource == Resource::Mesh);
    let why = mesh.map(|r| r.why.as_str()).unwrap_or_default();
    assert!(
        why.contains("proxy-defaults/global") && why.contains("ingress-gateway/in"),
        "{why}"
    );
}

#[test]
fn the_lock_adds_key_and_session_rules_on_its_cluster_only() {
    let desired = seed();
    let lock = Lock {
        key: "meshplan/lock".into(),
        cluster: "cluster-01".into(),
    };
    let one = rendered(&desired, "cluster-01", Purpose::Apply, Some(&lock));
    assert!(
        one.contains("key \"meshplan/lock\" {\n  policy = \"write\""),
        "{one}"
    );
    assert!(
        one.contains("session_prefix \"\" {\n  policy = \"write\""),
        "{one}"
    );
    let two = rendered(&desired, "cluster-02", Purpose::Apply, Some(&lock));
    assert!(
        !two.contains("key ") && !two.contains("session_prefix"),
        "{two}"
    );
}

#[test]
fn names_are_escaped_and_reasons_stay_on_their_line() {
    let mut desired = workspace(&["c1"]);
    declare(
        &mut desired,
        "c1",
        json!({"Kind": "service-defaults", "Name": "we\"b\nmesh = \"write\""}),
    );
    let text = rendered(&desired, "c1", Purpose::Plan, None);
    assert!(text.contains(r#"service "we\"b"#), "{text}");
    assert!(!text.lines().any(|line| line.starts_with("mesh")), "{text}");
}

#[test]
fn an_unknown_cluster_has_no_policy() {
    assert_eq!(for_cluster(&seed(), "nope", Purpose::Plan, None), None);
}

/// The README's "Permissions" section quotes `meshplan policy examples/seed`.
/// `MESHPLAN_UPDATE_EXAMPLES=1 cargo test --lib readme_quotes_the_seed_policy` rewrites it.
#[test]
fn the_readme_quotes_the_seed_policy() {
    const BEGIN: &str = "<!-- meshplan policy examples/seed -->\n```hcl\n";
    const END: &str = "```\n<!-- end of meshplan policy examples/seed -->";
    let desired = seed();
    let clusters = desired.clusters.keys().map(String::as_str);
    let printed = render_all(&desired, clusters, &[Purpose::Plan, Purpose::Apply], None);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("the README");
    let (Some(start), Some(end)) = (readme.find(BEGIN), readme.find(END)) else {
        panic!("README.md has no `{BEGIN}` ... `{END}` section")
    };
    let quoted = &readme[start + BEGIN.len()..end];
    if quoted != printed && std::env::var_os("MESHPLAN_UPDATE_EXAMPLES").is_some() {
        let updated = format!(
            "{}{printed}{}",
            &readme[..start + BEGIN.len()],
            &readme[end..]
        );
        std::fs::write(&path, updated).expect("write the README");
        return;
    }
    assert!(
        quoted == printed,
        "README.md's seed policy is out of date: run \
         `MESHPLAN_UPDATE_EXAMPLES=1 cargo test --lib readme_quotes_the_seed_policy`"
    );
}
