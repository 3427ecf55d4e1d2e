// The upstream response head reader: what it accepts, how it frames the body, and every form it
// refuses because two readers could frame it differently.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BodyKind, parseResponseHead, type ResponseHead } from '../../ts/data/response-head.js';

function parse(text: string, method = 'GET'): ResponseHead {
  const buf = Buffer.from(`${text}\r\n\r\n`, 'latin1');
  return parseResponseHead(buf, buf.length - 4, method);
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

const names = (h: ResponseHead): string[] => h.raw.map((b) => b.toString('latin1'));

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
});
