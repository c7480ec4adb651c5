import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { EnqueueInput } from '../store/queue-ports.ts';
import { Membership } from './membership.ts';

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};
const item = (id: string): EnqueueInput => ({ id, kind: 'invoke', target: 'fn', trigger: 'async', source: 't', payload: '{}' });

test('membership: heartbeats; the items of a node that stopped heartbeating are re-queued, a live node keeps its own', async () => {
  const clock = new FakeClock(0);
  const store = openSqliteStore(':memory:');
  const recovered: number[] = [];
  const member = (nodeId: string) =>
    new Membership({
      clock,
      nodes: store.nodes,
      queue: store.queue,
      nodeId,
      describe: () => ({ address: `http://${nodeId}`, version: '1', load: 0, instances: 0 }),
      intervalMs: 1_000,
      staleAfterMs: 5_000,
      onRecovered: (n) => recovered.push(n),
    });
  const a = member('a');
  const b = member('b');
  assert.equal(await a.start(), 0);
  assert.equal(await b.start(), 0);
  await store.queue.enqueue([item('1'), item('2'), item('3')], 0, 60_000);
  await store.queue.claim('fn', 2, 0, 600_000, 'a');
  await store.queue.claim('fn', 1, 0, 600_000, 'b');
  // b dies: it stops heartbeating; a goes on
  (b as unknown as { periodic: { stop(): void } }).periodic.stop();
  for (let t = 0; t < 4; t++) {
    clock.advance(1_000);
    await settle();
  }
  assert.deepEqual(recovered, [], 'b is not stale yet');
  for (let t = 0; t < 3; t++) {
    clock.advance(1_000);
    await settle();
  }
  assert.deepEqual(recovered, [1], 'b’s item, once b is 5 s silent');
  assert.deepEqual([(await store.queue.get('1'))?.state, (await store.queue.get('2'))?.state, (await store.queue.get('3'))?.state], ['running', 'running', 'queued']);
  assert.deepEqual((await store.nodes.list()).map((n) => n.id), ['a', 'b']);
  // a restarts (same id): what its previous run left running is re-queued at once
  const again = member('a');
  assert.equal(await again.start(), 2);
  await a.stop();
  assert.deepEqual((await store.nodes.list()).map((n) => n.id), ['b'], 'a clean stop removes the row');
  await again.stop();
  await store.close();
});
