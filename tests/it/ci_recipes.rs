//! The CI recipes in `examples/ci/` run: each recipe's pull-request job and merge job are read
//! from its YAML, and their shell steps run in order with bash, as the CI service would run them,
//! against two dev clusters and a copy of the seed workspace, with the built `meshplan` on PATH.
//!
//! The steps that talk to the CI service's API are stood in for: installing meshplan is skipped
//! (the built binary is on PATH), the artifact upload keeps the plan file and the download puts
//! it into the merge job's checkout, and the comment step records the body file it would post.
//! Any other step the test does not know fails it, so a recipe cannot grow a step that no test
//! runs.
//!
//! Each recipe's story: a pull request is planned and commented; someone changes a cluster by
//! hand before the merge, so the merge job's apply of the reviewed plan is refused and writes
//! nothing; a new push plans again (the comment is the same one, found by its marker) and its
//! merge applies, after which nothing is left to plan.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::saved_plans::copy_tree;
use crate::support::cli::{assert_exit, meshplan};
use crate::support::consul::{Cluster, start_clusters};
use crate::support::http::{put_entry, read_entry};

/// What the test does for one step of a job.
#[derive(Debug)]
enum Step {
    /// A shell script, run with the step's environment.
    Shell {
        name: String,
        script: String,
        env: Vec<(String, String)>,
    },
    /// Keeps these files of the checkout as the job's artifact.
    Upload(Vec<String>),
    /// Puts these files of the pull request's artifact into the checkout.
    Download(Vec<String>),
    /// Records the file that would be posted as the pull-request comment.
    Comment(String),
}

/// The pull-request job and the merge job of a recipe, and where its workspace is.
#[derive(Debug)]
struct Recipe {
    workspace: String,
    pull_request: Vec<Step>,
    merge: Vec<Step>,
}

/// How a job ended: the failed step's name and output, if one failed.
#[derive(Debug)]
struct Outcome {
    failed: Option<(String, String)>,
    log: String,
}

/// Reads a recipe's YAML into plain data.
fn read_yaml(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/ci")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("read the recipe");
    serde_yaml_ng::from_str(&text).unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// Variables with literal values; those the CI service fills in (`${{ secrets.X }}`) are left
/// unset, as the dev clusters need no token.
fn literal_vars(map: &Value) -> Vec<(String, String)> {
    map.as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, value)| {
            let value = value.as_str()?;
            (!value.contains("${{")).then(|| (name.clone(), value.to_owned()))
        })
        .collect()
}

fn text(value: &Value, what: &str) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value}"))
        .to_owned()
}

fn strings(value: &Value, what: &str) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().map(|item| text(item, what)).collect(),
        other => vec![text(other, what)],
    }
}

/// The `plan` and `apply` jobs of the GitHub Actions workflow.
fn github_actions() -> Recipe {
    let workflow = read_yaml("github-actions.yml");
    let global = literal_vars(&workflow["env"]);
    let workspace = text(&workflow["env"]["MESHPLAN_WORKSPACE"], "MESHPLAN_WORKSPACE");
    let job = |name: &str| -> Vec<Step> {
        let job = &workflow["jobs"][name];
        let mut env = global.clone();
        env.extend(literal_vars(&job["env"]));
        let steps = job["steps"].as_array().expect("the job's steps");
        steps
            .iter()
            .filter_map(|step| github_step(step, &env))
            .collect()
    };
    Recipe {
        workspace,
        pull_request: job("plan"),
        merge: job("apply"),
    }
}

