import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { it } from 'node:test';
import { ConsistentHash } from '../../ts/balance/consistent-hash.js';
import { ketamaRing } from '../helpers/ketama.js';
import { picks, req, ScriptedView } from '../helpers/scripted-view.js';

const UPSTREAMS = ['127.0.0.1:3001', '127.0.0.1:3002', '127.0.0.1:3003', '127.0.0.1:3004'];

function cluster(weights: number[]) {
  const view = new ScriptedView(weights);
  const ring = ketamaRing(weights.map((weight, i) => ({ name: UPSTREAMS[i], weight })));
  return { view, ring, policy: new ConsistentHash(view, ring) };
}

const KEYS = Array.from({ length: 2000 }, (_, n) => `user-${n}`);

it('consistent_hash sends each key to its own upstream on the ring, every time', () => {
  const { ring, policy } = cluster([1, 1, 1, 1]);
  for (const key of KEYS) {
    const own = ring.pick(key, 0);
    assert.equal(policy.pick(req({ hashKey: key })), own);
    assert.equal(policy.pick(req({ hashKey: key })), own);
  }
});

it('consistent_hash skips an unusable upstream to the next distinct upstream on the ring', () => {
  const { view, ring, policy } = cluster([1, 1, 1, 1]);
  const order = [0, 1, 2, 3].map((attempt) => ring.pick('user-7', attempt));
  assert.equal(new Set(order).size, 4);

  const expected = [];
  for (const i of order) {
    expected.push(policy.pick(req({ hashKey: 'user-7' })));
    view.down.add(i);
  }
  expected.push(policy.pick(req({ hashKey: 'user-7' })));
  assert.deepEqual(expected, [...order, -1]);
});

it("consistent_hash moves only an unusable upstream's keys, each to its next upstream", () => {
  const { view, ring, policy } = cluster([1, 1, 1, 1]);
  view.down.add(1);
  let moved = 0;
  for (const key of KEYS) {
    const own = ring.pick(key, 0);
    const expected = own === 1 ? ring.pick(key, 1) : own;
    if (own === 1) moved++;
    assert.equal(policy.pick(req({ hashKey: key })), expected, key);
  }
  assert.ok(moved > 300 && moved < 700, `${moved} of ${KEYS.length} keys were on b`);
});

it('consistent_hash sends a retry to the next upstream on the ring', () => {
  const { ring, policy } = cluster([1, 1, 1, 1]);
  const own = ring.pick('user-9', 0);
  assert.equal(policy.pick(req({ hashKey: 'user-9', tried: [own] })), ring.pick('user-9', 1));
});

it('consistent_hash spreads requests without a key by round robin', () => {
  const { policy } = cluster([1, 1, 1, 1]);
  assert.equal(
    picks(8, () => policy.pick(req({ hashKey: '' }))),
    'abcdabcd',
  );
});

it('consistent_hash shares keys roughly by weight', () => {
  const { policy } = cluster([1, 3]);
  const counts = [0, 0];
  for (const key of KEYS) counts[policy.pick(req({ hashKey: key }))]++;
  const share = counts[1] / KEYS.length;
  assert.ok(share > 0.65 && share < 0.85, `b got ${share}`);
});

// Recorded from nginx by the hot-path core; compiled tests run from dist/test/unit.
const NGINX_KETAMA = new URL('../../../test/vectors/ketama.json', import.meta.url);

interface KetamaVectors {
  sets: Array<{
    upstreams: Array<{ name: string; weight: number }>;
    picks: Array<{ key: string; upstream: number }>;
    fallbacks: Array<{ key: string; attempt: number; upstream: number }>;
  }>;
}

it("consistent_hash over ketama goes where nginx goes, and on to nginx's next upstream", (t) => {
  if (!existsSync(NGINX_KETAMA)) return t.skip('test/vectors/ketama.json comes with the core');
  const vectors = JSON.parse(readFileSync(NGINX_KETAMA, 'utf8')) as KetamaVectors;
  for (const set of vectors.sets) {
    const view = new ScriptedView(set.upstreams.map((u) => u.weight));
    const ring = ketamaRing(set.upstreams);
    const policy = new ConsistentHash(view, ring);
    for (const { key, upstream } of set.picks) {
      assert.equal(policy.pick(req({ hashKey: key })), upstream, key);
    }

    // nginx's fallback n is where it went once the upstreams of attempts 0..n-1 answered 503.
    for (const { key, attempt, upstream } of set.fallbacks) {
      view.down.clear();
      for (let a = 0; a < attempt; a++) view.down.add(ring.pick(key, a));
      assert.equal(policy.pick(req({ hashKey: key })), upstream, `${key}, attempt ${attempt}`);
    }
  }
});
