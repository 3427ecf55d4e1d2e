// Health checks under steady traffic. C19: active probes take an upstream out only after
// `unhealthy_threshold` failures in a row and bring it back after `healthy_threshold` good
// ones, with no restart; with every upstream down clients get 503 at once; each flip is logged
// once. Passive checks eject an upstream after consecutive failures for `eject_time`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cluster, route } from '../helpers/config.js';
import { startDaemon, type Daemon, type LogLine } from '../helpers/daemon.js';
import { HttpClient, header } from '../helpers/http.js';
import { RawClient, req } from '../helpers/raw-client.js';
import { startUpstream, type Handler, type ScriptedUpstream } from '../helpers/upstream.js';
import { delay, stopAll, until } from '../helpers/wait.js';

interface Hit {
  at: number;
  status: number;
  upstream: string;
  ms: number;
}

/** About 20 requests a second until stopped; every answer is recorded. */
function steadyTraffic(http: HttpClient, path: string) {
  const hits: Hit[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const pace = delay(50);
      const at = performance.now();
      const answer = await http.request(path, { timeoutMs: 5000 }).catch(() => undefined);
      hits.push({
        at,
        status: answer?.status ?? 0,
        upstream: answer ? header(answer, 'x-upstream') : '',
        ms: answer?.ms ?? 5000,
      });
      await pace;
    }
  })();
  return {
    hits,
    since: (t: number) => hits.filter((h) => h.at >= t),
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

const flips = (jw: Daemon, msg: string, u: ScriptedUpstream): LogLine[] =>
  jw.logs.filter((l) => l.component === 'health' && l.msg === msg && l.upstream === u.address);
const count = (jw: Daemon, msg: string, u: ScriptedUpstream): number => flips(jw, msg, u).length;

describe('active health checks (C19)', { timeout: 90_000 }, () => {
  let u1: ScriptedUpstream;
  let u2: ScriptedUpstream;
  let jw: Daemon;
  let http: HttpClient;
  let failProbes = 0;

  before(async () => {
    const u1Script: Handler = (r, reply) => {
      if (r.target === '/health' && failProbes > 0) {
        failProbes--;
        return reply.send(500, 'sick');
      }
      reply.echo();
    };
    u1 = await startUpstream({ name: 'u1', handler: u1Script });
    u2 = await startUpstream({ name: 'u2' });
    jw = await startDaemon({
      clusters: [
        cluster('api', [u1, u2], {
          retries: 1,
          health: {
            active: {
              path: '/health',
              interval: '250ms',
              timeout: '200ms',
              unhealthy_threshold: 3,
              healthy_threshold: 2,
            },
            passive: { max_failures: 0 },
          },
        }),
      ],
      routes: [route('api', { prefix: '/' })],
    });
    http = new HttpClient(jw.origin);
  });

  after(() => stopAll(http, jw, u1, u2));

  it(
    'takes an upstream out after 3 failed probes, brings it back after 2, logging each flip once',
    { timeout: 60_000 },
    async () => {
      const traffic = steadyTraffic(http, '/work');
      try {
        // (1) One failed probe: U1 stays in rotation.
        failProbes = 1;
        await delay(1500);
        assert.equal(failProbes, 0, 'the failing probe never ran');
        assert.deepEqual(flips(jw, 'upstream unhealthy', u1), [], 'flipped on a single probe');
        const t1 = performance.now() - 700;
        assert.ok(
          traffic.since(t1).some((h) => h.upstream === 'u1'),
          'U1 left rotation',
        );

        // (2) U1 refuses connections: out after three probes, traffic all on U2.
        const down = performance.now();
        await u1.stop();
        const out = await jw.waitForLog(
          (l) => l.msg === 'upstream unhealthy' && l.upstream === u1.address,
          4000,
        );
        const outAfter = performance.now() - down;
        assert.ok(outAfter > 400, `out after ${outAfter} ms: fewer than 3 probes`);
        assert.equal(typeof out.cause, 'string');
        assert.equal(out.cluster, 'api');
        const status = await jw.statusJson();
        assert.equal(status.clusters[0]!.upstreams[0]!.healthy, false);
        const t2 = performance.now();
        await delay(1000);
        const whileOut = traffic.since(t2);
        assert.ok(whileOut.length >= 10, `only ${whileOut.length} requests in 1 s`);
        assert.ok(
          whileOut.every((h) => h.status === 200 && h.upstream === 'u2'),
          'U1 still used',
        );
        const errors = traffic.since(down).filter((h) => h.status !== 200);
        assert.ok(
          errors.every((h) => h.at - down < 200),
          `client errors after U1 was gone: ${JSON.stringify(errors)}`,
        );

        // (3) U1 answers again: back after two good probes, no restart.
        await u1.listen();
        const back = performance.now();
        await jw.waitForLog((l) => l.msg === 'upstream healthy' && l.upstream === u1.address, 3000);
        await delay(700);
        assert.ok(
          traffic.since(back).some((h) => h.upstream === 'u1'),
          'U1 not back in rotation',
        );

        // (4) Both down: 503 at once; both back: traffic resumes by itself.
        await Promise.all([u1.stop(), u2.stop()]);
        await until(
          'both upstreams to flip to unhealthy',
          () =>
            count(jw, 'upstream unhealthy', u1) === 2 && count(jw, 'upstream unhealthy', u2) === 1,
          4000,
        );
        const t4 = performance.now();
        await delay(500);
        const allDown = traffic.since(t4);
        assert.ok(allDown.length >= 5, `only ${allDown.length} requests in 500 ms`);
        assert.ok(
          allDown.every((h) => h.status === 503 && h.ms < 200),
          JSON.stringify(allDown),
        );
        await Promise.all([u1.listen(), u2.listen()]);
        await until(
          'both upstreams to flip to healthy',
          () => count(jw, 'upstream healthy', u1) === 2 && count(jw, 'upstream healthy', u2) === 1,
          3000,
        );
        await delay(500);
        const resumed = traffic.since(performance.now() - 400);
        assert.ok(resumed.length > 0 && resumed.every((h) => h.status === 200), 'no recovery');
      } finally {
        await traffic.stop();
      }
      assert.equal(flips(jw, 'upstream unhealthy', u1).length, 2);
      assert.equal(flips(jw, 'upstream healthy', u1).length, 2);
      assert.equal(flips(jw, 'upstream unhealthy', u2).length, 1);
      assert.equal(flips(jw, 'upstream healthy', u2).length, 1);
    },
  );
});

describe('passive health checks', { timeout: 30_000 }, () => {
  let bad: ScriptedUpstream;
  let good: ScriptedUpstream;
  let jw: Daemon;
  let http: HttpClient;

  before(async () => {
    bad = await startUpstream({ name: 'bad', handler: (_r, reply) => reply.send(500, 'no') });
    good = await startUpstream({ name: 'good' });
    jw = await startDaemon({
      clusters: [
        cluster('api', [bad, good], {
          retries: 0,
          health: { passive: { max_failures: 3, eject_time: '1s', count_5xx: true } },
        }),
      ],
      routes: [route('api', { prefix: '/' })],
    });
    http = new HttpClient(jw.origin);
  });

  after(() => stopAll(http, jw, bad, good));

  it(
    'ejects an upstream after 3 failures in a row and takes it back after eject_time',
    { timeout: 15_000 },
    async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await http.request(`/a/${i}`)).status);
      assert.equal(statuses.filter((s) => s === 500).length, 3, statuses.join(' '));
      const ejected = await jw.waitForLog((l) => l.msg === 'upstream ejected', 1000);
      assert.equal(ejected.upstream, bad.address);
      assert.equal(ejected.cluster, 'api');
      const status = await jw.statusJson();
      assert.equal(status.clusters[0]!.upstreams[0]!.ejected, true);

      const during: number[] = [];
      for (let i = 0; i < 6; i++) during.push((await http.request(`/b/${i}`)).status);
      assert.deepEqual(during, [200, 200, 200, 200, 200, 200]);

      await delay(1100);
      const later: number[] = [];
      for (let i = 0; i < 4; i++) later.push((await http.request(`/c/${i}`)).status);
      assert.ok(later.includes(500), `not back after eject_time: ${later.join(' ')}`);
      assert.equal(jw.logs.filter((l) => l.msg === 'upstream ejected').length, 1);
    },
  );
});

