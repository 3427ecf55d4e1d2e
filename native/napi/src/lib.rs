//! Jetway's hot path as a Node.js addon: a thin napi-rs layer over `jetway-core`.
//!
//! The API is shaped by what a crossing costs (measured with tinybench on Node 20, see
//! `bench/micro.ts`, `probe*` rows): a call with no arguments costs about 30 ns over a plain
//! JavaScript call; each string argument adds about 40 ns when copied onto the stack
//! ([`text::InStr`]) and about 100 ns through napi-rs's `String`; a string result adds about
//! 100 ns; an object result with four fields adds about 600 ns; a method on a napi class adds
//! about 200 ns over a plain function taking an External handle. Hence: plain functions over
//! External handles, strings in through `InStr`, numbers out, strings out only when they
//! carry news (a changed path, parameters), and multi-field answers through a reusable
//! typed array. The TypeScript wrapper in `ts/hotpath/native.ts` hides all of that.
//!
//! Failures cross as thrown errors with the core's stable `code`; panics are caught at every
//! export ([`guard`]).

// napi-derive registers the exports only outside `cfg(test)`, so a test build sees them unused.
#![cfg_attr(test, allow(dead_code))]

mod guard;
mod limiter;
mod net;
mod probe;
mod ring;
mod router;
mod text;
