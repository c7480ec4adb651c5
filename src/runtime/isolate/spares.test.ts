import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../core/clock.ts';
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
