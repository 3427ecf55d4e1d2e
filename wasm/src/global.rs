//! The module's state: handle tables, the scratch region, the out buffer and the I/O block.
//!
//! The module is built for wasm32-unknown-unknown without the atomics feature, so it runs on
//! one thread and every export runs to completion before another starts (none calls back
//! into JavaScript). That is what makes the single `&mut State` below sound.

use std::cell::UnsafeCell;

use jetway_core::{CidrSet, Ring, Router};

/// Numbers the loader reads after a call, at a fixed address (`jw_io`). Field order and types
/// are part of the contract with ts/hotpath/wasm.ts.
#[repr(C)]
pub struct Io {
    /// Address and length of the out buffer's text (a changed path, parameters, an error).
    pub out_ptr: u32,
    pub out_len: u32,
    /// Address and capacity of the scratch region the loader writes inputs into.
    pub scratch_ptr: u32,
    pub scratch_cap: u32,
    /// The last GCRA decision.
    pub allowed: u32,
    pub remaining: u32,
    pub retry_after_us: f64,
    pub reset_after_us: f64,
    /// The last quota built by `jw_quota`.
    pub emission_interval_us: f64,
    pub tolerance_us: f64,
}

/// Objects that JavaScript holds by number; a freed slot is reused.
pub struct Table<T> {
    slots: Vec<Option<T>>,
}

impl<T> Table<T> {
    fn new() -> Table<T> {
        Table { slots: Vec::new() }
    }

    /// Stores `value` and returns its handle.
    pub fn insert(&mut self, value: T) -> i32 {
        match self.slots.iter().position(Option::is_none) {
            Some(free) => {
                self.slots[free] = Some(value);
                free as i32
            }
            None => {
                self.slots.push(Some(value));
                (self.slots.len() - 1) as i32
            }
        }
    }

    /// The object behind `handle`, if it is live.
    pub fn get(&self, handle: u32) -> Option<&T> {
        self.slots.get(handle as usize).and_then(Option::as_ref)
    }

    /// Drops the object behind `handle`.
    pub fn remove(&mut self, handle: u32) {
        if let Some(slot) = self.slots.get_mut(handle as usize) {
            *slot = None;
        }
    }
}

/// Everything the exports share.
pub struct State {
    pub io: Io,
    pub scratch: Vec<u8>,
    pub out: String,
    pub routers: Table<Router>,
    pub rings: Table<Box<dyn Ring>>,
    pub cidrs: Table<CidrSet>,
}

impl State {
    fn new() -> State {
        State {
            io: Io {
                out_ptr: 0,
                out_len: 0,
                scratch_ptr: 0,
                scratch_cap: 0,
                allowed: 0,
                remaining: 0,
                retry_after_us: 0.0,
                reset_after_us: 0.0,
                emission_interval_us: 0.0,
                tolerance_us: 0.0,
            },
            scratch: Vec::new(),
            out: String::new(),
            routers: Table::new(),
            rings: Table::new(),
            cidrs: Table::new(),
        }
    }

    /// Publishes the out buffer's address and length in the I/O block.
    pub fn set_out(&mut self) {
        self.io.out_ptr = self.out.as_ptr() as u32;
        self.io.out_len = self.out.len() as u32;
    }
}

struct Global<T>(UnsafeCell<Option<T>>);

// SAFETY: wasm32-unknown-unknown without the atomics feature has exactly one thread.
unsafe impl<T> Sync for Global<T> {}

static STATE: Global<State> = Global(UnsafeCell::new(None));
static PANIC_MESSAGE: Global<String> = Global(UnsafeCell::new(None));

/// The module's state. Each export calls this once and holds the reference until it returns.
pub fn state() -> &'static mut State {
    // SAFETY: one thread, and exports never nest (see the module comment), so no other
    // reference to the state is live while an export runs.
    unsafe { (*STATE.0.get()).get_or_insert_with(State::new) }
}

/// Where the panic hook keeps the last panic's message; apart from [`state`], so that the
/// hook never aliases the state reference of the export that panicked.
pub fn panic_message() -> &'static mut String {
    // SAFETY: as for `state`; the hook runs inside an export and the reader in another one.
    unsafe { (*PANIC_MESSAGE.0.get()).get_or_insert_with(String::new) }
}
