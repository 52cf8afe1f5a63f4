//! The one integration-test binary: each module is a group of tests, most against real Consul agents.

// Two real clusters peer and share a service over raw HTTP, without meshplan.
mod peering_proof;
// Test-only helpers: the real-agent harness.
mod support;
