//! Ketama: the consistent hash ring of nginx's `hash $key consistent` (module
//! ngx_http_upstream_hash_module, as in nginx 1.22), point for point.
//!
//! The points are those of Cache::Memcached::Fast, which nginx copied: for an upstream
//! named `host:port`, point j has hash `crc32(host "\0" port prev)`, where `prev` is the
//! previous point's hash as 4 little-endian bytes (0 for the first point). An upstream of
//! weight w gets 160 * w points (nginx's constant). A key goes to the first point whose hash
//! is >= crc32(key), wrapping past the largest to the smallest.

use crate::hash::{crc32, Crc32};
use crate::ring::{nth_distinct, Ring};

/// nginx gives each unit of weight this many points on the ring.
pub const POINTS_PER_WEIGHT: u32 = 160;

/// A ketama ring that picks exactly the upstream nginx 1.22 would pick for the same
/// upstream names, weights and key.
///
/// An upstream's name is its `server` text in nginx, e.g. `127.0.0.1:8081` or
/// `backend.example:80`: the part after the last `:` counts as the port when it is all
/// digits; otherwise the whole name is the host and the port is empty. A `unix:` name hashes
/// the path after `unix:` with an empty port. Points of equal hash keep the upstream declared
/// first (nginx keeps the first after its stable sort). Names that occur twice get points
/// twice; nginx would then balance between them, this ring keeps to the first point's owner.
#[derive(Clone, Debug)]
pub struct Ketama {
    /// Point hashes, ascending and distinct; `owners[i]` owns `hashes[i]`.
    hashes: Vec<u32>,
    owners: Vec<u32>,
    upstreams: usize,
    pickable: usize,
}

impl Ketama {
    /// Builds the ring from `(name, weight)` pairs; a weight of 0 gives no points (nginx
    /// rejects it in config). Costs O(P log P) for P = 160 * total weight points, and
    /// 8 bytes per point.
    pub fn new(upstreams: &[(&str, u32)]) -> Ketama {
        let total: u64 = upstreams.iter().map(|u| u64::from(u.1)).sum();
        let mut points: Vec<(u32, u32)> = Vec::with_capacity((total * 160) as usize);
        for (index, (name, weight)) in upstreams.iter().enumerate() {
            push_points(&mut points, name, *weight, index as u32);
        }

        // Stable sort, then keep the first of equal hashes: nginx sorts with glibc's qsort
        // (a merge sort, stable) and then drops later duplicates.
        points.sort_by_key(|p| p.0);
        points.dedup_by_key(|p| p.0);

        let pickable = upstreams.iter().filter(|u| u.1 > 0).count();
        Ketama {
            hashes: points.iter().map(|p| p.0).collect(),
            owners: points.iter().map(|p| p.1).collect(),
            upstreams: upstreams.len(),
            pickable,
        }
    }

    /// The number of distinct points on the ring.
    pub fn points(&self) -> usize {
        self.hashes.len()
    }

    /// The index of the first point clockwise from `hash` (first point >= hash, wrapping).
    fn first_point(&self, hash: u32) -> usize {
        let i = self.hashes.partition_point(|&h| h < hash);
        if i == self.hashes.len() {
            0
        } else {
            i
        }
    }
}

/// Appends the points of one upstream, chaining each point's hash into the next.
fn push_points(points: &mut Vec<(u32, u32)>, name: &str, weight: u32, owner: u32) {
    let (host, port) = split_server(name);
    let mut base = Crc32::new();
    base.update(host.as_bytes());
    base.update(b"\0");
    base.update(port.as_bytes());

    let mut prev: u32 = 0;
    for _ in 0..u64::from(weight) * u64::from(POINTS_PER_WEIGHT) {
        let mut c = base;
        c.update(&prev.to_le_bytes());
        prev = c.finish();
        points.push((prev, owner));
    }
}

/// Splits an nginx `server` text into host and port the way nginx hashes it.
fn split_server(name: &str) -> (&str, &str) {
    if name.len() >= 5 && name[..5].eq_ignore_ascii_case("unix:") {
        return (&name[5..], "");
    }
    let digits = name.bytes().rev().take_while(u8::is_ascii_digit).count();
    let colon = name.len() - digits;
    if colon > 0 && name.as_bytes()[colon - 1] == b':' {
        return (&name[..colon - 1], &name[colon..]);
    }
    (name, "")
}

