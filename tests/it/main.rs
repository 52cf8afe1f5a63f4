//! The one integration-test binary: each module is a group of tests, most against real Consul agents.

// Two real clusters peer and share a service over raw HTTP, without meshplan.
mod peering_proof;
// The Consul client against real agents: check-and-set, refresh's request count, peering, ACLs.
mod consul_client;
// Test-only helpers: the real-agent harness.
mod support;
mod validate;
// Every example workspace is valid, and the TOML seed loads to the same model as the HCL seed.
mod examples;
// The committed JSON Schemas are what the code generates; example files validate against them.
mod schemas;
// Any model written out as HCL, TOML and JSON loads back to the same model (proptest).
mod roundtrip;
// Every loader, on arbitrary and mutated input, returns a model or diagnostics (proptest).
mod never_panics;
// `meshplan plan` against real Consul agents: no false drift, every action, renderings, the binary.
mod plan;
// Ownership between workspaces and the guards against the wrong folder, agent or plan file.
mod ownership;
// Saved plans applied from another checkout, and shown again offline.
mod saved_plans;
// Log lines: levels, JSON, and no token at any level.
mod logging;
// `meshplan watch`: edits applied, broken edits not, drift healed, SIGTERM.
mod watch;
// `meshplan watch --lock`: one writer of several, hand-over on a kill and on a clean stop.
mod watch_lock;
// Config-entry HCL files read by meshplan and by `consul config write` give the same entries.
mod dialect;
// Command-line conventions: version, completions, man page, -C, formats, schema on stdout.
mod cli;
// Consul's fields per kind (the offline check's table) held to what a real agent stores and refuses.
mod kinds;
// `apply` against real Consul agents: the seed, idempotence, conflicts, token files, ACLs.
mod apply;
// Consul as the oracle: every entry file of the corpus stored alike by `consul config write` and `meshplan apply`.
mod differential;
// The CI recipes in examples/ci/: their shell steps run in order against dev clusters.
mod ci_recipes;
// `--format json` errors as JSON, and formats a command does not support refused.
mod json_errors;
// `meshplan status`: ACTIVE, PENDING, drifted and unreachable, `--check`'s exit codes, JSON.
mod status;
// `meshplan policy`: tokens from the printed policies plan and apply; every rule is needed.
mod policy;
// `meshplan import`: an estate made by hand, imported in three formats, adopted and applied.
mod import;
// Faults injected between meshplan and real agents: 5xx, 429, cut connections, an agent that never answers.
mod faults;
// Random workspaces of two peered clusters applied until nothing is left to do; edits behind meshplan's back show exactly.
mod convergence;
// Entries Consul checks against each other (resolver subsets, L7 intentions and protocols) applied in one go.
mod apply_order;
// An apply stopped while it runs: SIGTERM, a second signal, Ctrl-C during a peering wait, an agent gone or frozen.
mod signals;
// Every command, at trace, with every kind of ACL token given every way and peering tokens in
// flight: no secret in any output, log or file written.
mod secrets;
// A dialer side deleted by hand and apply run at once, before the acceptor side turns TERMINATED.
mod peering_race;
