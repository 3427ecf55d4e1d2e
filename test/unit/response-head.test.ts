// The upstream response head reader: what it accepts, how it frames the body, and every form it
// refuses because two readers could frame it differently.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RESPONSE_DROP } from '../../ts/data/headers.js';
import { BodyKind, ResponseHead, STOPPED_NAMES } from '../../ts/data/response-head.js';

function parse(text: string, method = 'GET'): ResponseHead {
  const buf = Buffer.from(`${text}\r\n\r\n`, 'latin1');
  const head = new ResponseHead();
  assert.equal(head.read(buf, 0, buf.length, method), buf.length);
  return head;
}

/** What the client is sent for the head `text`: the status line and the forwarded fields. */
function forwarded(text: string): string {
  return Buffer.from(parse(text).forwarded()).toString('latin1');
}

function refused(text: string, method = 'GET'): string {
  try {
    parse(text, method);
  } catch (err) {
    assert.equal((err as { code: string }).code, 'JETWAY_UPSTREAM_INVALID_RESPONSE');
    return (err as Error).message;
  }
  assert.fail(`accepted: ${JSON.stringify(text)}`);
}

const names = (h: ResponseHead): string[] => h.raw().map((b) => b.toString('latin1'));

describe('response head', () => {
  it('reads status, reason and fields in order, values trimmed, bytes kept', () => {
    const h = parse('HTTP/1.1 201 Created Here\r\nA:  x \r\nSet-Cookie: a=1\r\nset-cookie: b=\xe9');
    assert.equal(h.status, 201);
    assert.equal(h.reason, 'Created Here');
    assert.deepEqual(names(h), ['A', 'x', 'Set-Cookie', 'a=1', 'set-cookie', 'b=\xe9']);
    assert.equal(h.body, BodyKind.Close);
    assert.equal(h.reusable, false);
  });

  it('accepts a status line without a reason', () => {
    const h = parse('HTTP/1.1 200\r\nContent-Length: 0');
    assert.equal(h.reason, '');
    assert.equal(h.body, BodyKind.Length);
    assert.equal(h.length, 0);
  });

  it('frames by Content-Length, a repeated equal value counting once', () => {
    const h = parse('HTTP/1.1 200 OK\r\nContent-Length: 12\r\ncontent-length: 12');
    assert.equal(h.body, BodyKind.Length);
    assert.equal(h.length, 12);
    assert.equal(h.reusable, true);
  });

  it('frames by chunked transfer coding', () => {
    const h = parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked');
    assert.equal(h.body, BodyKind.Chunked);
    assert.equal(h.reusable, true);
  });

  it('reads to the close when the last coding is not chunked, and never reuses', () => {
    const h = parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip');
    assert.equal(h.body, BodyKind.Close);
    assert.equal(h.reusable, false);
  });

  it('has no body for HEAD, 1xx, 204 and 304 whatever the fields say', () => {
    assert.equal(parse('HTTP/1.1 200 OK\r\nContent-Length: 5', 'HEAD').body, BodyKind.None);
    assert.equal(parse('HTTP/1.1 204 No Content\r\nContent-Length: 5').body, BodyKind.None);
    assert.equal(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 5').body, BodyKind.None);
    assert.equal(parse('HTTP/1.1 103 Early Hints\r\nLink: </a>').body, BodyKind.None);
  });

  it('decides reuse from the version and Connection', () => {
    assert.equal(
      parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0').reusable,
      false,
    );
    assert.equal(
      parse('HTTP/1.1 200 OK\r\nConnection: x, Close\r\nContent-Length: 0').reusable,
      false,
    );
    assert.equal(parse('HTTP/1.0 200 OK\r\nContent-Length: 0').reusable, false);
    assert.equal(
      parse('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0').reusable,
      true,
    );
  });

  it("reads the upstream's Keep-Alive timeout", () => {
    assert.equal(parse('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100').keepAliveMs, 5000);
    assert.equal(parse('HTTP/1.1 200 OK\r\nKeep-Alive: max=100').keepAliveMs, -1);
  });

  it('refuses both framings at once (RFC 9112 section 6.3)', () => {
    refused('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked');
  });

  it('refuses Content-Lengths that differ or are not a number', () => {
    refused('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4');
    refused('HTTP/1.1 200 OK\r\nContent-Length: 3, 3');
    refused('HTTP/1.1 200 OK\r\nContent-Length: -1');
    refused('HTTP/1.1 200 OK\r\nContent-Length: 0x10');
  });

  it('refuses a coding before chunked, whose bytes the client could not decode', () => {
    refused('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked');
  });

  it('refuses malformed status lines', () => {
    for (const line of [
      'HTTP/1.1 20 OK',
      'HTTP/2 200 OK',
      'HTTP/1.1  200 OK',
      'http/1.1 200 OK',
      'HTTP/1.1 099 Low',
      'ICY 200 OK',
    ]) {
      refused(`${line}\r\nContent-Length: 0`);
    }
  });

  it('refuses folded lines, bare line feeds, bad names and control bytes', () => {
    refused('HTTP/1.1 200 OK\r\nA: x\r\n  folded\r\nContent-Length: 0');
    refused('HTTP/1.1 200 OK\nContent-Length: 0');
    refused('HTTP/1.1 200 OK\r\nA\nB: x\r\nContent-Length: 0');
    refused('HTTP/1.1 200 OK\r\nBad Name: x');
    refused('HTTP/1.1 200 OK\r\n: x');
    refused('HTTP/1.1 200 OK\r\nNo-Colon');
    refused('HTTP/1.1 200 OK\r\nA: x\x00y');
    refused('HTTP/1.1 200 OK\r\nA: x\x7fy');
  });

  it('waits for more bytes at every point before the blank line, then reads the same head', () => {
    const text =
      'HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nabc';
    const buf = Buffer.from(text, 'latin1');
    const headEnd = text.indexOf('\r\n\r\n') + 4;
    for (let n = 0; n < headEnd; n++) {
      assert.equal(new ResponseHead().read(buf, 0, n, 'GET'), -1, `after ${n} bytes`);
    }
    const head = new ResponseHead();
    assert.equal(head.read(buf, 0, buf.length, 'GET'), headEnd);
    assert.equal(head.length, 3);
    assert.equal(head.reusable, true);
  });

  it('reads a head that starts inside the buffer', () => {
    const buf = Buffer.from('xxxxHTTP/1.1 204 No Content\r\nA: b\r\n\r\n', 'latin1');
    const head = new ResponseHead();
    assert.equal(head.read(buf, 4, buf.length, 'GET'), buf.length);
    assert.equal(head.status, 204);
    assert.equal(Buffer.from(head.forwarded()).toString('latin1'), '204 No Content\r\nA: b');
  });

  it('forwards the status line and end-to-end fields as received, in order', () => {
    assert.equal(
      forwarded('HTTP/1.1 200 OK\r\nServer: x\r\nSet-Cookie: a=1\r\nset-cookie: b=\xe9\r\nX:  y '),
      '200 OK\r\nServer: x\r\nSet-Cookie: a=1\r\nset-cookie: b=\xe9\r\nX:  y ',
    );
  });

  it('leaves out hop-by-hop fields, framing and Date wherever they stand', () => {
    const text = [
      'HTTP/1.1 200 OK',
      'Date: Fri, 04 Dec 2026 11:14:16 GMT',
      'A: 1',
      'Connection: keep-alive',
      'Keep-Alive: timeout=5',
      'B: 2',
      'Content-Length: 0',
      'TE: trailers',
      'Trailer: x',
      'Upgrade: h2c',
      'Proxy-Connection: x',
      'Proxy-Authenticate: Basic',
      'C: 3',
    ].join('\r\n');
    assert.equal(forwarded(text), '200 OK\r\nA: 1\r\nB: 2\r\nC: 3');
  });

  it('leaves out the fields that Connection names, before or after it', () => {
    const text = 'HTTP/1.1 200 OK\r\nX-Hop: 1\r\nA: 2\r\nConnection: x-hop, X_Other\r\nx_other: 3';
    assert.equal(forwarded(text), '200 OK\r\nA: 2');
  });

  it('gives a status line without a reason the usual phrase', () => {
    assert.equal(forwarded('HTTP/1.1 200\r\nA: 1\r\nContent-Length: 0'), '200 OK\r\nA: 1');
    assert.equal(forwarded('HTTP/1.1 299\r\nContent-Length: 0'), '299 Unknown');
  });

  it('stops exactly the response headers that the general path drops', () => {
    assert.deepEqual([...STOPPED_NAMES].sort(), [...RESPONSE_DROP].sort());
    const values: Record<string, string> = {
      'content-length': '0',
      'transfer-encoding': 'chunked',
    };
    for (const name of STOPPED_NAMES) {
      const field = `${name.toUpperCase()}: ${values[name] ?? 'close'}`;
      assert.equal(forwarded(`HTTP/1.1 200 OK\r\n${field}\r\nA: 1`), '200 OK\r\nA: 1', name);
    }
  });
});