impl Ring for Ketama {
    /// The upstream owning the first point clockwise from crc32(key) for attempt 0; for
    /// attempt n, the n-th distinct upstream met walking on clockwise from that point (what
    /// nginx does when it retries). O(log P) for attempt 0; a fallback walks the ring, O(P)
    /// at worst.
    ///
    /// nginx itself falls back to round robin for an empty key and after 20 tries; this ring
    /// hashes the empty key like any other.
    fn pick(&self, key: &[u8], attempt: usize) -> Option<usize> {
        if attempt >= self.pickable {
            return None;
        }
        let start = self.first_point(crc32(key));
        if attempt == 0 {
            return Some(self.owners[start] as usize);
        }

        let n = self.owners.len();
        nth_distinct((0..n).map(|step| self.owners[(start + step) % n]), attempt)
    }

    fn len(&self) -> usize {
        self.upstreams
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::conformance;

    fn ring(upstreams: &[(&str, u32)]) -> Ketama {
        Ketama::new(upstreams)
    }

    #[test]
    fn removing_one_of_five_moves_only_its_keys() {
        conformance::removal_moves_only_the_removed_upstreams_keys(ring);
    }

    #[test]
    fn reordering_upstreams_moves_no_key() {
        conformance::reorder_moves_no_key(ring);
    }

    #[test]
    fn adding_a_sixth_moves_about_a_sixth_all_to_it() {
        conformance::addition_moves_a_sixth_to_the_new_upstream(ring, 0);
    }

    #[test]
    fn shares_stay_within_a_quarter_of_even() {
        conformance::shares_stay_within_a_quarter_of_even(ring);
    }

    #[test]
    fn splits_server_names_the_way_nginx_hashes_them() {
        assert_eq!(split_server("127.0.0.1:8081"), ("127.0.0.1", "8081"));
        assert_eq!(split_server("[::1]:80"), ("[::1]", "80"));
        assert_eq!(split_server("backend.test"), ("backend.test", ""));
        assert_eq!(split_server("backend.test:"), ("backend.test", ""));
        assert_eq!(split_server("8081"), ("8081", ""));
        assert_eq!(split_server("host:80x"), ("host:80x", ""));
        assert_eq!(split_server("UNIX:/run/u.sock"), ("/run/u.sock", ""));
    }

    #[test]
    fn each_unit_of_weight_adds_160_points_chained_from_the_previous_hash() {
        let ring = Ketama::new(&[("a:1", 1), ("b:2", 2)]);
        assert_eq!(ring.points(), 480);
        let first = crc32(b"a\x001\0\0\0\0");
        let second = crc32(&[b"a\x001".as_ref(), &first.to_le_bytes()].concat());
        assert!(ring.hashes.binary_search(&first).is_ok());
        assert!(ring.hashes.binary_search(&second).is_ok());
    }

    #[test]
    fn a_key_goes_to_the_first_point_at_or_after_its_hash_wrapping_at_the_top() {
        let ring = Ketama::new(&[("a:1", 1), ("b:2", 1), ("c:3", 1)]);
        let at = |hash: u32| ring.owners[ring.first_point(hash)];
        assert_eq!(ring.first_point(ring.hashes[5]), 5);
        assert_eq!(ring.first_point(ring.hashes[5] + 1), 6);
        assert_eq!(at(u32::MAX), ring.owners[0]);
        assert_eq!(at(0), ring.owners[0]);
    }

    #[test]
    fn fallbacks_visit_every_upstream_once_then_none() {
        let ring = Ketama::new(&[("a:1", 1), ("b:2", 3), ("c:3", 1), ("d:4", 2)]);
        for key in ["x", "y", "user-17"] {
            let mut seen: Vec<usize> = (0..4)
                .map(|n| ring.pick(key.as_bytes(), n).unwrap())
                .collect();
            assert_eq!(seen[0], ring.pick(key.as_bytes(), 0).unwrap());
            seen.sort_unstable();
            assert_eq!(seen, vec![0, 1, 2, 3], "key {}", key);
            assert_eq!(ring.pick(key.as_bytes(), 4), None);
        }
    }

    #[test]
    fn weight_zero_upstreams_are_never_picked() {
        let ring = Ketama::new(&[("a:1", 0), ("b:2", 1)]);
        assert_eq!(ring.len(), 2);
        for i in 0..200 {
            assert_eq!(ring.pick(format!("k{}", i).as_bytes(), 0), Some(1));
        }
        assert_eq!(ring.pick(b"k", 1), None);
    }

    #[test]
    fn an_empty_ring_picks_nothing() {
        let ring = Ketama::new(&[]);
        assert!(ring.is_empty());
        assert_eq!(ring.pick(b"k", 0), None);
    }

    #[test]
    fn shares_follow_weights() {
        let ring = Ketama::new(&[("10.0.0.1:80", 1), ("10.0.0.2:80", 3)]);
        let heavy = (0..4000)
            .filter(|i| ring.pick(format!("k{}", i).as_bytes(), 0) == Some(1))
            .count();
        assert!(
            (2700..=3300).contains(&heavy),
            "weight 3 of 4 got {} of 4000",
            heavy
        );
    }
}
