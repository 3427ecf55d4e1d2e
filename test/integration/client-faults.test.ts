// Client faults found by trying Jetway as a new user would: each is answered by Jetway
// itself, never reaches the upstream, never counts against the upstream's health, and never
// takes the daemon down.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cluster, route } from '../helpers/config.js';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { RawClient, req } from '../helpers/raw-client.js';
import { startUpstream, type ScriptedUpstream } from '../helpers/upstream.js';
import { delay, stopAll } from '../helpers/wait.js';

describe('client faults', { timeout: 60_000 }, () => {
  let u: ScriptedUpstream;
  let jw: Daemon;

  before(async () => {
    u = await startUpstream({ name: 'u' });
    jw = await startDaemon({
      limits: { max_body_bytes: 1000, max_header_bytes: 4096, max_url_bytes: 1024 },
      // One failure would eject: any fault blamed on the upstream shows at once.
      clusters: [cluster('api', [u], { health: { passive: { max_failures: 1 } } })],
      routes: [route('api', { prefix: '/' })],
    });
  });

  after(() => stopAll(jw, u));

  async function send(bytes: string | Buffer) {
    u.clear();
    const c = await RawClient.connect(jw.port);
    c.send(bytes);
    const res = await c.response({ timeoutMs: 3000 }).catch(() => undefined);
    c.destroy();
    await delay(100);
    return { status: res?.status, forwarded: u.requests.length };
  }

  async function stillServes(): Promise<void> {
    const r = await send(req('GET /ok HTTP/1.1', 'Host: x'));
    assert.equal(r.status, 200, 'the daemon or the upstream is gone');
    assert.deepEqual(
      jw.logs.filter((l) => l.msg === 'upstream ejected'),
      [],
    );
  }

  it('answers 413 to a chunked body over max_body_bytes and keeps serving', async () => {
    const chunk = 'a'.repeat(600);
    const body = `258\r\n${chunk}\r\n258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`;
    const r = await send(req('POST /big HTTP/1.1', 'Host: x', 'Transfer-Encoding: chunked') + body);
    assert.equal(r.status, 413);
    await stillServes();
  });

  it('answers 431 to header fields over max_header_bytes, reaching no upstream', async () => {
    // One long header, and many short ones that add up: both past the limit (4096).
    const long = await send(req('GET /h HTTP/1.1', 'Host: x', `X-Big: ${'a'.repeat(5000)}`));
    assert.deepEqual(long, { status: 431, forwarded: 0 });
    const many = Array.from({ length: 30 }, (_, i) => `X-F${i}: ${'b'.repeat(150)}`);
    assert.deepEqual(await send(req('GET /h HTTP/1.1', 'Host: x', ...many)), {
      status: 431,
      forwarded: 0,
    });
    // Just under the limit passes.
    const under = await send(req('GET /h HTTP/1.1', 'Host: x', `X-Big: ${'a'.repeat(3900)}`));
    assert.deepEqual(under, { status: 200, forwarded: 1 });
    await stillServes();
  });

  it('answers 414 to a target over max_url_bytes, reaching no upstream', async () => {
    const path = `/${'p'.repeat(1100)}`;
    assert.deepEqual(await send(req(`GET ${path} HTTP/1.1`, 'Host: x')), {
      status: 414,
      forwarded: 0,
    });
    const query = `/q?${'k=v&'.repeat(300)}`;
    assert.deepEqual(await send(req(`GET ${query} HTTP/1.1`, 'Host: x')), {
      status: 414,
      forwarded: 0,
    });
    await stillServes();
  });

  it('refuses two Host headers with 400, reaching no upstream', async () => {
    const r = await send(req('GET /h HTTP/1.1', 'Host: a', 'Host: b'));
    assert.equal(r.status, 400);
    assert.equal(r.forwarded, 0);
    await stillServes();
  });

  it('refuses CONNECT with 501, reaching no upstream', async () => {
    const r = await send(req('CONNECT example.test:443 HTTP/1.1', 'Host: example.test:443'));
    assert.ok(r.status === 501 || r.status === undefined, `got ${r.status}`);
    assert.equal(r.forwarded, 0);
    await stillServes();
  });

  it('forwards a repeated identical Content-Length once', async () => {
    const r = await send(
      req('POST /same HTTP/1.1', 'Host: x', 'Content-Length: 3', 'Content-Length: 3') + 'abc',
    );
    assert.equal(r.status, 200);
    assert.equal(r.forwarded, 1);
    assert.equal(u.requests[0].body.toString(), 'abc');
    await stillServes();
  });

  it('never blames the upstream for a header value undici will not send', async () => {
    const head = Buffer.from('GET /x HTTP/1.1\r\nHost: x\r\nX-A: a\xffb\r\n\r\n', 'latin1');
    const r = await send(head);
    assert.ok(r.status === undefined || r.status < 500, `got ${r.status}`);
    await stillServes();
  });
});
