//! normalize() on any string with any options: never panics, and every output is canonical.
#![no_main]

use std::borrow::Cow;

use jetway_core::{normalize, NormalizeOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (flags, rest) = match data.split_first() {
        Some((flags, rest)) => (*flags, rest),
        None => return,
    };
    let input = match std::str::from_utf8(rest) {
        Ok(input) => input,
        Err(_) => return,
    };
    let opts = NormalizeOptions {
        allow_encoded_slash: flags & 1 != 0,
        allow_backslash: flags & 2 != 0,
        merge_slashes: flags & 4 == 0,
    };
    let out = match normalize(input, &opts) {
        Ok(out) => out,
        Err(_) => return,
    };

    if let Cow::Borrowed(same) = &out {
        assert_eq!(*same, input, "a borrowed output is the input itself");
    }
    assert!(out.starts_with('/'));
    assert!(out.len() <= input.len(), "{:?} grew to {:?}", input, out);
    assert!(
        out.bytes().all(|b| b > b' ' && b < 0x7f),
        "{:?} has a bad byte",
        out
    );
    for segment in out[1..].split('/') {
        assert!(
            segment != "." && segment != "..",
            "{:?} keeps a dot segment",
            out
        );
    }
    if opts.merge_slashes {
        assert!(!out.contains("//"), "{:?} keeps //", out);
    }
    match normalize(&out, &opts) {
        Ok(Cow::Borrowed(again)) => assert_eq!(again, &*out),
        other => panic!("{:?} -> {:?} is not idempotent: {:?}", input, out, other),
    }
});
