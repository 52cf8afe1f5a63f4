//! Test-only helpers shared by the integration tests; never compiled into the product.

pub mod cli;
pub mod consul;
pub mod fault_proxy;
pub mod http;
pub mod proxy;

/// Proptest settings with `default` cases per property, or `PROPTEST_CASES` when set (for a
/// longer run by hand: `PROPTEST_CASES=5000 cargo test --test it roundtrip`).
pub fn proptest_cases(default: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok());
    proptest::test_runner::Config::with_cases(cases.unwrap_or(default))
}
