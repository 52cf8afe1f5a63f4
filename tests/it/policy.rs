//! `meshplan policy` held to real ACL-enabled agents (default deny): tokens made from exactly the
//! printed policies plan and apply the seed; then each rule is taken out in turn, and the plan
//! or apply that needs it fails with meshplan's permission hint naming it.
//!
//! One agent pair for everything: a rule is taken out by updating the token's policy in place.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::cli::{Run, assert_exit, meshplan, write};
use crate::support::consul::Cluster;
use crate::support::http::send_with_token;

const MANAGEMENT_TOKEN: &str = "3b9e7c1d-5a2f-4e8b-9c0d-6f1a2b3c4d5e";

/// The variable each cluster's token is given in.
fn token_var(cluster: &str) -> &'static str {
    match cluster {
        "cluster-01" => "CLUSTER01_TOKEN",
        _ => "CLUSTER02_TOKEN",
    }
}

/// A policy (name, ID) and the secret of a token that has only it.
struct Grant {
    policy_id: String,
    rules: String,
    secret: String,
}

async fn management(
    agent: &Cluster,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    send_with_token(agent, MANAGEMENT_TOKEN, method, path, body).await
}

async fn grant(agent: &Cluster, name: &str, rules: &str) -> Grant {
    let policy = management(
        agent,
        reqwest::Method::PUT,
        "/v1/acl/policy",
        Some(json!({"Name": name, "Rules": rules})),
    )
    .await;
    let policy_id = policy["ID"].as_str().expect("a policy ID").to_owned();
    let token = management(
        agent,
        reqwest::Method::PUT,
        "/v1/acl/token",
        Some(json!({"Description": name, "Policies": [{"ID": policy_id}]})),
    )
    .await;
    Grant {
        policy_id,
        rules: rules.to_owned(),
        secret: token["SecretID"].as_str().expect("a SecretID").to_owned(),
    }
}

async fn set_rules(agent: &Cluster, grant: &Grant, name: &str, rules: &str) {
    management(
        agent,
        reqwest::Method::PUT,
        &format!("/v1/acl/policy/{}", grant.policy_id),
        Some(json!({"Name": name, "Rules": rules})),
    )
    .await;
}

/// The rules of a printed policy: each top-level `x = "y"` line and each block, in order.
fn rules_of(text: &str) -> Vec<String> {
    let mut rules = Vec::new();
    let mut block = String::new();
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        if !block.is_empty() || line.ends_with('{') {
            block.push_str(line);
            block.push('\n');
            if line == "}" {
                rules.push(std::mem::take(&mut block));
            }
        } else {
            rules.push(format!("{line}\n"));
        }
    }
    rules
}

/// `text` without its rule `skip`.
fn without(text: &str, skip: usize) -> String {
    rules_of(text)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i != skip)
        .map(|(_, rule)| rule)
        .collect()
}

/// The permission meshplan's hint names when `rule` is missing.
fn named_permission(rule: &str, apply: bool) -> &'static str {
    let level = |read, write| if apply { write } else { read };
    if rule.starts_with("agent_prefix") {
        "`agent:read`"
    } else if rule.starts_with("peering") {
        // Without any peering rule, the list that every plan starts with is refused.
        "`peering:read`"
    } else if rule.starts_with("mesh") {
        level("`mesh:read`", "`mesh:write`")
    } else if rule.contains("intentions") {
        level("`intentions:read`", "`intentions:write`")
    } else {
        panic!("no permission known for {rule}")
    }
}

fn output(run: &Run) -> String {
    format!("{}{}", run.stdout, run.stderr)
}

