import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import {
  requestBytes,
  responseError,
  runBatch,
  type BatchResult,
  type Timer,
} from '../../bench/load/bounded.js';
import { parseResponse, ResponseReader } from '../../bench/load/response-reader.js';

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 14\r\nConnection: keep-alive\r\n\r\nhello, jetway\n';
const CHUNKED =
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
  '6;x=y\r\nhello,\r\n8\r\n jetway\n\r\n0\r\n\r\n';

/** Every response `text` holds, fed to a reader `step` bytes at a time. */
function readInSteps(text: string, step: number): Array<[number, string]> {
  const reader = new ResponseReader();
  const bytes = Buffer.from(text, 'latin1');
  const out: Array<[number, string]> = [];
  for (let i = 0; i < bytes.length; i += step) {
    for (const r of reader.push(bytes.subarray(i, i + step))) out.push([r.status, `${r.body}`]);
  }
  assert.equal(reader.partialBytes, 0);
  return out;
}

describe('bounded client: response reader', () => {
  it('frames responses by Content-Length and by chunks, however the bytes are split', () => {
    const two = OK + CHUNKED;
    for (const step of [1, 2, 7, 64, two.length]) {
      assert.deepEqual(readInSteps(two, step), [
        [200, 'hello, jetway\n'],
        [200, 'hello, jetway\n'],
      ]);
    }
  });

  it('reads past trailers after the last chunk', () => {
    const text =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n';
    assert.deepEqual(readInSteps(text + OK, 3), [
      [200, 'ok'],
      [200, 'hello, jetway\n'],
    ]);
  });

  it('gives 204 and 304 no body, whatever their headers say', () => {
    const text = 'HTTP/1.1 304 Not Modified\r\nContent-Length: 14\r\n\r\n';
    assert.deepEqual(readInSteps(text + OK, 5), [
      [304, ''],
      [200, 'hello, jetway\n'],
    ]);
  });

  it('waits for more bytes rather than failing on a partial response', () => {
    assert.equal(parseResponse(Buffer.from(OK.slice(0, -1))), null);
    assert.equal(parseResponse(Buffer.from(CHUNKED.slice(0, -2))), null);
  });

  it('refuses what it cannot frame, with a code', () => {
    const refused = [
      'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n',
      'ICY 200 OK\r\n\r\n',
    ];
    for (const text of refused) {
      assert.throws(() => parseResponse(Buffer.from(text)), { code: 'BENCH_RESPONSE_FRAMING' });
    }
  });
});

describe('bounded client: what it sends and checks', () => {
  it('sends a request line and Host alone, as wrk does', () => {
    assert.equal(
      requestBytes('/small', 8080).toString(),
      'GET /small HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n',
    );
  });

  it('names a wrong status or body and accepts the expected response', () => {
    const expect = { status: 200, body: 'hi' };
    assert.equal(responseError({ status: 200, body: Buffer.from('hi') }, expect), null);
    assert.equal(responseError({ status: 502, body: Buffer.from('hi') }, expect), 'status 502');
    assert.equal(
      responseError({ status: 200, body: Buffer.from('ho') }, expect),
      'unexpected body',
    );
  });
});

/** A loopback server that answers each request with `answer(n, socket)` (n counts from 1). */
async function server(answer: (n: number, socket: Socket) => void): Promise<Server> {
  const s = createServer((socket) => {
    let n = 0;
    let seen = '';
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      for (let end = seen.indexOf('\r\n\r\n'); end >= 0; end = seen.indexOf('\r\n\r\n')) {
        seen = seen.slice(end + 4);
        answer(++n, socket);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return s;
}

const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

async function batch(
  answer: (n: number, socket: Socket) => void,
  timer?: Timer,
): Promise<BatchResult> {
  const s = await server(answer);
  servers.push(s);
  const port = (s.address() as { port: number }).port;
  const expect = { status: 200, body: 'hello, jetway\n' };
  const spec = { port, path: '/small', connections: 3, requestsPerConnection: 5, expect };
  return runBatch({ ...spec, timeoutMs: 5000 }, timer);
}

describe('bounded client: a batch', () => {
  it('sends exactly connections × requests and counts every response', async () => {
    let seen = 0;
    const r = await batch((_n, socket) => {
      seen++;
      socket.write(OK);
    });
    assert.equal(r.responses, 15);
    assert.equal(seen, 15);
    assert.deepEqual(r.errors, {});
    assert.equal(r.timedOut, false);
  });

  it('reads a response that arrives in pieces before it sends the next request', async () => {
    const r = await batch((_n, socket) => {
      socket.write(CHUNKED.slice(0, 20));
      setTimeout(() => socket.write(CHUNKED.slice(20)), 5);
    });
    assert.equal(r.responses, 15);
    assert.deepEqual(r.errors, {});
  });

  it('counts unexpected statuses by kind and keeps sending', async () => {
    const bad = 'HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n';
    const r = await batch((n, socket) => socket.write(n === 2 ? bad : OK));
    assert.equal(r.responses, 15);
    assert.deepEqual(r.errors, { 'status 502': 3 });
  });

  it('counts a connection closed before its last response once', async () => {
    const r = await batch((n, socket) => (n === 4 ? socket.end() : socket.write(OK)));
    assert.equal(r.responses, 9);
    assert.deepEqual(r.errors, { 'closed early': 3 });
  });

  it('cuts connections that get no answer at its bound and says it timed out', async () => {
    // The bound fires once every connection waits for an answer that will not come.
    let fire = (): void => {};
    let stuck = 0;
    const timer: Timer = (_ms, f) => ((fire = f), () => {});
    const r = await batch((n, socket) => {
      if (n < 3) socket.write(OK);
      else if (++stuck === 3) fire();
    }, timer);
    assert.equal(r.responses, 6);
    assert.deepEqual(r.errors, { timeout: 3 });
    assert.equal(r.timedOut, true);
  });
});
