//! Quotas as GCRA, the Generic Cell Rate Algorithm (ITU-T I.371; the "virtual scheduling"
//! form): a token bucket kept as one number per key, the theoretical arrival time (TAT) of
//! the next request.
//!
//! With emission interval T = period / rate and tolerance tau = T * (burst - 1), a request at
//! `now` passes iff `now >= max(tat, now) - tau`, and then moves the TAT to
//! `max(tat, now) + T`. An idle key therefore passes `burst` requests at once and then one
//! per T, with no window edges to game: 5 per minute is 5 per any 60 seconds plus what the
//! burst allows, never 10 across a minute boundary.

use std::collections::HashMap;

use crate::error::{Error, ErrorKind};

/// A quota: `rate` requests per `period`, of which `burst` may come at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Quota {
    /// T, microseconds between requests at the sustained rate: `period_us / rate`, rounded
    /// down (at most 1 us too generous per request).
    pub emission_interval_us: u64,
    /// tau, how far ahead of schedule a key may run: T * (burst - 1) microseconds.
    pub tolerance_us: u64,
}

impl Quota {
    /// A quota of `rate` requests per `period_us` microseconds with a burst of `burst`.
    ///
    /// Fails with [`ErrorKind::Quota`] when any of them is 0 or when `period_us / rate` is
    /// below 1 us. A burst of 1 allows no burst at all: requests must be T apart.
    pub fn new(rate: u32, period_us: u64, burst: u32) -> Result<Quota, Error> {
        if rate == 0 || period_us == 0 || burst == 0 {
            let context = format!(
                "rate {}, period_us {}, burst {}: each must be at least 1",
                rate, period_us, burst
            );
            return Err(Error::new(ErrorKind::Quota, context));
        }
        let t = period_us / u64::from(rate);
        if t == 0 {
            let context = format!(
                "rate {} per {} us: more than one request per microsecond",
                rate, period_us
            );
            return Err(Error::new(ErrorKind::Quota, context));
        }
        Ok(Quota {
            emission_interval_us: t,
            tolerance_us: t.saturating_mul(u64::from(burst - 1)),
        })
    }

    /// The burst this quota allows an idle key: tau / T + 1.
    pub fn burst(&self) -> u64 {
        self.tolerance_us / self.emission_interval_us + 1
    }
}

/// The answer to one request under a quota. A denial is a value that says when to retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decision {
    /// Whether the request may pass.
    pub allowed: bool,
    /// How many more requests would pass at this same instant, after this one (0 on denial).
    pub remaining: u32,
    /// Microseconds until a request for this key would pass: 0 when allowed, otherwise
    /// `tat - tau - now` (the `Retry-After`).
    pub retry_after_us: u64,
    /// Microseconds until the key's bucket is full again, i.e. until it is as good as new:
    /// `tat - now` with the TAT after this request.
    pub reset_after_us: u64,
}

/// One GCRA step for one key: the new TAT and the decision for a request at `now_us`.
///
/// Pure, so callers can keep TATs anywhere (a map, a `SharedArrayBuffer`, Redis). A TAT of
/// 0 is a fresh key; a denied request leaves the TAT unchanged. A clock that goes backwards
/// only makes the answer stricter.
///
/// `remaining` counts the k >= 1 with `new_tat + (k - 1) * T - now <= tau`, that is
/// `(tau - (new_tat - now)) / T + 1` rounded down, or 0 when `new_tat - now > tau`.
pub fn gcra_step(quota: &Quota, tat_us: u64, now_us: u64) -> (u64, Decision) {
    let t = quota.emission_interval_us;
    let tau = quota.tolerance_us;
    let tat = tat_us.max(now_us);
    let ahead = tat - now_us;

    if ahead > tau {
        let denial = Decision {
            allowed: false,
            remaining: 0,
            retry_after_us: ahead - tau,
            reset_after_us: ahead,
        };
        return (tat_us, denial);
    }

    let new_ahead = ahead.saturating_add(t);
    let remaining = if new_ahead > tau {
        0
    } else {
        (tau - new_ahead) / t + 1
    };
    let decision = Decision {
        allowed: true,
        remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
        retry_after_us: 0,
        reset_after_us: new_ahead,
    };
    (now_us.saturating_add(new_ahead), decision)
}

