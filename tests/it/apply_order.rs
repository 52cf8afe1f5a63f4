//! Entries that Consul checks against each other are written in an order it accepts, in one
//! apply: a resolver redirecting or failing over to another service's subset after that
//! service's resolver (and deleted before it), and intentions with L7 permissions deleted before
//! their service's protocol goes back to `tcp`. Each case fails on a real agent when the order
//! is wrong, so one apply converging is the proof.

use std::path::Path;

use crate::support::cli::{Run, assert_exit, meshplan, workspace, write};
use crate::support::consul::Cluster;
use crate::support::http::read_entry;

fn apply(dir: &Path) -> Run {
    meshplan(&["apply", "--auto-approve"], dir, &[])
}

#[track_caller]
fn assert_converged(dir: &Path) {
    let plan = meshplan(&["plan", "--detailed-exitcode"], dir, &[]);
    assert_exit(&plan, 0);
}

#[tokio::test]
async fn resolvers_naming_each_others_subsets_are_written_and_deleted_in_one_apply() {
    let agent = Cluster::start("cluster-01").await;
    // `a` sorts before `b` and `c` after, so only an order by reference gets each one right.
    let resolvers = [
        (
            "a.hcl",
            "Kind = \"service-resolver\"\nName = \"a\"\n\
             Redirect {\n  Service = \"b\"\n  ServiceSubset = \"v2\"\n}\n",
        ),
        (
            "b.hcl",
            "Kind = \"service-resolver\"\nName = \"b\"\n\
             Subsets = {\n  v2 = {\n    Filter = \"Service.Meta.version == v2\"\n  }\n}\n",
        ),
        (
            "c.hcl",
            "Kind = \"service-resolver\"\nName = \"c\"\n\
             Failover = {\n  \"*\" = {\n    Service = \"a\"\n  }\n}\n",
        ),
    ];
    let entries: Vec<(String, String)> = resolvers
        .iter()
        .map(|(file, text)| (file.to_string(), text.to_string()))
        .collect();
    let dir = workspace("order", &agent, &entries);
    assert_exit(&apply(dir.path()), 0);
    assert!(read_entry(&agent, "service-resolver", "a").await.is_some());
    assert_converged(dir.path());

    for (file, _) in &resolvers {
        std::fs::remove_file(dir.path().join("cluster-01").join(file)).expect("remove");
    }
    let deleted = meshplan(
        &["apply", "--auto-approve", "--allow-delete-all"],
        dir.path(),
        &[],
    );
    assert_exit(&deleted, 0);
    assert!(deleted.stdout.contains("3 deleted"), "{deleted}");
    for name in ["a", "b", "c"] {
        assert!(read_entry(&agent, "service-resolver", name).await.is_none());
    }
}

#[tokio::test]
async fn dropping_l7_intentions_and_going_back_to_tcp_takes_one_apply() {
    let agent = Cluster::start("cluster-01").await;
    let http = "Kind = \"service-defaults\"\nName = \"api\"\nProtocol = \"http\"\n";
    let intentions = "Kind = \"service-intentions\"\nName = \"api\"\n\
        Sources = [\n  {\n    Name = \"web\"\n    Permissions = [\n      {\n        \
        Action = \"allow\"\n        HTTP {\n          PathPrefix = \"/v1\"\n        }\n      \
        }\n    ]\n  }\n]\n";
    let entries = vec![
        ("api-defaults.hcl".to_owned(), http.to_owned()),
        ("api-intentions.hcl".to_owned(), intentions.to_owned()),
    ];
    let dir = workspace("order", &agent, &entries);
    assert_exit(&apply(dir.path()), 0);

    let root = dir.path().join("cluster-01");
    std::fs::remove_file(root.join("api-intentions.hcl")).expect("remove");
    let tcp = "Kind = \"service-defaults\"\nName = \"api\"\nProtocol = \"tcp\"\n";
    write(dir.path(), "cluster-01/api-defaults.hcl", tcp);
    let second = apply(dir.path());
    assert_exit(&second, 0);
    let defaults = read_entry(&agent, "service-defaults", "api").await;
    assert_eq!(defaults.expect("still there")["Protocol"], "tcp");
    assert!(
        read_entry(&agent, "service-intentions", "api")
            .await
            .is_none()
    );
    assert_converged(dir.path());
}
