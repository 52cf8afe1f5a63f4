//! `meshplan plan`: load the files, read the clusters, print what apply would change.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use tokio::time::Instant;

use super::saved::SavedPlan;
use super::{Format, WorkspaceArg, clusters, validate};
use crate::consul::{Client, refresh};
use crate::model::{Desired, Live};
use crate::plan::{self, Plan};
use crate::render;
use crate::workspace::{self, diagnostic, digest, tree};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    workspace: WorkspaceArg,
    /// Save the plan to FILE, for `meshplan apply FILE`
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// How to print the plan: text, markdown (pull-request comments) or json
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(super) format: Format,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error
    #[arg(long)]
    detailed_exitcode: bool,
    /// Plan only this cluster's changes (repeatable); the clusters it peers with are read too
    #[arg(long = "cluster", value_name = "NAME")]
    clusters: Vec<String>,
    #[command(flatten)]
    allow: Allow,
    #[command(flatten)]
    time_limit: TimeLimit,
}

/// `--timeout`: how long a command may talk to Consul in all; `plan` and `apply` take it.
#[derive(Debug, Clone, Copy, clap::Args)]
pub(super) struct TimeLimit {
    /// Give up after this long in all (90s, 10m, 1h30m): reading stops with an error, apply
    /// stops and reports (writes still waiting for an answer are reported as "may or may not
    /// have been written"). Each request may take at most a quarter of it (at most 30s)
    #[arg(
        long = "timeout",
        value_name = "DURATION",
        default_value = "10m",
        value_parser = parse_duration
    )]
    timeout: Duration,
}

impl TimeLimit {
    /// The deadline, counted from now.
    pub(super) fn start(self) -> Deadline {
        Deadline {
            limit: self.timeout,
            at: Instant::now() + self.timeout,
            keep_alive: true,
        }
    }
}

/// When a command must be done talking to Consul.
#[derive(Debug, Clone, Copy)]
pub(super) struct Deadline {
    limit: Duration,
    pub at: Instant,
    /// Whether the clients keep connections open for later requests
    /// ([`ClientOptions::keep_alive`](crate::consul::ClientOptions::keep_alive)).
    keep_alive: bool,
}

impl Deadline {
    /// For a command that reads each list once and writes nothing (`plan`): its clients close
    /// each connection once its reply is read.
    pub(super) fn reading_once(mut self) -> Self {
        self.keep_alive = false;
        self
    }

    /// Moves the deadline by `paused`: time spent waiting for the user does not count.
    pub(super) fn pause(&mut self, paused: Duration) {
        self.at += paused;
    }

    /// Runs `work`, or fails saying which `what` did not finish in time.
    ///
    /// # Errors
    /// `work`'s error, or the time limit running out.
    pub(super) async fn bound<T>(
        &self,
        what: &str,
        work: impl Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        match tokio::time::timeout_at(self.at, work).await {
            Ok(result) => result,
            Err(_) => bail!(
                "{what} did not finish within the time limit ({:?}, `--timeout`): a cluster is \
                 slow or does not answer; run with -v to see the requests",
                self.limit
            ),
        }
    }

    /// A client for each cluster in `names`, each request bounded by the time limit.
    ///
    /// # Errors
    /// As [`clusters::clients`].
    pub(super) fn clients(
        &self,
        desired: &Desired,
        names: &std::collections::BTreeSet<String>,
    ) -> anyhow::Result<Vec<(String, Client)>> {
        let options = crate::consul::ClientOptions {
            keep_alive: self.keep_alive,
            ..crate::consul::ClientOptions::default()
        };
        Ok(clusters::clients_with(desired, names, options)?
            .into_iter()
            .map(|(name, client)| (name, client.within(self.limit, &options)))
            .collect())
    }
}

/// `90s`, `10m`, `1h30m`: a Go duration, as Consul's own settings are written.
fn parse_duration(text: &str) -> Result<Duration, String> {
    match crate::model::normalize::parse_go_duration(text) {
        Some(nanos) if nanos > 0 => u64::try_from(nanos)
            .map(Duration::from_nanos)
            .map_err(|_| format!("`{text}` is too long")),
        _ => Err(format!(
            "`{text}` is not a duration such as 90s, 10m or 1h30m"
        )),
    }
}

