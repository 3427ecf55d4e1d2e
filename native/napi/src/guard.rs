//! How failures cross to JavaScript: as thrown `Error`s whose `code` is the core's stable
//! code, and never as a Rust panic.
//!
//! Panics are caught rather than ruled out: the core is written not to panic, but it is too
//! large to prove it, and an unwinding panic through a napi callback aborts the process. So
//! every export runs its body inside [`guard`], which turns a panic into a thrown error with
//! the code `JETWAY_HOTPATH_PANIC`. `catch_unwind` costs nothing on the path that does not
//! panic (table-driven unwinding): in bench/micro.ts an empty export inside the guard and one
//! without it measure the same (54-61 ns each, within the noise of this machine).

use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::Error;

/// The stable code carried by a thrown error; napi-rs puts it in the error's `code`.
#[derive(Clone, Copy, Debug)]
pub struct Code(pub &'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// What every export returns: a value, or an error with a stable code.
pub type Result<T> = std::result::Result<T, Error<Code>>;

/// The code of a panic caught at the boundary.
pub const PANIC: &str = "JETWAY_HOTPATH_PANIC";

/// The code of an argument that has the right JavaScript type but a bad value.
pub const BAD_ARGUMENT: &str = "JETWAY_HOTPATH_BAD_ARGUMENT";

/// An error with `code` and a message for people.
pub fn fail(code: &'static str, message: impl Into<String>) -> Error<Code> {
    Error::new(Code(code), message.into())
}

/// The core's error as a thrown error with the same code.
pub fn from_core(err: jetway_core::Error) -> Error<Code> {
    fail(err.code(), err.to_string())
}

/// Runs `body`, turning a panic into an error with the code [`PANIC`].
pub fn guard<T>(body: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(fail(PANIC, format!("panic in the hot path: {}", what)))
        }
    }
}
