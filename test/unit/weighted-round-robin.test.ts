import assert from 'node:assert/strict';
import { it } from 'node:test';
import { WeightedRoundRobin } from '../../ts/balance/weighted-round-robin.js';
import { picks, req, ScriptedView, tally } from '../helpers/scripted-view.js';

it('weighted_round_robin with weights 5,1,1 gives a,a,b,a,c,a,a like nginx', () => {
  const policy = new WeightedRoundRobin(new ScriptedView([5, 1, 1]));
  assert.equal(
    picks(14, () => policy.pick(req())),
    'aabacaa' + 'aabacaa',
  );
});

it('weighted_round_robin shares requests exactly by weight over each full round', () => {
  const policy = new WeightedRoundRobin(new ScriptedView([3, 2, 1]));
  assert.deepEqual(
    tally(3, 600, () => policy.pick(req())),
    [300, 200, 100],
  );
});

it('weighted_round_robin keeps the others in ratio while one is unusable', () => {
  const view = new ScriptedView([5, 1, 1]);
  const policy = new WeightedRoundRobin(view);
  view.down.add(0);
  assert.equal(
    picks(6, () => policy.pick(req())),
    'bcbcbc',
  );

  view.down.delete(0);
  assert.deepEqual(
    tally(3, 70, () => policy.pick(req())),
    [50, 10, 10],
  );
});

it('weighted_round_robin passes over a tried upstream for that request only', () => {
  const policy = new WeightedRoundRobin(new ScriptedView([5, 1, 1]));
  assert.equal(policy.pick(req({ tried: [0] })), 1);
  assert.equal(policy.pick(req()), 0);
  assert.equal(policy.pick(req({ tried: [0, 1] })), 2);
});
