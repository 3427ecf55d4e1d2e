//! Hash rings for `consistent_hash` selection: one opaque handle per ring, one crossing per
//! pick with the key in and an index out.

use jetway_core::{Ketama, Maglev, Ring};
use napi::bindgen_prelude::External;
use napi_derive::napi;

use crate::guard::{fail, guard, Result, BAD_ARGUMENT};
use crate::text::InStr;

/// A built ring of either algorithm.
pub struct RingState {
    ring: Box<dyn Ring>,
}

/// Builds a `ketama` or `maglev` ring over `names[i]` with `weights[i]`.
#[napi(ts_return_type = "ExternalObject<'RingState'>")]
pub fn ring_compile(
    algorithm: String,
    names: Vec<String>,
    weights: Vec<u32>,
) -> Result<External<RingState>> {
    guard(|| {
        if names.len() != weights.len() {
            return Err(fail(BAD_ARGUMENT, "names and weights differ in length"));
        }
        let upstreams: Vec<(&str, u32)> = names
            .iter()
            .map(String::as_str)
            .zip(weights.iter().copied())
            .collect();
        let ring: Box<dyn Ring> = match algorithm.as_str() {
            "ketama" => Box::new(Ketama::new(&upstreams)),
            "maglev" => Box::new(Maglev::new(&upstreams)),
            other => {
                let why = format!("algorithm: {:?} (known: ketama, maglev)", other);
                return Err(fail(BAD_ARGUMENT, why));
            }
        };
        Ok(External::new(RingState { ring }))
    })
}

/// The upstream index for `key` at `attempt`, or -1 when there is none.
#[napi]
pub fn ring_pick(
    #[napi(ts_arg_type = "ExternalObject<'RingState'>")] state: &External<RingState>,
    #[napi(ts_arg_type = "string")] key: InStr,
    attempt: u32,
) -> Result<i32> {
    guard(|| {
        let picked = state.ring.pick(key.as_str().as_bytes(), attempt as usize);
        Ok(picked.map_or(-1, |i| i as i32))
    })
}
