// Graceful shutdown on SIGTERM / SIGINT: stop accepting at once, let in-flight requests
// finish up to shutdown_timeout, cut the rest, and exit 0 (a non-zero exit or an abort would
// mean a worker's uWS handles outlived the process, which Node 20 does not survive).
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { NO_PASSIVE, cluster, route } from '../helpers/config.js';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { isListening } from '../helpers/ports.js';
import { RawClient, req } from '../helpers/raw-client.js';
import { startUpstream, type ScriptedUpstream } from '../helpers/upstream.js';
import { delay, stopAll, until } from '../helpers/wait.js';

describe('graceful shutdown', { timeout: 60_000 }, () => {
  let u: ScriptedUpstream | undefined;
  let jw: Daemon | undefined;

  afterEach(() => stopAll(jw, u));

  async function setUp(shutdownTimeout: string, workers = 2) {
    u = await startUpstream({
      name: 'u',
      handler: async (r, reply) => {
        if (r.target === '/slow') await delay(1500);
        if (r.target === '/never') return reply.stall();
        reply.send(200, 'finished');
      },
    });
    jw = await startDaemon({
      workers,
      shutdown_timeout: shutdownTimeout,
      clusters: [cluster('api', [u], { health: NO_PASSIVE })],
      routes: [route('api', { prefix: '/' })],
    });
    return jw;
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(
      `finishes an in-flight request on ${signal}, refuses new connections, exits 0`,
      { timeout: 20_000 },
      async () => {
        const d = await setUp('5s');
        const c = await RawClient.connect(d.port);
        c.send(req('GET /slow HTTP/1.1', 'Host: example.test'));
        await u!.waitForRequests((rs) => rs.some((r) => r.target === '/slow'));
        d.signal(signal);
        await until('the listener to close', async () => !(await isListening(d.port)), 1000);
        assert.equal(d.exit, undefined, 'exited before the in-flight request finished');

        const res = await c.response({ timeoutMs: 5000 });
        c.destroy();
        assert.equal(res.status, 200);
        assert.equal(res.body.toString(), 'finished');
        assert.equal(await d.waitExit(5000), true, 'still running after the request finished');
        assert.deepEqual(d.exit, { code: 0, signal: null });
        assert.equal(await isListening(d.adminPort), false);
      },
    );
  }

  it(
    'cuts requests still running at shutdown_timeout and exits 0',
    { timeout: 20_000 },
    async () => {
      const d = await setUp('1s');
      const c = await RawClient.connect(d.port);
      c.send(req('GET /never HTTP/1.1', 'Host: example.test'));
      await u!.waitForRequests((rs) => rs.some((r) => r.target === '/never'));
      const sent = performance.now();
      d.signal('SIGTERM');
      assert.equal(await d.waitExit(5000), true, 'did not exit after shutdown_timeout');
      const ms = performance.now() - sent;
      assert.deepEqual(d.exit, { code: 0, signal: null });
      assert.ok(ms > 800 && ms < 3500, `exited ${ms} ms after SIGTERM`);
      assert.equal(await c.waitClosed(1000), true, 'the cut client connection stayed open');
      c.destroy();
    },
  );

  it('exits 0 at once on SIGTERM when idle', { timeout: 20_000 }, async () => {
    const d = await setUp('10s');
    const sent = performance.now();
    d.signal('SIGTERM');
    assert.equal(await d.waitExit(3000), true);
    assert.deepEqual(d.exit, { code: 0, signal: null });
    assert.ok(performance.now() - sent < 2000);
    assert.equal(d.stderr.trim(), '', 'stderr at shutdown');
  });
});
