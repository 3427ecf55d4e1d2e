// Pipelining to upstreams through the daemon (`pool.pipelining` above 1): many clients at once
// get each their own answer; requests left unanswered when an upstream closes a connection are
// sent again; requests with a body never wait behind others.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cluster, route } from '../helpers/config.js';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { RawClient, req } from '../helpers/raw-client.js';
import { responseHead, startUpstream, type ScriptedUpstream } from '../helpers/upstream.js';
import { delay, stopAll } from '../helpers/wait.js';

async function get(jw: Daemon, path: string, method = 'GET', body = '') {
  const c = await RawClient.connect(jw.port);
  const extra = body === '' ? [] : [`Content-Length: ${body.length}`];
  c.send(req(`${method} ${path} HTTP/1.1`, 'Host: example.test', ...extra) + body);
  const res = await c.response({ timeoutMs: 5000 });
  c.destroy();
  return res;
}

describe('pipelining to upstreams', { timeout: 60_000 }, () => {
  let u: ScriptedUpstream;
  let jw: Daemon;

  before(async () => {
    u = await startUpstream({ name: 'u' });
    jw = await startDaemon({
      workers: 1,
      clusters: [cluster('api', [u], { pool: { pipelining: 8, connections: 4 } })],
      routes: [route('api', { prefix: '/' })],
    });
  });

  after(() => stopAll(jw, u));

  it('gives each of many clients at once its own answer', async () => {
    const paths = Array.from({ length: 60 }, (_, i) => `/many/${i}`);
    const all = await Promise.all(paths.map((p) => get(jw, p)));
    for (let i = 0; i < paths.length; i++) {
      assert.equal(all[i].status, 200);
      assert.equal(JSON.parse(all[i].body.toString()).target, paths[i]);
    }
  });

  it('sends again the requests an upstream left unanswered by closing', async () => {
    u.handler = (r, reply) => reply.echo(200, r.index === 0 ? [['connection', 'close']] : []);
    try {
      const paths = Array.from({ length: 30 }, (_, i) => `/closing/${i}`);
      const all = await Promise.all(paths.map((p) => get(jw, p)));
      for (let i = 0; i < paths.length; i++) {
        assert.equal(all[i].status, 200, `${paths[i]}: ${all[i].status}`);
        assert.equal(JSON.parse(all[i].body.toString()).target, paths[i]);
      }
    } finally {
      u.handler = (_r, reply) => reply.echo();
    }
  });

  it('never sends a request with a body behind another on a connection', async () => {
    // POSTs are answered late, so a request pipelined behind one would arrive before its answer.
    u.handler = async (r, reply) => {
      if (r.method === 'POST') await new Promise((resolve) => setTimeout(resolve, 100));
      reply.echo();
    };
    try {
      const before = u.connections.length;
      const all = await Promise.all([
        get(jw, '/a'),
        get(jw, '/post', 'POST', 'hello'),
        get(jw, '/b'),
        get(jw, '/post2', 'POST', 'world'),
        get(jw, '/c'),
      ]);
      assert.deepEqual(
        all.map((r) => r.status),
        [200, 200, 200, 200, 200],
      );
      for (const c of u.connections.slice(before)) {
        for (const post of c.requests.filter((r) => r.method === 'POST')) {
          const next = c.requests[post.index + 1];
          assert.ok(next === undefined || next.at - post.at >= 90, 'a request followed a POST');
        }
      }
    } finally {
      u.handler = (_r, reply) => reply.echo();
    }
  });
});

