//! Saved plans travel: applied from a copy of the workspace at another path, and shown again
//! offline in every format.

use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::cli::{Run, assert_exit, entries, meshplan, workspace};
use crate::support::consul::Cluster;
use crate::support::http::defaults_owner;

/// Copies the files of `from` (one level of folders) into `to`.
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read the folder") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a type").is_dir() {
            std::fs::create_dir_all(&target).expect("create the folder");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy the file");
        }
    }
}

/// `meshplan plan --out saved` of the workspace `dir`, which must succeed; the run.
fn save_plan(dir: &Path, saved: &Path) -> Run {
    let run = meshplan(&["plan", "--out", saved.to_str().expect("UTF-8")], dir, &[]);
    assert_exit(&run, 0);
    run
}

#[tokio::test]
async fn a_saved_plan_applies_from_a_copy_of_the_workspace_at_another_path() {
    let agent = Cluster::start("cluster-01").await;
    let first = workspace("platform", &agent, &entries(&["web"]));
    let saved = first.path().join("plan.json");
    save_plan(first.path(), &saved);
    let recorded: Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).expect("read")).expect("JSON");
    assert_eq!(
        recorded["workspace"], "",
        "relative to the plan file's folder"
    );

    // Another job's checkout: the same files, with the plan in the same place, elsewhere.
    let second = TempDir::new().expect("a temp dir");
    copy_tree(first.path(), second.path());
    drop(first);
    let apply = meshplan(&["apply"], &second.path().join("plan.json"), &[]);
    assert_exit(&apply, 0);
    assert_eq!(
        defaults_owner(&agent, "web").await.as_deref(),
        Some("platform")
    );
}

#[tokio::test]
async fn a_saved_plan_kept_apart_from_the_workspace_applies_with_workspace() {
    let agent = Cluster::start("cluster-01").await;
    let first = workspace("platform", &agent, &entries(&["web"]));
    let artifacts = TempDir::new().expect("a temp dir");
    let saved = artifacts.path().join("plan.json");
    save_plan(first.path(), &saved);
    let second = TempDir::new().expect("a temp dir");
    copy_tree(first.path(), second.path());
    drop(first);

    let lost = meshplan(&["apply"], &saved, &[]);
    assert_exit(&lost, 1);
    assert!(lost.stderr.contains("--workspace DIR"), "{lost}");
    let second_dir = second.path().to_str().expect("UTF-8");
    let apply = meshplan(&["apply", "--workspace", second_dir], &saved, &[]);
    assert_exit(&apply, 0);

    // A checkout whose files differ is refused, whatever the path.
    std::fs::write(
        second.path().join("cluster-01/web-defaults.hcl"),
        "Kind = \"service-defaults\"\nName = \"web\"\nProtocol = \"tcp\"\n",
    )
    .expect("edit the file");
    let differs = meshplan(&["apply", "--workspace", second_dir], &saved, &[]);
    assert_exit(&differs, 1);
    assert!(
        differs
            .stderr
            .contains("differ from those the plan was made from"),
        "{differs}"
    );
}

#[tokio::test]
async fn show_renders_a_saved_plan_in_each_format_without_a_cluster() {
    let agent = Cluster::start("cluster-01").await;
    let dir = workspace("platform", &agent, &entries(&["web"]));
    let saved = dir.path().join("plan.json");
    let run = save_plan(dir.path(), &saved);
    drop(agent);

    let text = meshplan(&["show"], &saved, &[]);
    assert_exit(&text, 0);
    assert_eq!(text.stdout, run.stdout, "show prints what plan printed");
    let markdown = meshplan(&["show", "--format", "markdown"], &saved, &[]);
    assert_exit(&markdown, 0);
    assert!(
        markdown.stdout.starts_with("### meshplan plan"),
        "{markdown}"
    );
    let json = meshplan(&["show", "--format", "json"], &saved, &[]);
    assert_exit(&json, 0);
    let plan: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(plan["format_version"], 1);
    assert_eq!(plan["changes"][0]["action"], "create");
}

#[tokio::test]
async fn a_saved_plan_edited_in_any_byte_is_refused_and_one_left_as_saved_applies() {
    let agent = Cluster::start("cluster-01").await;
    let dir = workspace("platform", &agent, &entries(&["web"]));
    let saved = dir.path().join("plan.json");
    save_plan(dir.path(), &saved);
    let original = std::fs::read_to_string(&saved).expect("read");

    // Only what people read: the summary says nothing is created.
    let edited = original.replacen("\"create\": 1", "\"create\": 0", 1);
    assert_ne!(edited, original, "the summary is in the file");
    std::fs::write(&saved, &edited).expect("edit the plan");
    for command in [&["show"][..], &["apply"][..]] {
        let refused = meshplan(command, &saved, &[]);
        assert_exit(&refused, 1);
        assert!(
            refused
                .stderr
                .contains("plan.json` was edited after it was saved")
                && refused.stderr.contains("run plan again"),
            "{refused}"
        );
    }
    assert_eq!(defaults_owner(&agent, "web").await, None, "nothing written");

    // A plan saved by an older meshplan has no seal.
    let mut old: Value = serde_json::from_str(&original).expect("JSON");
    old["format_version"] = 1.into();
    old.as_object_mut().expect("an object").remove("seal");
    std::fs::write(&saved, old.to_string()).expect("write an old plan");
    let refused = meshplan(&["apply"], &saved, &[]);
    assert_exit(&refused, 1);
    assert!(refused.stderr.contains("without a seal"), "{refused}");

    std::fs::write(&saved, &original).expect("restore the plan");
    let apply = meshplan(&["apply"], &saved, &[]);
    assert_exit(&apply, 0);
    assert_eq!(
        defaults_owner(&agent, "web").await.as_deref(),
        Some("platform")
    );
}
