//! Addresses: CIDR sets, and the client address behind a chain of trusted proxies.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::{Error, ErrorKind};

/// A set of IPv4 and IPv6 ranges, for IP allow/deny rules and trusted proxies.
///
/// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) count as IPv4, in ranges and in lookups,
/// because dual-stack sockets report IPv4 peers that way. IPv6 ranges never match IPv4
/// addresses. Lookup is a linear scan, O(ranges) per address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CidrSet {
    /// (network, mask) pairs; the network has no host bits.
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl CidrSet {
    /// Parses ranges written `address/prefix` or a bare address (a /32 or /128).
    ///
    /// Strict, since a typo here can make an untrusted client trusted: no spaces, no leading
    /// zeros in the prefix or an IPv4 octet, no zone (`%eth0`), and no host bits (`10.1.0.0/8`
    /// is an error, not `10.0.0.0/8`). A mapped range with prefix >= 96
    /// (`::ffff:10.0.0.0/104`) becomes its IPv4 range. An empty list gives an empty set.
    /// Fails with [`ErrorKind::Cidr`] naming the first bad range.
    pub fn parse(ranges: &[&str]) -> Result<CidrSet, Error> {
        let mut set = CidrSet::default();
        for (i, range) in ranges.iter().enumerate() {
            parse_range(&mut set, range).map_err(|why| {
                let context = format!("ranges[{}]: {:?}: {}", i, range, why);
                Error::new(ErrorKind::Cidr, context)
            })?;
        }
        Ok(set)
    }

    /// Whether the address `ip` (IPv4 or IPv6 text, without brackets or port) lies in any
    /// range. Text that is not an address is in no range.
    pub fn contains(&self, ip: &str) -> bool {
        match ip.parse::<IpAddr>() {
            Ok(addr) => self.contains_addr(addr),
            Err(_) => false,
        }
    }

    /// Whether `addr` lies in any range.
    pub fn contains_addr(&self, addr: IpAddr) -> bool {
        match canonical(addr) {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                self.v4.iter().any(|&(net, mask)| a & mask == net)
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                self.v6.iter().any(|&(net, mask)| a & mask == net)
            }
        }
    }

    /// Whether the set has no range.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }
}

fn parse_range(set: &mut CidrSet, range: &str) -> Result<(), &'static str> {
    let (addr, prefix) = match range.split_once('/') {
        Some((addr, prefix)) => (addr, Some(parse_prefix(prefix)?)),
        None => (range, None),
    };
    let addr: IpAddr = addr.parse().map_err(|_| "not an IPv4 or IPv6 address")?;
    match (addr, prefix) {
        (IpAddr::V4(a), p) => push_v4(set, a, p.unwrap_or(32)),
        (IpAddr::V6(a), p) => {
            let p = p.unwrap_or(128);
            match mapped_v4(a) {
                Some(v4) if p >= 96 => push_v4(set, v4, p - 96),
                _ => push_v6(set, a, p),
            }
        }
    }
}

/// A prefix length: `0` or digits without a leading zero.
fn parse_prefix(text: &str) -> Result<u32, &'static str> {
    let digits = !text.is_empty() && text.len() <= 3 && text.bytes().all(|b| b.is_ascii_digit());
    if !digits || (text.len() > 1 && text.starts_with('0')) {
        return Err("prefix length is not a decimal number");
    }
    text.parse()
        .map_err(|_| "prefix length is not a decimal number")
}

fn push_v4(set: &mut CidrSet, addr: Ipv4Addr, prefix: u32) -> Result<(), &'static str> {
    if prefix > 32 {
        return Err("IPv4 prefix length above 32");
    }
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    let net = u32::from(addr);
    if net & !mask != 0 {
        return Err("address has bits set beyond the prefix");
    }
    set.v4.push((net, mask));
    Ok(())
}

fn push_v6(set: &mut CidrSet, addr: Ipv6Addr, prefix: u32) -> Result<(), &'static str> {
    if prefix > 128 {
        return Err("IPv6 prefix length above 128");
    }
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    let net = u128::from(addr);
    if net & !mask != 0 {
        return Err("address has bits set beyond the prefix");
    }
    set.v6.push((net, mask));
    Ok(())
}

/// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), if it is one.
fn mapped_v4(addr: Ipv6Addr) -> Option<Ipv4Addr> {
    match addr.segments() {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] => {
            Some(Ipv4Addr::from(u32::from(hi) << 16 | u32::from(lo)))
        }
        _ => None,
    }
}

fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(a) => mapped_v4(a).map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

/// The address of the downstream client, given the TCP peer and the forwarding headers.
///
/// - The peer, when it is not in `trusted`: headers from an untrusted peer are the client's
///   own words and prove nothing.
/// - Otherwise the chain of `xff` (every `X-Forwarded-For` line, joined with `,`) is walked
///   from the right, skipping trusted addresses; the first untrusted one is the client (each
///   proxy appends the peer it saw, so that entry was written by a proxy we trust). When all
///   are trusted, the left-most entry.
/// - `forwarded` (every RFC 7239 `Forwarded` line, joined with `,`) is walked the same way, by
///   the `for=` of each element, only when `xff` is blank.
///
/// Entries are trimmed of spaces and tabs; empty list elements are skipped (RFC 9110 5.6.1).
/// An entry may carry a port (`192.0.2.1:8080`, `[2001:db8::1]:8080`) or brackets; the
/// answer is the bare address as written there. The walk ends at the first entry that is not
/// an address, returning the last address it accepted (or the peer): that covers `unknown`,
/// obfuscated `_names`, a `for=` value with a `\` escape, an element without `for=`, and any
/// syntax error in `Forwarded` (nothing after it is trusted). Runs in O(header length);
/// allocates only for `Forwarded`. The answer always borrows from the arguments.
pub fn client_address<'a>(
    peer: &'a str,
    xff: &'a str,
    forwarded: &'a str,
    trusted: &CidrSet,
) -> Cow<'a, str> {
    if !trusted.contains(peer) {
        return Cow::Borrowed(peer);
    }
    if !trim_ows(xff).is_empty() {
        let entries = xff.rsplit(',').map(trim_ows).filter(|e| !e.is_empty());
        return Cow::Borrowed(walk(peer, entries.map(parse_node), trusted));
    }
    let entries = forwarded_for(forwarded);
    Cow::Borrowed(walk(peer, entries.into_iter().rev(), trusted))
}

/// Walks entries right to left; None is an entry that ends the walk.
fn walk<'a, I>(peer: &'a str, entries: I, trusted: &CidrSet) -> &'a str
where
    I: Iterator<Item = Option<(&'a str, IpAddr)>>,
{
    let mut last = peer;
    for entry in entries {
        match entry {
            Some((text, addr)) if trusted.contains_addr(addr) => last = text,
            Some((text, _)) => return text,
            None => return last,
        }
    }
    last
}

fn trim_ows(text: &str) -> &str {
    text.trim_matches(|c| c == ' ' || c == '\t')
}

/// One node of a chain: `a.b.c.d`, `a.b.c.d:port`, bare IPv6, `[v6]` or `[v6]:port`.
/// Returns the address text without brackets and port, and the address.
fn parse_node(text: &str) -> Option<(&str, IpAddr)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        if !after.is_empty() && !is_port(after.strip_prefix(':')?) {
            return None;
        }
        let addr: Ipv6Addr = inner.parse().ok()?;
        return Some((inner, IpAddr::V6(addr)));
    }
    if let Ok(addr) = text.parse::<IpAddr>() {
        return Some((text, addr));
    }
    let (host, port) = text.split_once(':')?;
    let addr: Ipv4Addr = host.parse().ok()?;
    if is_port(port) {
        Some((host, IpAddr::V4(addr)))
    } else {
        None
    }
}

