// Parses IP address text into bytes without allocating: ip_hash runs this on every request.

/**
 * Writes the address in `text` into `out` and returns how many bytes it has: 4 for IPv4
 * (`out[0..3]`), 16 for IPv6, 0 when `text` is not an address. An IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`) is returned as its IPv4 form, so one client gets the same answer
 * whether a listener reports it as IPv4 or as mapped IPv6. A zone (`fe80::1%eth0`) is ignored.
 */
export function parseIp(text: string, out: Uint8Array): 0 | 4 | 16 {
  if (parseIpv4(text, 0, text.length, out, 0)) return 4;
  if (!parseIpv6(text, out)) return 0;
  if (!isV4Mapped(out)) return 16;
  out.copyWithin(0, 12, 16);
  return 4;
}

/** Parses dotted-quad text in [start, end) into out[at..at+3]. */
function parseIpv4(s: string, start: number, end: number, out: Uint8Array, at: number): boolean {
  let part = 0;
  let i = start;
  while (part < 4) {
    let value = 0;
    let digits = 0;
    for (; i < end && digits < 4; i++, digits++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      value = value * 10 + c;
    }
    if (digits === 0 || digits > 3 || value > 255) return false;
    out[at + part++] = value;
    if (part < 4 && s.charCodeAt(i++) !== 46 /* . */) return false;
  }
  return i === end;
}

/**
 * Parses IPv6 text (RFC 4291 section 2.2: `::` once, a dotted IPv4 tail) into out[0..15].
 * Groups are written in order; the ones after `::` are moved to the end at the finish.
 * A protocol parser that runs long: one pass over the text with three states in locals.
 */
function parseIpv6(s: string, out: Uint8Array): boolean {
  const zone = s.indexOf('%');
  const end = zone === -1 ? s.length : zone;
  let groups = 0;
  let gap = -1;
  let i = 0;
  if (end >= 2 && s.charCodeAt(0) === 58 && s.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
  }
  while (i < end) {
    const start = i;
    let value = 0;
    for (; i < end && i - start < 5; i++) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      value = value * 16 + h;
    }
    if (i < end && s.charCodeAt(i) === 46 /* . */) {
      if (groups > 6 || !parseIpv4(s, start, end, out, groups * 2)) return false;
      groups += 2;
      break;
    }
    if (i === start || i - start > 4 || groups === 8) return false;
    out[groups * 2] = value >> 8;
    out[groups * 2 + 1] = value & 0xff;
    groups++;
    if (i === end) break;
    if (s.charCodeAt(i++) !== 58 /* : */ || i === end) return false;
    if (s.charCodeAt(i) !== 58) continue;
    if (gap !== -1) return false;
    gap = groups;
    i++;
  }

  if (gap === -1) return groups === 8;
  if (groups > 7) return false;
  const tail = groups - gap;
  out.copyWithin(16 - tail * 2, gap * 2, groups * 2);
  out.fill(0, gap * 2, 16 - tail * 2);
  return true;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let k = 0; k < 10; k++) if (b[k] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}
