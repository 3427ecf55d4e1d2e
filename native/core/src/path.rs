//! Path normalisation: one canonical form per resource, so that matching and forwarding see
//! the same path.
//!
//! Proxies have been bypassed when they matched one spelling of a path and the upstream
//! resolved another (`/public/../private`, `/public/%2e%2e/private`, Tomcat's `..;`). So the
//! router matches the output of [`normalize`], and the upstream receives that same output.

use std::borrow::Cow;

/// Switches for [`normalize`]. Each leniency is off by default; only `merge_slashes` is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NormalizeOptions {
    /// Accept `%2F` inside a segment and keep it encoded as `%2F` (false). When false, `%2F`
    /// is [`PathErrorKind::EncodedSlash`]. An upstream that decodes `%2F` before resolving
    /// dot segments may see `..%2F` as `../`; allow this only for upstreams that do not.
    pub allow_encoded_slash: bool,
    /// Accept `\` and `%5C` and keep them as they are, `%5c` upper-cased (false). When false
    /// both are [`PathErrorKind::Backslash`], because some upstreams treat `\` as `/`.
    pub allow_backslash: bool,
    /// Merge runs of `/` into one (true). When false, empty segments are kept and a `..`
    /// after `//` removes the empty segment, as RFC 3986 5.2.4 does.
    pub merge_slashes: bool,
}

impl Default for NormalizeOptions {
    fn default() -> NormalizeOptions {
        NormalizeOptions {
            allow_encoded_slash: false,
            allow_backslash: false,
            merge_slashes: true,
        }
    }
}

/// Why a path cannot be normalised safely. Each kind has a stable code and number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathErrorKind {
    /// The path is empty or does not start with `/`.
    NotAbsolute,
    /// A `%` is not followed by two hex digits (`%zz`, `%4`, a final `%`).
    BadPercent,
    /// `%2F` while [`NormalizeOptions::allow_encoded_slash`] is off.
    EncodedSlash,
    /// `\` or `%5C` while [`NormalizeOptions::allow_backslash`] is off.
    Backslash,
    /// A raw NUL byte or `%00`.
    Nul,
    /// A segment that is `.` or `..` followed by `;` (raw or `%3B`), such as `..;x`: Tomcat
    /// and Jetty strip the `;` part and climb, so it would bypass prefix rules.
    DotSemicolon,
    /// A `..` segment would climb above the root (RFC 3986 would silently drop it).
    AboveRoot,
    /// A raw control byte (0x01-0x1F, 0x7F), a space, or a raw non-ASCII byte.
    BadByte,
}

impl PathErrorKind {
    /// Every kind, in the order of [`PathErrorKind::as_u32`].
    pub const ALL: [PathErrorKind; 8] = [
        PathErrorKind::NotAbsolute,
        PathErrorKind::BadPercent,
        PathErrorKind::EncodedSlash,
        PathErrorKind::Backslash,
        PathErrorKind::Nul,
        PathErrorKind::DotSemicolon,
        PathErrorKind::AboveRoot,
        PathErrorKind::BadByte,
    ];

    /// The stable code of this kind, as in `PathErrorCode` of `ts/hotpath/types.ts`.
    pub fn code(self) -> &'static str {
        match self {
            PathErrorKind::NotAbsolute => "JETWAY_PATH_NOT_ABSOLUTE",
            PathErrorKind::BadPercent => "JETWAY_PATH_BAD_PERCENT",
            PathErrorKind::EncodedSlash => "JETWAY_PATH_ENCODED_SLASH",
            PathErrorKind::Backslash => "JETWAY_PATH_BACKSLASH",
            PathErrorKind::Nul => "JETWAY_PATH_NUL",
            PathErrorKind::DotSemicolon => "JETWAY_PATH_DOT_SEMICOLON",
            PathErrorKind::AboveRoot => "JETWAY_PATH_ABOVE_ROOT",
            PathErrorKind::BadByte => "JETWAY_PATH_BAD_BYTE",
        }
    }

    /// The stable number of this kind: 1 (NotAbsolute) to 8 (BadByte), in declaration order.
    pub fn as_u32(self) -> u32 {
        match self {
            PathErrorKind::NotAbsolute => 1,
            PathErrorKind::BadPercent => 2,
            PathErrorKind::EncodedSlash => 3,
            PathErrorKind::Backslash => 4,
            PathErrorKind::Nul => 5,
            PathErrorKind::DotSemicolon => 6,
            PathErrorKind::AboveRoot => 7,
            PathErrorKind::BadByte => 8,
        }
    }

    /// The kind whose [`PathErrorKind::as_u32`] is `n`, if any.
    pub fn from_u32(n: u32) -> Option<PathErrorKind> {
        PathErrorKind::ALL.iter().copied().find(|k| k.as_u32() == n)
    }
}

