//! The shared vocabulary: what the files say (`Desired`) and what the clusters hold (`Live`).
//!
//! Nothing here does I/O, talks to Consul or knows about file formats; `workspace` builds these
//! values from files, `consul` from HTTP responses, and `plan` compares them.

pub mod entry;
pub mod exported_services;
pub mod kinds;
pub mod live;
pub mod meta;
pub mod normalize;
pub mod ownership;
pub mod path;
pub mod problem;
pub mod schema;
pub mod secret;
pub mod service_intentions;
pub mod workspace;

pub use entry::{ConfigEntry, Document, EntryKey};
pub use live::{Live, LiveCluster, LiveEntry, LivePeering, Naming, PeeringState};
pub use meta::Meta;
pub use ownership::{MANAGED_BY_KEY, MANAGED_BY_VALUE, MARK_KEYS, Owner, WORKSPACE_KEY};
pub use path::{Path, Segment};
pub use problem::Problem;
pub use secret::Secret;
pub use workspace::{
    ClusterSpec, Desired, DesiredEntry, PeeringSide, PeeringSpec, TlsSpec, TokenSource,
};
