//! The config-entry kinds Consul knows: what a file's `Kind` may say.
//!
//! A kind Consul does not know would be refused on write, but only by the agent, at apply time,
//! and a misspelt kind (`service-defualts`) read as "some other kind" would plan a create that
//! can never succeed while the entry the user meant stays as it is. So the workspace loader
//! refuses unknown kinds offline, with the closest known kind as a hint.

/// Every kind Consul accepts (`structs.AllConfigEntryKinds` in Consul's
/// `agent/structs/config_entry.go`; `MakeConfigEntry` matches the kind exactly, so case
/// matters). The list includes the kinds whose features are Enterprise-only
/// (`sameness-group`, `control-plane-request-limit`): Consul's public source declares them
/// too, and its Enterprise hook (`makeEnterpriseConfigEntry`) adds no kind there.
/// `bound-api-gateway` is written by Consul's own controller, but it is a kind Consul knows, so
/// a file naming it is not a typo.
pub const KNOWN_KINDS: &[&str] = &[
    "service-defaults",
    "proxy-defaults",
    "service-router",
    "service-splitter",
    "service-resolver",
    "ingress-gateway",
    "terminating-gateway",
    "service-intentions",
    "mesh",
    "exported-services",
    "sameness-group",
    "api-gateway",
    "bound-api-gateway",
    "http-route",
    "tcp-route",
    "file-system-certificate",
    "inline-certificate",
    "control-plane-request-limit",
    "jwt-provider",
];

/// Kinds only Consul's own controllers write: never declared in files, never listed.
pub const CONTROLLER_KINDS: &[&str] = &["bound-api-gateway"];

/// The kinds a workspace may manage: every known kind but [`CONTROLLER_KINDS`].
pub fn manageable() -> impl Iterator<Item = &'static str> {
    KNOWN_KINDS
        .iter()
        .copied()
        .filter(|kind| !CONTROLLER_KINDS.contains(kind))
}

/// Whether Consul knows `kind`, compared exactly as Consul does.
pub fn is_known(kind: &str) -> bool {
    KNOWN_KINDS.contains(&kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::entry::{EXPORTED_SERVICES, MESH, SERVICE_INTENTIONS};

    #[test]
    fn the_kinds_meshplan_models_are_known_and_case_matters() {
        for kind in [EXPORTED_SERVICES, SERVICE_INTENTIONS, MESH] {
            assert!(is_known(kind), "{kind}");
        }
        assert!(!is_known("Service-Defaults"));
        assert!(!is_known("service-defualts"));
    }
}
