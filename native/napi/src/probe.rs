//! Boundary probes: calls that do (almost) nothing on the Rust side, so `bench/micro.ts` can
//! show what crossing into the addon costs with each kind of argument and result. The API
//! shape of the rest of this crate was chosen from these numbers (see lib.rs).

use std::cell::RefCell;

use napi::bindgen_prelude::{External, Float64ArraySlice};
use napi_derive::napi;

use crate::guard::{guard, Result};
use crate::text::InStr;

/// Crosses and returns nothing.
#[napi]
pub fn probe_empty() {}

/// Crosses and returns nothing, inside the panic guard every real export uses.
#[napi]
pub fn probe_guarded() -> Result<()> {
    guard(|| Ok(()))
}

/// One number in, one number out.
#[napi]
pub fn probe_number(x: f64) -> f64 {
    x + 1.0
}

/// One string in through napi-rs's `String` (length query, allocation, copy).
#[napi]
pub fn probe_string_in(s: String) -> u32 {
    s.len() as u32
}

/// One string in through `InStr` (one copy onto the stack).
#[napi]
pub fn probe_str_in(#[napi(ts_arg_type = "string")] s: InStr) -> u32 {
    s.as_str().len() as u32
}

/// Four strings in through `InStr`, as a route lookup takes them.
#[napi]
pub fn probe_str4_in(
    #[napi(ts_arg_type = "string")] a: InStr,
    #[napi(ts_arg_type = "string")] b: InStr,
    #[napi(ts_arg_type = "string")] c: InStr,
    #[napi(ts_arg_type = "string")] d: InStr,
) -> u32 {
    (a.as_str().len() + b.as_str().len() + c.as_str().len() + d.as_str().len()) as u32
}

/// An array of strings in, as header values would come.
#[napi]
pub fn probe_string_array_in(values: Vec<String>) -> u32 {
    values.len() as u32
}

/// One string in and the same string back out.
#[napi]
pub fn probe_string_out(#[napi(ts_arg_type = "string")] s: InStr) -> String {
    s.as_str().to_owned()
}

/// What a limiter decision looks like as a returned object.
#[napi(object)]
pub struct ProbeDecision {
    pub allowed: bool,
    pub remaining: u32,
    pub retry_after_ms: f64,
    pub reset_ms: f64,
}

/// Returns a four-field object.
#[napi]
pub fn probe_object_out() -> ProbeDecision {
    ProbeDecision {
        allowed: true,
        remaining: 4,
        retry_after_ms: 0.0,
        reset_ms: 12000.0,
    }
}

/// Writes four numbers into a caller's Float64Array (looked up on every call).
#[napi]
pub fn probe_typed_out(mut out: Float64ArraySlice) -> bool {
    // SAFETY: the slice is the caller's live Float64Array for the duration of this call and
    // no other reference to its memory exists on the Rust side.
    let out = unsafe { out.as_mut() };
    if out.len() >= 4 {
        out[..4].copy_from_slice(&[1.0, 4.0, 0.0, 12000.0]);
    }
    true
}

/// One small integer in and out.
#[napi]
pub fn probe_int(x: i32) -> i32 {
    x + 1
}

/// An instance method call (napi unwraps `this` on every call).
#[napi]
pub struct ProbeHandle {
    count: u32,
}

#[napi]
impl ProbeHandle {
    #[napi(constructor)]
    pub fn new() -> Self {
        ProbeHandle { count: 0 }
    }

    /// Crosses with `this` and returns nothing.
    #[napi]
    pub fn touch(&mut self) {
        self.count += 1;
    }

    /// One string in through `InStr`, a small integer out.
    #[napi]
    pub fn key(&mut self, #[napi(ts_arg_type = "string")] s: InStr) -> i32 {
        s.as_str().len() as i32
    }
}

/// Something held behind a handle.
pub struct ProbeState {
    count: u32,
}

/// Creates a state object behind an External.
#[napi]
pub fn probe_external_new() -> External<ProbeState> {
    External::new(ProbeState { count: 0 })
}

/// Crosses with an External handle.
#[napi]
pub fn probe_external_touch(state: &mut External<ProbeState>) -> u32 {
    state.count += 1;
    state.count
}

thread_local! {
    static PROBE_TABLE: RefCell<Vec<ProbeState>> = RefCell::new(vec![ProbeState { count: 0 }]);
}

/// Crosses with an integer handle into a per-thread table.
#[napi]
pub fn probe_index_touch(id: u32) -> u32 {
    PROBE_TABLE.with(|t| {
        let mut t = t.borrow_mut();
        match t.get_mut(id as usize) {
            Some(s) => {
                s.count += 1;
                s.count
            }
            None => 0,
        }
    })
}

/// Panics inside the boundary guard, to show that a panic in the core reaches JavaScript as an
/// error with the code `JETWAY_HOTPATH_PANIC` and leaves the process running.
#[napi]
pub fn probe_panic() -> Result<()> {
    guard(|| panic!("deliberate panic from probePanic"))
}
