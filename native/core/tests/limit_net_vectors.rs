//! GCRA, CIDR sets and client addresses against gcra.json, cidr.json and forwarded.json.

mod common;

use jetway_core::{client_address, CidrSet, Decision, KeyedLimiter, Quota};
use serde_json::{json, Value};

use common::{array_of, load, str_of, u64_of};

fn strings(v: &Value, key: &str) -> Vec<String> {
    array_of(v, key)
        .iter()
        .map(|s| s.as_str().expect("a string").to_string())
        .collect()
}

fn decision_json(d: Decision) -> Value {
    json!({
        "allowed": d.allowed,
        "remaining": d.remaining,
        "retry_after_us": d.retry_after_us,
        "reset_after_us": d.reset_after_us,
    })
}

#[test]
fn gcra_decides_every_scripted_step_as_recorded() {
    let mut checked = 0;
    for scenario in load("gcra.json").as_array().expect("an array") {
        let q = &scenario["quota"];
        let quota = Quota::new(
            u64_of(q, "rate") as u32,
            u64_of(q, "period_us"),
            u64_of(q, "burst") as u32,
        );
        let name = scenario["name"].as_str().unwrap_or("?");
        if let Some(code) = scenario["error"].as_str() {
            assert_eq!(quota.map_err(|e| e.code()).err(), Some(code), "{}", name);
            continue;
        }
        let mut limiter = KeyedLimiter::new(quota.expect(name));
        for (i, step) in array_of(scenario, "steps").iter().enumerate() {
            let got = decision_json(
                limiter.check(str_of(step, "key").as_bytes(), u64_of(step, "now_us")),
            );
            let want = json!({
                "allowed": step["allowed"],
                "remaining": step["remaining"],
                "retry_after_us": step["retry_after_us"],
                "reset_after_us": step["reset_after_us"],
            });
            assert_eq!(got, want, "{}: step {}", name, i);
            checked += 1;
        }
    }
    assert!(checked >= 200, "only {} gcra steps", checked);
}

#[test]
fn cidr_sets_answer_every_check_and_refuse_every_bad_range() {
    let mut checked = 0;
    for case in load("cidr.json").as_array().expect("an array") {
        let ranges = strings(case, "ranges");
        let ranges: Vec<&str> = ranges.iter().map(String::as_str).collect();
        let set = CidrSet::parse(&ranges);
        if let Some(code) = case["error"].as_str() {
            assert_eq!(set.map_err(|e| e.code()).err(), Some(code), "{:?}", ranges);
            checked += 1;
            continue;
        }
        let set = set.expect("ranges parse");
        for check in array_of(case, "checks") {
            let ip = str_of(check, "ip");
            let want = check["contains"].as_bool().expect("contains");
            assert_eq!(set.contains(ip), want, "{:?} contains {:?}", ranges, ip);
            checked += 1;
        }
    }
    assert!(checked >= 70, "only {} cidr vectors", checked);
}

#[test]
fn client_address_picks_every_recorded_client() {
    let cases = load("forwarded.json");
    let cases = cases.as_array().expect("an array");
    for case in cases {
        let trusted = strings(case, "trusted");
        let trusted: Vec<&str> = trusted.iter().map(String::as_str).collect();
        let set = CidrSet::parse(&trusted).expect("trusted ranges parse");
        let got = client_address(
            str_of(case, "peer"),
            str_of(case, "xff"),
            str_of(case, "forwarded"),
            &set,
        );
        assert_eq!(got, str_of(case, "client"), "{}", case["name"]);
    }
    assert!(cases.len() >= 40, "only {} forwarded vectors", cases.len());
}
