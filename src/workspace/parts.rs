//! The workspace file deserialized part by part: the top-level keys (`workspace`, `ignore`),
//! each `cluster` block and each `peering` block on its own.
//!
//! serde stops at the first error, and one bad block would otherwise hide every other problem
//! of the workspace: the other blocks' and those of every entry file, which are only read once
//! the clusters are known. Split into parts, each problem is reported and each cluster whose
//! block can be partly read still has its entry files checked. What a part's problems leave
//! unknown is said in [`Parts`], so that later checks do not report what is only a consequence.

use super::deserialize::from_node_all;
use super::raw::{RawCluster, RawPeering, RawWorkspace};
use super::tree::{Field, Node, Value};
use crate::model::{Path, Problem};

/// The workspace file, as far as it could be read.
#[derive(Default)]
pub struct Parts {
    /// The top-level keys other than `cluster` and `peering`; defaults where they failed.
    pub top: RawWorkspace,
    /// Whether the file has a `workspace` key, read or not: a name that failed to read is not
    /// a missing one.
    pub workspace_written: bool,
    pub clusters: Vec<ClusterPart>,
    /// The peering blocks that were read without problems, with their index in the file.
    pub peerings: Vec<(usize, RawPeering)>,
    /// Whether every peering block was read: when one was not, the peer names its clusters
    /// know are unknown.
    pub peerings_complete: bool,
    /// Every problem of every part, located in the whole file.
    pub problems: Vec<Problem>,
}

/// One `cluster` block: its name, what could be read of it, and whether that was all of it.
pub struct ClusterPart {
    pub name: String,
    pub raw: RawCluster,
    pub complete: bool,
}

/// Reads `tree` (the workspace file's root) part by part.
pub fn split(tree: &Node) -> Parts {
    let mut parts = Parts {
        peerings_complete: true,
        ..Parts::default()
    };
    let Value::Object(fields) = &tree.value else {
        let (_, problems) = from_node_all::<RawWorkspace>(tree);
        parts.problems = problems;
        parts.peerings_complete = false;
        return parts;
    };
    let mut top = Vec::new();
    for field in fields {
        match (field.key.as_str(), &field.value.value) {
            ("cluster", Value::Object(clusters)) => {
                for block in clusters {
                    parts.cluster(block);
                }
            }
            ("peering", Value::Array(blocks)) => {
                for (i, block) in blocks.iter().enumerate() {
                    parts.peering(i, block, Path::root().key("peering").index(i));
                }
            }
            ("peering", Value::Object(_)) => {
                parts.peering(0, &field.value, Path::root().key("peering"));
            }
            // Anything else, `cluster` and `peering` of the wrong shape included, is for the
            // top-level deserialization to accept or report.
            _ => top.push(field.clone()),
        }
    }
    parts.workspace_written = tree.get("workspace").is_some();
    let (raw, problems) =
        from_node_all::<RawWorkspace>(&Node::new(tree.span.clone(), Value::Object(top)));
    parts.top = raw.unwrap_or_default();
    parts.problems.extend(problems);
    parts
}

impl Parts {
    fn cluster(&mut self, block: &Field) {
        let at = Path::root().key("cluster").key(block.key.as_str());
        let (raw, problems) = from_node_all::<RawCluster>(&block.value);
        let complete = raw.is_some() && problems.is_empty();
        let raw = raw.unwrap_or_else(|| RawCluster {
            entries: written_string(&block.value, "entries"),
            ..RawCluster::default()
        });
        self.problems
            .extend(problems.into_iter().map(|p| under(&at, p)));
        self.clusters.push(ClusterPart {
            name: block.key.clone(),
            raw,
            complete,
        });
    }

    fn peering(&mut self, index: usize, block: &Node, at: Path) {
        match from_node_all::<RawPeering>(block) {
            (Some(raw), problems) if problems.is_empty() => self.peerings.push((index, raw)),
            (_, problems) => {
                self.peerings_complete = false;
                self.problems
                    .extend(problems.into_iter().map(|p| under(&at, p)));
            }
        }
    }
}

/// The string at `key` of an object, when it is one.
fn written_string(node: &Node, key: &str) -> Option<String> {
    match &node.get(key)?.value.value {
        Value::String(text) => Some(text.clone()),
        _ => None,
    }
}

/// A problem of a part, located in the whole file.
fn under(prefix: &Path, problem: Problem) -> Problem {
    let mut path = prefix.clone();
    path.0.extend(problem.path.0.iter().cloned());
    Problem { path, ..problem }
}
