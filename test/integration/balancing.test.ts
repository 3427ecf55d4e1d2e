// Selection policies through the daemon, on sequences: with one worker the policy's state is
// one, so the exact order of upstreams is known in advance. Each policy gets its own cluster
// of scripted upstreams that say who answered (`x-upstream`).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NO_PASSIVE, cluster, route } from '../helpers/config.js';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { HttpClient, header } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { startUpstream, type Handler, type ScriptedUpstream } from '../helpers/upstream.js';
import { stopAll, until } from '../helpers/wait.js';

/** Requests to /hold/ID wait until the test releases ID; anything else is echoed at once. */
class Holds {
  private readonly waiting = new Map<string, () => void>();

  readonly handler: Handler = async (r, reply) => {
    const id = /\/hold\/([^/?]+)/.exec(r.target)?.[1];
    if (id) await new Promise<void>((resolve) => this.waiting.set(id, resolve));
    reply.echo();
  };

  release(id: string): void {
    this.waiting.get(id)?.();
    this.waiting.delete(id);
  }

  releaseAll(): void {
    for (const id of [...this.waiting.keys()]) this.release(id);
  }
}

/** The upstream that received a request whose target ends with `needle`. */
function holder(ups: ScriptedUpstream[], needle: string): ScriptedUpstream | undefined {
  return ups.find((u) => u.requests.some((r) => r.target.endsWith(needle)));
}

