//! Router::route against test/vectors/router.json.

mod common;

use jetway_core::{NormalizeOptions, PathMatch, RouteOutcome, RouteSpec, Router};
use serde_json::{json, Map, Value};

use common::{array_of, load, str_of};

fn options_of(v: &Value) -> NormalizeOptions {
    let mut opts = NormalizeOptions::default();
    let o = &v["options"];
    opts.allow_encoded_slash = o["allow_encoded_slash"].as_bool().unwrap_or(false);
    opts.allow_backslash = o["allow_backslash"].as_bool().unwrap_or(false);
    opts.merge_slashes = o["merge_slashes"].as_bool().unwrap_or(true);
    opts
}

fn spec_of(v: &Value) -> RouteSpec {
    let path = &v["path"];
    let path = if let Some(p) = path["exact"].as_str() {
        PathMatch::Exact(p.to_string())
    } else if let Some(p) = path["prefix"].as_str() {
        PathMatch::Prefix(p.to_string())
    } else {
        PathMatch::Template(str_of(path, "template").to_string())
    };
    let strings = |a: &Value| a.as_str().expect("a string").to_string();
    RouteSpec {
        host: v["host"].as_str().map(str::to_string),
        path,
        methods: array_of(v, "methods").iter().map(strings).collect(),
        headers: array_of(v, "headers")
            .iter()
            .map(|h| (strings(&h[0]), strings(&h[1])))
            .collect(),
    }
}

/// The outcome in the vectors' JSON form.
fn outcome_json(outcome: RouteOutcome<'_>) -> Value {
    match outcome {
        RouteOutcome::Match {
            route,
            path,
            params,
        } => {
            let params: Map<String, Value> = params
                .into_iter()
                .map(|(k, v)| (k.to_string(), Value::String(v)))
                .collect();
            json!({"kind": "match", "route": route, "path": path, "params": params})
        }
        RouteOutcome::NotFound => json!({"kind": "not_found"}),
        RouteOutcome::MethodNotAllowed { allow } => {
            json!({"kind": "method_not_allowed", "allow": allow})
        }
        RouteOutcome::BadPath(kind) => json!({"kind": "bad_path", "code": kind.code()}),
    }
}

#[test]
fn router_answers_every_vector_request_as_recorded() {
    let tables = load("router.json");
    let mut checked = 0;
    for table in tables.as_array().expect("an array") {
        let name = str_of(table, "name");
        let routes = array_of(table, "routes").iter().map(spec_of).collect();
        let router = Router::new(routes, options_of(table)).expect(name);
        for request in array_of(table, "requests") {
            let values: Vec<&str> = router
                .header_names()
                .iter()
                .map(|n| request["headers"][n.as_str()].as_str().unwrap_or(""))
                .collect();
            let got = router.route(
                str_of(request, "method"),
                str_of(request, "host"),
                str_of(request, "path"),
                &values,
            );
            let got = outcome_json(got);
            assert_eq!(
                got, request["expect"],
                "table {:?}, request {}",
                name, request
            );
            checked += 1;
        }
    }
    assert!(checked >= 100, "only {} router vectors", checked);
}
