//! Rough cost of each hot-path call, in nanoseconds per call, on this machine:
//! `cargo run --release --example measure`. A sanity check for regressions, not a benchmark
//! suite (the project's tinybench harness compares native, WASM and TypeScript).

// Examples are built by the host toolchain only; the library itself keeps to Rust 1.63.
#![allow(clippy::incompatible_msrv)]

use std::hint::black_box;
use std::time::Instant;

use jetway_core::{
    client_address, normalize, CidrSet, Ketama, KeyedLimiter, Maglev, NormalizeOptions, PathMatch,
    Quota, Ring, RouteSpec, Router,
};

const CALLS: u32 = 500_000;

fn measure(name: &str, mut f: impl FnMut(u32)) {
    for i in 0..CALLS / 10 {
        f(i);
    }
    let start = Instant::now();
    for i in 0..CALLS {
        f(i);
    }
    let ns = start.elapsed().as_nanos() as f64 / f64::from(CALLS);
    println!("{:<44} {:>8.1} ns", name, ns);
}

fn table() -> Router {
    let mut routes = Vec::new();
    for i in 0..20 {
        let spec = |path| RouteSpec {
            host: None,
            path,
            methods: vec!["GET".to_string(), "POST".to_string()],
            headers: Vec::new(),
        };
        routes.push(spec(PathMatch::Exact(format!("/svc{}/health", i))));
        routes.push(spec(PathMatch::Template(format!(
            "/svc{}/users/:id/orders/:order",
            i
        ))));
        routes.push(spec(PathMatch::Prefix(format!("/svc{}/static", i))));
    }
    Router::new(routes, NormalizeOptions::default()).expect("table")
}

fn main() {
    let opts = NormalizeOptions::default();
    measure("normalize, canonical (borrowed)", |_| {
        black_box(normalize(black_box("/api/v1/users/12345/orders"), &opts).is_ok());
    });
    measure("normalize, dots and escapes (owned)", |_| {
        black_box(normalize(black_box("/api/./v1/%7euser/../x//y"), &opts).is_ok());
    });

    let router = table();
    measure("route, 60 routes, exact hit", |_| {
        black_box(router.route("GET", "example.test", black_box("/svc17/health"), &[]));
    });
    measure("route, 60 routes, template hit (2 params)", |_| {
        let path = black_box("/svc17/users/42/orders/7");
        black_box(router.route("GET", "example.test", path, &[]));
    });
    measure("route, 60 routes, prefix hit", |_| {
        black_box(router.route(
            "GET",
            "example.test",
            black_box("/svc17/static/app.js"),
            &[],
        ));
    });
    measure("route, 60 routes, not found", |_| {
        black_box(router.route("GET", "example.test", black_box("/nope/x"), &[]));
    });

    let names: Vec<String> = (1..=5).map(|i| format!("10.0.0.{}:8080", i)).collect();
    let upstreams: Vec<(&str, u32)> = names.iter().map(|n| (n.as_str(), 1)).collect();
    let keys: Vec<String> = (0..1024).map(|i| format!("user-{}", i)).collect();
    let ketama = Ketama::new(&upstreams);
    let maglev = Maglev::new(&upstreams);
    measure("ketama pick, 5 upstreams (800 points)", |i| {
        black_box(ketama.pick(keys[(i % 1024) as usize].as_bytes(), 0));
    });
    measure("ketama pick, attempt 2", |i| {
        black_box(ketama.pick(keys[(i % 1024) as usize].as_bytes(), 2));
    });
    measure("maglev pick, 5 upstreams", |i| {
        black_box(maglev.pick(keys[(i % 1024) as usize].as_bytes(), 0));
    });
    measure("maglev pick, attempt 2", |i| {
        black_box(maglev.pick(keys[(i % 1024) as usize].as_bytes(), 2));
    });

    let mut limiter = KeyedLimiter::new(Quota::new(100, 1_000_000, 10).expect("quota"));
    measure("gcra check, 1024 live keys", |i| {
        black_box(limiter.check(keys[(i % 1024) as usize].as_bytes(), u64::from(i) * 10));
    });

    let trusted = CidrSet::parse(&["10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32"]).unwrap();
    measure("client_address, 3-entry X-Forwarded-For", |_| {
        let xff = black_box("203.0.113.7, 198.51.100.9, 10.1.2.3");
        black_box(client_address("10.0.0.1", xff, "", &trusted));
    });
    measure("CidrSet::contains, IPv4", |_| {
        black_box(trusted.contains(black_box("192.168.7.9")));
    });
}
