//! The exported functions. Each is a few lines over the core; see lib.rs for the convention.

use std::borrow::Cow;

use jetway_core::wire::encode_outcome;
use jetway_core::{
    client_address, gcra_step, normalize, CidrSet, Ketama, Maglev, NormalizeOptions, Quota, Ring,
    Router,
};

use crate::decode;
use crate::global::{panic_message, state, State};
use crate::{BAD_HANDLE, BAD_INPUT, ERROR_BASE};

fn error(s: &mut State, number: u32, message: &str) -> i32 {
    s.out.clear();
    s.out.push_str(message);
    s.set_out();
    -(ERROR_BASE + number as i32)
}

fn core_error(s: &mut State, err: jetway_core::Error) -> i32 {
    error(s, err.kind.as_u32(), &err.to_string())
}

fn options(flags: u32) -> NormalizeOptions {
    NormalizeOptions {
        allow_encoded_slash: flags & 1 != 0,
        allow_backslash: flags & 2 != 0,
        merge_slashes: flags & 4 != 0,
    }
}

/// Installs the panic hook and returns the address of the I/O block.
#[no_mangle]
pub extern "C" fn jw_init() -> u32 {
    std::panic::set_hook(Box::new(|info| {
        let message = panic_message();
        message.clear();
        message.push_str(&info.to_string());
    }));
    let s = state();
    s.set_out();
    &s.io as *const _ as u32
}

/// Makes the scratch region hold at least `len` bytes and returns its address.
#[no_mangle]
pub extern "C" fn jw_scratch(len: u32) -> u32 {
    let s = state();
    if s.scratch.len() < len as usize {
        s.scratch.resize(len as usize, 0);
    }
    s.io.scratch_ptr = s.scratch.as_ptr() as u32;
    s.io.scratch_cap = s.scratch.len() as u32;
    s.io.scratch_ptr
}

/// Copies the last panic's message into the out buffer.
#[no_mangle]
pub extern "C" fn jw_panic_message() {
    let s = state();
    s.out.clear();
    s.out.push_str(panic_message());
    s.set_out();
}

/// Does nothing: the cost of an empty crossing, for the micro-benchmarks.
#[no_mangle]
pub extern "C" fn jw_empty() {}

/// Panics, to show that a panic traps with its message kept for `jw_panic_message`.
#[no_mangle]
pub extern "C" fn jw_probe_panic() {
    panic!("deliberate panic from jw_probe_panic");
}

/// Normalises the `len`-byte path in scratch: 0 unchanged, 1 changed (the path is in out).
#[no_mangle]
pub extern "C" fn jw_normalize(len: u32, flags: u32) -> i32 {
    let s = state();
    let path = match std::str::from_utf8(&s.scratch[..len as usize]) {
        Ok(path) => path,
        Err(_) => return error(s, BAD_INPUT, "path is not UTF-8"),
    };
    match normalize(path, &options(flags)) {
        Ok(Cow::Borrowed(_)) => 0,
        Ok(Cow::Owned(normal)) => {
            s.out = normal;
            s.set_out();
            1
        }
        Err(kind) => {
            let message = format!("{}: {:?}", kind.code(), path);
            error(s, kind.as_u32(), &message)
        }
    }
}

/// Compiles the encoded route table in scratch; returns a router handle.
#[no_mangle]
pub extern "C" fn jw_router_new(len: u32, flags: u32) -> i32 {
    let s = state();
    let specs = match decode::routes(&s.scratch[..len as usize]) {
        Some(specs) => specs,
        None => return error(s, BAD_INPUT, "malformed route table"),
    };
    match Router::new(specs, options(flags)) {
        Ok(router) => s.routers.insert(router),
        Err(err) => core_error(s, err),
    }
}

/// Frees a router.
#[no_mangle]
pub extern "C" fn jw_router_free(handle: u32) {
    state().routers.remove(handle);
}

/// Writes the router's header names, NUL-joined, to out and returns their count.
#[no_mangle]
pub extern "C" fn jw_router_header_names(handle: u32) -> i32 {
    let s = state();
    let names = match s.routers.get(handle) {
        Some(router) => router.header_names().join("\0"),
        None => return error(s, BAD_HANDLE, "no such router"),
    };
    let count = s.routers.get(handle).map_or(0, |r| r.header_names().len());
    s.out = names;
    s.set_out();
    count as i32
}

/// Routes one request whose method, host, path and NUL-joined header values lie end to end
/// in scratch. Results as `routerRoute` in the napi addon; the extra text is in out.
#[no_mangle]
pub extern "C" fn jw_router_route(
    handle: u32,
    method: u32,
    host: u32,
    path: u32,
    headers: u32,
) -> i32 {
    let s = state();
    let mut parts = [""; 4];
    if !decode::split(&s.scratch, &[method, host, path, headers], &mut parts) {
        return error(s, BAD_INPUT, "request text is not UTF-8");
    }
    let router = match s.routers.get(handle) {
        Some(router) => router,
        None => return error(s, BAD_HANDLE, "no such router"),
    };
    let values: Vec<&str> = match router.header_names().len() {
        0 => Vec::new(),
        n => parts[3]
            .split('\0')
            .chain(std::iter::repeat(""))
            .take(n)
            .collect(),
    };
    let outcome = router.route(parts[0], parts[1], parts[2], &values);
    let result = encode_outcome(outcome, parts[2], &mut s.out);
    s.io.out_ptr = s.out.as_ptr() as u32;
    s.io.out_len = s.out.len() as u32;
    result
}

