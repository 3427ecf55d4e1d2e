import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RandomTwo } from '../../ts/balance/random-two.js';
import {
  req,
  scriptedRandom,
  ScriptedView,
  seededRandom,
  tally,
} from '../helpers/scripted-view.js';

it('random_two keeps the less loaded of the two upstreams drawn', () => {
  const view = new ScriptedView([1, 1, 1]);
  view.load.splice(0, 3, 5, 0, 3);
  // 0.0 draws a; 0.99 draws the last of the two others, c. b, the idlest, is not drawn.
  const policy = new RandomTwo(view, scriptedRandom([0.0, 0.99, 0.5, 0.0]));
  assert.equal(policy.pick(req()), 2);
  // 0.5 draws b; 0.0 draws a: b is idle.
  assert.equal(policy.pick(req()), 1);
});

it('random_two takes the first drawn when both carry the same load', () => {
  const view = new ScriptedView([1, 1, 1]);
  const policy = new RandomTwo(view, scriptedRandom([0.7, 0.0, 0.0, 0.9]));
  assert.equal(policy.pick(req()), 2);
  assert.equal(policy.pick(req()), 0);
});

it('random_two weighs in-flight requests by weight', () => {
  const view = new ScriptedView([4, 1]);
  view.load.splice(0, 2, 6, 2); // 6/4 against 2/1
  const policy = new RandomTwo(view, scriptedRandom([0.9, 0.0]));
  assert.equal(policy.pick(req()), 0);
});

it('random_two draws again among the eligible when the pair holds an unusable one', () => {
  const view = new ScriptedView([1, 1, 1, 1]);
  view.load.splice(0, 4, 4, 3, 0, 1);
  view.down.add(2);
  // First pair a,c: c is down. Among a,b,d the ranks 2 (d) and 0 (a) are drawn: d is lighter.
  const policy = new RandomTwo(view, scriptedRandom([0.0, 0.5, 0.9, 0.0]));
  assert.equal(policy.pick(req()), 3);
});

it('random_two returns the last eligible upstream without a second pair', () => {
  const view = new ScriptedView([1, 1, 1]);
  view.down.add(0);
  const policy = new RandomTwo(view, scriptedRandom([0.0, 0.0]));
  assert.equal(policy.pick(req({ tried: [1] })), 2);
});

it('random_two spreads idle traffic evenly and avoids a loaded upstream', () => {
  const view = new ScriptedView([1, 1, 1]);
  const policy = new RandomTwo(view, seededRandom(1));
  const even = tally(3, 3000, () => policy.pick(req()));
  even.forEach((n) => assert.ok(n > 900 && n < 1100, `${even}`));

  view.load[0] = 10;
  const skewed = tally(3, 3000, () => policy.pick(req()));
  assert.equal(skewed[0], 0, 'a is drawn with one of the others, which always wins');
});