/// One GitHub Actions step: `run` steps are shell, the actions that talk to GitHub are stood
/// in for, checkout is the test's copy of the workspace.
fn github_step(step: &Value, env: &[(String, String)]) -> Option<Step> {
    let id = step["id"].as_str().unwrap_or_default();
    if let Some(script) = step["run"].as_str() {
        if id == "install" {
            assert!(script.contains("cargo install --locked"), "{script}");
            return None;
        }
        let mut env = env.to_vec();
        env.extend(literal_vars(&step["env"]));
        let name = step["name"].as_str().unwrap_or(id).to_owned();
        return Some(Step::Shell {
            name,
            script: script.to_owned(),
            env,
        });
    }
    let uses = text(&step["uses"], "a step's `uses`");
    let action = uses.split('@').next().unwrap_or_default();
    match (action, id) {
        ("actions/checkout", _) => None,
        ("actions/upload-artifact", _) => Some(Step::Upload(strings(
            &step["with"]["path"],
            "upload-artifact's path",
        ))),
        ("actions/download-artifact", _) => {
            assert_eq!(step["with"]["path"], ".", "downloaded into the checkout");
            Some(Step::Download(Vec::new()))
        }
        ("actions/github-script", "comment") => {
            let script = text(&step["with"]["script"], "the comment script");
            assert!(
                script.contains("startsWith(marker)") && script.contains("updateComment"),
                "the comment is found by its marker and updated: {script}"
            );
            Some(Step::Comment(text(
                &step["env"]["COMMENT_FILE"],
                "COMMENT_FILE",
            )))
        }
        // Finds the pull request's run; the test knows which plan it made.
        ("actions/github-script", "reviewed") => None,
        _ => panic!("a step this test does not know: {step}"),
    }
}

/// The merge-request jobs and the default-branch jobs of the GitLab CI/CD pipeline.
fn gitlab_ci() -> Recipe {
    let pipeline = read_yaml("gitlab-ci.yml");
    let global = literal_vars(&pipeline["variables"]);
    let workspace = text(
        &pipeline["variables"]["MESHPLAN_WORKSPACE"],
        "MESHPLAN_WORKSPACE",
    );
    let install = strings(&pipeline[".meshplan"]["before_script"], "before_script");
    assert!(
        install
            .iter()
            .any(|line| line.contains("cargo install --locked"))
    );
    let script = |name: &str| -> Step {
        let job = &pipeline[name];
        assert_eq!(job["extends"], ".meshplan", "{name} installs meshplan");
        let mut env = global.clone();
        env.extend(literal_vars(&job["variables"]));
        // GitLab runs a job's lines in one shell, stopping at the first that fails.
        Step::Shell {
            name: name.to_owned(),
            script: strings(&job["script"], "script").join("\n"),
            env,
        }
    };
    let note = &pipeline["meshplan-note"];
    let note_script = strings(&note["script"], "script").join("\n");
    assert!(
        note_script.contains("startswith($marker)") && note_script.contains("--request PUT"),
        "the note is found by its marker and updated: {note_script}"
    );
    Recipe {
        workspace,
        pull_request: vec![
            script("meshplan-plan"),
            Step::Upload(strings(
                &pipeline["meshplan-plan"]["artifacts"]["paths"],
                "artifacts",
            )),
            Step::Comment(text(&note["variables"]["COMMENT_FILE"], "COMMENT_FILE")),
        ],
        merge: vec![
            Step::Download(strings(
                &pipeline["meshplan-reviewed-plan"]["artifacts"]["paths"],
                "artifacts",
            )),
            script("meshplan-apply"),
        ],
    }
}

/// What the CI service keeps between jobs, and the comments it was asked to post.
#[derive(Default)]
struct Service {
    artifact: BTreeMap<String, Vec<u8>>,
    comments: Vec<String>,
}

impl Service {
    /// Runs `steps` in `checkout`, stopping at the first shell step that fails, as a CI job
    /// does.
    fn run(&mut self, steps: &[Step], checkout: &Path) -> Outcome {
        let mut log = String::new();
        for step in steps {
            match step {
                Step::Shell { name, script, env } => {
                    let output = shell(script, env, checkout);
                    log.push_str(&format!("==> {name}\n{output}"));
                    if !output.starts_with("exit 0\n") {
                        return Outcome {
                            failed: Some((name.clone(), output)),
                            log,
                        };
                    }
                }
                Step::Upload(paths) => {
                    self.artifact.clear();
                    for path in paths {
                        if let Ok(bytes) = std::fs::read(checkout.join(path)) {
                            self.artifact.insert(path.clone(), bytes);
                        }
                    }
                }
                Step::Download(only) => {
                    for (path, bytes) in &self.artifact {
                        if only.is_empty() || only.contains(path) {
                            std::fs::write(checkout.join(path), bytes).expect("download");
                        }
                    }
                }
                Step::Comment(file) => {
                    let body = std::fs::read_to_string(checkout.join(file))
                        .unwrap_or_else(|error| panic!("the comment file {file}: {error}"));
                    self.comments.push(body);
                }
            }
        }
        Outcome { failed: None, log }
    }
}

