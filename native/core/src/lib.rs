//! Jetway's hot path: pure functions and data structures, no I/O.
//!
//! Everything here runs on every request (or on every retry), so the crate avoids allocation
//! where the common case allows, precomputes at build time, and states the cost of each
//! lookup. It has no dependencies and keeps to Rust 1.63, because the same source is built
//! by the host toolchain for the napi addon and by Debian's Rust 1.63 for WASM.
//!
//! - [`path`]: path normalisation ([`normalize`]).
//! - [`router`]: the route table and its matcher ([`Router`]).
//! - [`ring`]: hash rings for `consistent_hash` selection: [`Ketama`] (nginx-compatible) and
//!   [`Maglev`].
//! - [`gcra`]: quotas as GCRA token buckets ([`gcra_step`], [`KeyedLimiter`]).
//! - [`wire`]: the numeric encoding of a route outcome that both bindings share.
//! - [`net`]: CIDR sets and the client address behind trusted proxies ([`client_address`]).

pub mod error;
pub mod gcra;
pub mod hash;
pub mod ketama;
pub mod maglev;
pub mod net;
pub mod path;
pub mod ring;
pub mod router;
pub mod wire;

pub use error::{Error, ErrorKind};
pub use gcra::{gcra_step, Decision, KeyedLimiter, Quota};
pub use ketama::Ketama;
pub use maglev::Maglev;
pub use net::{client_address, CidrSet};
pub use path::{normalize, percent_decode, NormalizeOptions, PathErrorKind};
pub use ring::Ring;
pub use router::{PathMatch, RouteOutcome, RouteSpec, Router};