describe('passive health checks and client faults', { timeout: 30_000 }, () => {
  let u: ScriptedUpstream;
  let jw: Daemon;

  before(async () => {
    u = await startUpstream({ name: 'u' });
    jw = await startDaemon({
      clusters: [
        cluster('api', [u], { health: { passive: { max_failures: 3, eject_time: '30s' } } }),
      ],
      routes: [route('api', { prefix: '/' })],
    });
  });

  after(() => stopAll(jw, u));

  it(
    'never ejects an upstream for requests the client got wrong',
    { timeout: 10_000 },
    async () => {
      for (let i = 0; i < 5; i++) {
        const c = await RawClient.connect(jw.port);
        c.send(req(`POST /bad/${i} HTTP/1.1`, 'Host: x', 'Content-Length: ') + 'abc');
        const res = await c.response({ timeoutMs: 3000 }).catch(() => undefined);
        c.destroy();
        assert.notEqual(res?.status, 502, 'a client framing fault was blamed on the upstream');
      }
      const http = new HttpClient(jw.origin);
      try {
        assert.equal((await http.request('/good')).status, 200);
      } finally {
        await http.close();
      }
      assert.deepEqual(
        jw.logs.filter((l) => l.msg === 'upstream ejected'),
        [],
        'the upstream was ejected',
      );
    },
  );
});
