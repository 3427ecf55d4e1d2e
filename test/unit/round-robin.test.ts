import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RoundRobin } from '../../ts/balance/round-robin.js';
import { picks, req, ScriptedView } from '../helpers/scripted-view.js';

it('round_robin gives each upstream in turn, ignoring weights', () => {
  const policy = new RoundRobin(new ScriptedView([5, 1, 1]));
  assert.equal(
    picks(7, () => policy.pick(req())),
    'abcabca',
  );
});

it("round_robin splits an unusable upstream's share evenly over the rest", () => {
  const view = new ScriptedView([1, 1, 1]);
  const policy = new RoundRobin(view);
  assert.equal(
    picks(2, () => policy.pick(req())),
    'ab',
  );

  view.down.add(1);
  assert.equal(
    picks(6, () => policy.pick(req())),
    'cacaca',
  );

  view.down.delete(1);
  assert.equal(
    picks(4, () => policy.pick(req())),
    'bcab',
  );
});

it('round_robin sends a retry to the next upstream, not the one tried', () => {
  const policy = new RoundRobin(new ScriptedView([1, 1, 1]));
  assert.equal(policy.pick(req()), 0);
  assert.equal(policy.pick(req({ tried: [1] })), 2);
  assert.equal(policy.pick(req({ tried: [0, 2] })), 1);
  assert.equal(policy.pick(req()), 2);
});
