// The TCP peer's address as text, once per request. uWS asks the kernel for it on every call
// (getpeername) and hands it over in a new ArrayBuffer; its text form costs a second buffer and
// a string conversion. The binary form is read instead and turned into text here, IPv4 from a
// cache, in the same notation uWS uses for its text.
import type { HttpResponse } from 'uWebSockets.js';

/** Texts of IPv4 addresses seen lately, by their 32-bit value. */
const V4 = new Map<number, string>();
/** Bound on V4: past it the cache starts again, so many clients cannot grow it. */
const V4_MAX = 4096;
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** The client connection's address: `a.b.c.d`, or eight groups of four hex digits for IPv6. */
export function peerAddress(res: HttpResponse): string {
  const b = new Uint8Array(res.getRemoteAddress());
  if (b.length === 4) return v4(b);
  if (b.length === 16) return v6(b);
  return Buffer.from(res.getRemoteAddressAsText()).toString('latin1');
}

function v4(b: Uint8Array): string {
  const key = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  let text = V4.get(key);
  if (text === undefined) {
    text = `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
    if (V4.size >= V4_MAX) V4.clear();
    V4.set(key, text);
  }
  return text;
}

/** uWS's notation: no group left out and none shortened (`0000:...:0001`). */
function v6(b: Uint8Array): string {
  let text = HEX[b[0]] + HEX[b[1]];
  for (let i = 2; i < 16; i += 2) text += `:${HEX[b[i]]}${HEX[b[i + 1]]}`;
  return text;
}
