import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, systemClock } from '../../core/clock.ts';
import { discard } from './prepare.ts';
import { SparePool } from './spares.ts';

const until = async (ok: () => boolean) => {
  for (let i = 0; i < 2000 && !ok(); i++) await new Promise((r) => setTimeout(r, 2));
  assert.ok(ok());
};

test('a start that finds no spare ready waits for the one being made; a second start does not', async () => {
  const errors: unknown[] = [];
  const pool = new SparePool({ clock: systemClock, perSize: 1, prewarmMb: [48], maxSizes: 2, refillDelayMs: 0, onError: (e) => errors.push(e) });
  try {
    await until(() => pool.ready(48) === 1);
    const first = pool.take(48);
    assert.ok(first);
    await until(() => pool.refilling);
    const [waited, other] = await Promise.all([pool.takeSoon(48), pool.takeSoon(48)]);
    assert.ok(waited, 'the first waiter gets the spare that was being made');
    assert.equal(other, undefined, 'only one start waits for a spare being made; the other makes its own');
    for (const p of [first, waited]) if (p) discard(p);
    assert.deepEqual(errors, []);
  } finally {
    await pool.close();
  }
});

test('a refill that falls due while a start holds the pool waits for it, up to maxHoldMs', async () => {
  const clock = new FakeClock();
  const errors: unknown[] = [];
  const pool = new SparePool({ clock, perSize: 1, prewarmMb: [48], maxSizes: 1, refillDelayMs: 5, maxHoldMs: 50, onError: (e) => errors.push(e) });
  const taken: Array<ReturnType<SparePool['take']>> = [];
  try {
    clock.advance(5);
    await until(() => pool.ready(48) === 1);

    const release = pool.hold();
    taken.push(pool.take(48));
    assert.ok(taken[0]);
    clock.advance(5);
    clock.advance(5);
    clock.advance(20);
    assert.equal(pool.refilling, false, 'no isolate is made while the start runs');
    release();
    release(); // a second call changes nothing
    clock.advance(5);
    assert.equal(pool.refilling, true, 'the refill goes once the start is done');
    await until(() => pool.ready(48) === 1);

    pool.hold(); // a start that never ends
    taken.push(pool.take(48));
    clock.advance(5); // the refill falls due
    for (let waited = 5; waited < 50; waited += 5) {
      clock.advance(5);
      assert.equal(pool.refilling, false, `still held ${waited} ms after it fell due`);
    }
    clock.advance(5);
    assert.equal(pool.refilling, true, 'a refill waits no longer than maxHoldMs');
    await until(() => pool.ready(48) === 1);
    assert.deepEqual(errors, []);
  } finally {
    for (const p of taken) if (p) discard(p);
    await pool.close();
  }
});
