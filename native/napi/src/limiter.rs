//! Process-wide GCRA limiters.
//!
//! Every worker thread of a process loads this same shared object, so the buckets live in a
//! static: a registry from limiter id to its buckets, each limiter split into shards by key
//! hash so that workers checking different keys rarely wait for one another. One key always
//! lands in the same shard, which keeps the count exact.
//!
//! A decision is four numbers. Returning them as an object costs several times an empty
//! crossing, so `limiterCheck` returns only `allowed` and writes the rest into this thread's
//! I/O buffer, a Float64Array over Rust memory that JavaScript fetches once with `ioBuffer`.
//! The clock reading goes in through the same buffer (slot [`NOW`]), which saves converting a
//! number argument on every call.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use jetway_core::{KeyedLimiter, Quota};
use napi::bindgen_prelude::{External, Float64Array};
use napi_derive::napi;

use crate::guard::{fail, from_core, guard, Result, BAD_ARGUMENT};
use crate::text::InStr;

/// Shards per limiter; a power of two.
const SHARDS: usize = 16;

/// I/O buffer slots: the caller writes NOW, `limiterCheck` writes the other three.
const NOW: usize = 0;
const REMAINING: usize = 1;
const RETRY_AFTER_US: usize = 2;
const RESET_AFTER_US: usize = 3;
const IO_SLOTS: usize = 4;

/// The buckets of one limiter id under one quota.
pub struct SharedLimiter {
    quota: Quota,
    shards: Vec<Mutex<KeyedLimiter>>,
}

/// A worker's handle on a limiter; the buckets are shared by every handle on the same id.
pub struct LimiterHandle {
    shared: Arc<SharedLimiter>,
}

/// Limiters by id, held weakly: a limiter lives while some worker holds a handle on it, so the
/// ids of past config generations do not pile up.
fn registry() -> MutexGuard<'static, HashMap<String, Weak<SharedLimiter>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<String, Weak<SharedLimiter>>>> = OnceLock::new();
    lock(REGISTRY.get_or_init(Default::default))
}

/// Locks `mutex`, ignoring poisoning: a panic inside a lock leaves valid (if unlucky) TATs,
/// and refusing every later request would be worse than serving them.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The limiter named `id` with this quota: the existing one when its quota is the same,
/// otherwise a fresh one that replaces it (a changed quota starts afresh).
#[napi(ts_return_type = "ExternalObject<'LimiterHandle'>")]
pub fn limiter_open(
    id: String,
    rate: u32,
    period_us: f64,
    burst: u32,
) -> Result<External<LimiterHandle>> {
    guard(|| {
        if !(0.0..=9.007_199_254_740_991e15).contains(&period_us) {
            let why = format!("period_us: {} (a whole number of microseconds)", period_us);
            return Err(fail(BAD_ARGUMENT, why));
        }
        let quota = Quota::new(rate, period_us as u64, burst).map_err(from_core)?;
        let mut limiters = registry();
        let existing = limiters.get(&id).and_then(Weak::upgrade);
        let shared = match existing {
            Some(existing) if existing.quota == quota => existing,
            _ => {
                let shards = (0..SHARDS)
                    .map(|_| Mutex::new(KeyedLimiter::new(quota)))
                    .collect();
                let fresh = Arc::new(SharedLimiter { quota, shards });
                limiters.retain(|_, held| held.strong_count() > 0);
                limiters.insert(id, Arc::downgrade(&fresh));
                fresh
            }
        };
        Ok(External::new(LimiterHandle { shared }))
    })
}

thread_local! {
    /// This thread's I/O buffer, allocated on first use and never freed: JavaScript holds a
    /// view of it for the life of the thread's isolate, and 32 bytes per thread is cheaper than
    /// proving the view is gone.
    static IO: Cell<*mut f64> = const { Cell::new(std::ptr::null_mut()) };
}

fn io_ptr() -> *mut f64 {
    IO.with(|io| {
        if io.get().is_null() {
            let leaked: &'static mut [f64; IO_SLOTS] = Box::leak(Box::new([0.0; IO_SLOTS]));
            io.set(leaked.as_mut_ptr());
        }
        io.get()
    })
}

/// This thread's I/O buffer: `[nowUs, remaining, retryAfterUs, resetAfterUs]`.
#[napi]
pub fn io_buffer() -> Float64Array {
    // SAFETY: the memory is leaked, so it outlives every view; the finaliser frees nothing.
    unsafe { Float64Array::with_external_data(io_ptr(), IO_SLOTS, |_, _| {}) }
}

/// Checks one request for `key` at the time in the I/O buffer's `nowUs` slot. Returns whether
/// it passes and writes remaining, retry-after and reset-after (microseconds) into the buffer.
#[napi]
pub fn limiter_check(
    #[napi(ts_arg_type = "ExternalObject<'LimiterHandle'>")] handle: &External<LimiterHandle>,
    #[napi(ts_arg_type = "string")] key: InStr,
) -> Result<bool> {
    guard(|| {
        let io = io_ptr();
        // SAFETY: io points at IO_SLOTS f64s owned by this thread; JavaScript is not running
        // while this call is, so nothing else reads or writes them meanwhile.
        let io = unsafe { std::slice::from_raw_parts_mut(io, IO_SLOTS) };
        let now_us = io[NOW].max(0.0) as u64;

        let key = key.as_str().as_bytes();
        let shard = &handle.shared.shards[shard_of(key)];
        let decision = lock(shard).check(key, now_us);

        io[REMAINING] = f64::from(decision.remaining);
        io[RETRY_AFTER_US] = decision.retry_after_us as f64;
        io[RESET_AFTER_US] = decision.reset_after_us as f64;
        Ok(decision.allowed)
    })
}

/// FNV-1a over the key, folded to a shard index.
fn shard_of(key: &[u8]) -> usize {
    let mut h: u32 = 0x811c_9dc5;
    for &b in key {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    (h as usize) & (SHARDS - 1)
}