/// Normalises an absolute request path (without its query) to its canonical form.
///
/// Steps, in this order:
/// 1. Bytes, left to right; the first bad byte or escape decides the error: the path must
///    start with `/` (NotAbsolute); every `%` needs two hex digits (BadPercent); `%00` and NUL
///    are Nul; `%2F` is EncodedSlash and `\`/`%5C` are Backslash unless allowed; control
///    bytes, space and raw non-ASCII are BadByte. Escapes of unreserved characters
///    (ALPHA DIGIT `-` `.` `_` `~`) are decoded; all other escapes keep their encoding with
///    upper-case hex (`%3f` becomes `%3F`).
/// 2. Segments: any segment starting with `.;` or `..;` (or `%3B` for `;`) is DotSemicolon,
///    wherever it is.
/// 3. Dot segments are removed as in RFC 3986 5.2.4, with a decoded `%2e` counting as `.`;
///    a `..` with nothing left to remove is AboveRoot. Runs of `/` are merged when
///    `merge_slashes` is on. A trailing `/` is kept, and a final `.` or `..` leaves one
///    (`/a/b/..` becomes `/a/`).
///
/// Returns `Cow::Borrowed(input)` when the path is already canonical, so the common case does
/// not allocate. Runs in O(n) time for an n-byte path; the output is never longer than the
/// input. The output is idempotent: normalising it again returns it borrowed.
pub fn normalize<'a>(
    input: &'a str,
    opts: &NormalizeOptions,
) -> Result<Cow<'a, str>, PathErrorKind> {
    if !input.starts_with('/') {
        return Err(PathErrorKind::NotAbsolute);
    }
    let decoded = if scan_bytes(input.as_bytes(), opts)? {
        Cow::Owned(decode_unreserved(input.as_bytes()))
    } else {
        Cow::Borrowed(input)
    };
    if !needs_segment_rewrite(&decoded, opts)? {
        return Ok(decoded);
    }
    remove_dot_segments(&decoded, opts).map(Cow::Owned)
}

/// Percent-decodes every `%XX` of `text` (a template parameter, say); bytes that are not
/// UTF-8 become U+FFFD, as `TextDecoder` does in JavaScript. A `%` without two hex digits
/// after it is kept as it is. Borrowed when `text` has no `%`.
pub fn percent_decode(text: &str) -> Cow<'_, str> {
    if !text.contains('%') {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match escape_value(bytes, i) {
            Some(v) => {
                out.push(v);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    match String::from_utf8_lossy(&out) {
        Cow::Borrowed(s) => Cow::Owned(s.to_owned()),
        Cow::Owned(s) => Cow::Owned(s),
    }
}

/// Step 1 without writing: checks every byte, and says whether any escape must be rewritten
/// (decoded, or its hex upper-cased).
fn scan_bytes(bytes: &[u8], opts: &NormalizeOptions) -> Result<bool, PathErrorKind> {
    let mut rewrite = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            check_raw_byte(bytes[i], opts)?;
            i += 1;
            continue;
        }
        let v = escape_value(bytes, i).ok_or(PathErrorKind::BadPercent)?;
        check_escaped_byte(v, opts)?;
        rewrite |= is_unreserved(v) || bytes[i + 1] >= b'a' || bytes[i + 2] >= b'a';
        i += 3;
    }
    Ok(rewrite)
}

