//! The shared vocabulary: what the files say (`Desired`) and what the clusters hold (`Live`).
//!
//! Nothing here does I/O, talks to Consul or knows about file formats; `workspace` builds these
//! values from files, `consul` from HTTP responses, and `plan` compares them.

pub mod entry;
pub mod exported_services;
pub mod live;
pub mod normalize;
pub mod path;
pub mod problem;
pub mod secret;
pub mod service_intentions;
pub mod workspace;

pub use entry::{ConfigEntry, Document, EntryKey};
pub use live::{Live, LiveCluster, LiveEntry, LivePeering, PeeringState};
pub use path::{Path, Segment};
pub use problem::Problem;
pub use secret::Secret;
pub use workspace::{
    ClusterSpec, Desired, DesiredEntry, PeeringSide, PeeringSpec, TlsSpec, TokenSource,
};

/// The ownership mark meshplan puts in `Meta` of everything it writes.
pub const MANAGED_BY_KEY: &str = "managed-by";
/// The value of [`MANAGED_BY_KEY`].
pub const MANAGED_BY_VALUE: &str = "meshplan";