/// Builds a ring (`algorithm` 0 ketama, 1 maglev) over the encoded upstreams in scratch.
#[no_mangle]
pub extern "C" fn jw_ring_new(algorithm: u32, len: u32) -> i32 {
    let s = state();
    let ring: Box<dyn Ring> = match (algorithm, decode::upstreams(&s.scratch[..len as usize])) {
        (0, Some(upstreams)) => Box::new(Ketama::new(&upstreams)),
        (1, Some(upstreams)) => Box::new(Maglev::new(&upstreams)),
        _ => return error(s, BAD_INPUT, "malformed ring"),
    };
    s.rings.insert(ring)
}

/// Frees a ring.
#[no_mangle]
pub extern "C" fn jw_ring_free(handle: u32) {
    state().rings.remove(handle);
}

/// The upstream for the `len`-byte key in scratch at `attempt`, or -1.
#[no_mangle]
pub extern "C" fn jw_ring_pick(handle: u32, len: u32, attempt: u32) -> i32 {
    let s = state();
    let key = &s.scratch[..len as usize];
    match s.rings.get(handle) {
        Some(ring) => ring.pick(key, attempt as usize).map_or(-1, |i| i as i32),
        None => error(s, BAD_HANDLE, "no such ring"),
    }
}

/// Checks a quota and puts its emission interval and tolerance in the I/O block.
#[no_mangle]
pub extern "C" fn jw_quota(rate: u32, period_us: f64, burst: u32) -> i32 {
    let s = state();
    if !(0.0..=9_007_199_254_740_991.0).contains(&period_us) {
        return error(
            s,
            BAD_INPUT,
            "period_us must be a whole number of microseconds",
        );
    }
    match Quota::new(rate, period_us as u64, burst) {
        Ok(quota) => {
            s.io.emission_interval_us = quota.emission_interval_us as f64;
            s.io.tolerance_us = quota.tolerance_us as f64;
            0
        }
        Err(err) => core_error(s, err),
    }
}

/// One pure GCRA step: returns the new TAT and puts the decision in the I/O block.
///
/// Times are f64 rather than i64: JavaScript passes i64 as BigInt, which costs a conversion
/// each way, while microseconds since the epoch stay exact in an f64 until the year 2255.
#[no_mangle]
pub extern "C" fn jw_gcra_step(
    interval_us: f64,
    tolerance_us: f64,
    tat_us: f64,
    now_us: f64,
) -> f64 {
    let quota = Quota {
        emission_interval_us: interval_us as u64,
        tolerance_us: tolerance_us as u64,
    };
    let (tat, decision) = gcra_step(&quota, tat_us as u64, now_us as u64);
    let io = &mut state().io;
    io.allowed = u32::from(decision.allowed);
    io.remaining = decision.remaining;
    io.retry_after_us = decision.retry_after_us as f64;
    io.reset_after_us = decision.reset_after_us as f64;
    tat as f64
}

/// Parses the encoded CIDR list in scratch; returns a set handle.
#[no_mangle]
pub extern "C" fn jw_cidr_new(len: u32) -> i32 {
    let s = state();
    let parsed = match decode::strs(&s.scratch[..len as usize]) {
        Some(ranges) => CidrSet::parse(&ranges),
        None => return error(s, BAD_INPUT, "malformed range list"),
    };
    match parsed {
        Ok(set) => s.cidrs.insert(set),
        Err(err) => core_error(s, err),
    }
}

/// Frees a CIDR set.
#[no_mangle]
pub extern "C" fn jw_cidr_free(handle: u32) {
    state().cidrs.remove(handle);
}

/// 1 when the `len`-byte address in scratch lies in the set, else 0.
#[no_mangle]
pub extern "C" fn jw_cidr_contains(handle: u32, len: u32) -> i32 {
    let s = state();
    let ip = std::str::from_utf8(&s.scratch[..len as usize]).unwrap_or("");
    match s.cidrs.get(handle) {
        Some(set) => i32::from(set.contains(ip)),
        None => error(s, BAD_HANDLE, "no such CIDR set"),
    }
}

/// The client address for peer, X-Forwarded-For and Forwarded laid end to end in scratch:
/// 0 when it is the peer, 1 when it is another address (in out).
#[no_mangle]
pub extern "C" fn jw_client_address(handle: u32, peer: u32, xff: u32, forwarded: u32) -> i32 {
    let s = state();
    let mut parts = [""; 3];
    if !decode::split(&s.scratch, &[peer, xff, forwarded], &mut parts) {
        return error(s, BAD_INPUT, "header text is not UTF-8");
    }
    let trusted = match s.cidrs.get(handle) {
        Some(set) => set,
        None => return error(s, BAD_HANDLE, "no such CIDR set"),
    };
    let client = client_address(parts[0], parts[1], parts[2], trusted);
    if client.as_ptr() == parts[0].as_ptr() && client.len() == parts[0].len() {
        return 0;
    }
    let client = client.into_owned();
    s.out = client;
    s.set_out();
    1
}
