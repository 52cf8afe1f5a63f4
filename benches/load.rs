//! How long `workspace::load` takes on a large workspace, how much memory it needs, and where
//! the time goes. Run it with `scripts/bench-load` (a release build); it prints its figures.
//!
//! The workspace is generated into a temporary folder: 10 clusters peered with each other (plus
//! one peering each with a cluster managed elsewhere), each with 1,000 entry files in team
//! folders: one exported-services entry split over 10 files, and 990 service-intentions files
//! with a few sources each, L7 permissions in about one in five; about 80% HCL, 10% TOML and
//! 10% JSON, as the formats' own serializers write them.
//!
//! The breakdown repeats the loader's steps one at a time on all files, through the public API:
//! finding the files, reading them, parsing trees, bringing keys to Consul's spelling and
//! converting to JSON, typed deserialization and validation, freeing the trees. What `load`
//! takes beyond their sum is the rest: the workspace file, keeping every text for diagnostics,
//! checking peers and merging.
//!
//! Options (after `--`): `--clusters N`, `--entries N` (per cluster), `--iterations N`,
//! `--formats mix|hcl` (the mix above, or every file in HCL), and `--generate DIR`, which only
//! writes the workspace into DIR (for timing `meshplan validate DIR` as a whole process, as
//! `scripts/bench-load-process` does).

#![allow(
    clippy::print_stdout,
    reason = "a benchmark without a harness reports by printing"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use meshplan::model::Meta;
use meshplan::model::exported_services::{
    self, ExportedService, ExportedServices, ServiceConsumer,
};
use meshplan::model::service_intentions::{
    self, IntentionAction, IntentionHttpHeaderPermission, IntentionHttpPermission,
    IntentionPermission, ServiceIntentions, SourceIntention,
};
use meshplan::workspace::{self, discover, tree};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The allocator the binary uses (see `src/main.rs`), so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Sizes and repetitions, from the command line.
struct Options {
    clusters: usize,
    entries: usize,
    iterations: usize,
    /// Every file in HCL, rather than the mix of formats.
    hcl_only: bool,
    /// Only write the workspace here.
    generate: Option<PathBuf>,
}

impl Options {
    /// Reads `--clusters`, `--entries`, `--iterations`, `--formats` and `--generate`; ignores
    /// what cargo passes (`--bench`) and anything else.
    fn from_args() -> Self {
        let mut options = Options {
            clusters: 10,
            entries: 1_000,
            iterations: 5,
            hcl_only: false,
            generate: None,
        };
        let args: Vec<String> = std::env::args().skip(1).collect();
        for pair in args.windows(2) {
            let value = || pair[1].parse::<usize>().expect("a number after the option");
            match pair[0].as_str() {
                "--clusters" => options.clusters = value().max(2),
                "--entries" => options.entries = value().max(11),
                "--iterations" => options.iterations = value().max(1),
                "--formats" => options.hcl_only = pair[1] == "hcl",
                "--generate" => options.generate = Some(PathBuf::from(&pair[1])),
                _ => {}
            }
        }
        options
    }
}

// ---------------------------------------------------------------------------------------------
// The generated workspace
// ---------------------------------------------------------------------------------------------

/// A file format, as the entry's extension says.
#[derive(Clone, Copy)]
enum Style {
    Hcl,
    Toml,
    Json,
}

impl Style {
    /// About 80% HCL, 10% TOML and 10% JSON, spread evenly; or HCL alone.
    fn of(i: usize, hcl_only: bool) -> Style {
        match i % 10 {
            3 if !hcl_only => Style::Toml,
            7 if !hcl_only => Style::Json,
            _ => Style::Hcl,
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Style::Hcl => "hcl",
            Style::Toml => "toml",
            Style::Json => "json",
        }
    }

    fn render<T: Serialize>(self, value: &T) -> String {
        match self {
            Style::Hcl => {
                let formatter = hcl::format::Formatter::builder()
                    .indent(b"  ")
                    .prefer_ident_keys(true)
                    .build_vec();
                hcl::ser::Serializer::with_formatter(formatter)
                    .serialize_string(value)
                    .expect("hcl-rs serializes the entry")
            }
            Style::Toml => toml::to_string(value).expect("toml serializes the entry"),
            Style::Json => serde_json::to_string_pretty(value).expect("JSON serializes"),
        }
    }
}