fn check_raw_byte(b: u8, opts: &NormalizeOptions) -> Result<(), PathErrorKind> {
    match b {
        0 => Err(PathErrorKind::Nul),
        b'\\' if !opts.allow_backslash => Err(PathErrorKind::Backslash),
        0x01..=0x20 | 0x7f..=0xff => Err(PathErrorKind::BadByte),
        _ => Ok(()),
    }
}

fn check_escaped_byte(v: u8, opts: &NormalizeOptions) -> Result<(), PathErrorKind> {
    match v {
        0 => Err(PathErrorKind::Nul),
        b'/' if !opts.allow_encoded_slash => Err(PathErrorKind::EncodedSlash),
        b'\\' if !opts.allow_backslash => Err(PathErrorKind::Backslash),
        _ => Ok(()),
    }
}

/// Step 1 with writing; the caller has checked every escape already.
fn decode_unreserved(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match escape_value(bytes, i) {
            Some(v) if is_unreserved(v) => out.push(v as char),
            Some(v) => {
                out.push('%');
                out.push(HEX[usize::from(v >> 4)] as char);
                out.push(HEX[usize::from(v & 0xf)] as char);
            }
            None => {
                out.push(bytes[i] as char);
                i += 1;
                continue;
            }
        }
        i += 3;
    }
    out
}

/// Step 2, and whether step 3 has anything to do.
fn needs_segment_rewrite(path: &str, opts: &NormalizeOptions) -> Result<bool, PathErrorKind> {
    let mut rewrite = opts.merge_slashes && path.contains("//");
    for segment in path[1..].split('/') {
        if is_dot_semicolon(segment) {
            return Err(PathErrorKind::DotSemicolon);
        }
        rewrite |= segment == "." || segment == "..";
    }
    Ok(rewrite)
}

// TODO(security): segments that some upstreams fold into `..` are kept: IIS drops trailing
// dots and spaces, so `...` or `..%20` climb there. Refuse them once such upstreams matter.
fn is_dot_semicolon(segment: &str) -> bool {
    let rest = segment
        .strip_prefix("..")
        .or_else(|| segment.strip_prefix('.'));
    match rest {
        Some(rest) => rest.starts_with(';') || rest.starts_with("%3B"),
        None => false,
    }
}

/// Step 3: RFC 3986 5.2.4 on a path already split at `/`. `out` always holds `/seg` pieces,
/// so removing the last segment is truncating at the last `/`.
fn remove_dot_segments(path: &str, opts: &NormalizeOptions) -> Result<String, PathErrorKind> {
    let mut out = String::with_capacity(path.len());
    let mut segments = path[1..].split('/').peekable();
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        match segment {
            "." => {}
            ".." => match out.rfind('/') {
                Some(at) => out.truncate(at),
                None => return Err(PathErrorKind::AboveRoot),
            },
            "" if opts.merge_slashes && !last => {}
            _ => {
                out.push('/');
                out.push_str(segment);
                continue;
            }
        }
        if last {
            out.push('/');
        }
    }
    Ok(out)
}

