//! Test-only helpers shared by the integration tests; never compiled into the product.

pub mod consul;
pub mod http;
