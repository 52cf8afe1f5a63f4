//! Logs on stderr: levels from the flags and `RUST_LOG`, JSON lines for log shippers, and no
//! token in any line at any level, trace included.

use crate::support::cli::{assert_exit, cluster_block, entries, meshplan, write};
use crate::support::consul::start_clusters;

/// The ACL token the workspace sends; any agent without ACLs ignores it.
const CANARY: &str = "5f0c1e7a-canary-acl-token-do-not-log";

#[tokio::test]
async fn no_token_reaches_a_log_line_even_at_trace() {
    let agents = start_clusters(&["cluster-01", "cluster-02"]).await;
    let dir = tempfile::TempDir::new().expect("a temp dir");
    let clusters: String = agents
        .iter()
        .map(|agent| {
            cluster_block(agent).replace("}\n", "  token_env = \"MESHPLAN_IT_TOKEN\"\n}\n")
        })
        .collect();
    let workspace = format!(
        "workspace = \"platform\"\n{clusters}peering {{\n  acceptor = \"cluster-01\"\n  dialer \
         = \"cluster-02\"\n}}\n"
    );
    write(dir.path(), "meshplan.hcl", &workspace);
    for (file, text) in entries(&["web"]) {
        write(dir.path(), &format!("cluster-01/{file}"), &text);
    }
    let env = [("MESHPLAN_IT_TOKEN", CANARY), ("RUST_LOG", "trace")];

    // The apply generates a peering token and establishes with it: both pass through the
    // HTTP client whose every request is logged at trace.
    let apply = meshplan(&["apply", "--auto-approve"], dir.path(), &env);
    assert_exit(&apply, 0);
    assert!(apply.stderr.contains("consul request"), "{apply}");
    for output in [&apply.stdout, &apply.stderr] {
        assert!(!output.contains(CANARY), "the ACL token leaked:\n{apply}");
        // Peering tokens are base64 of a JSON object: they start with `eyJ`.
        assert!(!output.contains("eyJ"), "a peering token leaked:\n{apply}");
    }
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_and_warnings_are_the_default() {
    let agents = start_clusters(&["cluster-01"]).await;
    let dir = tempfile::TempDir::new().expect("a temp dir");
    let text = format!("workspace = \"platform\"\n{}", cluster_block(&agents[0]));
    write(dir.path(), "meshplan.hcl", &text);

    let quiet = meshplan(&["plan"], dir.path(), &[]);
    assert_exit(&quiet, 0);
    assert!(quiet.stderr.is_empty(), "{quiet}");

    let json = meshplan(&["plan", "-vv", "--log-format", "json"], dir.path(), &[]);
    assert_exit(&json, 0);
    let lines: Vec<serde_json::Value> = json
        .stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|line| line["fields"]["message"] == "read the cluster"
                && line["fields"]["cluster"] == "cluster-01"),
        "{json}"
    );
}
