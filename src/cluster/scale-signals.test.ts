import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openLocalBus } from '../bus/local/local-bus.ts';
import { FakeClock } from '../core/clock.ts';
import { Capacity } from '../pool/capacity.ts';
import { elsewhere, ScaleSignals, SIGNAL_EVERY_MS, type NodeScale } from './scale-signals.ts';

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

test('each node hears what the others run, not itself; a node not heard for the stale time stops counting', async () => {
  const clock = new FakeClock(0);
  const bus = openLocalBus();
  const runs: Record<string, NodeScale> = {
    a: { functions: { api: 3, img: 1 }, instances: 4, memoryMb: 512 },
    b: { functions: { api: 2 }, instances: 2, memoryMb: 256 },
    c: { functions: {}, instances: 0, memoryMb: 0 },
  };
  const nodes = Object.fromEntries(
    Object.keys(runs).map((id) => [id, new ScaleSignals({ clock, bus, namespace: 'nimbus.t', nodeId: id, staleAfterMs: 3_000, describe: () => runs[id], onError: (e) => assert.fail(String(e)) })]),
  );
  for (const n of Object.values(nodes)) n.start();
  await settle();
  const seen = (id: string) => {
    const e = nodes[id].elsewhere();
    return { instances: e.instances, memoryMb: e.memoryMb, nodes: e.nodes, api: e.functions.get('api') ?? 0 };
  };
  assert.deepEqual(seen('c'), { instances: 6, memoryMb: 768, nodes: 2, api: 5 });
  assert.deepEqual(seen('a'), { instances: 2, memoryMb: 256, nodes: 2, api: 2 }, 'a does not count itself');
  // b scales up: the others see it at its next signal.
  runs.b = { functions: { api: 5 }, instances: 5, memoryMb: 640 };
  clock.advance(SIGNAL_EVERY_MS);
  await settle();
  assert.equal(seen('c').api, 8);
  // a dies (no more signals): after the stale time its instances no longer count.
  nodes.a.stop();
  clock.advance(2_000);
  await settle();
  assert.equal(seen('c').api, 8, 'heard within the stale time: still counted');
  clock.advance(1_000);
  await settle();
  assert.deepEqual(seen('c'), { instances: 5, memoryMb: 640, nodes: 1, api: 5 });
  for (const n of Object.values(nodes)) n.stop();
});

test('elsewhere(): a word heard in the future (a clock step back) or at the stale limit is left out; forged signals are ignored', async () => {
  const heard = new Map([
    ['x', { functions: { f: 1 }, instances: 1, memoryMb: 128, heardAt: 1_000 }],
    ['y', { functions: { f: 2 }, instances: 2, memoryMb: 128, heardAt: 5_000 }],
  ]);
  assert.equal(elsewhere(heard, 4_000, 3_000).instances, 0, 'x at the limit, y in the future');
  assert.equal(elsewhere(heard, 3_999, 3_000).instances, 1);
  const clock = new FakeClock(0);
  const bus = openLocalBus();
  const s = new ScaleSignals({ clock, bus, namespace: 'nimbus.t', nodeId: 'me', staleAfterMs: 3_000, describe: () => ({ functions: {}, instances: 0, memoryMb: 0 }), onError: () => {} });
  s.start();
  for (const bad of [null, 'x', { origin: 'o', instances: 'many', memoryMb: 1, functions: {} }, { origin: 'o', instances: 1, memoryMb: 1, functions: { f: -5 } }, { origin: 'o', instances: 1, memoryMb: 1, functions: null }]) {
    await bus.publish('nimbus.t.scale', bad);
  }
  await settle();
  assert.equal(s.elsewhere().nodes, 0);
  s.stop();
});

test('platform caps count the other nodes: a reserve beyond max instances or the memory budget across the cluster is refused', () => {
  let other = { instances: 3, memoryMb: 384 };
  const cap = new Capacity(5, 1024, () => other);
  assert.equal(cap.room(128), 2);
  assert.ok(cap.tryReserve(128));
  assert.ok(cap.tryReserve(128));
  assert.equal(cap.tryReserve(128), false, '2 here + 3 elsewhere = 5');
  assert.equal(cap.full(128), 'platform-instances');
  other = { instances: 0, memoryMb: 768 };
  assert.equal(cap.full(128), 'memory-budget', '256 here + 768 elsewhere = the budget');
  assert.equal(cap.room(128), 0);
  other = { instances: 0, memoryMb: 0 };
  assert.equal(cap.room(128), 3);
  assert.deepEqual(cap.usage(), { instances: 2, memoryMb: 256, maxInstances: 5, memoryBudgetMb: 1024 }, 'usage is this node’s own');
});
