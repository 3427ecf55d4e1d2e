//! The crate's one error type: a small kind enum, a context string and a stable code.

use std::fmt;

use crate::path::PathErrorKind;

/// What went wrong, in the few classes that callers branch on.
///
/// Only build steps (compiling a route table, parsing CIDR ranges, checking a quota) return
/// [`Error`]; per-request answers such as "no route" or "rate limited" are values, not errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A path could not be normalised; the inner kind says why.
    Path(PathErrorKind),
    /// A route table entry is invalid (bad host pattern, template or path).
    Route,
    /// A CIDR range or address does not parse, or has host bits set.
    Cidr,
    /// A quota has a zero rate, period or burst, or an emission interval below 1 us.
    Quota,
}

impl ErrorKind {
    /// The stable `JETWAY_...` code of this kind; path kinds use [`PathErrorKind::code`].
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Path(kind) => kind.code(),
            ErrorKind::Route => "JETWAY_ROUTE_INVALID",
            ErrorKind::Cidr => "JETWAY_CIDR_INVALID",
            ErrorKind::Quota => "JETWAY_QUOTA_INVALID",
        }
    }

    /// The stable number of this kind, for bindings that pass numbers rather than strings
    /// (WASM). Path kinds are 1..=8 ([`PathErrorKind::as_u32`]); Route is 101, Cidr 102 and
    /// Quota 103. 0 is never used, so callers can keep it for "no error".
    pub fn as_u32(self) -> u32 {
        match self {
            ErrorKind::Path(kind) => kind.as_u32(),
            ErrorKind::Route => 101,
            ErrorKind::Cidr => 102,
            ErrorKind::Quota => 103,
        }
    }
}

/// The crate's error: a [`ErrorKind`] plus a human-readable context naming the bad input.
///
/// The context is for people and may change between versions; programs compare
/// [`Error::code`] instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The class of the failure.
    pub kind: ErrorKind,
    /// What was wrong and with which value, e.g. `routes[2].path: template "/a/*x/b": ...`.
    pub context: String,
}

impl Error {
    /// An error of `kind` with the given context.
    pub fn new(kind: ErrorKind, context: impl Into<String>) -> Error {
        Error {
            kind,
            context: context.into(),
        }
    }

    /// The stable `JETWAY_...` code of this error (see [`ErrorKind::code`]).
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.context)
    }
}

impl std::error::Error for Error {}

impl From<PathErrorKind> for Error {
    fn from(kind: PathErrorKind) -> Error {
        Error::new(ErrorKind::Path(kind), kind.code())
    }
}
