// The admin listener: /healthz answers when every worker listens, /status describes workers,
// clusters and upstreams in the documented shape, and neither is reachable through the proxy
// listener.
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { route } from '../helpers/config.js';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { HttpClient } from '../helpers/http.js';
import { freePort, isListening } from '../helpers/ports.js';
import { startUpstream, type ScriptedUpstream } from '../helpers/upstream.js';
import { stopAll } from '../helpers/wait.js';

describe('admin listener', { timeout: 30_000 }, () => {
  let a: ScriptedUpstream;
  let b: ScriptedUpstream;
  let jw: Daemon;

  before(async () => {
    a = await startUpstream({ name: 'a' });
    b = await startUpstream({ name: 'b' });
    jw = await startDaemon({
      workers: 2,
      // No address: the default must be loopback.
      admin: { port: await freePort() },
      clusters: [
        {
          name: 'web',
          policy: 'weighted_round_robin',
          upstreams: [
            { address: a.address, weight: 3 },
            { address: b.address, weight: 1 },
          ],
        },
      ],
      routes: [route('web', { prefix: '/app' })],
    });
  });

  after(() => stopAll(jw, a, b));

  it('answers /healthz with 200 once ready', { timeout: 5000 }, async () => {
    const res = await fetch(`${jw.adminOrigin}/healthz`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });

  it('describes workers, clusters and upstreams in /status', { timeout: 5000 }, async () => {
    const s = await jw.statusJson();
    assert.equal(typeof s.version, 'string');
    assert.equal(s.workers.length, 2);
    for (const w of s.workers) {
      assert.equal(typeof w.id, 'number');
      // scripts/test.sh runs the suite once per backend, forced by JETWAY_HOTPATH, and /status
      // must say so; run without it, each function has its default backend: 'auto'.
      const forced = process.env.JETWAY_HOTPATH;
      assert.equal(w.hotpath, forced || 'auto', `hotpath ${w.hotpath}`);
    }
    assert.deepEqual(
      s.clusters.map((c) => [c.name, c.policy]),
      [['web', 'weighted_round_robin']],
    );
    assert.deepEqual(s.clusters[0]!.upstreams, [
      { address: a.address, weight: 3, healthy: true, ejected: false, inflight: 0 },
      { address: b.address, weight: 1, healthy: true, ejected: false, inflight: 0 },
    ]);
  });

  it('counts a request in flight in /status while it runs', { timeout: 10_000 }, async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    a.handler = async (_r, reply) => {
      await gate;
      reply.echo();
    };
    b.handler = a.handler;
    const http = new HttpClient(jw.origin);
    try {
      const pending = http.request('/app/wait');
      await a
        .waitForRequests((rs) => rs.length > 0)
        .catch(() => b.waitForRequests((rs) => rs.length > 0));
      const s = await jw.statusJson();
      assert.equal(
        s.clusters[0]!.upstreams.reduce((n, u) => n + u.inflight, 0),
        1,
      );
      release();
      assert.equal((await pending).status, 200);
    } finally {
      release();
      await http.close();
    }
  });

  it('does not serve admin paths on the proxy listener', { timeout: 5000 }, async () => {
    for (const path of ['/healthz', '/status']) {
      const res = await fetch(`${jw.origin}${path}`);
      assert.equal(res.status, 404, path);
      await res.arrayBuffer();
    }
  });

  it('binds the admin listener to loopback by default', { timeout: 5000 }, async (t) => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) return t.skip('no non-loopback IPv4 address on this machine');
    assert.equal(await isListening(jw.adminPort, '127.0.0.1'), true);
    assert.equal(await isListening(jw.adminPort, external.address), false);
  });
});