#[tokio::test]
async fn tokens_from_the_printed_policies_plan_and_apply_and_every_rule_is_needed() {
    let acl = format!(
        "acl {{\n  enabled = true\n  default_policy = \"deny\"\n  tokens {{\n    \
         initial_management = \"{MANAGEMENT_TOKEN}\"\n  }}\n}}"
    );
    let fragments = [acl.as_str()];
    let (one, two) = tokio::join!(
        Cluster::start_with("cluster-01", &fragments),
        Cluster::start_with("cluster-02", &fragments)
    );
    let agents = [&one, &two];
    let dir = TempDir::new().expect("temp dir");
    let mut workspace = String::from("workspace = \"it\"\n");
    for agent in agents {
        workspace.push_str(&format!(
            "cluster \"{}\" {{\n  address = \"{}\"\n  token_env = \"{}\"\n}}\n",
            agent.name(),
            agent.http_addr(),
            token_var(agent.name())
        ));
    }
    workspace.push_str("peering {\n  acceptor = \"cluster-01\"\n  dialer = \"cluster-02\"\n}\n");
    write(dir.path(), "meshplan.hcl", &workspace);
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/seed/cluster-01");
    for file in ["exported-services.hcl", "frontend-service-intentions.hcl"] {
        let text = std::fs::read_to_string(seed.join(file)).expect("a seed entry");
        write(dir.path(), &format!("cluster-01/{file}"), &text);
    }

    let mut grants = BTreeMap::new();
    for agent in agents {
        for purpose in ["plan", "apply"] {
            let printed = meshplan(
                &["policy", "--cluster", agent.name(), "--for", purpose],
                dir.path(),
                &[],
            );
            assert_exit(&printed, 0);
            let name = format!("{}-{purpose}", agent.name());
            grants.insert(
                (agent.name(), purpose),
                grant(agent, &name, &printed.stdout).await,
            );
        }
    }
    let env = |purpose: &str| -> Vec<(&'static str, String)> {
        agents
            .iter()
            .map(|agent| {
                (
                    token_var(agent.name()),
                    grants[&(agent.name(), purpose)].secret.clone(),
                )
            })
            .collect()
    };
    let run = |args: &[&str], purpose: &str| {
        let env = env(purpose);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        meshplan(args, dir.path(), &env)
    };
    let plan = ["plan", "--detailed-exitcode"];
    let apply = ["apply", "--auto-approve"];

    assert_exit(&run(&plan, "plan"), 2);
    assert_exit(&run(&apply, "apply"), 0);
    assert_exit(&run(&plan, "plan"), 0);
    for grant in grants.values() {
        for shown in [output(&run(&plan, "plan")), output(&run(&apply, "apply"))] {
            assert!(!shown.contains(&grant.secret), "a token leaked:\n{shown}");
        }
    }

    // Each rule of the apply policies: without it, apply fails naming it. The seed's entries are
    // deleted first, so that apply has to write them.
    for agent in agents {
        let grant = &grants[&(agent.name(), "apply")];
        let name = format!("{}-apply", agent.name());
        for (i, rule) in rules_of(&grant.rules).iter().enumerate() {
            set_rules(agent, grant, &name, &without(&grant.rules, i)).await;
            for (kind, entry) in [
                ("exported-services", "default"),
                ("service-intentions", "frontend-service"),
            ] {
                let path = format!("/v1/config/{kind}/{entry}");
                management(&one, reqwest::Method::DELETE, &path, None).await;
            }
            let failed = run(&apply, "apply");
            assert_exit(&failed, 1);
            let shown = output(&failed);
            let permission = named_permission(rule, true);
            assert!(
                shown.contains("hint: the ACL token (from environment variable")
                    && shown.contains(permission),
                "without {rule}apply should fail naming {permission}:\n{failed}"
            );
            set_rules(agent, grant, &name, &grant.rules).await;
        }
    }
    assert_exit(&run(&apply, "apply"), 0);
    assert_exit(&run(&plan, "plan"), 0);

    // Each rule of the plan policies: without it, plan fails naming it. Consul filters
    // config-entry lists rather than refusing them, so without an entry's read rule the list
    // comes back without it: the plan then reads the entry itself and fails on the 403.
    for agent in agents {
        let grant = &grants[&(agent.name(), "plan")];
        let name = format!("{}-plan", agent.name());
        for (i, rule) in rules_of(&grant.rules).iter().enumerate() {
            set_rules(agent, grant, &name, &without(&grant.rules, i)).await;
            let planned = run(&plan, "plan");
            let permission = named_permission(rule, false);
            assert_exit(&planned, 1);
            assert!(
                output(&planned).contains(permission),
                "without {rule}plan should fail naming {permission}:\n{planned}"
            );
            set_rules(agent, grant, &name, &grant.rules).await;
        }
    }
    assert_exit(&run(&plan, "plan"), 0);
}
