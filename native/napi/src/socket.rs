//! Writing a request head straight to an upstream socket's descriptor.
//!
//! Node's `socket.write` runs a request through the Writable stream machinery, a write request
//! object and libuv before the one `send` it ends in; for the few hundred bytes of a request
//! head that costs more than the rest of Jetway's work on the request. When libuv has nothing
//! queued on the socket, the proxy hands the head here instead: one copy of the string's bytes
//! into a per-thread buffer and one `send`. Whatever the kernel does not take, the caller passes
//! to `socket.write`, behind these bytes, so the order on the wire holds. Request body bytes
//! take the same way (`socket_send_bytes`), straight from the view of the client's read that
//! uWS lends, so a body that the upstream takes as fast as it comes is never copied in
//! JavaScript.

use std::cell::RefCell;
use std::io::{ErrorKind, Write};
use std::mem::ManuallyDrop;
use std::net::TcpStream;
use std::os::fd::FromRawFd;

use napi::bindgen_prelude::{FromNapiValue, TypeName, ValidateNapiValue, ValueType};
use napi::sys;
use napi_derive::napi;

use crate::guard::{fail, guard, Result, BAD_ARGUMENT};

/// Longest text sent from the per-thread buffer; a longer head goes through `socket.write`.
const MAX_TEXT: usize = 64 * 1024;

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0; MAX_TEXT]);
}

/// A JavaScript value taken as it is, to be read by the export itself.
pub struct Raw {
    env: sys::napi_env,
    value: sys::napi_value,
}

impl FromNapiValue for Raw {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        Ok(Raw { env, value })
    }
}

impl TypeName for Raw {
    fn type_name() -> &'static str {
        "String"
    }

    fn value_type() -> ValueType {
        ValueType::String
    }
}

impl ValidateNapiValue for Raw {}

/// Sends `text` as UTF-8 on the non-blocking socket `fd` and returns how many bytes of its UTF-8
/// form the kernel did not take: 0 when all went, all of them when the socket would block. -1
/// means the text is longer than 64 KiB in UTF-8 and nothing was sent. A failed send (the
/// upstream reset the connection, say) is a thrown error with code `JETWAY_SOCKET_SEND` and
/// the OS error text; the caller then lets the socket find and report the fault as usual.
#[napi(ts_args_type = "fd: number, text: string")]
pub fn socket_send(fd: i32, text: Raw) -> Result<i32> {
    guard(|| {
        if fd < 0 {
            return Err(fail(BAD_ARGUMENT, "fd must be a descriptor"));
        }
        SCRATCH.with(|cell| {
            let mut buf = cell.borrow_mut();
            let len = utf8_into(&text, &mut buf)?;
            if len < 0 {
                return Ok(-1);
            }
            let bytes = &buf[..len as usize];
            Ok((bytes.len() - send(fd, bytes)?) as i32)
        })
    })
}

/// Sends `bytes` on the non-blocking socket `fd` and returns how many of them the kernel did
/// not take (all of them when the socket would block). A failed send is a thrown error with code
/// `JETWAY_SOCKET_SEND`, as for `socket_send`.
#[napi(ts_args_type = "fd: number, bytes: Uint8Array")]
pub fn socket_send_bytes(fd: i32, bytes: &[u8]) -> Result<i32> {
    guard(|| {
        if fd < 0 {
            return Err(fail(BAD_ARGUMENT, "fd must be a descriptor"));
        }
        if i32::try_from(bytes.len()).is_err() {
            return Err(fail(BAD_ARGUMENT, "bytes must be under 2 GiB"));
        }
        Ok((bytes.len() - send(fd, bytes)?) as i32)
    })
}

/// Copies the string's UTF-8 bytes into `buf`; -1 when they do not fit.
fn utf8_into(text: &Raw, buf: &mut [u8]) -> Result<i64> {
    let mut written = 0;
    // SAFETY: env and value are this call's arguments; buf is writable for buf.len() bytes.
    let status = unsafe {
        sys::napi_get_value_string_utf8(
            text.env,
            text.value,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut written,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(fail(BAD_ARGUMENT, "text must be a string"));
    }
    // Node keeps the last byte for a NUL, and cuts at a character boundary: a result this close
    // to the end may have been cut short.
    if written + 4 >= buf.len() {
        return Ok(-1);
    }
    Ok(written as i64)
}

/// How many bytes of `bytes` the kernel took.
fn send(fd: i32, bytes: &[u8]) -> Result<usize> {
    // SAFETY: the descriptor belongs to a live socket of the caller's; ManuallyDrop keeps it
    // open when the borrowed TcpStream goes out of scope.
    let stream = ManuallyDrop::new(unsafe { TcpStream::from_raw_fd(fd) });
    loop {
        // std sends with MSG_NOSIGNAL, so a closed peer is an error here, not a SIGPIPE.
        match (&*stream).write(bytes) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(0),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(fail("JETWAY_SOCKET_SEND", e.to_string())),
        }
    }
}
