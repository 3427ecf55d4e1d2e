//! Reading the inputs the loader lays out in the scratch region.
//!
//! Build-time inputs (route tables, rings, CIDR lists) come as a little-endian byte format:
//! `u32` counts and lengths, strings as a `u32` byte length followed by UTF-8. The encoder is
//! in ts/hotpath/wasm.ts. Per-request inputs are plain strings laid end to end, with their
//! lengths passed as arguments.

use jetway_core::{PathMatch, RouteSpec};

/// A cursor over an encoded input; every read fails cleanly at the end of the input.
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    pub fn u8(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    pub fn u32(&mut self) -> Option<u32> {
        let raw = self.bytes.get(self.at..self.at + 4)?;
        self.at += 4;
        Some(u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]))
    }

    pub fn str(&mut self) -> Option<&'a str> {
        let len = self.u32()? as usize;
        let raw = self.bytes.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        std::str::from_utf8(raw).ok()
    }

    pub fn string(&mut self) -> Option<String> {
        self.str().map(str::to_owned)
    }

    pub fn strings(&mut self) -> Option<Vec<String>> {
        let n = self.u32()?;
        (0..n).map(|_| self.string()).collect()
    }
}

/// Decodes a route table: count, then per route host flag and host, path kind (0 exact,
/// 1 prefix, 2 template) and path, methods, and header (name, value) pairs.
pub fn routes(bytes: &[u8]) -> Option<Vec<RouteSpec>> {
    let mut r = Reader::new(bytes);
    let n = r.u32()?;
    (0..n).map(|_| route(&mut r)).collect()
}

fn route(r: &mut Reader<'_>) -> Option<RouteSpec> {
    let host = match r.u8()? {
        0 => None,
        _ => Some(r.string()?),
    };
    let path = match r.u8()? {
        0 => PathMatch::Exact(r.string()?),
        1 => PathMatch::Prefix(r.string()?),
        2 => PathMatch::Template(r.string()?),
        _ => return None,
    };
    let methods = r.strings()?;
    let n = r.u32()?;
    let headers = (0..n)
        .map(|_| Some((r.string()?, r.string()?)))
        .collect::<Option<Vec<_>>>()?;
    Some(RouteSpec {
        host,
        path,
        methods,
        headers,
    })
}

/// Decodes ring upstreams: count, then per upstream name and weight.
pub fn upstreams(bytes: &[u8]) -> Option<Vec<(&str, u32)>> {
    let mut r = Reader::new(bytes);
    let n = r.u32()?;
    (0..n).map(|_| Some((r.str()?, r.u32()?))).collect()
}

/// Decodes a list of strings: count, then each string.
pub fn strs(bytes: &[u8]) -> Option<Vec<&str>> {
    let mut r = Reader::new(bytes);
    let n = r.u32()?;
    (0..n).map(|_| r.str()).collect()
}

/// Splits `len[0]`, `len[1]`, ... bytes off the front of `bytes` as UTF-8 strings.
pub fn split<'a>(bytes: &'a [u8], lens: &[u32], out: &mut [&'a str]) -> bool {
    let mut at = 0usize;
    for (slot, &len) in out.iter_mut().zip(lens) {
        let end = at + len as usize;
        match bytes.get(at..end).map(std::str::from_utf8) {
            Some(Ok(s)) => *slot = s,
            _ => return false,
        }
        at = end;
    }
    true
}
