//! Strings coming in from JavaScript without a heap allocation in the common case.
//!
//! napi-rs's `String` argument asks Node twice (once for the length, once for the bytes)
//! and allocates; on a 30-byte path that is most of the cost of a call. `InStr` asks once,
//! into a buffer on the stack, and only falls back to the heap when the text does not fit.
//!
//! TODO(perf): V8 keeps most request text as one-byte strings, which Node could copy as
//! Latin-1 without transcoding; that needs a way to tell a one-byte string from the rest
//! without a second call, which N-API does not offer.

use napi::bindgen_prelude::{FromNapiValue, TypeName, ValidateNapiValue, ValueType};
use napi::{sys, Error, Result, Status};

/// Bytes kept inline; request paths, hosts and keys longer than this take the slow path.
const INLINE: usize = 256;

/// A UTF-8 string argument copied out of a JavaScript string.
pub struct InStr {
    inline: [u8; INLINE],
    len: usize,
    heap: Option<String>,
}

impl InStr {
    /// The text. Node writes valid UTF-8 (lone surrogates become U+FFFD).
    pub fn as_str(&self) -> &str {
        match &self.heap {
            Some(s) => s,
            // SAFETY: napi_get_value_string_utf8 wrote `len` bytes of UTF-8 and stops at a
            // character boundary when it truncates; truncation is detected below and never
            // reaches here (the heap path is taken instead).
            None => unsafe { std::str::from_utf8_unchecked(&self.inline[..self.len]) },
        }
    }
}

fn read_utf8(env: sys::napi_env, value: sys::napi_value, buf: &mut [u8]) -> Result<usize> {
    let mut written = 0;
    // SAFETY: env and value come from napi-rs for this call; buf is writable for buf.len().
    let status = unsafe {
        sys::napi_get_value_string_utf8(
            env,
            value,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut written,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(Error::new(Status::StringExpected, "expected a string"));
    }
    Ok(written)
}

impl FromNapiValue for InStr {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        let mut out = InStr {
            inline: [0; INLINE],
            len: 0,
            heap: None,
        };
        let written = read_utf8(env, value, &mut out.inline)?;

        // Node leaves room for a NUL, so a result of INLINE - 1 bytes may have been cut short.
        if written < INLINE - 4 {
            out.len = written;
            return Ok(out);
        }
        let text = String::from_napi_value(env, value)?;
        out.heap = Some(text);
        Ok(out)
    }
}

impl TypeName for InStr {
    fn type_name() -> &'static str {
        "String"
    }

    fn value_type() -> ValueType {
        ValueType::String
    }
}

impl ValidateNapiValue for InStr {}