fn cluster_name(i: usize) -> String {
    format!("cluster-{:02}", i + 1)
}

/// The workspace file: every cluster, a full mesh of peerings, and one peering per cluster with
/// a partner managed elsewhere (its token handed over through a file).
fn workspace_file(clusters: usize) -> String {
    let mut text = String::from("workspace = \"bench-load\"\n\n");
    for i in 0..clusters {
        let name = cluster_name(i);
        let port = 8500 + 1000 * i;
        text += &format!(
            "cluster \"{name}\" {{\n  address   = \"http://127.0.0.1:{port}\"\n  token_env = \"CONSUL_TOKEN_{}\"\n}}\n\n",
            i + 1
        );
    }
    for a in 0..clusters {
        for d in a + 1..clusters {
            text += &format!(
                "peering {{\n  acceptor = \"{}\"\n  dialer   = \"{}\"\n  meta     = {{ owner = \"platform\" }}\n}}\n\n",
                cluster_name(a),
                cluster_name(d)
            );
        }
        text += &format!(
            "peering {{\n  acceptor  = \"{}\"\n  dialer    = \"partner-{a}\"\n  token_out = \"tokens/partner-{a}.token\"\n}}\n\n",
            cluster_name(a)
        );
    }
    text
}

/// The peers cluster `c` knows: every other cluster, and its partner.
fn peers_of(c: usize, clusters: usize) -> Vec<String> {
    (0..clusters)
        .filter(|&other| other != c)
        .map(cluster_name)
        .chain([format!("partner-{c}")])
        .collect()
}

/// Part `part` of the cluster's exported-services entry: ten services, each to two peers.
fn exports_part(part: usize, peers: &[String]) -> ExportedServices {
    let services = (0..10)
        .map(|k| {
            let n = part * 10 + k;
            ExportedService {
                name: format!("svc-{n:04}"),
                namespace: None,
                consumers: (0..2)
                    .map(|j| ServiceConsumer {
                        peer: Some(peers[(n + j) % peers.len()].clone()),
                        ..Default::default()
                    })
                    .collect(),
            }
        })
        .collect();
    ExportedServices {
        name: "default".to_owned(),
        services,
        meta: Meta::from([(format!("part-{part}"), "platform".to_owned())]),
        ..Default::default()
    }
}

/// An L7 rule set: a path prefix with methods, and a header match.
fn permissions(n: usize) -> Vec<IntentionPermission> {
    vec![
        IntentionPermission {
            action: Some(IntentionAction::Allow),
            http: Some(IntentionHttpPermission {
                path_prefix: Some(format!("/api/v{}", n % 3 + 1)),
                methods: vec!["GET".to_owned(), "POST".to_owned()],
                ..Default::default()
            }),
            jwt: None,
        },
        IntentionPermission {
            action: Some(IntentionAction::Deny),
            http: Some(IntentionHttpPermission {
                header: vec![IntentionHttpHeaderPermission {
                    name: "x-debug".to_owned(),
                    present: true,
                    ..Default::default()
                }],
                ..Default::default()
            }),
            jwt: None,
        },
    ]
}

/// The intentions of destination `n`: two to four peer sources (L7 in about one in five
/// entries), a local one, and a final deny-all.
fn intentions(n: usize, peers: &[String]) -> ServiceIntentions {
    let l7 = n.is_multiple_of(5);
    let mut sources: Vec<SourceIntention> = (0..2 + n % 3)
        .map(|j| SourceIntention {
            name: format!("client-{:03}", (n * 7 + j) % 500).into(),
            peer: Some(peers[(n + j) % peers.len()].as_str().into()),
            action: (!l7).then_some(IntentionAction::Allow),
            permissions: if l7 { permissions(n) } else { Vec::new() },
            description: Some(format!("calls from team {j}").into()),
            ..Default::default()
        })
        .collect();
    sources.push(SourceIntention {
        name: format!("local-{:03}", n % 100).into(),
        action: Some(IntentionAction::Allow),
        ..Default::default()
    });
    sources.push(SourceIntention {
        name: "*".into(),
        action: Some(IntentionAction::Deny),
        ..Default::default()
    });
    ServiceIntentions {
        name: format!("svc-{n:04}"),
        sources,
        meta: Meta::from([("team".to_owned(), format!("team-{}", n % 10))]),
        ..Default::default()
    }
}

