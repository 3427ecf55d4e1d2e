//! Jetway's hot path as a Node.js addon: a thin napi-rs layer over `jetway-core`.
//!
//! The API is shaped by what a crossing costs. Medians of three runs of `bench/micro.ts`
//! (`crossing:` rows) on Node 20 on this project's shared 2-core machine, in ns per call:
//!
//! | call                                    |  ns | over an empty call |
//! | --------------------------------------- | --: | -----------------: |
//! | empty function                          |  35 |     (a JS call: 4) |
//! | number in, number out                   | 108 |                 73 |
//! | External handle in, number out          | 121 |                 86 |
//! | method on a `#[napi]` class             | 232 |                197 |
//! | one string in, napi-rs `String`         | 203 |                168 |
//! | one string in, stack copy (`InStr`)     | 151 |                116 |
//! | four strings in, stack copy             | 249 |                214 |
//! | string in, same string out              | 182 |                147 |
//! | array of two strings in                 | 330 |                295 |
//! | object of four fields out               | 603 |                568 |
//! | four numbers out through a Float64Array | 140 |                105 |
//!
//! Hence: plain functions over External handles rather than classes; strings in through
//! `InStr`; a number out, and a string out only when it carries news (a changed path,
//! parameters, a client address other than the peer); no arrays in per request (header
//! values are joined with NUL); multi-field answers through a Float64Array over Rust memory
//! that JavaScript fetches once (`ioBuffer`), which also carries the clock in. The
//! TypeScript wrapper in `ts/hotpath/native.ts` hides all of that.
//!
//! Even so, a call with a handle and a string costs about 150 ns before the core does any
//! work, which is more than the plain TypeScript reference needs for a whole ring pick or a
//! CIDR lookup (see the per-function rows of the same benchmark).
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
mod socket;
mod text;