/// What a plan may do beyond the default ownership rules; `plan` and `apply DIR` take these.
#[derive(Debug, Clone, Default, clap::Args)]
pub(super) struct Allow {
    /// Hand the objects that workspace NAME owns and these files declare to this workspace
    /// (repeatable); without it they are conflicts and never written
    #[arg(long = "take-over", value_name = "WORKSPACE")]
    take_over: Vec<String>,
    /// Allow a plan that deletes every config entry this workspace owns on a cluster
    #[arg(long)]
    allow_delete_all: bool,
}

impl Allow {
    /// Whether any of these flags was given.
    pub(super) fn is_set(&self) -> bool {
        !self.take_over.is_empty() || self.allow_delete_all
    }

    pub(super) fn options(&self) -> plan::Options {
        plan::Options {
            take_over: self.take_over.iter().cloned().collect(),
            allow_delete_all: self.allow_delete_all,
        }
    }
}

/// A plan, what it was made from, and the clients that read the clusters.
pub(super) struct Planned {
    pub desired: Desired,
    pub plan: Plan,
    pub live: Live,
    pub clients: Vec<(String, Client)>,
}

pub(super) async fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let options = args.allow.options();
    let deadline = args.time_limit.start().reading_once();
    let json = args.format == Format::Json;
    let planned = make(
        &args.workspace.dir,
        &args.clusters,
        &options,
        &deadline,
        json,
    )
    .await?;
    let Some(planned) = planned else {
        return Ok(ExitCode::FAILURE);
    };
    let outcome = report(args, options, &planned);
    super::exit_without_freeing(planned);
    outcome
}

/// Shows `planned`, saves it when asked to, and says how the command ends.
fn report(args: &Args, options: plan::Options, planned: &Planned) -> anyhow::Result<ExitCode> {
    if let Some(out) = &args.out {
        refuse_inside_cluster_folder(out, &planned.desired)?;
    }
    let plan = &planned.plan;
    print(plan, args.format)?;
    if refused(plan)? {
        return Ok(ExitCode::FAILURE);
    }
    if let Some(out) = &args.out {
        let saved = SavedPlan {
            format_version: SavedPlan::FORMAT_VERSION,
            workspace: SavedPlan::workspace_path(&args.workspace.dir, out)?,
            digest: digest::digest(&planned.desired)?,
            clusters: args.clusters.clone(),
            options,
            datacenters: planned
                .live
                .clusters
                .iter()
                .map(|(name, cluster)| (name.clone(), cluster.datacenter.clone()))
                .collect(),
            plan: planned.plan.clone(),
        };
        saved.write(out)?;
        writeln!(
            anstream::stderr(),
            "Saved the plan to {}; apply it with `meshplan apply {}`.",
            out.display(),
            out.display()
        )?;
    }
    let changes = plan.summary.has_writes();
    Ok(match (args.detailed_exitcode, changes) {
        (true, true) => ExitCode::from(2),
        _ => ExitCode::SUCCESS,
    })
}

/// Prints `plan` on stdout in `format`.
///
/// The plan is rendered in memory and written at once: stdout is line-buffered, and a plan of
/// thousands of changes written line by line costs a system call per line.
///
/// # Errors
/// When stdout cannot be written.
pub(super) fn print(plan: &Plan, format: Format) -> anyhow::Result<()> {
    let mut rendered = Vec::new();
    match format {
        Format::Text => {
            render::text::render(plan, &mut rendered, render::text::Options { color: true })?
        }
        Format::Markdown => render::markdown::render(plan, &mut rendered)?,
        Format::Json => render::json::render(plan, &mut rendered)?,
    }
    let mut stdout = anstream::stdout().lock();
    stdout.write_all(&rendered)?;
    stdout.flush()?;
    Ok(())
}