/// 1 to 5 decimal digits; the value is not checked against 65535, only its form.
fn is_port(text: &str) -> bool {
    !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The `for=` node of each element of a `Forwarded` header, left to right, each parsed with
/// [`parse_node`]; a None ends the list (the walk stops there).
fn forwarded_for(header: &str) -> Vec<Option<(&str, IpAddr)>> {
    let mut cursor = Cursor {
        text: header,
        at: 0,
    };
    let mut nodes = Vec::new();
    loop {
        cursor.skip_ows();
        if cursor.eat(b',') {
            continue;
        }
        if cursor.done() {
            return nodes;
        }
        match cursor.element() {
            Some(value) => nodes.push(for_node(value)),
            None => {
                nodes.push(None);
                return nodes;
            }
        }
        cursor.skip_ows();
        if !cursor.done() && !cursor.eat(b',') {
            nodes.push(None);
            return nodes;
        }
    }
}

/// The node of one `for=` value; None for none, `unknown`, `_obfuscated`, or an escape.
fn for_node(value: Option<&str>) -> Option<(&str, IpAddr)> {
    let value = value?;
    if value.eq_ignore_ascii_case("unknown") || value.starts_with('_') || value.contains('\\') {
        return None;
    }
    parse_node(value)
}

/// A left-to-right reader of RFC 7239 syntax.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn done(&self) -> bool {
        self.at >= self.text.len()
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.at += usize::from(hit);
        hit
    }

    fn skip_ows(&mut self) {
        while self.peek() == Some(b' ') || self.peek() == Some(b'\t') {
            self.at += 1;
        }
    }

    /// One element, `pair *( ";" [pair] )`, up to a `,` or the end. Returns the raw value of
    /// its only `for` pair (`Some(None)` when it has none), or None on a syntax error or a
    /// second `for`. Spaces around `;` are accepted although RFC 7239 has none there.
    fn element(&mut self) -> Option<Option<&'a str>> {
        let mut found: Option<&'a str> = None;
        loop {
            self.skip_ows();
            if self.done() || self.peek() == Some(b',') {
                return Some(found);
            }
            if !self.eat(b';') {
                let (name, value) = self.pair()?;
                if name.eq_ignore_ascii_case("for") {
                    if found.is_some() {
                        return None;
                    }
                    found = Some(value);
                }
                self.skip_ows();
                if !self.done() && self.peek() != Some(b',') && !self.eat(b';') {
                    return None;
                }
            }
        }
    }

    /// `token "=" ( token / quoted-string )`; the value without its quotes, escapes kept.
    fn pair(&mut self) -> Option<(&'a str, &'a str)> {
        let name = self.token()?;
        if !self.eat(b'=') {
            return None;
        }
        let value = if self.peek() == Some(b'"') {
            self.quoted()?
        } else {
            self.token()?
        };
        Some((name, value))
    }

    fn token(&mut self) -> Option<&'a str> {
        let start = self.at;
        while self.peek().map_or(false, is_tchar) {
            self.at += 1;
        }
        if self.at == start {
            None
        } else {
            Some(&self.text[start..self.at])
        }
    }

    /// A quoted-string (RFC 9110 5.6.4) starting at the opening quote.
    fn quoted(&mut self) -> Option<&'a str> {
        self.at += 1;
        let start = self.at;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => {
                    self.at += 1;
                    let escaped = self.peek()?;
                    if !is_qtext(escaped) && escaped != b'"' && escaped != b'\\' {
                        return None;
                    }
                }
                b if !is_qtext(b) => return None,
                _ => {}
            }
            self.at += 1;
        }
        let value = &self.text[start..self.at];
        self.at += 1;
        Some(value)
    }
}

