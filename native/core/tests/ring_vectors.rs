//! The rings against their golden vectors: ketama.json (recorded from nginx 1.22 by
//! scripts/record-ketama.sh) and maglev.json (recorded from this crate, pinned).

mod common;

use jetway_core::{Ketama, Maglev, Ring};
use serde_json::Value;

use common::{array_of, load, str_of, u64_of};

/// Checks every pick and fallback of every set; returns how many were checked.
fn check_sets<R: Ring>(file: &str, build: impl Fn(&[(&str, u32)]) -> R) -> usize {
    let vectors = load(file);
    let mut checked = 0;
    for (n, set) in array_of(&vectors, "sets").iter().enumerate() {
        let upstreams: Vec<(&str, u32)> = array_of(set, "upstreams")
            .iter()
            .map(|u| (str_of(u, "name"), u64_of(u, "weight") as u32))
            .collect();
        let ring = build(&upstreams);
        for pick in array_of(set, "picks")
            .iter()
            .chain(array_of(set, "fallbacks"))
        {
            let key = str_of(pick, "key");
            let attempt = pick["attempt"].as_u64().unwrap_or(0) as usize;
            // -1 stands for "no upstream left" (None), as in the TypeScript interface.
            let want = pick["upstream"].as_i64().expect("upstream is a number");
            let got = ring.pick(key.as_bytes(), attempt).map_or(-1, |u| u as i64);
            assert_eq!(
                got, want,
                "{} set {} key {:?} attempt {}",
                file, n, key, attempt
            );
            checked += 1;
        }
    }
    checked
}

#[test]
fn ketama_picks_what_nginx_picked_for_every_recorded_key() {
    let checked = check_sets("ketama.json", Ketama::new);
    assert!(checked >= 2000, "only {} ketama vectors", checked);
}

#[test]
fn maglev_picks_stay_as_pinned() {
    let checked = check_sets("maglev.json", Maglev::new);
    assert!(checked >= 2000, "only {} maglev vectors", checked);
}

#[test]
fn ketama_vectors_cover_several_weightings() {
    let vectors = load("ketama.json");
    let sets: Vec<&Value> = array_of(&vectors, "sets").iter().collect();
    assert!(sets.len() >= 2);
    let weightings: std::collections::BTreeSet<String> = sets
        .iter()
        .map(|s| {
            format!(
                "{:?}",
                array_of(s, "upstreams")
                    .iter()
                    .map(|u| u64_of(u, "weight"))
                    .collect::<Vec<_>>()
            )
        })
        .collect();
    assert_eq!(
        weightings.len(),
        sets.len(),
        "every set has its own weights"
    );
}