/// Says on stderr why `apply` would refuse `plan`, if it would. `true` when it would.
///
/// # Errors
/// When stderr cannot be written.
pub(super) fn refused(plan: &Plan) -> anyhow::Result<bool> {
    let refusals = plan.refusals();
    if refusals.is_empty() {
        return Ok(false);
    }
    let mut stderr = anstream::stderr();
    writeln!(
        stderr,
        "error: this plan cannot be applied; nothing will be written:"
    )?;
    for refusal in &refusals {
        writeln!(stderr, "  {refusal}")?;
    }
    if plan.summary.conflict > 0 {
        writeln!(
            stderr,
            "hint: remove those objects from the files, or hand them over with `--take-over WORKSPACE`"
        )?;
    }
    Ok(true)
}

/// A saved plan inside a cluster's folder would be read as a config entry by the next load.
fn refuse_inside_cluster_folder(out: &Path, desired: &Desired) -> anyhow::Result<()> {
    let parent = match out.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => parent.to_path_buf(),
        None => PathBuf::from("."),
    };
    let Ok(parent) = parent.canonicalize() else {
        return Ok(());
    };
    let root = desired.root.canonicalize()?;
    for cluster in desired.clusters.values() {
        let Ok(folder) = root.join(&cluster.entries_dir).canonicalize() else {
            continue;
        };
        if parent.starts_with(&folder) {
            bail!(
                "`{}` is inside `{}`, the config-entry folder of cluster `{}`: the plan would be \
                 read as a config entry; save it elsewhere",
                out.display(),
                cluster.entries_dir.display(),
                cluster.name
            );
        }
    }
    Ok(())
}

/// Loads the workspace in `dir`, reads its clusters and plans. `None` when the workspace has
/// problems (they are printed, as JSON diagnostics when `json`).
///
/// Loading the files is CPU work and reading the clusters is waiting on the network, so both
/// run at once: the clusters the workspace file declares are read while the entry files load.
/// What is reported does not change: the workspace's problems first (the read is then
/// dropped), and the read is made again the usual way whenever the files it started from no
/// longer say the same.
///
/// # Errors
/// A `--cluster` that does not exist, a cluster that cannot be reached or read.
pub(super) async fn make(
    dir: &Path,
    only: &[String],
    options: &plan::Options,
    deadline: &Deadline,
    json: bool,
) -> anyhow::Result<Option<Planned>> {
    let early = workspace::load_clusters(dir).and_then(|declared| {
        let selection = clusters::select(&declared, only).ok()?;
        let clients = deadline.clients(&declared, &selection.reading).ok()?;
        Some(tokio::spawn(async move {
            let read = refresh::read(&clients, &declared).await;
            (declared, clients, read)
        }))
    });
    let root = dir.to_path_buf();
    let loaded =
        crate::task::joined(tokio::task::spawn_blocking(move || workspace::load(&root)).await)
            .await;
    let desired = match loaded {
        Ok(desired) => desired,
        Err(failure) => {
            if let Some(early) = early {
                early.abort();
            }
            validate::report_failure(&failure, json)?;
            return Ok(None);
        }
    };
    if let Some(early) = early {
        let early = deadline.bound("reading the clusters", async { Ok(early.await) });
        let (declared, clients, read) = crate::task::joined(early.await?).await;
        let same = declared.clusters == desired.clusters
            && declared.peerings == desired.peerings
            && read.lists_every_kind_of(&desired);
        if same {
            let selection = clusters::select(&desired, only)?;
            let mut live = read.finish(&desired)?;
            refresh::read_filtered_out(&mut live, &clients, &desired).await?;
            return planned(desired, &selection, live, clients, options).map(Some);
        }
    }
    make_from(desired, only, options, deadline).await.map(Some)
}

/// Reads the clusters of `desired` (those `only` selects and their peers) and plans.
///
/// # Errors
/// A `--cluster` that does not exist, a cluster that cannot be reached or read.
pub(super) async fn make_from(
    desired: Desired,
    only: &[String],
    options: &plan::Options,
    deadline: &Deadline,
) -> anyhow::Result<Planned> {
    let selection = clusters::select(&desired, only)?;
    let clients = deadline.clients(&desired, &selection.reading)?;
    let live = deadline
        .bound("reading the clusters", async {
            Ok(refresh::refresh(&clients, &desired).await?)
        })
        .await?;
    planned(desired, &selection, live, clients, options)
}

