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