/// Writes the workspace into `root`; returns the number of entry files and their total size.
fn generate(root: &Path, options: &Options) -> (usize, usize) {
    std::fs::write(root.join("meshplan.hcl"), workspace_file(options.clusters))
        .expect("workspace file");
    let (mut files, mut bytes) = (0, 0);
    for c in 0..options.clusters {
        let peers = peers_of(c, options.clusters);
        let dir = root.join(cluster_name(c));
        let mut write = |rel: String, text: String| {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
            std::fs::write(path, &text).expect("entry file");
            files += 1;
            bytes += text.len();
        };
        for part in 0..10 {
            let style = Style::of(part, options.hcl_only);
            let rel = format!("exports/part-{part:02}.{}", style.extension());
            write(rel, style.render(&exports_part(part, &peers)));
        }
        for n in 0..options.entries - 10 {
            let style = Style::of(n, options.hcl_only);
            let rel = format!("team-{}/svc-{n:04}.{}", n % 10, style.extension());
            write(rel, style.render(&intentions(n, &peers)));
        }
    }
    (files, bytes)
}

// ---------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------

/// One value of `/proc/self/status` in KiB (`VmHWM`, the peak resident set; `VmRSS`).
fn proc_status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets `VmHWM` to the current resident set (Linux ≥ 4.0), so that the next reading is the
/// peak of what runs after this. Returns whether the kernel allowed it.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Times `f` once.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

/// The fastest and the median of some timings.
fn min_median(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[0], times[times.len() / 2])
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// Every entry file of every cluster, with its format, found as the loader finds them.
fn entry_files(root: &Path, clusters: usize) -> Vec<(PathBuf, tree::Format)> {
    (0..clusters)
        .flat_map(|c| {
            let found =
                discover::entry_files(root, Path::new(&cluster_name(c)), &Default::default());
            assert!(found.problems.is_empty(), "{:?}", found.problems);
            found.files
        })
        .filter_map(|rel| {
            let format = tree::Format::for_entry_file(&rel)?;
            Some((root.join(rel), format))
        })
        .collect()
}

/// Deserializes, straight from its tree, and validates one typed entry, as the loader does
/// after renaming keys.
fn typed<T: DeserializeOwned>(node: &tree::Node, validate: impl Fn(&T) -> usize) -> usize {
    let value: T = serde_path_to_error::deserialize(node).expect("a valid entry");
    validate(&value)
}

fn main() {
    let options = Options::from_args();
    let dir = tempfile::tempdir().expect("temporary folder");
    let root = options.generate.as_deref().unwrap_or(dir.path());
    let ((files, bytes), generating) = timed(|| generate(root, &options));
    println!(
        "workspace: {} clusters x {} entry files = {files} files, {:.1} MiB (+ meshplan.hcl), generated in {:.0} ms",
        options.clusters,
        options.entries,
        bytes as f64 / (1024.0 * 1024.0),
        ms(generating)
    );
    if options.generate.is_some() {
        return;
    }

    // The whole load, several times. The first run also warms the page cache.
    let before_kib = proc_status_kib("VmRSS:").unwrap_or(0);
    let peak_reset = reset_peak();
    let mut times = Vec::new();
    let mut held = None;
    for _ in 0..options.iterations {
        drop(held.take());
        let (desired, time) = timed(|| workspace::load(root));
        let desired = desired.unwrap_or_else(|failure| {
            panic!(
                "the generated workspace does not load:\n{}",
                workspace::diagnostic::render_text(&failure.diagnostics, &failure.sources, false)
            )
        });
        times.push(time);
        held = Some(desired);
    }
    let peak_kib = proc_status_kib("VmHWM:").unwrap_or(0);
    let held_kib = proc_status_kib("VmRSS:").unwrap_or(0);
    let desired = held.expect("at least one iteration");
    let entries: usize = desired.entries.values().map(BTreeMap::len).sum();
    let (min, median) = min_median(times);
    println!(
        "load: min {:.1} ms, median {:.1} ms over {} runs; {entries} entries in {} clusters, {} peerings",
        ms(min),
        ms(median),
        options.iterations,
        desired.clusters.len(),
        desired.peerings.len()
    );
    println!(
        "memory: peak RSS {:.1} MiB{} (RSS before loading {:.1} MiB; holding the loaded model {:.1} MiB)",
        mib(peak_kib),
        if peak_reset {
            " during the loads"
        } else {
            " (whole process: the peak could not be reset)"
        },
        mib(before_kib),
        mib(held_kib)
    );
    drop(desired);

    let steps = (0..options.iterations)
        .map(|_| steps(root, options.clusters))
        .reduce(|a, b| a.fastest(&b))
        .expect("at least one round");
    let share = |part: Duration| 100.0 * part.as_secs_f64() / min.as_secs_f64();
    println!(
        "where the time goes (the loader's steps one at a time over all files, fastest of {} rounds; % of the fastest load):",
        options.iterations
    );
    let named = steps.named();
    for (step, time) in &named {
        println!("  {step:<28} {:>8.1} ms  {:>5.1}%", ms(*time), share(*time));
    }
    let rest = min.saturating_sub(named.iter().map(|(_, time)| *time).sum());
    println!(
        "  {:<28} {:>8.1} ms  {:>5.1}%  (the workspace file, peer checks, merging)",
        "rest of load",
        ms(rest),
        share(rest)
    );
}