/// The plan of `desired` against `live`, kept to the clusters `selection` acts on.
///
/// What Consul would refuse is worked out beside the plan, on a thread of its own: both only
/// read the files and the clusters, and once the clusters have answered, they are all a run
/// waits for. A plan made beside a refusal is dropped unseen.
///
/// # Errors
/// When Consul would refuse part of the files at apply ([`refuse_what_consul_would`]).
fn planned(
    desired: Desired,
    selection: &clusters::Selection,
    live: Live,
    clients: Vec<(String, Client)>,
    options: &plan::Options,
) -> anyhow::Result<Planned> {
    let (refused, plan) = std::thread::scope(|scope| {
        let refused = scope.spawn(|| what_consul_would_refuse(&desired, &live, true));
        let plan = plan::plan_with(&desired, &live, options);
        match refused.join() {
            Ok(refused) => (refused, plan),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    refuse_what_consul_would(refused)?;
    let plan = clusters::restrict(plan, &selection.acting);
    tracing::info!(workspace = %desired.workspace, "{}", plan.summary);
    Ok(Planned {
        desired,
        plan,
        live,
        clients,
    })
}

/// Stops, with no plan shown, when the files and the clusters together say what Consul would
/// refuse at apply ([`what_consul_would_refuse`]): `refused`, shown at each problem's file and
/// line.
///
/// # Errors
/// When there is at least one such problem.
fn refuse_what_consul_would(refused: Option<(usize, String)>) -> anyhow::Result<()> {
    let Some((count, report)) = refused else {
        return Ok(());
    };
    write!(anstream::stderr(), "{report}")?;
    bail!(
        "Consul would refuse {}: nothing was planned",
        if count == 1 {
            "1 entry".to_owned()
        } else {
            format!("{count} entries")
        }
    )
}

/// What Consul would refuse at apply that only the files and the clusters together tell
/// ([`plan::crosscheck`]): how many problems, and their diagnostics at file and line (in colour
/// when `color`); `None` when there are none. Shared with `watch`, which logs them.
pub(crate) fn what_consul_would_refuse(
    desired: &Desired,
    live: &Live,
    color: bool,
) -> Option<(usize, String)> {
    let findings = plan::crosscheck::cross_check(desired, live);
    if findings.is_empty() {
        return None;
    }
    let mut sources = diagnostic::Sources::new();
    let diagnostics: Vec<_> = findings
        .iter()
        .map(|finding| locate(desired, finding, &mut sources))
        .collect();
    let report = diagnostic::render_text(&diagnostics, &sources, color);
    Some((findings.len(), report))
}

/// A finding as a diagnostic at the first of its entry's files that holds the path.
fn locate(
    desired: &Desired,
    finding: &plan::crosscheck::Finding,
    sources: &mut diagnostic::Sources,
) -> diagnostic::Diagnostic {
    let problem = &finding.problem;
    let message = format!("cluster {:?}: {}", finding.cluster, problem.message);
    let mut found = None;
    for rel in &finding.files {
        let shown = desired.root.join(rel);
        let (Some(format), Ok(text)) = (
            tree::Format::for_entry_file(&shown),
            std::fs::read_to_string(&shown),
        ) else {
            continue;
        };
        let Ok(node) = tree::parse(format, &text) else {
            continue;
        };
        let holds = node.find(&problem.path).is_some();
        let span = node.span_of(&problem.path, problem.at_key);
        sources.insert(shown.clone(), text);
        if holds || found.is_none() {
            found = Some((shown, span));
        }
        if holds {
            break;
        }
    }
    let diagnostic = match found {
        Some((shown, span)) => diagnostic::Diagnostic::error(message).at(shown, span, ""),
        None => diagnostic::Diagnostic::error(message),
    };
    match &problem.help {
        Some(help) => diagnostic.help(help.clone()),
        None => diagnostic,
    }
}
