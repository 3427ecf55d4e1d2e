// C20: consistent hashing through the daemon. 1000 user ids are hashed on `X-User-Id` over a
// cluster of five upstreams; the cluster is then edited (one removed; put back in another
// order; a sixth added) by restarting the daemon with the new list, and every id is sent
// again. Only the keys that must move may move.
//
// Upstream addresses (the ring's names) carry run-time ports, so each run builds a different
// ring. Measured over 3000 random rings with 160 ketama points per upstream (nginx's count),
// the largest share deviation from even is above C20's 25% in about 4% of rings (99th
// percentile 30%, 99.9th 36%), and the share moved to a sixth upstream spans 9.5-22.7%
// around 1/6. Ketama is therefore held to bounds it meets every run (45%; 9-25%), and C20's
// 25% is held on maglev, whose lookup table spreads keys evenly by construction.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NO_PASSIVE, cluster, route } from '../helpers/config.js';
import { startDaemon } from '../helpers/daemon.js';
import { HttpClient, header } from '../helpers/http.js';
import { startUpstream, type ScriptedUpstream } from '../helpers/upstream.js';
import { stopAll } from '../helpers/wait.js';

const IDS = Array.from({ length: 1000 }, (_, i) => `user-${i * 7919}`);

/** Starts Jetway over `ups` (in that order), sends every id, returns id -> upstream name. */
async function mapIds(
  ups: ScriptedUpstream[],
  algorithm: 'ketama' | 'maglev' = 'ketama',
): Promise<Map<string, string>> {
  const jw = await startDaemon({
    clusters: [
      cluster('ring', ups, {
        policy: 'consistent_hash',
        hash: { key: 'header:x-user-id', algorithm },
        health: NO_PASSIVE,
      }),
    ],
    routes: [route('ring', { prefix: '/' })],
  });
  const http = new HttpClient(jw.origin, { connections: 16 });
  const out = new Map<string, string>();
  try {
    for (let i = 0; i < IDS.length; i += 50) {
      await Promise.all(
        IDS.slice(i, i + 50).map(async (id) => {
          const answer = await http.request('/profile', { headers: { 'x-user-id': id } });
          assert.equal(answer.status, 200);
          out.set(id, header(answer, 'x-upstream'));
        }),
      );
    }
  } finally {
    await stopAll(http, jw);
  }
  return out;
}

function moved(from: Map<string, string>, to: Map<string, string>): string[] {
  return IDS.filter((id) => from.get(id) !== to.get(id));
}

/** How many of the ids each of `ups` got. */
function shares(map: Map<string, string>, ups: ScriptedUpstream[]): number[] {
  return ups.map((up) => IDS.filter((id) => map.get(id) === up.name).length);
}

describe('consistent_hash remapping (C20)', { timeout: 180_000 }, () => {
  const u: ScriptedUpstream[] = [];
  let base: Map<string, string>;

  before(async () => {
    for (let i = 1; i <= 6; i++) u.push(await startUpstream({ name: `h${i}` }));
    base = await mapIds(u.slice(0, 5));
  });

  after(() => stopAll(...u));

  it('ketama gives every upstream a share of the keys', { timeout: 5000 }, () => {
    const counts = shares(base, u.slice(0, 5));
    assert.ok(
      counts.every((n) => n >= 110 && n <= 290),
      `shares of 1000 keys: ${counts.join(' ')}`,
    );
  });

  it('ketama moves only the keys of a removed upstream', { timeout: 30_000 }, async () => {
    const without = await mapIds([u[0]!, u[1]!, u[3]!, u[4]!]);
    const stayers = IDS.filter((id) => base.get(id) !== 'h3');
    const kept = stayers.filter((id) => without.get(id) === base.get(id)).length;
    assert.ok(kept / stayers.length >= 0.99, `${stayers.length - kept} keys moved needlessly`);
    assert.ok(IDS.every((id) => without.get(id) !== 'h3'));
  });

  it('ketama moves no key when the list is only reordered', { timeout: 30_000 }, async () => {
    const reordered = await mapIds([u[4]!, u[2]!, u[0]!, u[3]!, u[1]!]);
    assert.deepEqual(moved(base, reordered), []);
  });

  it(
    'ketama moves about a sixth of the keys, all to an added upstream',
    {
      timeout: 30_000,
    },
    async () => {
      const six = await mapIds(u);
      const m = moved(base, six);
      assert.ok(m.length >= 90 && m.length <= 250, `${m.length} of 1000 keys moved`);
      assert.deepEqual(
        m.filter((id) => six.get(id) !== 'h6'),
        [],
        'keys moved between old upstreams',
      );
    },
  );

  it(
    'maglev keeps every share within 25% of even, and ignores list order',
    {
      timeout: 30_000,
    },
    async () => {
      const first = await mapIds(u.slice(0, 5), 'maglev');
      const counts = shares(first, u.slice(0, 5));
      assert.ok(
        counts.every((n) => n >= 150 && n <= 250),
        `shares: ${counts.join(' ')}`,
      );
      const reordered = await mapIds([u[4]!, u[2]!, u[0]!, u[3]!, u[1]!], 'maglev');
      assert.deepEqual(moved(first, reordered), []);
    },
  );
});
