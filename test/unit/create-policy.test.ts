import assert from 'node:assert/strict';
import { it } from 'node:test';
import { BalanceError, createPolicy, StatesView } from '../../ts/balance/index.js';
import { ConsistentHash } from '../../ts/balance/consistent-hash.js';
import { IpHash } from '../../ts/balance/ip-hash.js';
import { LeastConn } from '../../ts/balance/least-conn.js';
import { RandomTwo } from '../../ts/balance/random-two.js';
import { RoundRobin } from '../../ts/balance/round-robin.js';
import { WeightedRoundRobin } from '../../ts/balance/weighted-round-robin.js';
import { configSchema, POLICIES, type ClusterConfig } from '../../ts/config/schema.js';
import { UpstreamStates } from '../../ts/health/state.js';
import { ketamaRing } from '../helpers/ketama.js';
import { picks, req, ScriptedView } from '../helpers/scripted-view.js';

function clusterConfig(policy: string, count = 3): ClusterConfig {
  const upstreams = Array.from({ length: count }, (_, i) => ({ address: `127.0.0.1:${3001 + i}` }));
  const config = configSchema.parse({
    listeners: [{ port: 8080 }],
    clusters: [{ name: 'api', policy, upstreams }],
    routes: [{ cluster: 'api' }],
  });
  return config.clusters[0];
}

const RING = ketamaRing([1, 2, 3].map((n) => ({ name: `127.0.0.1:300${n}`, weight: 1 })));

it('createPolicy builds the selection policy each cluster names', () => {
  const expected = {
    round_robin: RoundRobin,
    weighted_round_robin: WeightedRoundRobin,
    least_conn: LeastConn,
    ip_hash: IpHash,
    consistent_hash: ConsistentHash,
    random_two: RandomTwo,
  };
  for (const name of POLICIES) {
    const policy = createPolicy(clusterConfig(name), new ScriptedView([1, 1, 1]), RING);
    assert.ok(policy instanceof expected[name], name);
  }
});

it('createPolicy refuses consistent_hash without a ring', () => {
  assert.throws(
    () => createPolicy(clusterConfig('consistent_hash'), new ScriptedView([1, 1, 1])),
    (err) => err instanceof BalanceError && err.code === 'JETWAY_POLICY_RING_MISSING',
  );
});

it('createPolicy refuses a view with another number of upstreams than the config', () => {
  assert.throws(
    () => createPolicy(clusterConfig('round_robin', 3), new ScriptedView([1, 1])),
    (err) => err instanceof BalanceError && err.code === 'JETWAY_POLICY_VIEW_SIZE',
  );
});

it('a policy over the shared state skips unhealthy and ejected upstreams until they return', () => {
  // Slots 0-1 belong to another cluster; this one owns slots 2-4.
  const states = UpstreamStates.create(5);
  let now = 1_000_000;
  const view = new StatesView(states, 2, [1, 1, 1], () => now);
  const policy = createPolicy(clusterConfig('round_robin'), view);
  assert.equal(
    picks(3, () => policy.pick(req())),
    'abc',
  );

  states.setActiveHealthy(3, false);
  assert.equal(states.recordFailure(4, now, 1, 30_000), true);
  assert.equal(
    picks(3, () => policy.pick(req())),
    'aaa',
  );

  states.setActiveHealthy(3, true);
  assert.equal(
    picks(3, () => policy.pick(req())),
    'bab',
  );
  now += 30_000;
  assert.equal(
    picks(3, () => policy.pick(req())),
    'cab',
  );
});

it('least_conn over the shared state sees requests in flight from every worker', () => {
  const states = UpstreamStates.create(2);
  const policy = createPolicy(clusterConfig('least_conn', 2), new StatesView(states, 0, [1, 1]));
  const otherWorker = new UpstreamStates(states.buffers);
  otherWorker.acquire(0);
  assert.equal(
    picks(3, () => policy.pick(req())),
    'bbb',
  );
  otherWorker.release(0);
  assert.equal(policy.pick(req()), 0);
});
