//! Router::new and Router::route on fuzzed tables and requests: never panic, and a match is
//! consistent with the table and with normalize().
//!
//! Input: lines `method`, `host`, `path`, then one route per line:
//! `kind|host|path|METHOD,METHOD|header=value`, kind e/p/t (exact/prefix/template), empty
//! host for any host.
#![no_main]

use jetway_core::{normalize, PathMatch, RouteOutcome, RouteSpec, Router};
use libfuzzer_sys::fuzz_target;

fn route_of(line: &str) -> Option<RouteSpec> {
    let mut fields = line.split('|');
    let kind = fields.next()?;
    let host = fields.next()?;
    let path = fields.next()?.to_string();
    let path = match kind {
        "e" => PathMatch::Exact(path),
        "p" => PathMatch::Prefix(path),
        _ => PathMatch::Template(path),
    };
    let methods = fields.next().unwrap_or("");
    let headers = fields.next().unwrap_or("");
    Some(RouteSpec {
        host: if host.is_empty() {
            None
        } else {
            Some(host.to_string())
        },
        path,
        methods: methods
            .split(',')
            .filter(|m| !m.is_empty())
            .map(str::to_string)
            .collect(),
        headers: headers
            .split(',')
            .filter_map(|h| h.split_once('='))
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
    })
}

fuzz_target!(|data: &[u8]| {
    let text = match std::str::from_utf8(data) {
        Ok(text) => text,
        Err(_) => return,
    };
    let mut lines = text.split('\n');
    let (method, host, path) = match (lines.next(), lines.next(), lines.next()) {
        (Some(m), Some(h), Some(p)) => (m, h, p),
        _ => return,
    };
    let specs: Vec<RouteSpec> = lines.filter_map(route_of).take(16).collect();
    let count = specs.len();
    let router = match Router::new(specs, Default::default()) {
        Ok(router) => router,
        Err(_) => return,
    };

    let values: Vec<&str> = router.header_names().iter().map(|_| "1").collect();
    match router.route(method, host, path, &values) {
        RouteOutcome::Match {
            route,
            path: matched,
            ..
        } => {
            assert!(route < count);
            assert_eq!(normalize(path, &Default::default()).unwrap(), matched);
        }
        RouteOutcome::BadPath(kind) => {
            assert_eq!(normalize(path, &Default::default()).unwrap_err(), kind);
        }
        RouteOutcome::MethodNotAllowed { allow } => {
            assert!(!allow.is_empty() && !allow.contains(&method));
            assert!(
                allow.windows(2).all(|w| w[0] < w[1]),
                "allow is sorted and unique"
            );
        }
        RouteOutcome::NotFound => {}
    }
});
