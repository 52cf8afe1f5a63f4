//! Cross-check of config entries against the peerings: a consumer or source that names a peer
//! no peering of its cluster declares would be accepted by Consul and silently match nothing.

use std::collections::BTreeSet;

use crate::model::{ConfigEntry, Path, PeeringSpec, Problem};
use crate::suggest::closest;

/// The local peer names a cluster's entries may use: the names its side gives its peerings.
pub fn local_peer_names<'a>(peerings: &'a [PeeringSpec], cluster: &str) -> BTreeSet<&'a str> {
    peerings
        .iter()
        .flat_map(PeeringSpec::our_sides)
        .filter(|side| side.cluster == cluster)
        .map(|side| side.peer_name.as_str())
        .collect()
}

/// Problems for each peer named in `part` that is not in `known`.
pub fn unknown_peers(entry: &ConfigEntry, cluster: &str, known: &BTreeSet<&str>) -> Vec<Problem> {
    named_peers(entry)
        .into_iter()
        .filter(|(peer, _)| !known.contains(peer))
        .map(|(peer, at)| {
            let candidates: Vec<&str> = known.iter().copied().collect();
            let problem = Problem::value(
                at.path(),
                format!("no peering of `{cluster}` is named `{peer}`"),
            );
            match closest(peer, &candidates) {
                Some(best) => problem.with_help(format!("did you mean `{best}`?")),
                None if candidates.is_empty() => problem.with_help(format!(
                    "`{cluster}` has no peerings; declare one in the workspace file"
                )),
                None => {
                    problem.with_help(format!("`{cluster}` peers with {}", candidates.join(", ")))
                }
            }
        })
        .collect()
}

/// Where an entry names a peer; made into a [`Path`] only for a peer that is not known.
enum PeerAt {
    /// `Services[service].Consumers[consumer].Peer`
    Consumer { service: usize, consumer: usize },
    /// `Sources[source].Peer`
    Source(usize),
}

impl PeerAt {
    fn path(&self) -> Path {
        match *self {
            Self::Consumer { service, consumer } => Path::root()
                .key("Services")
                .index(service)
                .key("Consumers")
                .index(consumer)
                .key("Peer"),
            Self::Source(source) => Path::root().key("Sources").index(source).key("Peer"),
        }
    }
}

/// Every `Peer` an entry names, with where.
fn named_peers(entry: &ConfigEntry) -> Vec<(&str, PeerAt)> {
    match entry {
        ConfigEntry::ExportedServices(e) => e
            .services
            .iter()
            .enumerate()
            .flat_map(|(service, exported)| {
                exported
                    .consumers
                    .iter()
                    .enumerate()
                    .filter_map(move |(consumer, to)| {
                        let at = PeerAt::Consumer { service, consumer };
                        to.peer.as_deref().map(|peer| (peer, at))
                    })
            })
            .collect(),
        ConfigEntry::ServiceIntentions(e) => e
            .sources
            .iter()
            .enumerate()
            .filter_map(|(i, source)| source.peer.as_deref().map(|peer| (peer, PeerAt::Source(i))))
            .collect(),
        ConfigEntry::Other(_) => Vec::new(),
    }
}
