/**
 * The decider in a cluster (step 8): other nodes' instances of the function, from their scale
 * signals, are passed in with the stats; a FakeClock and a real window, as decider.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.ts';
import { decide, type ScaleStats } from './decider.ts';
import { makeSettings, type ScalingSettings } from './settings.ts';
import { windowFor } from './window.ts';

const S = 1000;

/** Two nodes' deciders side by side: each steady under `load` concurrency for a full window. */
function steady(load: number, overrides: Partial<ScalingSettings> = {}) {
  const clock = new FakeClock();
  const settings = makeSettings({ targetConcurrency: 10, concurrencyLimit: 20, minInstances: 0, maxInstances: 10, scaleToZeroAfterMs: 30 * S, ...overrides });
  const window = windowFor(settings, clock.now());
  for (let i = 0; i < 60; i++) {
    window.record(clock.now(), load);
    clock.advance(S);
  }
  const at = (ready: number, elsewhere?: ScaleStats['elsewhere']) => decide(settings, { ready, starting: 0, ...window.snapshot(clock.now()), ...(elsewhere ? { elsewhere } : {}) }, clock.now());
  return { at };
}

test('alone, or with other nodes that run none of it, the decision is as on one node', () => {
  const n = steady(60); // 60 in flight / target 10 → 6
  assert.equal(n.at(6).desired, 6);
  assert.equal(n.at(6, { instances: 0, nodes: 3 }).desired, 6);
  assert.equal(n.at(6, { instances: 0, nodes: 3 }).boundBy, 'none');
});

test('growth stops at what maxInstances leaves beside the other nodes’ instances, but a node may always have its fair share', () => {
  const n = steady(80); // wants 8
  const d = n.at(2, { instances: 7, nodes: 2 }); // max 10 − 7 elsewhere = 3 room; share ⌊10/2⌋ = 5 → ceiling max(3, min(8, 5)) = 5
  assert.equal(d.desired, 5);
  assert.equal(d.boundBy, 'cluster-max');
  assert.match(d.reason, /maxInstances 10 less 7 on other nodes leaves 3; 5, this node's share of 2 nodes/);
  // Three nodes, the others at 4 each: room 2, share ⌊10/3⌋ = 3 → 3.
  assert.equal(n.at(0, { instances: 8, nodes: 3 }).desired, 3);
  // A cap below the node count (a singleton): share 0, only the room counts.
  const one = steady(80, { maxInstances: 1 });
  assert.equal(one.at(0, { instances: 1, nodes: 3 }).desired, 0, 'one elsewhere: none here');
  assert.equal(one.at(0, { instances: 0, nodes: 3 }).desired, 1);
});

test('nodes over the cap shrink back toward their fair share and the cap', () => {
  const n = steady(60); // each wants 6; two nodes × 6 = 12 > 10
  // Node a sees b's 6: room 4, share 5 → 5; b the same → 10 in all.
  const d = n.at(6, { instances: 6, nodes: 2 });
  assert.equal(d.desired, 5);
  assert.equal(d.boundBy, 'cluster-max');
  // The next round, each sees the other's 5: room 5 = share → stays at 5.
  assert.equal(n.at(5, { instances: 5, nodes: 2 }).desired, 5);
  // A node that holds 9 while a late one took its share of 5: room 1, share 5 → back to 5.
  assert.equal(n.at(9, { instances: 5, nodes: 2 }).desired, 5);
});

test('the cluster cap wins over minInstances; below the cap minInstances holds per node', () => {
  const n = steady(0, { minInstances: 2, maxInstances: 4 });
  assert.equal(n.at(0, { instances: 4, nodes: 3 }).desired, 1, 'four elsewhere: no room, a share of ⌊4/3⌋ = 1');
  assert.equal(n.at(0, { instances: 2, nodes: 2 }).desired, 2, 'two elsewhere: min 2 fits');
});
