import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../core/clock.ts';
import type { InvokeOutcome, InvokeRequest } from '../../dispatch/dispatcher.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { Store } from '../../store/ports.ts';
import { WorkflowEngine } from './engine.ts';
import { executionLease } from './ownership.ts';

const waitThenAdd = {
  StartAt: 'W',
  States: {
    W: { Type: 'Wait', Seconds: 20, Next: 'A' },
    A: { Type: 'Task', Resource: 'fn:add', End: true },
  },
};

function node(store: Store, clock: FakeClock, owner: string, calls: string[]): WorkflowEngine {
  const invoke = async (req: InvokeRequest): Promise<InvokeOutcome> => {
    calls.push(owner);
    const n = (req.input as { event: { n: number } }).event.n;
    return { ok: true, invocationId: req.invocationId!, record: { version: 1 } as never, value: { n: n + 1 } };
  };
  return new WorkflowEngine({ clock, repo: store.workflows, invoke, ownership: { leases: store.leases, owner, ttlMs: 9_000 } });
}

async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

test('two engines on one store: the starter drives its execution; when it stops renewing, the other adopts it within the lease time and finishes it once', async () => {
  const store = openSqliteStore(':memory:');
  const clock = new FakeClock(0);
  const calls: string[] = [];
  const a = node(store, clock, 'a', calls);
  const b = node(store, clock, 'b', calls);
  await a.recover();
  await b.recover();
  clock.advance(0);
  await settle(); // b's timer scheduler has looked and found nothing: the timer comes from a
  await a.deploy('w', waitThenAdd);
  const { execution } = await a.start('w', { n: 1 });
  assert.equal((await store.leases.holder(executionLease(execution.id), clock.now()))?.owner, 'a');
  for (let t = 0; t < 5_000; t += 500) {
    clock.advance(500);
    await settle();
  }
  assert.deepEqual([a.running, b.running], [1, 0], 'b leaves a live node’s execution alone');
  // a dies at 5 s: it stops renewing and stops firing timers
  (a as unknown as { keeping: { stop(): void } }).keeping.stop();
  await a.close(0);
  await store.leases.acquire(executionLease(execution.id), 'a', clock.now(), 9_000); // its last renewal, just before it died
  const diedAt = clock.now();
  let adoptedAt: number | null = null;
  while ((await b.describe(execution.id)).status === 'RUNNING' && clock.now() < 60_000) {
    clock.advance(500);
    await settle();
    if (adoptedAt === null && b.running === 1) adoptedAt = clock.now();
  }
  assert.ok(adoptedAt !== null && adoptedAt - diedAt <= 9_000 + 3_000, `adopted ${adoptedAt! - diedAt} ms after a died: within the lease and one renewal period`);
  const row = await b.describe(execution.id);
  assert.deepEqual([row.status, JSON.parse(row.output!)], ['SUCCEEDED', { n: 2 }]);
  assert.deepEqual(calls, ['b'], 'the task ran once, on b');
  await b.close(0);
  assert.equal(await store.leases.holder(executionLease(execution.id), clock.now()), null, 'an ended execution’s lease is given up');
  await store.close();
});

test('a clean stop gives the leases up: another engine adopts at once', async () => {
  const store = openSqliteStore(':memory:');
  const clock = new FakeClock(0);
  const calls: string[] = [];
  const a = node(store, clock, 'a', calls);
  await a.recover();
  await a.deploy('w', waitThenAdd);
  await a.start('w', { n: 1 });
  await a.close(0);
  const b = node(store, clock, 'b', calls);
  assert.equal(await b.recover(), 1);
  await b.close(0);
  await store.close();
});
