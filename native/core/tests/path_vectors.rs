//! normalize() against test/vectors/normalize.json.

mod common;

use jetway_core::{normalize, NormalizeOptions};
use serde_json::Value;

use common::{load, str_of};

/// The options of a vector: defaults, overridden field by field.
pub fn options_of(v: &Value) -> NormalizeOptions {
    let mut opts = NormalizeOptions::default();
    let o = &v["options"];
    if let Some(b) = o["allow_encoded_slash"].as_bool() {
        opts.allow_encoded_slash = b;
    }
    if let Some(b) = o["allow_backslash"].as_bool() {
        opts.allow_backslash = b;
    }
    if let Some(b) = o["merge_slashes"].as_bool() {
        opts.merge_slashes = b;
    }
    opts
}

#[test]
fn normalize_gives_every_vectors_output_or_error_code() {
    let vectors = load("normalize.json");
    let cases = vectors.as_array().expect("an array");
    for case in cases {
        let input = str_of(case, "input");
        let got = match normalize(input, &options_of(case)) {
            Ok(path) => Value::String(path.into_owned()),
            Err(kind) => Value::String(kind.code().to_string()),
        };
        let want = case
            .get("output")
            .or_else(|| case.get("error"))
            .expect("output or error");
        assert_eq!(&got, want, "input {:?} options {}", input, case["options"]);
    }
    assert!(cases.len() >= 150, "only {} vectors", cases.len());
}

#[test]
fn every_vector_output_is_a_fixed_point() {
    for case in load("normalize.json").as_array().expect("an array") {
        if let Some(output) = case["output"].as_str() {
            let again = normalize(output, &options_of(case)).expect("output normalises");
            assert_eq!(again, output, "{:?} is not a fixed point", output);
        }
    }
}
