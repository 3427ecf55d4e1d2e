//! Shared by the vector tests: loading the golden vectors under `test/vectors/`.

// Each test crate compiles its own copy of this module and uses only part of it.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

/// Parses `test/vectors/<name>` at the repository root.
pub fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../test/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {}", path.display(), e));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: bad JSON: {}", path.display(), e))
}

/// The string at `v[key]`; panics naming the key when absent.
pub fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{} is not a string in {}", key, v))
}

/// The unsigned number at `v[key]`.
pub fn u64_of(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{} is not an unsigned number in {}", key, v))
}

/// The array at `v[key]`, or an empty one when absent.
pub fn array_of<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v[key].as_array().map_or(&[][..], |a| &a[..])
}