// Jetway's own client alone: how undici's pipelining treats these cases is undici's business.
describe('pipelining to upstreams without retries (Jetway client)', { timeout: 30_000 }, () => {
  let u: ScriptedUpstream;
  let jw: Daemon;

  before(async () => {
    u = await startUpstream({ name: 'u' });
    jw = await startDaemon({
      workers: 1,
      clusters: [
        cluster('api', [u], {
          retries: 0,
          pool: { client: 'jetway', pipelining: 8, connections: 2 },
        }),
      ],
      routes: [route('api', { prefix: '/' })],
    });
  });

  after(() => stopAll(jw, u));

  it('keeps the answers of other clients when the client answered first goes away', async () => {
    u.handler = async (r, reply) => {
      if (r.target === '/gone') await delay(300);
      reply.echo();
    };
    const first = await RawClient.connect(jw.port);
    const others = await Promise.all([1, 2, 3].map(() => RawClient.connect(jw.port)));
    first.send(req('GET /gone HTTP/1.1', 'Host: example.test'));
    others.forEach((c, i) => c.send(req(`GET /stays/${i} HTTP/1.1`, 'Host: example.test')));
    await u.waitForRequests((all) => all.length === 4, 3000);
    first.destroy();
    const all = await Promise.all(others.map((c) => c.response({ timeoutMs: 3000 })));
    for (const c of others) c.destroy();
    assert.deepEqual(
      all.map((r) => `${r.status} ${JSON.parse(r.body.toString()).target}`),
      ['200 /stays/0', '200 /stays/1', '200 /stays/2'],
    );
    // Each was sent once, on the one connection, which stays open for the next requests.
    assert.equal(u.requests.length, 4);
    assert.equal(u.connections.length, 1);
    assert.equal(u.connections[0].closedAt, undefined);
  });

  it('sends nothing more on a connection whose answer being read says it closes', async () => {
    u.handler = async (r, reply) => {
      if (r.target !== '/closing') return reply.echo();
      reply.raw(
        responseHead(200, [
          ['connection', 'close'],
          ['content-length', '6'],
        ]),
      );
      reply.raw('clo');
      await delay(300);
      reply.raw('sed');
      reply.close();
    };
    const a = await RawClient.connect(jw.port);
    a.send(req('GET /closing HTTP/1.1', 'Host: example.test'));
    await u.waitForRequests((all) => all.some((r) => r.target === '/closing'), 3000);
    await delay(50); // the head with Connection: close is read, the body is still coming
    const b = await RawClient.connect(jw.port);
    b.send(req('GET /after HTTP/1.1', 'Host: example.test'));
    const [ra, rb] = await Promise.all([a, b].map((c) => c.response({ timeoutMs: 3000 })));
    a.destroy();
    b.destroy();
    assert.equal(ra.body.toString(), 'closed');
    assert.equal(rb.status, 200);
    assert.equal(JSON.parse(rb.body.toString()).target, '/after');
    const closing = u.requests.find((r) => r.target === '/closing')!;
    const after = u.requests.find((r) => r.target === '/after')!;
    assert.notEqual(after.conn, closing.conn, '/after was sent on the closing connection');
  });

  it('sends a new request past a connection whose answer waits for a slow client', async () => {
    const size = 8 << 20;
    u.handler = (r, reply) =>
      r.target === '/big' ? void reply.stream(size, Buffer.alloc(64 * 1024, 'x')) : reply.echo();
    const slow = await RawClient.connect(jw.port);
    slow.socket.pause(); // reads nothing: Jetway's reads from the upstream pause
    slow.send(req('GET /big HTTP/1.1', 'Host: example.test'));
    await u.waitForRequests((all) => all.some((r) => r.target === '/big'), 3000);
    await delay(300);
    const c = await RawClient.connect(jw.port);
    c.send(req('GET /next HTTP/1.1', 'Host: example.test'));
    const r = await c.response({ timeoutMs: 3000 });
    c.destroy();
    slow.destroy();
    assert.equal(JSON.parse(r.body.toString()).target, '/next');
    const big = u.requests.find((q) => q.target === '/big')!;
    const next = u.requests.find((q) => q.target === '/next')!;
    assert.notEqual(next.conn, big.conn, '/next waited behind the stalled answer');
  });
});
