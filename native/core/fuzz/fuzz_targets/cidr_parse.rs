//! CidrSet::parse on fuzzed range lists: never panics; a parsed range contains its own
//! network address and the set agrees with sets of one range each.
//!
//! Input: lines of ranges, the last line an address to look up.
#![no_main]

use jetway_core::CidrSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = match std::str::from_utf8(data) {
        Ok(text) => text,
        Err(_) => return,
    };
    let mut lines: Vec<&str> = text.split('\n').collect();
    let probe = lines.pop().unwrap_or("");
    let set = match CidrSet::parse(&lines) {
        Ok(set) => set,
        Err(e) => {
            assert!(lines.iter().any(|r| CidrSet::parse(&[r]).is_err()), "{}", e);
            return;
        }
    };

    let mut any = false;
    for range in &lines {
        let single = CidrSet::parse(&[range]).expect("each range parses alone");
        let address = range.split('/').next().unwrap_or("");
        assert!(
            single.contains(address),
            "{:?} contains its network address",
            range
        );
        any |= single.contains(probe);
    }
    assert_eq!(
        set.contains(probe),
        any,
        "the set is the union of its ranges"
    );
});
