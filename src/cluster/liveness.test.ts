import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aliveNodeIds, leaseUsable, nodeState, renewEveryMs } from './liveness.ts';

test('a lease is usable from its taking until 80% of its time, never before it was taken by more than its time', () => {
  assert.equal(leaseUsable(null, 0, 10_000), false);
  assert.equal(leaseUsable(1_000, 1_000, 10_000), true);
  assert.equal(leaseUsable(1_000, 8_999, 10_000), true);
  assert.equal(leaseUsable(1_000, 9_000, 10_000), false, 'the last fifth is slack for skew');
  assert.equal(leaseUsable(20_000, 9_000, 10_000), false, 'a clock stepped back by more than the lease');
  assert.equal(renewEveryMs(9_000), 3_000);
  assert.equal(renewEveryMs(10), 50);
});

test('a node is stale from staleAfterMs after its last heartbeat, either way of the clock', () => {
  assert.equal(nodeState({ lastSeen: 1_000 }, 5_999, 5_000), 'alive');
  assert.equal(nodeState({ lastSeen: 1_000 }, 6_000, 5_000), 'stale');
  assert.equal(nodeState({ lastSeen: 20_000 }, 6_000, 5_000), 'stale');
  const node = (id: string, lastSeen: number) => ({ id, lastSeen, address: '', version: '', startedAt: 0, load: 0, instances: 0 });
  assert.deepEqual(aliveNodeIds([node('a', 1_000), node('b', 5_000), node('c', 9_000)], 9_500, 5_000), ['b', 'c']);
});
