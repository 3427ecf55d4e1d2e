// C17: slow or stalled upstreams and clients. Every wait has a deadline: no answer in time is
// a 504; a body that stops half way ends the client connection without a clean end, so the
// truncation is visible; a client that sends its body too slowly gets 408 or a close. And a
// stalled exchange never keeps its pool slot past its deadline.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBlackhole, type Blackhole } from '../helpers/blackhole.js';
import { NO_PASSIVE, cluster, route, timeouts } from '../helpers/config.js';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { RawClient, req } from '../helpers/raw-client.js';
import { startUpstream, type Handler, type ScriptedUpstream } from '../helpers/upstream.js';
import { delay, stopAll, until } from '../helpers/wait.js';

const script: Handler = async (r, reply) => {
  // Routes keep their prefix (/one/u1), so the script looks at the last segment only.
  switch (r.target.slice(r.target.lastIndexOf('/'))) {
    case '/u1':
      return reply.stall();
    case '/u2':
      reply.raw('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789');
      return reply.stall();
    case '/u3':
      reply.raw('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
      return reply.stall();
    case '/dribble':
      reply.raw('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n');
      for (let i = 0; i < 1000 && !reply.socket.destroyed; i++) {
        reply.raw('x');
        await delay(300);
      }
      return;
    default:
      return reply.echo();
  }
};

describe('timeouts (C17)', { timeout: 120_000 }, () => {
  let u: ScriptedUpstream;
  let hole: Blackhole;
  let jw: Daemon;

  before(async () => {
    u = await startUpstream({ name: 'u', handler: script });
    hole = await startBlackhole();
    const base = { retries: 0, health: NO_PASSIVE };
    jw = await startDaemon({
      limits: { client_body_timeout: '1s' },
      clusters: [
        cluster('api', [u], { ...base, timeouts: timeouts({ header: '2s', idle: '2s' }) }),
        cluster('one', [u], {
          ...base,
          timeouts: timeouts({ header: '1s', idle: '1s' }),
          pool: { connections: 1 },
        }),
        cluster('total', [u], { ...base, timeouts: timeouts({ total: '1500ms' }) }),
        cluster('dead', [hole.address], { ...base, timeouts: timeouts({ connect: '1s' }) }),
      ],
      routes: [
        route('one', { prefix: '/one' }),
        route('total', { prefix: '/total' }),
        route('dead', { prefix: '/dead' }),
        route('api', { prefix: '/' }),
      ],
    });
  });

  after(() => stopAll(jw, hole, u));

  async function open(target: string, method = 'GET') {
    const c = await RawClient.connect(jw.port);
    const sent = performance.now();
    c.send(req(`${method} ${target} HTTP/1.1`, 'Host: example.test'));
    return { c, sent };
  }

  it(
    'answers 504 within about 2 s when the upstream never answers (U1)',
    { timeout: 10_000 },
    async () => {
      const { c, sent } = await open('/u1');
      const res = await c.response({ timeoutMs: 6000 });
      c.destroy();
      const ms = res.headAt - sent;
      assert.equal(res.status, 504);
      assert.equal(res.body.toString().trim(), 'Gateway Timeout');
      assert.ok(ms > 1500 && ms < 3500, `504 after ${ms} ms`);
      const conn = u.connections.find((k) => k.requests.some((q) => q.target === '/u1'))!;
      await until(
        'the stalled upstream connection to close',
        () => conn.closedAt !== undefined,
        2000,
      );
    },
  );

  it(
    'cuts the client connection when a Content-Length body stalls (U2)',
    { timeout: 10_000 },
    async () => {
      const { c } = await open('/u2');
      const res = await c.response({ timeoutMs: 6000 });
      c.destroy();
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), '0123456789');
      assert.equal(res.complete, false, 'a short body looked complete');
      const ms = c.closedAt! - res.headAt;
      assert.ok(ms > 1500 && ms < 3500, `closed ${ms} ms after the stall`);
    },
  );

  it('aborts a stalled chunked body without the last chunk (U3)', { timeout: 10_000 }, async () => {
    const { c } = await open('/u3');
    const res = await c.response({ timeoutMs: 6000 });
    c.destroy();
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'hello');
    assert.equal(res.sawLastChunk, false, 'the truncated body ended with 0\\r\\n\\r\\n');
    const ms = c.closedAt! - res.headAt;
    assert.ok(ms > 1500 && ms < 3500, `closed ${ms} ms after the stall`);
  });

  it(
    'cuts an exchange at the total timeout even while bytes still flow',
    { timeout: 10_000 },
    async () => {
      const { c, sent } = await open('/total/dribble');
      const res = await c.response({ timeoutMs: 6000 }).catch(() => undefined);
      await c.waitClosed(5000);
      c.destroy();
      const ms = c.closedAt! - sent;
      assert.ok(res === undefined || res.status === 504 || res.complete === false);
      assert.ok(ms > 1000 && ms < 3500, `closed after ${ms} ms`);
    },
  );

  it('answers 504 when connecting to the upstream times out', { timeout: 10_000 }, async () => {
    const { c, sent } = await open('/dead');
    const res = await c.response({ timeoutMs: 6000 });
    c.destroy();
    const ms = res.headAt - sent;
    assert.equal(res.status, 504);
    assert.ok(ms > 700 && ms < 3000, `504 after ${ms} ms`);
  });

  it(
    'frees the pool slot of a timed-out exchange for the next request',
    { timeout: 10_000 },
    async () => {
      const first = await open('/one/u1');
      assert.equal((await first.c.response({ timeoutMs: 5000 })).status, 504);
      first.c.destroy();
      const next = await open('/one/ok');
      const res = await next.c.response({ timeoutMs: 3000 });
      next.c.destroy();
      assert.equal(res.status, 200);
      assert.ok(res.headAt - next.sent < 1000, `took ${res.headAt - next.sent} ms`);
    },
  );

  it(
    'answers 408 or closes when the client body stalls, and releases the upstream',
    { timeout: 15_000 },
    async () => {
      const c = await RawClient.connect(jw.port);
      c.send(req('POST /slow-body HTTP/1.1', 'Host: example.test', 'Content-Length: 100') + 'a');
      let last = performance.now();
      const ticker = setInterval(() => {
        if (c.closed) return;
        c.send('b');
        last = performance.now();
      }, 3000);
      try {
        const res = await c.response({ timeoutMs: 8000 }).catch(() => undefined);
        if (!res) assert.ok(await c.waitClosed(100), 'neither 408 nor close');
        const ended = res ? res.headAt : c.closedAt!;
        assert.ok(res === undefined || res.status === 408, `got ${res?.status}`);
        assert.ok(ended - last < 2500, `ended ${ended - last} ms after the last byte`);
      } finally {
        clearInterval(ticker);
        c.destroy();
      }
      for (const conn of u.connections.filter((k) =>
        k.requests.some((q) => q.target === '/slow-body'),
      )) {
        await until('the upstream side of the slow request to close', () => !!conn.closedAt, 3000);
        assert.equal(conn.requests.find((q) => q.target === '/slow-body')!.complete, false);
      }
    },
  );
});