/// The byte of the escape `%XX` at `i`, or None when `bytes[i..]` is not one.
fn escape_value(bytes: &[u8], i: usize) -> Option<u8> {
    if bytes.get(i) != Some(&b'%') {
        return None;
    }
    let hi = hex_digit(*bytes.get(i + 1)?)?;
    let lo = hex_digit(*bytes.get(i + 2)?)?;
    Some(hi << 4 | lo)
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// RFC 3986 2.3: escapes of these must be decoded to get one canonical form.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(input: &str) -> Result<Cow<'_, str>, PathErrorKind> {
        normalize(input, &NormalizeOptions::default())
    }

    fn norm_with(
        input: &str,
        f: impl FnOnce(&mut NormalizeOptions),
    ) -> Result<String, PathErrorKind> {
        let mut opts = NormalizeOptions::default();
        f(&mut opts);
        normalize(input, &opts).map(Cow::into_owned)
    }

    #[test]
    fn defaults_reject_every_leniency_but_merge_slashes() {
        let opts = NormalizeOptions::default();
        assert!(!opts.allow_encoded_slash && !opts.allow_backslash && opts.merge_slashes);
    }

    #[test]
    fn a_canonical_path_comes_back_borrowed() {
        for path in [
            "/",
            "/a",
            "/a/b/",
            "/a;b=c/d",
            "/%3F",
            "/a/.b/..c/...",
            "/~user",
        ] {
            assert!(
                matches!(norm(path), Ok(Cow::Borrowed(p)) if p == path),
                "{}",
                path
            );
        }
    }

    #[test]
    fn resolves_every_dot_dot_spelling_of_the_c10_bypass_to_the_same_path() {
        for input in [
            "/public/../private/report",
            "/public/%2e%2e/private/report",
            "/public/%2E./private/report",
            "/public/.%2e/private/report",
            "/public/./../private/report",
            "/public/%2E%2E/private/report",
            "/public/x/../../private/./report",
        ] {
            assert_eq!(norm(input).as_deref(), Ok("/private/report"), "{}", input);
        }
    }

    #[test]
    fn rejects_dot_semicolon_segments_in_every_spelling() {
        for input in [
            "/public/..;/private/report",
            "/public/..;jsessionid=1/private/report",
            "/public/.;/private",
            "/public/%2e%2e;/private",
            "/public/.%2e;x/private",
            "/public/..%3b/private",
            "/public/..%3B/private",
            "/..;",
            "/a/..;",
        ] {
            assert_eq!(norm(input), Err(PathErrorKind::DotSemicolon), "{}", input);
        }
    }

    #[test]
    fn keeps_segments_that_only_look_like_dots() {
        for input in [
            "/a/...", "/a/..a", "/a/a..", "/a/x;..", "/a/;..", "/a/.../b", "/.a;",
        ] {
            assert_eq!(norm(input).as_deref(), Ok(input), "{}", input);
        }
    }

    #[test]
    fn climbing_above_the_root_is_an_error_not_a_silent_clamp() {
        for input in ["/..", "/../a", "/a/../..", "/a/../../b", "/%2e%2e", "/./.."] {
            assert_eq!(norm(input), Err(PathErrorKind::AboveRoot), "{}", input);
        }
    }

    #[test]
    fn removes_dot_segments_as_rfc_3986_section_5_2_4_does() {
        let cases = [
            ("/a/b/c/./../../g", "/a/g"),
            ("/a/./b", "/a/b"),
            ("/a/.", "/a/"),
            ("/a/..", "/"),
            ("/a/b/..", "/a/"),
            ("/.", "/"),
            ("/a/b/../c/", "/a/c/"),
            ("/a/./", "/a/"),
        ];
        for (input, want) in cases {
            assert_eq!(norm(input).as_deref(), Ok(want), "{}", input);
        }
    }

    #[test]
    fn decodes_unreserved_escapes_and_upper_cases_the_others() {
        let cases = [
            ("/%41%62%2D%2e%5f%7E", "/Ab-._~"),
            ("/a%3fb", "/a%3Fb"),
            ("/a%3Fb", "/a%3Fb"),
            ("/%e2%82%ac", "/%E2%82%AC"),
            ("/%20", "/%20"),
            ("/%25", "/%25"),
            ("/%2541", "/%2541"),
        ];
        for (input, want) in cases {
            assert_eq!(norm(input).as_deref(), Ok(want), "{}", input);
        }
    }

    #[test]
    fn rejects_malformed_percent_escapes() {
        for input in ["/%", "/a%", "/%4", "/%zz", "/%4g", "/%%41", "/%g1"] {
            assert_eq!(norm(input), Err(PathErrorKind::BadPercent), "{}", input);
        }
    }

    #[test]
    fn rejects_relative_and_empty_paths() {
        for input in ["", "a/b", "*", "%2Fa", "http://x/", " /a"] {
            assert_eq!(norm(input), Err(PathErrorKind::NotAbsolute), "{:?}", input);
        }
    }

    #[test]
    fn rejects_nul_raw_and_encoded() {
        assert_eq!(norm("/a\0b"), Err(PathErrorKind::Nul));
        assert_eq!(norm("/a%00b"), Err(PathErrorKind::Nul));
    }

    #[test]
    fn rejects_control_bytes_spaces_and_raw_non_ascii() {
        for input in [
            "/a b",
            "/a\tb",
            "/a\r\nb",
            "/\x01",
            "/\x7f",
            "/caf\u{e9}",
            "/\u{20ac}",
        ] {
            assert_eq!(norm(input), Err(PathErrorKind::BadByte), "{:?}", input);
        }
    }

    #[test]
    fn encoded_slash_is_rejected_by_default_and_kept_encoded_when_allowed() {
        assert_eq!(norm("/a%2Fb"), Err(PathErrorKind::EncodedSlash));
        assert_eq!(norm("/a%2fb"), Err(PathErrorKind::EncodedSlash));
        let allow = |o: &mut NormalizeOptions| o.allow_encoded_slash = true;
        assert_eq!(norm_with("/a%2fb", allow), Ok("/a%2Fb".to_string()));
        assert_eq!(norm_with("/a/..%2F/b", allow), Ok("/a/..%2F/b".to_string()));
    }

    #[test]
    fn backslash_is_rejected_by_default_and_kept_when_allowed() {
        assert_eq!(norm("/a\\b"), Err(PathErrorKind::Backslash));
        assert_eq!(norm("/a%5cb"), Err(PathErrorKind::Backslash));
        assert_eq!(norm("/..\\x"), Err(PathErrorKind::Backslash));
        let allow = |o: &mut NormalizeOptions| o.allow_backslash = true;
        assert_eq!(norm_with("/a\\b", allow), Ok("/a\\b".to_string()));
        assert_eq!(norm_with("/a%5cb", allow), Ok("/a%5Cb".to_string()));
    }

    #[test]
    fn merges_slashes_by_default_and_keeps_them_when_told() {
        assert_eq!(norm("//a///b//").as_deref(), Ok("/a/b/"));
        assert_eq!(norm("//").as_deref(), Ok("/"));
        let keep = |o: &mut NormalizeOptions| o.merge_slashes = false;
        assert_eq!(norm_with("//a///b//", keep), Ok("//a///b//".to_string()));
        assert_eq!(norm_with("/a//../b", keep), Ok("/a/b".to_string()));
        assert_eq!(norm("/a//../b").as_deref(), Ok("/b"));
    }

    #[test]
    fn the_first_bad_byte_wins_then_dot_semicolon_then_above_root() {
        assert_eq!(norm("/..;/%zz"), Err(PathErrorKind::BadPercent));
        assert_eq!(norm("/%zz/\\"), Err(PathErrorKind::BadPercent));
        assert_eq!(norm("/\\/%zz"), Err(PathErrorKind::Backslash));
        assert_eq!(norm("/../..;"), Err(PathErrorKind::DotSemicolon));
        assert_eq!(norm("/a%2F/\0"), Err(PathErrorKind::EncodedSlash));
    }

    #[test]
    fn normalising_twice_changes_nothing() {
        for input in [
            "/a/./b/../c//d/",
            "/%7e%2e%2E/x",
            "/a/%2e/b",
            "/x/y/..",
            "/%3a",
        ] {
            let once = norm(input).unwrap().into_owned();
            assert!(
                matches!(norm(&once), Ok(Cow::Borrowed(_))),
                "{} -> {}",
                input,
                once
            );
        }
    }

    #[test]
    fn error_codes_and_numbers_are_stable() {
        let codes: Vec<&str> = PathErrorKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes[0], "JETWAY_PATH_NOT_ABSOLUTE");
        assert_eq!(codes[7], "JETWAY_PATH_BAD_BYTE");
        for (i, kind) in PathErrorKind::ALL.iter().enumerate() {
            assert_eq!(kind.as_u32(), i as u32 + 1);
            assert_eq!(PathErrorKind::from_u32(kind.as_u32()), Some(*kind));
        }
        assert_eq!(PathErrorKind::from_u32(0), None);
        assert_eq!(PathErrorKind::from_u32(9), None);
    }

    #[test]
    fn percent_decode_decodes_everything_and_replaces_invalid_utf8() {
        assert!(matches!(percent_decode("plain"), Cow::Borrowed("plain")));
        assert_eq!(percent_decode("a%20b%2Fc"), "a b/c");
        assert_eq!(percent_decode("%E2%82%AC"), "\u{20ac}");
        assert_eq!(percent_decode("%FF%41"), "\u{fffd}A");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
