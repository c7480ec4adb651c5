import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.ts';
import { leaseRepo } from '../store/sqlite/lease-store.ts';
import { LeaseKeeper } from './lease-keeper.ts';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test('two keepers of one lease: one holds it and renews; when it stops renewing the other takes over within the lease time', async () => {
  const clock = new FakeClock(0);
  const leases = leaseRepo();
  const gained: string[] = [];
  const keeper = (owner: string) => new LeaseKeeper({ clock, leases, name: 'cron', owner, ttlMs: 9_000, onGained: () => gained.push(owner) });
  const a = keeper('a');
  const b = keeper('b');
  await a.start();
  await b.start();
  assert.deepEqual([a.held(), b.held(), gained], [true, false, ['a']]);
  for (let i = 0; i < 10; i++) {
    clock.advance(3_000);
    await settle();
  }
  assert.deepEqual([a.held(), b.held(), gained], [true, false, ['a']], 'a renews every 3 s: b never gets it');
  // a dies: its timer stops, nothing is released
  (a as unknown as { periodic: { stop(): void } }).periodic.stop();
  const diedAt = clock.now();
  assert.equal(a.held(), true);
  clock.advance(7_200);
  assert.equal(a.held(), false, 'a dead holder stops acting on it before it expires (80%)');
  while (!b.held()) {
    clock.advance(1_000);
    await settle();
  }
  const takeover = clock.now() - diedAt;
  assert.ok(takeover <= 9_000 + 3_000, `b holds it ${takeover} ms after a stopped: within lease + one renewal period`);
  assert.deepEqual(gained, ['a', 'b']);
  await b.stop();
  assert.equal(b.held(), false);
  assert.equal(await leases.holder('cron', clock.now()), null, 'a clean stop releases it');
});
