//! Writes test/vectors/maglev.json: this crate's Maglev picks for fixed upstream sets and
//! keys, pinned so that every other implementation (the TypeScript reference, the WASM
//! build) can be held to them. Run: `cargo run --example record-maglev` in native/core.

use std::fmt::Write;

use jetway_core::{Maglev, Ring};

fn main() {
    let sets: Vec<Vec<(&str, u32)>> = vec![
        vec![("10.0.0.1:80", 1), ("10.0.0.2:80", 2), ("10.0.0.3:80", 3)],
        vec![
            ("a.example.test:8080", 1),
            ("b.example.test:8080", 1),
            ("c.example.test:8080", 2),
            ("d.example.test:8080", 3),
            ("e.example.test:8080", 5),
        ],
        vec![("u1", 1), ("u2", 1), ("u3", 1), ("u4", 1)],
        vec![
            ("[2001:db8::1]:443", 100),
            ("[2001:db8::2]:443", 100),
            ("z", 0),
        ],
    ];
    let mut out = String::from("{\n \"source\": ");
    out.push_str(concat!(
        "\"Recorded from jetway-core's Maglev (native/core/src/maglev.rs) by ",
        "`cargo run --example record-maglev`; pinned: a change of any pick is a breaking ",
        "change of the ring. `fallbacks` are attempts 1 and 2.\",\n \"sets\": [\n"
    ));
    for (n, upstreams) in sets.iter().enumerate() {
        if n > 0 {
            out.push_str(",\n");
        }
        write_set(&mut out, n, upstreams);
    }
    out.push_str("\n ]\n}\n");

    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../test/vectors/maglev.json"
    );
    std::fs::write(path, out).expect("write maglev.json");
    println!("record-maglev: wrote {}", path);
}

fn write_set(out: &mut String, n: usize, upstreams: &[(&str, u32)]) {
    let ring = Maglev::new(upstreams);
    let list: Vec<String> = upstreams
        .iter()
        .map(|(name, weight)| format!("{{\"name\": {:?}, \"weight\": {}}}", name, weight))
        .collect();
    let _ = write!(out, "  {{\n   \"upstreams\": [{}],\n", list.join(", "));

    let keys = keys_for(n);
    let picks: Vec<String> = keys.iter().map(|key| pick_line(&ring, key, 0)).collect();
    let fallbacks: Vec<String> = keys
        .iter()
        .step_by(5)
        .flat_map(|key| vec![pick_line(&ring, key, 1), pick_line(&ring, key, 2)])
        .collect();
    let _ = write!(
        out,
        "   \"picks\": [\n{}\n   ],\n   \"fallbacks\": [\n{}\n   ]\n  }}",
        picks.join(",\n"),
        fallbacks.join(",\n")
    );
}

fn pick_line(ring: &Maglev, key: &str, attempt: usize) -> String {
    // -1 is "no upstream left", as in the TypeScript interface.
    let upstream = ring.pick(key.as_bytes(), attempt).map_or(-1, |u| u as i64);
    if attempt == 0 {
        format!("    {{\"key\": {:?}, \"upstream\": {}}}", key, upstream)
    } else {
        format!(
            "    {{\"key\": {:?}, \"attempt\": {}, \"upstream\": {}}}",
            key, attempt, upstream
        )
    }
}

/// Keys of several shapes, ASCII only so that `{:?}` writes valid JSON strings.
fn keys_for(n: usize) -> Vec<String> {
    let mut keys: Vec<String> = (0..400).map(|i| format!("k{}", i)).collect();
    keys.extend((0..300).map(|i| format!("user-{}", i * 7919)));
    keys.extend((0..296u64).map(|i| format!("{:08x}{}", (i * 2_654_435_761) & 0xffff_ffff, n)));
    keys.extend(
        ["~", "_", "a.b", "", "203.0.113.7"]
            .iter()
            .map(|k| k.to_string()),
    );
    keys
}
