//! A Consul response body through the decoder the client uses for it: peering list and read,
//! config-entry list (of several kinds) and read, agent self. The first byte picks the decoder
//! (`meshplan_fuzz::DECODERS`, and the kind for entry lists); the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&selector, body)) = data.split_first() {
        meshplan_fuzz::check_consul(selector, body);
    }
});