/// GCRA buckets for many keys under one quota, in one process-local map.
///
/// Memory stays bounded by the keys active within the last reset time: a key whose bucket
/// is full again (TAT <= now) is the same as an absent key, so such keys are evicted in
/// sweeps. A sweep runs when the map has doubled since the last one (at least 1024 keys), so
/// eviction costs O(1) amortised per check; [`KeyedLimiter::evict`] runs one on demand.
///
/// Not synchronised: the napi layer wraps it in a lock; other callers keep TATs themselves
/// with [`gcra_step`].
// TODO(security): on wasm32-unknown-unknown std's HashMap seeds are fixed, so crafted keys
// could collide; the WASM layer should keep its buckets in its own table (or seed one).
#[derive(Clone, Debug)]
pub struct KeyedLimiter {
    quota: Quota,
    tats: HashMap<Vec<u8>, u64>,
    sweep_at: usize,
}

/// A sweep never runs below this many keys.
const MIN_SWEEP: usize = 1024;

impl KeyedLimiter {
    /// An empty limiter for `quota`.
    pub fn new(quota: Quota) -> KeyedLimiter {
        KeyedLimiter {
            quota,
            tats: HashMap::new(),
            sweep_at: MIN_SWEEP,
        }
    }

    /// The quota this limiter enforces.
    pub fn quota(&self) -> &Quota {
        &self.quota
    }

    /// Checks one request for `key` at `now_us` and records it when allowed. O(1) expected;
    /// allocates only for a key not in the map.
    pub fn check(&mut self, key: &[u8], now_us: u64) -> Decision {
        if let Some(tat) = self.tats.get_mut(key) {
            let (new_tat, decision) = gcra_step(&self.quota, *tat, now_us);
            *tat = new_tat;
            return decision;
        }

        let (new_tat, decision) = gcra_step(&self.quota, 0, now_us);
        if self.tats.len() >= self.sweep_at {
            self.evict(now_us);
        }
        self.tats.insert(key.to_vec(), new_tat);
        decision
    }

    /// Drops every key whose bucket is full again at `now_us`, and returns how many.
    pub fn evict(&mut self, now_us: u64) -> usize {
        let before = self.tats.len();
        self.tats.retain(|_, tat| *tat > now_us);
        self.sweep_at = (self.tats.len() * 2).max(MIN_SWEEP);
        before - self.tats.len()
    }

