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

test('spares that hold a Node layer are kept per kind, and made after the plain ones', async () => {
  const errors: unknown[] = [];
  const pool = new SparePool({ clock: systemClock, perSize: 1, prewarmMb: [], maxSizes: 4, refillDelayMs: 0, onError: (e) => errors.push(e) });
  try {
    pool.want(48, 'node');
    pool.want(48, 'plain');
    await until(() => pool.ready(48, 'plain') + pool.ready(48, 'node') >= 1);
    assert.equal(pool.ready(48, 'plain'), 1, 'the plain spare is made first, though the node one was wanted first');
    await until(() => pool.ready(48, 'node') === 1);
    const node = pool.take(48, 'node');
    assert.ok(node?.layer, 'a node spare holds the layer, evaluated');
    const plain = pool.take(48, 'plain');
    assert.equal(plain?.layer, null, 'a plain spare holds none');
    assert.equal(pool.take(48, 'node-async'), undefined, 'no spare of a kind not yet wanted');
    for (const p of [node, plain]) if (p) discard(p);
    assert.deepEqual(errors, []);
  } finally {
    await pool.close();
  }
});
