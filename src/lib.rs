//! meshplan keeps HashiCorp Consul cluster peering in reviewed files: which clusters peer, which
//! services each exports to which peers, and which peered services may call which.
//!
//! # Layout
//! - [`model`]: the shared vocabulary (desired state, typed config entries, secrets). No I/O.
//! - [`workspace`]: files → [`model::Desired`], with `file:line:column` diagnostics. The only
//!   module that reads the user's files.
//! - [`policy`]: the least-privilege ACL rules a workspace's tokens need (pure).
//! - [`status`]: peerings and drift as the clusters report them, for people and monitoring.
//! - [`import`]: what clusters hold → workspace files (`meshplan import`): decided by a pure
//!   function, then written only where nothing would be replaced unasked.
//! - [`cli`]: the command line; each command is one call into the modules above.
//!
//! # Invariants
//! - `model` never imports `workspace`, `cli`, tokio, reqwest or `std::fs`.
//! - Tokens are [`model::Secret`]s: they cannot be printed, logged or serialized by accident.

pub mod apply;
pub mod cli;
pub mod consul;
pub mod import;
pub mod model;
pub mod plan;
pub mod policy;
pub mod render;
pub mod schema;
pub mod status;
pub mod suggest;
pub mod task;
pub mod watch;
pub mod workspace;