    /// The number of keys held, full buckets not yet evicted included.
    pub fn len(&self) -> usize {
        self.tats.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.tats.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    fn five_per_minute() -> Quota {
        Quota::new(5, 60 * S, 5).unwrap()
    }

    #[test]
    fn quota_derives_interval_and_tolerance() {
        let q = five_per_minute();
        assert_eq!(q.emission_interval_us, 12 * S);
        assert_eq!(q.tolerance_us, 48 * S);
        assert_eq!(q.burst(), 5);
        assert_eq!(Quota::new(3, 1000, 1).unwrap().emission_interval_us, 333);
    }

    #[test]
    fn quota_rejects_zero_rate_period_burst_and_sub_microsecond_intervals() {
        for (rate, period, burst) in [(0, S, 1), (1, 0, 1), (1, S, 0), (2_000_000, S, 1)] {
            let err = Quota::new(rate, period, burst).unwrap_err();
            assert_eq!(
                err.code(),
                "JETWAY_QUOTA_INVALID",
                "{} {} {}",
                rate,
                period,
                burst
            );
        }
    }

    #[test]
    fn five_at_59_5_s_and_five_at_60_5_s_let_exactly_five_through() {
        let mut limiter = KeyedLimiter::new(five_per_minute());
        let first: Vec<Decision> = (0..5).map(|_| limiter.check(b"key", 59_500_000)).collect();
        let second: Vec<Decision> = (0..5).map(|_| limiter.check(b"key", 60_500_000)).collect();

        assert!(first.iter().all(|d| d.allowed));
        assert_eq!(
            first.iter().map(|d| d.remaining).collect::<Vec<_>>(),
            vec![4, 3, 2, 1, 0]
        );
        assert!(second.iter().all(|d| !d.allowed));
        // TAT is 59.5 + 5 * 12 = 119.5 s; the next request passes at TAT - 48 s = 71.5 s.
        assert_eq!(second[0].retry_after_us, 11 * S);
        assert_eq!(second[0].reset_after_us, 59 * S);
    }

    #[test]
    fn retry_after_is_exactly_when_the_next_request_passes() {
        let q = five_per_minute();
        let mut tat = 0;
        for _ in 0..5 {
            tat = gcra_step(&q, tat, 0).0;
        }
        let (_, denied) = gcra_step(&q, tat, 1);
        assert!(!denied.allowed);
        let at = 1 + denied.retry_after_us;
        assert!(!gcra_step(&q, tat, at - 1).1.allowed);
        assert!(gcra_step(&q, tat, at).1.allowed);
    }

    #[test]
    fn a_denial_leaves_the_tat_unchanged() {
        let q = Quota::new(1, S, 1).unwrap();
        let (tat, _) = gcra_step(&q, 0, 10);
        let (after, d) = gcra_step(&q, tat, 11);
        assert!(!d.allowed);
        assert_eq!(after, tat);
        assert_eq!(d.remaining, 0);
        assert_eq!(d.retry_after_us, S - 1);
    }

    #[test]
    fn a_fresh_key_reports_the_burst_minus_one_and_a_full_reset() {
        let (tat, d) = gcra_step(&five_per_minute(), 0, 0);
        assert_eq!(tat, 12 * S);
        let want = Decision {
            allowed: true,
            remaining: 4,
            retry_after_us: 0,
            reset_after_us: 12 * S,
        };
        assert_eq!(d, want);
    }

    #[test]
    fn remaining_counts_the_requests_that_would_pass_at_the_same_instant() {
        let q = Quota::new(10, 10 * S, 4).unwrap();
        for now in [0, 3 * S, 3 * S + 1, 7 * S] {
            let mut limiter = KeyedLimiter::new(q);
            limiter.check(b"k", 0);
            limiter.check(b"k", 0);
            let d = limiter.check(b"k", now);
            let mut passed = 0;
            while limiter.check(b"k", now).allowed {
                passed += 1;
            }
            assert_eq!(d.remaining, passed, "at {}", now);
        }
    }

    #[test]
    fn the_sustained_rate_is_one_per_interval_after_the_burst() {
        let q = Quota::new(2, 2 * S, 3).unwrap();
        let mut limiter = KeyedLimiter::new(q);
        let mut passed = 0;
        // 100 s at one request every 10 ms: burst 3, then one per second.
        for step in 0..10_000u64 {
            passed += u32::from(limiter.check(b"k", step * 10_000).allowed);
        }
        assert_eq!(passed, 3 + 99);
    }

    #[test]
    fn a_clock_going_backwards_only_makes_answers_stricter() {
        let q = Quota::new(1, S, 2).unwrap();
        let (tat, _) = gcra_step(&q, 0, 10 * S);
        let (_, late) = gcra_step(&q, tat, 10 * S);
        let (_, early) = gcra_step(&q, tat, 5 * S);
        assert!(late.allowed);
        assert!(!early.allowed);
    }

    #[test]
    fn keys_are_limited_independently() {
        let mut limiter = KeyedLimiter::new(Quota::new(1, S, 1).unwrap());
        assert!(limiter.check(b"a", 0).allowed);
        assert!(!limiter.check(b"a", 0).allowed);
        assert!(limiter.check(b"b", 0).allowed);
        assert_eq!(limiter.len(), 2);
    }

    #[test]
    fn evict_drops_only_keys_whose_bucket_is_full_again() {
        let mut limiter = KeyedLimiter::new(Quota::new(1, S, 1).unwrap());
        limiter.check(b"old", 0);
        limiter.check(b"new", S / 2);
        assert_eq!(limiter.evict(S), 1);
        assert_eq!(limiter.len(), 1);
        assert!(!limiter.check(b"new", S).allowed);
    }

    #[test]
    fn sweeps_keep_the_map_bounded_by_recently_active_keys() {
        let mut limiter = KeyedLimiter::new(Quota::new(1, S, 1).unwrap());
        for i in 0..100_000u64 {
            limiter.check(&i.to_le_bytes(), i * 1000);
        }
        // Keys stay for 1 s = 1000 checks; sweeps run at twice the live count (>= 1024).
        assert!(limiter.len() <= 2048, "{} keys held", limiter.len());
    }

    #[test]
    fn huge_times_saturate_instead_of_overflowing() {
        let q = Quota::new(1, u64::MAX / 2, 3).unwrap();
        let (tat, d) = gcra_step(&q, 0, u64::MAX - 5);
        assert!(d.allowed);
        assert_eq!(tat, u64::MAX);
    }
}