/// RFC 9110 5.6.2 tchar.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 9110 5.6.4 qdtext, less obs-text: raw non-ASCII ends the walk like any bad syntax.
fn is_qtext(b: u8) -> bool {
    b == b'\t' || b == b' ' || b == 0x21 || (0x23..=0x7e).contains(&b) && b != b'\\'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ranges: &[&str]) -> CidrSet {
        CidrSet::parse(ranges).unwrap()
    }

    #[test]
    fn contains_addresses_in_v4_and_v6_ranges() {
        let s = set(&["10.0.0.0/8", "192.0.2.10", "2001:db8::/32", "::1/128"]);
        for ip in [
            "10.0.0.0",
            "10.255.255.255",
            "192.0.2.10",
            "2001:db8:ffff::1",
            "::1",
        ] {
            assert!(s.contains(ip), "{}", ip);
        }
        for ip in [
            "11.0.0.0",
            "192.0.2.11",
            "2001:db9::",
            "::2",
            "",
            "nonsense",
            "[::1]",
        ] {
            assert!(!s.contains(ip), "{}", ip);
        }
    }

    #[test]
    fn mapped_ipv6_counts_as_ipv4_in_lookups_and_ranges() {
        let s = set(&["10.0.0.0/8", "::ffff:192.0.2.0/120"]);
        assert!(s.contains("::ffff:10.1.2.3"));
        assert!(s.contains("::ffff:a01:203"));
        assert!(s.contains("192.0.2.77"));
        assert!(!s.contains("::a01:203"));
        assert!(!set(&["::/0"]).contains("10.0.0.1"));
        assert!(!set(&["::/0"]).contains("::ffff:10.0.0.1"));
        assert!(set(&["0.0.0.0/0"]).contains("::ffff:10.0.0.1"));
    }

    #[test]
    fn zero_prefixes_match_everything_of_their_family() {
        assert!(set(&["0.0.0.0/0"]).contains("255.255.255.255"));
        assert!(set(&["::/0"]).contains("ffff::1"));
        assert!(!set(&[]).contains("127.0.0.1"));
    }

    #[test]
    fn parse_rejects_sloppy_ranges_naming_the_first_bad_one() {
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.1.0.0/8",
            "2001:db8::1/32",
            "10.0.0.0/",
            "10.0.0.0/08",
            "10.0.0.0/+8",
            " 10.0.0.0/8",
            "010.0.0.0/8",
            "10.0.0/8",
            "fe80::1%eth0",
            "[::1]",
            "example.test",
            "",
        ] {
            let err = CidrSet::parse(&["127.0.0.1", bad]).unwrap_err();
            assert_eq!(err.code(), "JETWAY_CIDR_INVALID", "{:?}", bad);
            assert!(err.context.starts_with("ranges[1]"), "{}", err);
        }
    }

    fn client<'a>(peer: &'a str, xff: &'a str, fwd: &'a str, trusted: &[&str]) -> Cow<'a, str> {
        client_address(peer, xff, fwd, &set(trusted))
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_its_headers_say() {
        let fwd = "for=127.0.0.1;proto=https";
        assert_eq!(
            client("203.0.113.50", "127.0.0.1, 10.0.0.5", fwd, &[]),
            "203.0.113.50"
        );
        let trusted = ["192.0.2.10"];
        assert_eq!(
            client("203.0.113.50", "127.0.0.1", fwd, &trusted),
            "203.0.113.50"
        );
    }

    #[test]
    fn behind_a_trusted_lb_the_client_is_the_right_most_untrusted_entry() {
        // C08 case B: the LB at 192.0.2.10 appended 198.51.100.9; 203.0.113.7 is the
        // client's own claim and must not be believed.
        let xff = "203.0.113.7, 198.51.100.9";
        assert_eq!(
            client("192.0.2.10", xff, "", &["192.0.2.10"]),
            "198.51.100.9"
        );
    }

    #[test]
    fn skips_every_trusted_hop_and_takes_the_left_most_when_all_are_trusted() {
        let trusted = ["10.0.0.0/8"];
        assert_eq!(
            client(
                "10.0.0.1",
                "1.1.1.1, 2.2.2.2, 10.0.0.3, 10.0.0.2",
                "",
                &trusted
            ),
            "2.2.2.2"
        );
        assert_eq!(
            client("10.0.0.1", "10.0.0.9,10.0.0.3", "", &trusted),
            "10.0.0.9"
        );
    }

    #[test]
    fn joined_header_lines_are_one_chain_and_empty_elements_are_skipped() {
        let trusted = ["10.0.0.0/8"];
        assert_eq!(
            client("10.0.0.1", "1.1.1.1,,\t, 10.0.0.2 ,", "", &trusted),
            "1.1.1.1"
        );
    }

    #[test]
    fn a_malformed_entry_ends_the_walk_at_the_last_good_address() {
        let trusted = ["10.0.0.0/8"];
        assert_eq!(
            client("10.0.0.1", "1.1.1.1, garbage, 10.0.0.2", "", &trusted),
            "10.0.0.2"
        );
        assert_eq!(
            client("10.0.0.1", "1.1.1.1, unknown", "", &trusted),
            "10.0.0.1"
        );
        assert_eq!(
            client("10.0.0.1", "1.1.1.1, 10.0.0.2:99999x", "", &trusted),
            "10.0.0.1"
        );
    }

    #[test]
    fn strips_ports_and_brackets_from_entries() {
        let trusted = ["10.0.0.0/8", "2001:db8::/32"];
        assert_eq!(
            client("10.0.0.1", "198.51.100.1:4711", "", &trusted),
            "198.51.100.1"
        );
        assert_eq!(
            client("10.0.0.1", "[2001:db9::7]:443", "", &trusted),
            "2001:db9::7"
        );
        assert_eq!(
            client("10.0.0.1", "[2001:db9::7]", "", &trusted),
            "2001:db9::7"
        );
        assert_eq!(
            client("10.0.0.1", "2001:db9::7, [2001:db8::1]:1", "", &trusted),
            "2001:db9::7"
        );
    }

    #[test]
    fn a_mapped_peer_is_trusted_by_its_ipv4_range() {
        let got = client("::ffff:192.0.2.10", "198.51.100.9", "", &["192.0.2.10"]);
        assert_eq!(got, "198.51.100.9");
    }

    #[test]
    fn forwarded_is_used_only_when_x_forwarded_for_is_blank() {
        let trusted = ["10.0.0.0/8"];
        let fwd = "for=198.51.100.1";
        assert_eq!(
            client("10.0.0.1", "203.0.113.1", fwd, &trusted),
            "203.0.113.1"
        );
        assert_eq!(client("10.0.0.1", " ", fwd, &trusted), "198.51.100.1");
        assert_eq!(client("10.0.0.1", "", "", &trusted), "10.0.0.1");
    }

    #[test]
    fn forwarded_chains_are_walked_by_their_for_parameters() {
        let trusted = ["10.0.0.0/8", "2001:db8::/32"];
        let cases = [
            (
                "for=192.0.2.43, for=198.51.100.17;by=10.0.0.2",
                "198.51.100.17",
            ),
            ("for=192.0.2.43,for=10.0.0.7", "192.0.2.43"),
            (
                "For=\"[2001:db9:cafe::17]:4711\";proto=https",
                "2001:db9:cafe::17",
            ),
            (
                "for=\"192.0.2.60:8080\";proto=http;by=203.0.113.43",
                "192.0.2.60",
            ),
            (
                "proto=https;for=192.0.2.1 ; by=\"a,b;c\", for=10.0.0.3",
                "192.0.2.1",
            ),
            ("for=192.0.2.1, , for=10.0.0.3,", "192.0.2.1"),
            (";for=192.0.2.1;", "192.0.2.1"),
        ];
        for (fwd, want) in cases {
            assert_eq!(client("10.0.0.1", "", fwd, &trusted), want, "{}", fwd);
        }
    }

    #[test]
    fn forwarded_walks_stop_at_unknown_obfuscated_missing_or_broken_nodes() {
        let trusted = ["10.0.0.0/8"];
        let cases = [
            ("for=192.0.2.1, for=unknown, for=10.0.0.3", "10.0.0.3"),
            ("for=192.0.2.1, for=_hidden, for=10.0.0.3", "10.0.0.3"),
            ("for=192.0.2.1, proto=https, for=10.0.0.3", "10.0.0.3"),
            ("for=192.0.2.1, for=10.0.0.3;for=10.0.0.4", "10.0.0.1"),
            ("for=192.0.2.1, for=\"10.0.0.3", "10.0.0.1"),
            ("for=192.0.2.1, for=10.0.0.3:80", "10.0.0.1"),
            ("for=\"\\10.0.0.3\"", "10.0.0.1"),
            ("for=192.0.2.1 for=10.0.0.3", "10.0.0.1"),
            ("for=192.0.2.1, for=[::1]", "10.0.0.1"),
            ("for=192.0.2.1, for=\"caf\u{e9}\"", "10.0.0.1"),
        ];
        for (fwd, want) in cases {
            assert_eq!(client("10.0.0.1", "", fwd, &trusted), want, "{}", fwd);
        }
    }

    #[test]
    fn the_answer_borrows_from_the_arguments() {
        let trusted = set(&["10.0.0.0/8"]);
        let got = client_address("10.0.0.1", "198.51.100.9", "", &trusted);
        assert!(matches!(got, Cow::Borrowed(_)));
    }
}
