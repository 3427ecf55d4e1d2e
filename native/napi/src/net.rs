//! CIDR sets and the client address behind trusted proxies.

use jetway_core::{client_address, CidrSet};
use napi::bindgen_prelude::External;
use napi_derive::napi;

use crate::guard::{from_core, guard, Result};
use crate::text::InStr;

/// Parses CIDR ranges; throws `JETWAY_CIDR_INVALID` naming the first bad one.
#[napi(ts_return_type = "ExternalObject<'CidrSet'>")]
pub fn cidr_compile(ranges: Vec<String>) -> Result<External<CidrSet>> {
    guard(|| {
        let ranges: Vec<&str> = ranges.iter().map(String::as_str).collect();
        CidrSet::parse(&ranges)
            .map(External::new)
            .map_err(from_core)
    })
}

/// Whether `ip` lies in the set.
#[napi]
pub fn cidr_contains(
    #[napi(ts_arg_type = "ExternalObject<'CidrSet'>")] set: &External<CidrSet>,
    #[napi(ts_arg_type = "string")] ip: InStr,
) -> Result<bool> {
    guard(|| Ok(set.contains(ip.as_str())))
}

/// The client address; null when it is `peer` itself (the common case: an untrusted peer),
/// so no string crosses back.
#[napi]
pub fn client_address_of(
    #[napi(ts_arg_type = "string")] peer: InStr,
    #[napi(ts_arg_type = "string")] xff: InStr,
    #[napi(ts_arg_type = "string")] forwarded: InStr,
    #[napi(ts_arg_type = "ExternalObject<'CidrSet'>")] trusted: &External<CidrSet>,
) -> Result<Option<String>> {
    guard(|| {
        let peer = peer.as_str();
        let client = client_address(peer, xff.as_str(), forwarded.as_str(), trusted);
        if client.as_ptr() == peer.as_ptr() && client.len() == peer.len() {
            return Ok(None);
        }
        Ok(Some(client.into_owned()))
    })
}