describe('selection policies (one worker)', { timeout: 120_000 }, () => {
  const holds = new Holds();
  const up: Record<string, ScriptedUpstream[]> = {};
  let jw: Daemon;
  let http: HttpClient;

  before(async () => {
    const make = async (prefix: string, n: number, handler?: Handler) => {
      up[prefix] = [];
      for (let i = 1; i <= n; i++)
        up[prefix]!.push(await startUpstream({ name: `${prefix}${i}`, handler }));
    };
    await make('rr', 3);
    await make('rf', 2);
    await make('w', 3);
    await make('lc', 2, holds.handler);
    await make('ih', 3);
    await make('p2c', 3, holds.handler);
    const dead = `127.0.0.1:${await freePort()}`;
    const weighted = up.w!.map((u, i) => ({ address: u.address, weight: [5, 1, 1][i] }));
    jw = await startDaemon({
      trusted_proxies: ['127.0.0.1'],
      clusters: [
        cluster('rr', up.rr!, { policy: 'round_robin', health: NO_PASSIVE }),
        cluster('rf', [up.rf![0]!, dead, up.rf![1]!], {
          policy: 'round_robin',
          retries: 1,
          health: { passive: { max_failures: 1, eject_time: '30s' } },
        }),
        { ...cluster('w', []), upstreams: weighted, policy: 'weighted_round_robin' },
        cluster('lc', up.lc!, { policy: 'least_conn', health: NO_PASSIVE }),
        cluster('ih', up.ih!, { policy: 'ip_hash', health: NO_PASSIVE }),
        cluster('p2c', up.p2c!, { policy: 'random_two', health: NO_PASSIVE }),
      ],
      routes: ['rr', 'rf', 'w', 'lc', 'ih', 'p2c'].map((n) => route(n, { prefix: `/${n}` })),
    });
    http = new HttpClient(jw.origin);
  });

  after(async () => {
    holds.releaseAll();
    await stopAll(http, jw, ...Object.values(up).flat());
  });

  async function sequence(path: string, n: number, headers?: Record<string, string>) {
    const seq: string[] = [];
    for (let i = 0; i < n; i++) {
      const answer = await http.request(`${path}/${i}`, { headers });
      assert.equal(answer.status, 200, `${path}/${i}: ${answer.status}`);
      seq.push(header(answer, 'x-upstream'));
    }
    return seq;
  }

  it(
    'round_robin visits every upstream in turn, in a fixed order',
    { timeout: 10_000 },
    async () => {
      const seq = await sequence('/rr', 9);
      assert.equal(new Set(seq.slice(0, 3)).size, 3, seq.join(' '));
      assert.deepEqual(
        seq,
        seq.map((_, i) => seq[i % 3]),
        seq.join(' '),
      );
    },
  );

  it(
    'round_robin skips a refused upstream, retries, ejects it once, then shares evenly',
    { timeout: 10_000 },
    async () => {
      const first = await sequence('/rf', 3);
      const ejections = jw.logs.filter((l) => l.msg === 'upstream ejected');
      assert.equal(ejections.length, 1, JSON.stringify(ejections));
      assert.equal(ejections[0]!.cluster, 'rf');
      const seq = await sequence('/rf', 12);
      const count = (name: string) => seq.filter((u) => u === name).length;
      assert.ok(Math.abs(count('rf1') - 6) <= 1, `after ejection: ${seq.join(' ')}`);
      assert.ok(Math.abs(count('rf2') - 6) <= 1, `after ejection: ${seq.join(' ')}`);
      assert.ok(first.every((u) => u === 'rf1' || u === 'rf2'));
    },
  );

  it(
    'weighted_round_robin spreads 5:1:1 smoothly, as nginx does',
    { timeout: 10_000 },
    async () => {
      const seq = await sequence('/w', 14);
      const cycle = ['w1', 'w1', 'w2', 'w1', 'w3', 'w1', 'w1'];
      assert.deepEqual(seq, [...cycle, ...cycle]);
      const counts = (await sequence('/w', 70)).reduce(
        (m, u) => m.set(u, (m.get(u) ?? 0) + 1),
        new Map<string, number>(),
      );
      assert.deepEqual(Object.fromEntries(counts), { w1: 50, w2: 10, w3: 10 });
    },
  );

  it('least_conn sends the next request to the idle upstream', { timeout: 10_000 }, async () => {
    const lc = up.lc!;
    const a = http.request('/lc/hold/a');
    await until('a to arrive', () => holder(lc, 'hold/a') !== undefined);
    const b = http.request('/lc/hold/b');
    await until('b to arrive', () => holder(lc, 'hold/b') !== undefined);
    assert.notEqual(holder(lc, 'hold/a'), holder(lc, 'hold/b'), 'b joined the busy upstream');

    holds.release('a');
    assert.equal((await a).status, 200);
    const c = http.request('/lc/hold/c');
    await until('c to arrive', () => holder(lc, 'hold/c') !== undefined);
    assert.equal(holder(lc, 'hold/c'), holder(lc, 'hold/a'), 'c went to the busy upstream');
    holds.release('b');
    holds.release('c');
    assert.deepEqual([(await b).status, (await c).status], [200, 200]);
  });

  it('ip_hash keeps each client address on one upstream', { timeout: 20_000 }, async () => {
    const seen = new Map<string, Set<string>>();
    // Pseudo-random addresses from a fixed LCG: nginx's ip_hash sends some arithmetic
    // progressions of octets all to one upstream, which would say nothing about stickiness.
    let x = 12345;
    const octet = () => 1 + (((x = (x * 1103515245 + 12345) % 2 ** 31) >>> 16) % 250);
    for (let k = 1; k <= 20; k++) {
      const ip = `${octet()}.${octet()}.${octet()}.7`;
      const seq = await sequence('/ih', 3, { 'x-forwarded-for': ip });
      seen.set(ip, new Set(seq));
    }
    for (const [ip, ups] of seen) assert.equal(ups.size, 1, `${ip} moved: ${[...ups]}`);
    const used = new Set([...seen.values()].flatMap((s) => [...s]));
    assert.ok(used.size >= 2, `20 clients all on ${[...used]}`);
  });

  it(
    'random_two never picks the upstream with the most requests in flight',
    { timeout: 20_000 },
    async () => {
      const p2c = up.p2c!;
      const held = Array.from({ length: 12 }, (_, i) => http.request(`/p2c/hold/h${i}`));
      await until('12 held requests to arrive', () => p2c.flatMap((u) => u.requests).length === 12);
      const load = p2c.map((u) => u.requests.length);
      const busy = p2c[load.indexOf(Math.max(...load))]!;
      for (let i = 0; i < 12; i++) {
        if (holder([busy], `hold/h${i}`) === undefined) holds.release(`h${i}`);
      }
      await until('the others to drain', async () => {
        const s = (await jw.statusJson()).clusters.find((c) => c.name === 'p2c')!;
        return s.upstreams.filter((x) => x.address !== busy.address).every((x) => x.inflight === 0);
      });
      const seq = await sequence('/p2c/quick', 30);
      assert.ok(!seq.includes(busy.name), `${busy.name} (busy) got: ${seq.join(' ')}`);
      assert.equal(new Set(seq).size, 2, `quick requests: ${seq.join(' ')}`);
      holds.releaseAll();
      await Promise.all(held);
    },
  );
});
