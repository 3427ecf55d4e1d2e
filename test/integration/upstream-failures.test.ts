// What clients see when upstreams fail: 502 on a refused or reset connection, 503 when no
// upstream is usable, retries only where they are safe (a POST is never sent twice; a refused
// connect moves on to the next upstream), and a clean cut when an upstream process dies
// mid-response. Answers Jetway makes itself carry nothing internal.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { NO_PASSIVE, cluster, route } from '../helpers/config.js';
import { startDaemon, track, type Daemon } from '../helpers/daemon.js';
import { HttpClient, header } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { RawClient, req } from '../helpers/raw-client.js';
import { startUpstream, type Handler, type ScriptedUpstream } from '../helpers/upstream.js';
import { stopAll } from '../helpers/wait.js';

/** Nothing about Jetway's insides may reach a client in an answer it makes itself. */
function assertNoInternals(text: string): void {
  assert.doesNotMatch(text, /127\.0\.0\.1|ECONN|Error|undici|at .*\(|\bUND_/);
  assert.ok(text.length < 100, `long error body: ${text}`);
}

const resetPosts: Handler = (r, reply) => (r.method === 'POST' ? reply.reset() : reply.echo());

describe('upstream failures', { timeout: 90_000 }, () => {
  let live: ScriptedUpstream;
  let resetter1: ScriptedUpstream;
  let resetter2: ScriptedUpstream;
  let healthChecked: ScriptedUpstream;
  let closedPort: number;
  let jw: Daemon;
  let http: HttpClient;

  before(async () => {
    live = await startUpstream({ name: 'live' });
    resetter1 = await startUpstream({ name: 'r1', handler: resetPosts });
    resetter2 = await startUpstream({ name: 'r2', handler: resetPosts });
    healthChecked = await startUpstream({ name: 'hc' });
    closedPort = await freePort();
    const dead = `127.0.0.1:${closedPort}`;
    const base = { health: NO_PASSIVE };
    jw = await startDaemon({
      clusters: [
        cluster('refused', [dead], { ...base, retries: 0 }),
        // The default of one retry, with no other upstream to retry on.
        cluster('refusedonce', [dead], { ...base, retries: 1 }),
        cluster('reset', [resetter1], { ...base, retries: 0 }),
        cluster('resets', [resetter1, resetter2], { ...base, retries: 2 }),
        cluster('failover', [dead, live], { ...base, retries: 1 }),
        cluster('down', [healthChecked], {
          retries: 0,
          health: {
            active: {
              path: '/health',
              interval: '200ms',
              timeout: '200ms',
              unhealthy_threshold: 1,
            },
            passive: { max_failures: 0 },
          },
        }),
      ],
      routes: ['refusedonce', 'refused', 'reset', 'resets', 'failover', 'down'].map((n) =>
        route(n, { prefix: `/${n}` }),
      ),
    });
    http = new HttpClient(jw.origin);
  });

  after(() => stopAll(http, jw, live, resetter1, resetter2, healthChecked));

  for (const [prefix, retries] of [
    ['/refused', 'no retry'],
    // Not 503: a retry that finds no other upstream answers with what the attempt met.
    ['/refusedonce', 'a retry and no other upstream to retry on'],
  ]) {
    it(
      `answers 502 Bad Gateway when the upstream refuses the connection, with ${retries}`,
      { timeout: 10_000 },
      async () => {
        const answer = await http.request(`${prefix}/x`);
        assert.equal(answer.status, 502);
        assert.equal(answer.text.trim(), 'Bad Gateway');
        assert.match(header(answer, 'content-type'), /^text\/plain/);
        assertNoInternals(answer.text);
      },
    );
  }

  it('answers 502 when the upstream resets the connection', { timeout: 10_000 }, async () => {
    const answer = await http.request('/reset/x', { method: 'POST', body: 'data' });
    assert.equal(answer.status, 502);
    assertNoInternals(answer.text);
  });

  it('never sends a POST twice, even with retries left', { timeout: 10_000 }, async () => {
    const before = resetter1.requests.length + resetter2.requests.length;
    const answer = await http.request('/resets/charge', {
      method: 'POST',
      body: 'once',
      headers: { 'x-request-id': 'post-1' },
    });
    assert.equal(answer.status, 502);
    const posts = [...resetter1.requests, ...resetter2.requests].filter(
      (r) => r.method === 'POST' && r.target === '/resets/charge',
    );
    assert.equal(posts.length, 1, `the POST reached upstreams ${posts.length} times`);
    assert.equal(resetter1.requests.length + resetter2.requests.length - before, 1);
  });

  it(
    'retries a GET on the next upstream when the connect is refused',
    { timeout: 10_000 },
    async () => {
      live.clear();
      for (let i = 0; i < 6; i++) {
        const answer = await http.request(`/failover/get-${i}`);
        assert.equal(answer.status, 200, `request ${i}`);
        assert.equal(header(answer, 'x-upstream'), 'live');
      }
      assert.equal(live.requests.length, 6);
    },
  );

  it(
    'retries a POST whose connect was refused, delivering it once',
    { timeout: 10_000 },
    async () => {
      live.clear();
      for (let i = 0; i < 4; i++) {
        const answer = await http.request(`/failover/post-${i}`, { method: 'POST', body: `b${i}` });
        assert.equal(answer.status, 200, `request ${i}`);
      }
      assert.deepEqual(
        live.requests.map((r) => `${r.target} ${r.body}`),
        [0, 1, 2, 3].map((i) => `/failover/post-${i} b${i}`),
      );
    },
  );

  it('answers 503 at once when no upstream is usable', { timeout: 10_000 }, async () => {
    await healthChecked.stop();
    await jw.waitForLog(
      (l) => l.msg === 'upstream unhealthy' && l.upstream === healthChecked.address,
      3000,
    );
    for (let i = 0; i < 3; i++) {
      const answer = await http.request('/down/x');
      assert.equal(answer.status, 503);
      assert.equal(answer.text.trim(), 'Service Unavailable');
      assert.ok(answer.ms < 300, `503 took ${answer.ms} ms`);
      assertNoInternals(answer.text);
    }
  });
});

/** An upstream in its own process, so the test can SIGKILL it mid-response. */
const KILLABLE = `
const net = require('node:net');
const server = net.createServer((s) => s.once('data', () => {
  s.write('HTTP/1.1 200 OK\\r\\nContent-Length: 1048576\\r\\n\\r\\n');
  s.write(Buffer.alloc(65536, 120));
  process.stdout.write('sending\\n');
}));
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

describe('an upstream killed mid-response', { timeout: 30_000 }, () => {
  let jw: Daemon | undefined;

  after(() => stopAll(jw));

  it(
    'ends the client connection without a complete body, and keeps serving',
    { timeout: 20_000 },
    async () => {
      const child = track(spawn(process.execPath, ['-e', KILLABLE], { stdio: 'pipe' }));
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      const port = Number((await lines.next()).value);
      jw = await startDaemon({
        clusters: [cluster('k', [`127.0.0.1:${port}`], { retries: 0, health: NO_PASSIVE })],
        routes: [route('k', { prefix: '/' })],
      });
      const c = await RawClient.connect(jw.port);
      c.send(req('GET /big HTTP/1.1', 'Host: example.test'));
      assert.equal((await lines.next()).value, 'sending');
      const killed = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await killed;
      const res = await c.response({ timeoutMs: 5000 });
      assert.equal(res.status, 200);
      assert.equal(res.complete, false, 'the cut body looked complete');
      assert.ok(res.bodyLength < 1048576);
      assert.equal(await c.waitClosed(3000), true);
      c.destroy();

      const after = await RawClient.connect(jw.port);
      after.send(req('GET /again HTTP/1.1', 'Host: example.test'));
      assert.equal((await after.response({ timeoutMs: 5000 })).status, 502);
      after.destroy();
      const health = await fetch(`${jw.adminOrigin}/healthz`);
      assert.equal(health.status, 200);
    },
  );
});