/// Runs `script` as the CI services run a step: bash, stopping at the first failing command,
/// with only the job's variables, a home, and PATH with the built `meshplan` first.
fn shell(script: &str, env: &[(String, String)], dir: &Path) -> String {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_meshplan"));
    let bin_dir = binary.parent().expect("the binary's folder");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir)
        .envs(env.iter().map(|(name, value)| (name, value)))
        .output()
        .expect("bash runs");
    format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A repository holding the seed workspace in `folder`, its addresses pointing at `agents`.
fn repository(folder: &str, agents: &[Cluster]) -> TempDir {
    let repo = TempDir::new().expect("a temp dir");
    let workspace = repo.path().join(folder);
    std::fs::create_dir_all(&workspace).expect("create the workspace folder");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/seed"),
        &workspace,
    );
    let file = workspace.join("meshplan.hcl");
    let text = std::fs::read_to_string(&file)
        .expect("read the seed")
        .replace("http://127.0.0.1:8500", &agents[0].http_addr())
        .replace("http://127.0.0.1:9500", &agents[1].http_addr());
    std::fs::write(&file, text).expect("write the workspace file");
    repo
}

/// A fresh checkout of `repo`, as each job gets.
fn checkout(repo: &Path) -> TempDir {
    let dir = TempDir::new().expect("a temp dir");
    copy_tree(repo, dir.path());
    dir
}

/// The recipe's story against two dev clusters; see the module's documentation.
async fn run_recipe(recipe: Recipe) {
    let agents = start_clusters(&["cluster-01", "cluster-02"]).await;
    let repo = repository(&recipe.workspace, &agents);
    let mut service = Service::default();

    // The pull request: validate, plan, artifact, comment.
    let pr = checkout(repo.path());
    let planned = service.run(&recipe.pull_request, pr.path());
    assert!(planned.failed.is_none(), "{}", planned.log);
    assert!(
        planned
            .log
            .contains(&format!("{} is valid", recipe.workspace)),
        "{}",
        planned.log
    );
    assert!(pr.path().join("meshplan.plan").is_file(), "{}", planned.log);
    assert!(service.artifact.contains_key("meshplan.plan"));
    let shown = meshplan(
        &["show", "--format", "markdown"],
        &pr.path().join("meshplan.plan"),
        &[],
    );
    assert_exit(&shown, 0);
    let marker = format!("<!-- meshplan plan: {} -->\n", recipe.workspace);
    assert_eq!(service.comments, [format!("{marker}{}", shown.stdout)]);
    assert!(shown.stdout.starts_with("### meshplan plan"), "{shown}");
    assert!(shown.stdout.contains("frontend-service"), "{shown}");

    // Someone changes cluster-01 by hand before the merge: the reviewed plan is stale.
    put_entry(
        &agents[0],
        &json!({"Kind": "service-intentions", "Name": "frontend-service",
                "Sources": [{"Name": "web", "Action": "allow"}]}),
    )
    .await;
    let stale = checkout(repo.path());
    let refused = service.run(&recipe.merge, stale.path());
    let (_, output) = refused.failed.expect("the stale plan is refused");
    assert!(
        output.contains("changed since the plan was made"),
        "{output}"
    );
    assert!(
        read_entry(&agents[0], "exported-services", "default")
            .await
            .is_none(),
        "a refused plan writes nothing"
    );

    // A new push plans again and updates the same comment; its merge applies.
    let pr = checkout(repo.path());
    let replanned = service.run(&recipe.pull_request, pr.path());
    assert!(replanned.failed.is_none(), "{}", replanned.log);
    assert_eq!(service.comments.len(), 2);
    assert!(service.comments[1].starts_with(&marker));
    let main = checkout(repo.path());
    let applied = service.run(&recipe.merge, main.path());
    assert!(applied.failed.is_none(), "{}", applied.log);
    let workspace = main.path().join(&recipe.workspace);
    let after = meshplan(&["plan", "--detailed-exitcode"], &workspace, &[]);
    assert_exit(&after, 0);
    assert!(
        read_entry(&agents[0], "exported-services", "default")
            .await
            .is_some()
    );
}

#[tokio::test]
async fn the_github_actions_recipe_plans_comments_and_applies_only_a_fresh_plan() {
    run_recipe(github_actions()).await;
}

#[tokio::test]
async fn the_gitlab_recipe_plans_notes_and_applies_only_a_fresh_plan() {
    run_recipe(gitlab_ci()).await;
}
