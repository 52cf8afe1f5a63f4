//! The I/O of `status`: every cluster read on its own and at once, so that one cluster that
//! cannot be reached (or whose settings are unusable) is reported as such while the others are
//! read as usual.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::task::JoinSet;

use super::{ClusterRead, ClusterSeen, Observed};
use crate::consul::{Client, Env, refresh};
use crate::model::{ClusterSpec, Desired};

/// Reads every cluster of `desired`, with Consul's environment variables from `env`.
pub async fn observe(desired: &Desired, env: &Env) -> Observed {
    let mut tasks = JoinSet::new();
    for spec in desired.clusters.values() {
        let desired = desired.clone();
        let spec = spec.clone();
        let env = env.clone();
        tasks.spawn(async move {
            let seen = observe_cluster(&desired, &spec, &env).await;
            (spec.name.clone(), seen)
        });
    }
    let mut clusters = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (name, seen) = crate::task::joined(joined).await;
        clusters.insert(name, seen);
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        });
    Observed { clusters, now }
}

async fn observe_cluster(desired: &Desired, spec: &ClusterSpec, env: &Env) -> ClusterSeen {
    let client = match Client::new(spec, env, &desired.root) {
        Ok(client) => client,
        Err(error) => {
            return ClusterSeen {
                address: spec.address.clone().unwrap_or_default(),
                read: Err(error.to_string()),
            };
        }
    };
    let address = client.address().to_string();
    ClusterSeen {
        address,
        read: read_cluster(desired, &spec.name, client).await,
    }
}

/// The refresh a plan does, then each declared side's `GET /v1/peering/:name`.
async fn read_cluster(
    desired: &Desired,
    name: &str,
    client: Client,
) -> Result<ClusterRead, String> {
    let clients = [(name.to_owned(), client.clone())];
    let mut live = refresh(&clients, desired)
        .await
        .map_err(|error| error.to_string())?;
    let live = live.clusters.remove(name).unwrap_or_default();
    let sides: Vec<String> = desired
        .peerings
        .iter()
        .flat_map(|peering| peering.our_sides())
        .filter(|side| side.cluster == name)
        .map(|side| side.peer_name.clone())
        .collect();
    let mut peerings = BTreeMap::new();
    for peer_name in sides {
        if let Some(wire) = client
            .read_peering_wire(&peer_name)
            .await
            .map_err(|error| error.to_string())?
        {
            peerings.insert(peer_name, wire);
        }
    }
    Ok(ClusterRead { live, peerings })
}
