//! Faults between meshplan and a real agent, injected by a proxy on loopback: 5xx and 429
//! answers, connections cut after the agent got the request, an agent that never answers. Each test
//! counts at the proxy what the agent answered, so that no write is lost or made twice.

use std::path::Path;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::apply::assert_private;
use crate::support::cli::{Run, assert_exit, cluster_block, entries, meshplan, write};
use crate::support::consul::{Cluster, start_clusters};
use crate::support::fault_proxy::{Fault, FaultProxy};

/// A workspace whose only cluster, cluster-01, is reached through `proxy`, with a
/// service-defaults entry for each of `names`.
fn workspace(proxy: &FaultProxy, names: &[String], extra: &str) -> TempDir {
    let dir = TempDir::new().expect("a temp dir");
    let text = format!(
        "workspace = \"faults\"\ncluster \"cluster-01\" {{\n  address = \"{}\"\n}}\n{extra}",
        proxy.address()
    );
    write(dir.path(), "meshplan.hcl", &text);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    for (file, text) in entries(&names) {
        write(dir.path(), &format!("cluster-01/{file}"), &text);
    }
    dir
}

fn names(count: usize) -> Vec<String> {
    (0..count).map(|n| format!("svc-{n:03}")).collect()
}

fn apply(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["apply", "--auto-approve"];
    args.extend_from_slice(extra);
    meshplan(&args, dir, &[])
}

