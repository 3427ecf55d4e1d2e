//! Jetway's hot path as a WebAssembly module: `extern "C"` exports over `jetway-core`, for
//! the loader in ts/hotpath/wasm.ts. Used where the napi addon does not load.
//!
//! The calling convention, all of it numbers:
//! - Inputs: the loader writes strings into one scratch region (`jw_scratch` makes room and
//!   may grow memory, so the loader rebuilds its views after it) and passes their byte
//!   lengths. Build-time inputs use the byte format in [`decode`].
//! - Outputs: a number per call; text in the out buffer and numbers in the I/O block, whose
//!   fields the loader reads at the address `jw_init` returns.
//! - Errors: a result of -1000 or less is an error; `-(result + 1000)` is its number: the
//!   core's [`jetway_core::ErrorKind::as_u32`], or [`BAD_INPUT`] / [`BAD_HANDLE`] for misuse
//!   of this layer. The out buffer holds the message. The loader maps numbers to codes in one
//!   function.
//! - Panics: the module is built with `panic = "abort"`, so a panic traps; the hook installed
//!   by `jw_init` keeps the message for `jw_panic_message`, and the loader turns the trap
//!   into an error with the code `JETWAY_HOTPATH_PANIC`.
//!
//! Rate-limit state is not kept here: every worker thread has its own instance, so the TATs
//! live in a SharedArrayBuffer table (ts/hotpath/limiter-table.ts) and this module supplies
//! only the pure GCRA step.

pub mod decode;
pub mod exports;
pub mod global;

/// Error number: the encoded input or an argument is malformed.
pub const BAD_INPUT: u32 = 200;
/// Error number: a handle names no live object.
pub const BAD_HANDLE: u32 = 201;
/// Results at or below minus this are errors.
pub const ERROR_BASE: i32 = 1000;
