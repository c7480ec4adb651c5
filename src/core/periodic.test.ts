import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.ts';
import { repeatEvery } from './periodic.ts';

const settle = () => new Promise<void>((r) => setImmediate(r));

test('runs now, then every interval after each run; a failure is reported and the next run comes', async () => {
  const clock = new FakeClock();
  const errors: unknown[] = [];
  let runs = 0;
  const p = repeatEvery(clock, 1000, async () => {
    runs++;
    if (runs === 2) throw new Error('second fails');
  }, (e) => errors.push(e));
  await settle();
  assert.equal(runs, 1);
  clock.advance(999);
  await settle();
  assert.equal(runs, 1);
  clock.advance(1);
  await settle();
  assert.equal(runs, 2);
  assert.equal(errors.length, 1);
  clock.advance(1000);
  await settle();
  assert.equal(runs, 3);
  p.stop();
  clock.advance(5000);
  await settle();
  assert.equal(runs, 3, 'nothing runs after stop');
  assert.equal(clock.pendingTimers(), 0);
});
