import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { IpHash } from '../../ts/balance/ip-hash.js';
import { picks, req, ScriptedView } from '../helpers/scripted-view.js';

interface VectorSet {
  weights: number[];
  down: number[];
  picks: Array<{ client: string; upstream: number }>;
}

// Compiled tests run from dist/test/unit; the vectors stay in the source tree.
const vectors = JSON.parse(
  readFileSync(new URL('../../../test/vectors/ip_hash.json', import.meta.url), 'utf8'),
) as { sets: VectorSet[] };

describe('ip_hash sends each client where nginx 1.22 sends it', () => {
  for (const set of vectors.sets) {
    it(`weights ${set.weights}, down [${set.down}]`, () => {
      const view = new ScriptedView(set.weights);
      set.down.forEach((i) => view.down.add(i));
      const policy = new IpHash(view);
      for (const { client, upstream } of set.picks) {
        // nginx hashes all 16 bytes of IPv4-mapped IPv6; Jetway hashes it as the IPv4 it is.
        if (client.startsWith('::ffff:')) continue;
        assert.equal(policy.pick(req({ clientIp: client })), upstream, client);
      }
    });
  }
});

it('ip_hash keeps a client, and its whole /24, on one upstream', () => {
  const policy = new IpHash(new ScriptedView([1, 1, 1]));
  const first = policy.pick(req({ clientIp: '10.0.1.1' }));
  for (let host = 0; host < 256; host++) {
    assert.equal(policy.pick(req({ clientIp: `10.0.1.${host}` })), first);
  }
});

it('ip_hash moves a client on while its upstream is unusable, and back after', () => {
  const view = new ScriptedView([1, 1, 1]);
  const policy = new IpHash(view);
  const client = req({ clientIp: '10.0.1.1' }); // nginx: b, and a rehash away from b gives c
  assert.equal(
    picks(3, () => policy.pick(client)),
    'bbb',
  );

  view.down.add(1);
  assert.equal(
    picks(3, () => policy.pick(client)),
    'ccc',
  );
  view.down.add(2);
  assert.equal(
    picks(3, () => policy.pick(client)),
    'aaa',
  );

  view.down.clear();
  assert.equal(
    picks(3, () => policy.pick(client)),
    'bbb',
  );
});

it('ip_hash sends a retry where a rehash leads, as for an unusable upstream', () => {
  const view = new ScriptedView([1, 1, 1]);
  const policy = new IpHash(view);
  assert.equal(policy.pick(req({ clientIp: '10.0.1.1', tried: [1] })), 2);
  assert.equal(policy.pick(req({ clientIp: '10.0.1.1', tried: [1, 2] })), 0);
});

it('ip_hash falls back to round robin after 20 rehashes land on unusable upstreams', () => {
  // c holds 1000 of 1002 weight units. For 1.26.0.1 the first 21 hashes land on c; a 22nd,
  // which nginx never computes, would land on b.
  const view = new ScriptedView([1, 1, 1000]);
  const policy = new IpHash(view);
  const client = req({ clientIp: '1.26.0.1' });
  assert.equal(policy.pick(client), 2);

  view.down.add(2);
  assert.equal(
    picks(6, () => policy.pick(client)),
    'ababab',
  );
});

it("ip_hash still takes the 21st hash's upstream, the last one nginx tries", () => {
  // For 1.65.1.1, hashes 1 to 20 land on c and hash 21 on b; a 22nd would fall back.
  const view = new ScriptedView([1, 1, 1000]);
  view.down.add(2);
  const policy = new IpHash(view);
  assert.equal(
    picks(4, () => policy.pick(req({ clientIp: '1.65.1.1' }))),
    'bbbb',
  );
});

it('ip_hash hashes IPv4-mapped IPv6 as the IPv4 address', () => {
  const policy = new IpHash(new ScriptedView([1, 1, 1, 1, 1]));
  for (const v4 of ['192.0.2.1', '10.0.1.1', '10.2.0.1', '172.16.1.9', '8.8.8.8']) {
    const mapped = policy.pick(req({ clientIp: `::ffff:${v4}` }));
    assert.equal(mapped, policy.pick(req({ clientIp: v4 })), v4);
    assert.equal(policy.pick(req({ clientIp: `::FFFF:${v4}` })), mapped, v4);
  }
});

it('ip_hash spreads clients that are not IP addresses by round robin', () => {
  const policy = new IpHash(new ScriptedView([1, 1, 1]));
  assert.equal(
    picks(6, () => policy.pick(req({ clientIp: 'unix:/tmp/x.sock' }))),
    'abcabc',
  );
});
