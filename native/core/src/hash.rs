//! The hash functions the rings use, stated exactly so that other implementations (the
//! TypeScript reference, nginx for ketama) give the same answers.

/// The CRC-32 lookup table (IEEE 802.3, reflected polynomial 0xEDB88320), built at compile
/// time.
const CRC32_TABLE: [u32; 256] = crc32_table();

const fn crc32_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

/// A running CRC-32 (IEEE), as zlib's `crc32()` and nginx's `ngx_crc32_*` compute it.
///
/// `Crc32::new()` then `update` over several slices then `finish` equals the CRC-32 of the
/// slices concatenated. The empty input hashes to 0.
#[derive(Clone, Copy, Debug)]
pub struct Crc32(u32);

impl Crc32 {
    /// A CRC over no bytes yet.
    pub fn new() -> Crc32 {
        Crc32(0xFFFF_FFFF)
    }

    /// Feeds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        let mut c = self.0;
        for &b in bytes {
            c = CRC32_TABLE[usize::from((c as u8) ^ b)] ^ (c >> 8);
        }
        self.0 = c;
    }

    /// The CRC of everything fed so far.
    pub fn finish(self) -> u32 {
        self.0 ^ 0xFFFF_FFFF
    }
}

impl Default for Crc32 {
    fn default() -> Crc32 {
        Crc32::new()
    }
}

/// The CRC-32 (IEEE) of `bytes`; `crc32(b"123456789") == 0xCBF43926`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = Crc32::new();
    c.update(bytes);
    c.finish()
}

/// MurmurHash3's 64-bit finaliser `fmix64`: a bijection that spreads every input bit over
/// the whole output, so that `x % m` is well distributed even for similar inputs.
pub fn fmix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// Jetway's 64-bit key hash: FNV-1a 64 of `bytes`, then [`fmix64`].
///
/// FNV-1a alone leaves similar keys (`k1`, `k2`) close together in the low bits; the
/// finaliser fixes that. Not keyed: do not use it where an attacker could flood one bucket
/// and that would matter more than one upstream getting their keys.
pub fn hash64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    fmix64(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_gives_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn crc32_in_pieces_equals_crc32_of_the_whole() {
        let mut c = Crc32::new();
        c.update(b"1234");
        c.update(b"");
        c.update(b"56789");
        assert_eq!(c.finish(), crc32(b"123456789"));
    }

    #[test]
    fn hash64_is_fnv1a_then_fmix64() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c.
        assert_eq!(hash64(b"a"), fmix64(0xaf63_dc4c_8601_ec8c));
        assert_eq!(fmix64(0), 0);
        assert_ne!(hash64(b"k1") % 65537, hash64(b"k2") % 65537);
    }
}
