// C14: answers to HEAD, 204 and 304 end at the blank line after the headers, whatever their
// Content-Length says. Each is followed on the same keep-alive client connection by
// `GET /ping`, whose answer must arrive intact: a proxy that waits for a body, or adds a
// chunk terminator, breaks the next answer. The case pipelines the two requests; uWS closes a
// connection on a request pipelined behind one still pending, so here /ping is sent as soon
// as the first answer is in (the pipelined form is tested in framing.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cluster, route } from '../helpers/config.js';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { headerValues } from '../helpers/http1.js';
import { RawClient, req, type RawResponse } from '../helpers/raw-client.js';
import { startUpstream, type Handler, type ScriptedUpstream } from '../helpers/upstream.js';
import { delay, stopAll, until } from '../helpers/wait.js';

const SCRIPT: Record<string, string> = {
  'GET /doc': 'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 120\r\n\r\n',
  'DELETE /item/1': 'HTTP/1.1 204 No Content\r\n\r\n',
  'HEAD /file': 'HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n',
  'DELETE /junk': 'HTTP/1.1 204 No Content\r\n\r\nJUNK',
  'GET /hints':
    'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n' +
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  'GET /ping': 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npong',
};

const script: Handler = (r, reply) => reply.raw(SCRIPT[`${r.method} ${r.target}`] ?? '');

describe('bodyless responses (C14)', { timeout: 60_000 }, () => {
  let u: ScriptedUpstream;
  let jw: Daemon;

  before(async () => {
    u = await startUpstream({ name: 'u', handler: script });
    jw = await startDaemon({
      clusters: [cluster('api', [u])],
      routes: [route('api', { prefix: '/' })],
    });
  });

  after(() => stopAll(jw, u));

  /** Sends `first`, then `GET /ping` on the same connection; returns both answers and leftovers. */
  async function onOneConnection(method: string, target: string, extra: string[] = []) {
    const c = await RawClient.connect(jw.port);
    const sent = performance.now();
    c.send(req(`${method} ${target} HTTP/1.1`, 'Host: example.test', ...extra));
    let first: RawResponse;
    do first = await c.response({ method, timeoutMs: 3000 });
    while (first.status >= 100 && first.status < 200);
    c.send(req('GET /ping HTTP/1.1', 'Host: example.test'));
    const ping = await c.response({ timeoutMs: 3000 });
    await delay(200);
    const leftover = c.unparsed.toString('latin1');
    c.destroy();
    return { first, ping, leftover, firstMs: first.headAt - sent };
  }

  function assertPingIntact(ping: RawResponse, leftover: string): void {
    assert.equal(ping.status, 200);
    assert.equal(ping.body.toString(), 'pong');
    assert.equal(leftover, '', 'bytes after the /ping answer');
  }

  it(
    'passes a 304 on at once with no body, then the next answer intact',
    { timeout: 10_000 },
    async () => {
      const r = await onOneConnection('GET', '/doc', ['If-None-Match: "v1"']);
      assert.equal(r.first.status, 304);
      assert.equal(r.first.bodyLength, 0);
      assert.deepEqual(headerValues(r.first.headers, 'transfer-encoding'), []);
      assert.deepEqual(headerValues(r.first.headers, 'etag'), ['"v1"']);
      assert.ok(r.firstMs < 1000, `304 took ${r.firstMs} ms`);
      assertPingIntact(r.ping, r.leftover);
    },
  );

  it(
    'passes a 204 on with no body and no Transfer-Encoding, then the next answer intact',
    { timeout: 10_000 },
    async () => {
      const r = await onOneConnection('DELETE', '/item/1');
      assert.equal(r.first.status, 204);
      assert.deepEqual(headerValues(r.first.headers, 'transfer-encoding'), []);
      assert.deepEqual(headerValues(r.first.headers, 'content-encoding'), []);
      assert.ok(r.firstMs < 1000, `204 took ${r.firstMs} ms`);
      assertPingIntact(r.ping, r.leftover);
    },
  );

  it(
    'answers HEAD with headers only, then the next answer intact',
    { timeout: 10_000 },
    async () => {
      const r = await onOneConnection('HEAD', '/file');
      assert.equal(r.first.status, 200);
      const cl = headerValues(r.first.headers, 'content-length');
      assert.ok(cl.length === 0 || cl[0] === '5000', `Content-Length ${cl}`);
      assert.deepEqual(headerValues(r.first.headers, 'transfer-encoding'), []);
      assert.ok(r.firstMs < 1000, `HEAD took ${r.firstMs} ms`);
      assertPingIntact(r.ping, r.leftover);
    },
  );

  it(
    'drops stray bytes after a 204 and does not reuse that upstream connection',
    { timeout: 10_000 },
    async () => {
      u.clear();
      const r = await onOneConnection('DELETE', '/junk');
      assert.equal(r.first.status, 204);
      assert.equal(r.first.bodyLength, 0);
      assertPingIntact(r.ping, r.leftover);
      const junkConn = u.connections.find((c) => c.requests.some((q) => q.target === '/junk'))!;
      const pingConn = u.connections.find((c) => c.requests.some((q) => q.target === '/ping'))!;
      assert.notEqual(pingConn.id, junkConn.id, '/ping went over the connection that sent JUNK');
      await until('the JUNK connection to close', () => junkConn.closedAt !== undefined, 2000);
    },
  );

  it('keeps framing through a 103 informational answer', { timeout: 10_000 }, async () => {
    const r = await onOneConnection('GET', '/hints');
    assert.equal(r.first.status, 200);
    assert.equal(r.first.body.toString(), 'ok');
    assertPingIntact(r.ping, r.leftover);
  });
});
