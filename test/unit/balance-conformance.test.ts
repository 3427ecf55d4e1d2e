// The conformance suite every selection policy runs: what SelectionPolicy promises, checked on
// scripted sequences of usable, unusable and tried upstreams.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsistentHash } from '../../ts/balance/consistent-hash.js';
import { IpHash } from '../../ts/balance/ip-hash.js';
import { LeastConn } from '../../ts/balance/least-conn.js';
import type { ClusterView, SelectionPolicy } from '../../ts/balance/policy.js';
import { RandomTwo } from '../../ts/balance/random-two.js';
import { RoundRobin } from '../../ts/balance/round-robin.js';
import { WeightedRoundRobin } from '../../ts/balance/weighted-round-robin.js';
import { ketamaRing } from '../helpers/ketama.js';
import { req, ScriptedView, seededRandom } from '../helpers/scripted-view.js';

const ADDRESSES = ['127.0.0.1:3001', '127.0.0.1:3002', '127.0.0.1:3003', '127.0.0.1:3004'];

const POLICIES: Array<[string, (view: ClusterView) => SelectionPolicy]> = [
  ['round_robin', (v) => new RoundRobin(v)],
  ['weighted_round_robin', (v) => new WeightedRoundRobin(v)],
  ['least_conn', (v) => new LeastConn(v)],
  ['ip_hash', (v) => new IpHash(v)],
  ['consistent_hash', (v) => new ConsistentHash(v, ringFor(v))],
  ['random_two', (v) => new RandomTwo(v, seededRandom(7))],
];

function ringFor(view: ClusterView) {
  const upstreams = [];
  for (let i = 0; i < view.size; i++) {
    upstreams.push({ name: ADDRESSES[i], weight: view.weight(i) });
  }
  return ketamaRing(upstreams);
}

/** The n-th request of a run: a different client and key each time, so hashes spread too. */
function nth(n: number, tried: number[] = []) {
  return req({ clientIp: `10.${n % 256}.${(n * 7) % 256}.1`, hashKey: `user-${n}`, tried });
}

for (const [name, make] of POLICIES) {
  describe(`${name} (selection policy conformance)`, () => {
    it('returns -1 at once when no upstream is usable', () => {
      const view = new ScriptedView([1, 1, 1]);
      [0, 1, 2].forEach((i) => view.down.add(i));
      const policy = make(view);
      for (let n = 0; n < 50; n++) assert.equal(policy.pick(nth(n)), -1);
    });

    it('returns -1 when every usable upstream was tried', () => {
      const view = new ScriptedView([1, 1, 1]);
      view.down.add(1);
      const policy = make(view);
      for (let n = 0; n < 50; n++) assert.equal(policy.pick(nth(n, [2, 0])), -1);
    });

    it('returns the one usable, untried upstream every time', () => {
      const view = new ScriptedView([3, 1, 2, 1]);
      view.down.add(0);
      view.down.add(3);
      const policy = make(view);
      for (let n = 0; n < 50; n++) assert.equal(policy.pick(nth(n, [1])), 2);
    });

    it('always picks upstream 0 of a cluster of one', () => {
      const policy = make(new ScriptedView([5]));
      for (let n = 0; n < 20; n++) assert.equal(policy.pick(nth(n)), 0);
    });

    it('never picks an unusable or tried upstream while upstreams flap', () => {
      const view = new ScriptedView([1, 2, 1, 3]);
      const policy = make(view);
      const flip = seededRandom(42);
      for (let n = 0; n < 2000; n++) {
        for (let i = 0; i < 4; i++)
          if (flip() < 0.3) view.down.add(i);
          else view.down.delete(i);
        view.load.forEach((_, i) => (view.load[i] = Math.floor(flip() * 4)));
        const tried = flip() < 0.3 ? [Math.floor(flip() * 4)] : [];

        const picked = policy.pick(nth(n, tried));
        const left = [0, 1, 2, 3].filter((i) => !view.down.has(i) && !tried.includes(i));
        if (left.length === 0) assert.equal(picked, -1, `pick ${n}`);
        else assert.ok(left.includes(picked), `pick ${n}: ${picked} not in ${left}`);
      }
    });

    it('reaches every upstream over many requests', () => {
      const view = new ScriptedView([1, 1, 1, 1]);
      const policy = make(view);
      const seen = new Set<number>();
      for (let n = 0; n < 400; n++) seen.add(policy.pick(nth(n)));
      assert.deepEqual([...seen].sort(), [0, 1, 2, 3]);
    });
  });
}