fn assert_converged(dir: &Path) {
    let plan = meshplan(&["plan", "--detailed-exitcode"], dir, &[]);
    assert_exit(&plan, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_answered_with_5xx_or_cut_off_are_read_back_never_resent() {
    let agent = Cluster::start("cluster-01").await;
    let proxy = FaultProxy::start(&agent.http_addr()).await;
    let all = names(20);
    let dir = workspace(&proxy, &all, "");
    // Reads: at most three faults in all, so that no read runs out of its four attempts.
    proxy.add("GET", "/v1/config/", Fault::Refuse(500), 1);
    proxy.add("GET", "/v1/config/", Fault::Refuse(429), 1);
    proxy.add("GET", "/v1/config/", Fault::CutAfter, 1);
    // Writes: made by the agent but answered with a 500, or cut off; refused before the agent.
    proxy.add("PUT", "/v1/config?", Fault::FailAfter(500), 4);
    proxy.add("PUT", "/v1/config?", Fault::CutAfter, 4);
    proxy.add("PUT", "/v1/config?", Fault::Refuse(429), 3);

    let first = apply(dir.path(), &["--timeout", "60s"]);
    assert_exit(&first, 1);
    assert_eq!(
        first.stdout.matches("confirmed by reading it back").count(),
        8,
        "{first}"
    );
    assert_eq!(first.stdout.matches("HTTP 429").count(), 3, "{first}");
    assert!(
        first
            .stdout
            .contains("Apply failed: 17 written, 0 conflicted, 3 failed, 0 skipped."),
        "{first}"
    );
    assert!(!first.stdout.contains("may or may not"), "{first}");

    proxy.clear();
    let second = apply(dir.path(), &[]);
    assert_exit(&second, 0);
    assert!(
        second.stdout.contains("Apply complete: 3 created"),
        "{second}"
    );
    assert_converged(dir.path());
    let written = proxy.answered_names("PUT", "/v1/config?");
    assert_eq!(written.len(), 20, "{written:?}");
    assert!(
        written.values().all(|&count| count == 1),
        "a write was made twice: {written:?}"
    );
}

/// The plan after a lost generate-token answer: it generates a new token, saying so.
fn assert_plans_a_new_token(dir: &Path) {
    let plan = meshplan(&["plan", "--detailed-exitcode"], dir, &[]);
    assert_exit(&plan, 2);
    assert!(
        plan.stdout.contains("generate a new peering token"),
        "{plan}"
    );
    assert!(
        plan.stdout.contains("the earlier token stops working"),
        "{plan}"
    );
}

/// An apply whose generate-token answer the proxy cuts after Consul made the token: reported
/// unknown, and the call not sent again.
fn apply_with_the_token_answer_lost(proxy: &FaultProxy, dir: &Path) {
    proxy.add("POST", "/v1/peering/token", Fault::CutAfter, 1);
    let first = apply(dir, &["--timeout", "60s"]);
    assert_exit(&first, 1);
    assert!(
        first.stdout.contains("may or may not have been written"),
        "{first}"
    );
    assert_eq!(proxy.answered("POST", "/v1/peering/token"), 1, "sent once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_peering_token_is_not_resent_and_the_next_apply_writes_a_new_one() {
    let agents = start_clusters(&["cluster-01", "partner"]).await;
    let proxy = FaultProxy::start(&agents[0].http_addr()).await;
    let peering = "peering {\n  acceptor = \"cluster-01\"\n  dialer = \"partner\"\n  token_out \
                   = \"tokens/partner.token\"\n}\n";
    let dir = workspace(&proxy, &[], peering);
    let token_path = dir.path().join("tokens/partner.token");
    apply_with_the_token_answer_lost(&proxy, dir.path());
    assert!(!token_path.exists());

    // cluster-01 holds a PENDING peering whose token nobody has.
    assert_plans_a_new_token(dir.path());
    let second = apply(dir.path(), &[]);
    assert_exit(&second, 0);
    assert!(second.stdout.contains("token written to"), "{second}");
    assert_eq!(proxy.answered("POST", "/v1/peering/token"), 2);
    assert_private(&token_path);
    // PENDING with the token handed over: the other team's turn, nothing to change.
    assert_converged(dir.path());

    // The other team dials with the token written: it is the one that works.
    let theirs = TempDir::new().expect("a temp dir");
    let text = format!(
        "workspace = \"partner\"\n{}peering {{\n  acceptor = \"cluster-01\"\n  dialer = \
         \"partner\"\n  token_file = \"tokens/cluster-01.token\"\n}}\n",
        cluster_block(&agents[1])
    );
    write(theirs.path(), "meshplan.hcl", &text);
    let token = std::fs::read_to_string(&token_path).expect("the token file");
    write(theirs.path(), "tokens/cluster-01.token", &token);
    let dialled = apply(theirs.path(), &[]);
    assert_exit(&dialled, 0);
    assert_converged(dir.path());
    assert_eq!(proxy.answered("POST", "/v1/peering/token"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_peering_token_between_two_clusters_is_replaced_by_the_next_apply() {
    let agents = start_clusters(&["cluster-01", "cluster-02"]).await;
    let proxy = FaultProxy::start(&agents[0].http_addr()).await;
    let peering = format!(
        "{}peering {{\n  acceptor = \"cluster-01\"\n  dialer = \"cluster-02\"\n}}\n",
        cluster_block(&agents[1])
    );
    let dir = workspace(&proxy, &[], &peering);
    apply_with_the_token_answer_lost(&proxy, dir.path());

    assert_plans_a_new_token(dir.path());
    let second = apply(dir.path(), &[]);
    assert_exit(&second, 0);
    assert_eq!(proxy.answered("POST", "/v1/peering/token"), 2);
    assert_converged(dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_against_an_agent_that_never_answers_ends_within_its_time_limit() {
    let agent = Cluster::start("cluster-01").await;
    let proxy = FaultProxy::start(&agent.http_addr()).await;
    let dir = workspace(&proxy, &names(3), "");
    proxy.add("GET", "/", Fault::Hang, usize::MAX);
    let started = Instant::now();
    let plan = meshplan(&["plan", "--timeout", "4s"], dir.path(), &[]);
    let took = started.elapsed();
    assert_exit(&plan, 1);
    assert!(took < Duration::from_secs(5), "took {took:?}\n{plan}");
    assert!(plan.stderr.contains("cluster-01"), "{plan}");
    // A quarter of the limit per request, then the breaker: the fourth attempt is never sent.
    let sent = proxy.seen().len();
    assert!(sent <= 3 * 25, "{sent} requests");
}