/// How long each of the loader's steps takes over all entry files.
#[derive(Clone, Copy)]
struct Steps {
    finding: Duration,
    reading: Duration,
    parsing: Duration,
    converting: Duration,
    deserializing: Duration,
    freeing: Duration,
}

impl Steps {
    /// Each step's fastest time of `self` and `other`.
    fn fastest(&self, other: &Steps) -> Steps {
        Steps {
            finding: self.finding.min(other.finding),
            reading: self.reading.min(other.reading),
            parsing: self.parsing.min(other.parsing),
            converting: self.converting.min(other.converting),
            deserializing: self.deserializing.min(other.deserializing),
            freeing: self.freeing.min(other.freeing),
        }
    }

    fn named(&self) -> [(&'static str, Duration); 6] {
        [
            ("find files (discover)", self.finding),
            ("read files", self.reading),
            ("parse trees (tree::parse)", self.parsing),
            ("rename keys", self.converting),
            ("deserialize + validate", self.deserializing),
            ("free the trees", self.freeing),
        ]
    }
}

/// One round of the loader's steps, each over every entry file before the next starts.
fn steps(root: &Path, clusters: usize) -> Steps {
    let (paths, finding) = timed(|| entry_files(root, clusters));
    let (texts, reading) = timed(|| {
        paths
            .iter()
            .map(|(path, format)| (std::fs::read_to_string(path).expect("readable"), *format))
            .collect::<Vec<_>>()
    });
    let (mut trees, parsing) = timed(|| {
        texts
            .iter()
            .map(|(text, format)| tree::parse(*format, text).expect("parses"))
            .collect::<Vec<_>>()
    });
    let (kinds, converting) = timed(|| {
        trees
            .iter_mut()
            .map(|node| {
                let exports = node.get_ci("Kind").is_some_and(|kind| {
                    matches!(&kind.value.value, tree::Value::String(k) if k == "exported-services")
                });
                let rename: fn(&str) -> Option<&'static str> = if exports {
                    exported_services::canonical_key
                } else {
                    service_intentions::canonical_key
                };
                tree::rename_keys(node, &rename, &["Meta", "LegacyMeta"]);
                exports
            })
            .collect::<Vec<_>>()
    });
    let (problems, deserializing) = timed(|| {
        trees
            .iter()
            .zip(kinds)
            .map(|(node, exports)| {
                if exports {
                    typed::<ExportedServices>(node, |e| e.validate().len())
                } else {
                    typed::<ServiceIntentions>(node, |e| e.validate().len())
                }
            })
            .sum::<usize>()
    });
    assert_eq!(problems, 0, "the generated entries are valid");
    let ((), freeing) = timed(|| drop(trees));
    Steps {
        finding,
        reading,
        parsing,
        converting,
        deserializing,
        freeing,
    }
}
