//! client_address() on fuzzed peers, chains and trusted sets: the answer is always the peer
//! or an address taken from the chain that was walked.
//!
//! Input: lines `peer`, `X-Forwarded-For`, `Forwarded`, `trusted,ranges`.
#![no_main]

use std::net::IpAddr;

use jetway_core::{client_address, CidrSet};
use libfuzzer_sys::fuzz_target;

/// Whether `part` lies inside `whole` (same memory, not just equal text).
fn within(part: &str, whole: &str) -> bool {
    let (p, w) = (part.as_ptr() as usize, whole.as_ptr() as usize);
    p >= w && p + part.len() <= w + whole.len()
}

fuzz_target!(|data: &[u8]| {
    let text = match std::str::from_utf8(data) {
        Ok(text) => text,
        Err(_) => return,
    };
    let mut lines = text.split('\n');
    let peer = lines.next().unwrap_or("");
    let xff = lines.next().unwrap_or("");
    let forwarded = lines.next().unwrap_or("");
    let ranges: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let trusted = CidrSet::parse(&ranges).unwrap_or_default();

    let client = client_address(peer, xff, forwarded, &trusted);
    if !trusted.contains(peer) {
        assert!(
            within(&client, peer),
            "an untrusted peer {:?} is the client",
            peer
        );
        return;
    }
    if within(&client, peer) {
        return;
    }
    let chain = if xff.trim_matches(|c| c == ' ' || c == '\t').is_empty() {
        forwarded
    } else {
        xff
    };
    assert!(
        within(&client, chain),
        "{:?} comes from the chain that was walked",
        client
    );
    assert!(
        client.parse::<IpAddr>().is_ok(),
        "{:?} is an address",
        client
    );
});
