//! One interface for every hash ring used by `consistent_hash` selection; one file per
//! algorithm beside this one ([`crate::ketama`], [`crate::maglev`]).

/// A hash ring over a fixed list of upstreams: maps a key to an upstream index.
///
/// A ring is built once per cluster version and is immutable afterwards, so lookups need no
/// locking. Health is not the ring's business: a caller that finds the picked upstream
/// unusable asks again with `attempt + 1`.
pub trait Ring {
    /// The upstream for `key`, as an index into the list the ring was built from.
    ///
    /// `attempt` 0 is the key's own upstream; attempt n is the n-th distinct fallback, in an
    /// order fixed by the key (each algorithm documents it). Returns None when `attempt` is at
    /// least the number of upstreams that can be picked (upstreams of weight 0 never are).
    fn pick(&self, key: &[u8], attempt: usize) -> Option<usize>;

    /// The number of upstreams the ring was built from, pickable or not.
    fn len(&self) -> usize;

    /// Whether the ring was built from no upstream; then `pick` always returns None.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The `attempt`-th distinct upstream in `owners`, a ring's fallback order for one key
/// (upstream indices, repeats allowed); None when fewer distinct upstreams appear. O(n *
/// attempt) for the walk, which ends at the first answer.
pub(crate) fn nth_distinct(owners: impl Iterator<Item = u32>, attempt: usize) -> Option<usize> {
    let mut seen: Vec<u32> = Vec::with_capacity(attempt + 1);
    for owner in owners {
        if seen.contains(&owner) {
            continue;
        }
        if seen.len() == attempt {
            return Some(owner as usize);
        }
        seen.push(owner);
    }
    None
}

/// The conformance suite every ring runs: the remapping bounds of consistent hashing.
#[cfg(test)]
pub(crate) mod conformance {
    use super::Ring;

    pub const POOL: [&str; 6] = [
        "10.0.0.1:8080",
        "10.0.0.2:8080",
        "10.0.0.3:8080",
        "10.0.0.4:8080",
        "10.0.0.5:8080",
        "10.0.0.6:8080",
    ];

    /// The name each of 1000 user ids lands on.
    pub fn assign<R: Ring>(ring: &R, names: &[&str]) -> Vec<String> {
        (0..1000)
            .map(|id| {
                let key = format!("user-{}", id);
                let i = ring.pick(key.as_bytes(), 0).expect("a pick");
                names[i].to_string()
            })
            .collect()
    }

    pub fn weighted<'a>(names: &[&'a str]) -> Vec<(&'a str, u32)> {
        names.iter().map(|n| (*n, 1)).collect()
    }

    /// Removing one of five upstreams moves its keys and (almost) no other.
    pub fn removal_moves_only_the_removed_upstreams_keys<R: Ring>(build: fn(&[(&str, u32)]) -> R) {
        let five = &POOL[..5];
        let before = assign(&build(&weighted(five)), five);
        let four: Vec<&str> = five.iter().copied().filter(|n| *n != POOL[2]).collect();
        let after = assign(&build(&weighted(&four)), &four);

        let others_moved = before
            .iter()
            .zip(&after)
            .filter(|(b, a)| *b != POOL[2] && b != a)
            .count();
        let others = before.iter().filter(|b| *b != POOL[2]).count();
        assert!(
            others_moved * 100 <= others,
            "{} of {} others moved",
            others_moved,
            others
        );
    }

    /// Reordering the list moves no key: rings depend on names, not positions.
    pub fn reorder_moves_no_key<R: Ring>(build: fn(&[(&str, u32)]) -> R) {
        let five = &POOL[..5];
        let before = assign(&build(&weighted(five)), five);
        let shuffled = [POOL[3], POOL[0], POOL[4], POOL[2], POOL[1]];
        let after = assign(&build(&weighted(&shuffled)), &shuffled);
        assert_eq!(before, after);
    }

    /// Adding a sixth upstream moves about 1/6 of the keys, all but `max_stray` of them (per
    /// 1000) to the new one.
    pub fn addition_moves_a_sixth_to_the_new_upstream<R: Ring>(
        build: fn(&[(&str, u32)]) -> R,
        max_stray: usize,
    ) {
        let before = assign(&build(&weighted(&POOL[..5])), &POOL[..5]);
        let after = assign(&build(&weighted(&POOL)), &POOL);
        let moved: Vec<&String> = before
            .iter()
            .zip(&after)
            .filter(|(b, a)| b != a)
            .map(|(_, a)| a)
            .collect();
        assert!(
            (120..=220).contains(&moved.len()),
            "{} of 1000 moved",
            moved.len()
        );
        let elsewhere = moved.iter().filter(|a| **a != POOL[5]).count();
        assert!(
            elsewhere <= max_stray,
            "{} keys moved between old upstreams",
            elsewhere
        );
    }

    /// Every upstream's share of 1000 keys is within 25% of an even share.
    pub fn shares_stay_within_a_quarter_of_even<R: Ring>(build: fn(&[(&str, u32)]) -> R) {
        for n in [5, 6] {
            let names = &POOL[..n];
            let picks = assign(&build(&weighted(names)), names);
            let even = 1000.0 / n as f64;
            for name in names {
                let share = picks.iter().filter(|p| p == name).count() as f64;
                assert!(
                    (share - even).abs() <= even * 0.25,
                    "{} got {} of 1000",
                    name,
                    share
                );
            }
        }
    }
}
