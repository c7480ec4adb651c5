import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, systemClock } from '../../core/clock.ts';
import { discard, prepare } from './prepare.ts';
import { SparePool } from './spares.ts';

const until = async (ok: () => boolean) => {
  for (let i = 0; i < 2000 && !ok(); i++) await new Promise((r) => setTimeout(r, 2));
  assert.ok(ok());
};

/** Waits until `ok`, letting the pool's fills that are due now run: the fake clock need not move between them. */
const fillsDueNow = (clock: FakeClock) => async (ok: () => boolean) => {
  for (let i = 0; i < 2000 && !ok(); i++) {
    clock.advance(0);
    await new Promise((r) => setTimeout(r, 2));
  }
  assert.ok(ok());
};

test('a start that finds no spare ready waits for the one being made; a second start does not', async () => {
  const errors: unknown[] = [];
  const pool = new SparePool({ clock: systemClock, perSize: 1, prewarmMb: [48], maxSizes: 2, refillDelayMs: 0, yieldBoundMs: 20, compactAfterMs: Infinity, onError: (e) => errors.push(e) });
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
  const pool = new SparePool({ clock: systemClock, perSize: 1, prewarmMb: [], maxSizes: 4, refillDelayMs: 0, yieldBoundMs: 20, compactAfterMs: Infinity, onError: (e) => errors.push(e) });
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

test('after the wait that follows a take, spares are made one after another, the kind furthest short first', async () => {
  const errors: unknown[] = [];
  const clock = new FakeClock();
  const pool = new SparePool({ clock, perSize: 2, prewarmMb: [48], maxSizes: 4, refillDelayMs: 50, yieldBoundMs: 20, compactAfterMs: Infinity, onError: (e) => errors.push(e) });
  const filled = fillsDueNow(clock);
  const taken: Array<ReturnType<SparePool['take']>> = [];
  try {
    pool.want(48, 'node');
    await filled(() => pool.ready(48, 'plain') === 2 && pool.ready(48, 'node') === 2);
    taken.push(pool.take(48, 'node'), pool.take(48, 'node'), pool.take(48, 'plain'));
    assert.ok(taken.every((p) => p !== undefined));
    clock.advance(49);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(pool.refilling, false, 'nothing made until the wait after the latest take is over');
    clock.advance(1);
    await until(() => pool.ready(48, 'node') + pool.ready(48, 'plain') === 2);
    assert.equal(pool.ready(48, 'node'), 1, 'the node kind, two short, is refilled first');
    await filled(() => pool.ready(48, 'plain') === 2 && pool.ready(48, 'node') === 2);
    assert.deepEqual(errors, []);
  } finally {
    for (const p of taken) if (p) discard(p);
    await pool.close();
  }
});

test('a spare being made gives way to a start under way while its kind has one ready, and goes on when the start ends', async () => {
  const errors: unknown[] = [];
  const clock = new FakeClock();
  const pool = new SparePool({ clock, perSize: 2, prewarmMb: [48], maxSizes: 2, refillDelayMs: 5, yieldBoundMs: 1000, compactAfterMs: Infinity, onError: (e) => errors.push(e) });
  const taken: Array<ReturnType<SparePool['take']>> = [];
  const filled = fillsDueNow(clock);
  try {
    await filled(() => pool.ready(48) === 2);
    const ended = pool.startBegan();
    taken.push(pool.take(48));
    clock.advance(5);
    await until(() => pool.givingWay);
    assert.equal(pool.ready(48), 1, 'nothing made while the start is under way and a spare of the kind is ready');
    ended();
    await until(() => pool.ready(48) === 2);
    assert.equal(pool.givingWay, false);
    assert.deepEqual(errors, []);
  } finally {
    for (const p of taken) if (p) discard(p);
    await pool.close();
  }
});

test('a spare being made stops giving way once its kind has none ready, or after the bound', async () => {
  const errors: unknown[] = [];
  const clock = new FakeClock();
  const pool = new SparePool({ clock, perSize: 2, prewarmMb: [48], maxSizes: 2, refillDelayMs: 5, yieldBoundMs: 100, compactAfterMs: Infinity, onError: (e) => errors.push(e) });
  const taken: Array<ReturnType<SparePool['take']>> = [];
  const filled = fillsDueNow(clock);
  try {
    await filled(() => pool.ready(48) === 2);
    const ended = pool.startBegan();
    taken.push(pool.take(48));
    clock.advance(5);
    await until(() => pool.givingWay);
    // a second start takes the last one: the next start of this kind may need the one being made
    const second = pool.startBegan();
    taken.push(pool.take(48));
    assert.equal(pool.givingWay, false, 'the kind has none ready: the spare is made without waiting');
    await until(() => pool.ready(48) === 1);
    // the next one, after the wait that follows a take, gives way again (one of its kind is ready), until the bound
    clock.advance(5);
    await until(() => pool.givingWay);
    assert.equal(pool.ready(48), 1);
    // each step waits at most the bound
    for (let i = 0; i < 2000 && pool.ready(48) < 2; i++) {
      if (pool.givingWay) clock.advance(100);
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal(pool.ready(48), 2);
    ended();
    second();
    assert.deepEqual(errors, []);
  } finally {
    for (const p of taken) if (p) discard(p);
    await pool.close();
  }
});

test('once no start has asked for a spare for a while, ready spares are compacted, which sheds the garbage of making them', async () => {
  const errors: unknown[] = [];
  const clock = new FakeClock();
  const pool = new SparePool({ clock, perSize: 1, prewarmMb: [48], maxSizes: 2, refillDelayMs: 5, yieldBoundMs: 20, compactAfterMs: 100, onError: (e) => errors.push(e) });
  const taken: Array<ReturnType<SparePool['take']>> = [];
  try {
    await until(() => {
      clock.advance(0);
      return pool.ready(48) === 1;
    });
    const first = pool.take(48);
    assert.ok(first);
    taken.push(first);
    const made = await prepare(48, true);
    taken.push(made);
    const before = made.isolate.getHeapStatisticsSync().used_heap_size;
    clock.advance(5);
    await until(() => pool.ready(48) === 1);
    clock.advance(94);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(pool.compacted(48), 0, 'not before the quiet time is over');
    clock.advance(1);
    await until(() => pool.compacted(48) === 1);
    const spare = pool.take(48);
    assert.ok(spare);
    taken.push(spare);
    const after = spare.isolate.getHeapStatisticsSync().used_heap_size;
    assert.ok(after < before - 256 * 1024, `a compacted spare holds less: ${after} bytes against ${before} as made`);
    assert.deepEqual(errors, []);
  } finally {
    for (const p of taken) if (p) discard(p);
    await pool.close();
  }
});

test('no compaction while a start is under way, nor before the quiet time after it', async () => {
  const errors: unknown[] = [];
  const clock = new FakeClock();
  const pool = new SparePool({ clock, perSize: 1, prewarmMb: [48], maxSizes: 2, refillDelayMs: 5, yieldBoundMs: 20, compactAfterMs: 100, onError: (e) => errors.push(e) });
  try {
    const ended = pool.startBegan();
    await until(() => {
      clock.advance(0);
      return pool.ready(48) === 1;
    });
    clock.advance(200);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(pool.compacted(48), 0);
    ended();
    clock.advance(99);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(pool.compacted(48), 0, 'the quiet time counts from the end of the start');
    clock.advance(1);
    await until(() => pool.compacted(48) === 1);
    assert.deepEqual(errors, []);
  } finally {
    await pool.close();
  }
});

test('no compaction while code runs in an isolate: it waits another quiet time', async () => {
  const errors: unknown[] = [];
  const clock = new FakeClock();
  let busy = true;
  const pool = new SparePool({ clock, perSize: 1, prewarmMb: [48], maxSizes: 2, refillDelayMs: 5, yieldBoundMs: 20, compactAfterMs: 100, busy: () => busy, onError: (e) => errors.push(e) });
  try {
    await until(() => {
      clock.advance(0);
      return pool.ready(48) === 1;
    });
    clock.advance(300);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(pool.compacted(48), 0);
    busy = false;
    for (let i = 0; i < 2000 && pool.compacted(48) === 0; i++) {
      clock.advance(100);
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal(pool.compacted(48), 1);
    assert.deepEqual(errors, []);
  } finally {
    await pool.close();
  }
});

test('a burst of starts makes the pool keep as many spares of that pair ready, up to its cap', async () => {
  const errors: unknown[] = [];
  const pool = new SparePool({ clock: systemClock, perSize: 1, maxPerSize: 3, burstWindowMs: 60_000, demandHalfLifeMs: 3_600_000, prewarmMb: [48], maxSizes: 2, refillDelayMs: 0, yieldBoundMs: 20, compactAfterMs: Infinity, onError: (e) => errors.push(e) });
  const taken: Array<ReturnType<SparePool['take']>> = [];
  try {
    await until(() => pool.ready(48) === 1);
    assert.equal(pool.wanted(48), 1, 'no history: the base count');
    for (let i = 0; i < 4; i++) taken.push(pool.take(48));
    assert.equal(pool.wanted(48), 3, 'four starts in one window, capped at 3');
    await until(() => pool.ready(48) === 3);
    assert.deepEqual(errors, []);
  } finally {
    for (const p of taken) if (p) discard(p);
    await pool.close();
  }
});

test('what a burst keeps ready decays back to the base with the clock', () => {
  const clock = new FakeClock();
  const pool = new SparePool({ clock, perSize: 2, maxPerSize: 4, burstWindowMs: 500, demandHalfLifeMs: 300_000, prewarmMb: [], maxSizes: 2, refillDelayMs: 600_000, yieldBoundMs: 20, compactAfterMs: Infinity, onError: () => {} });
  for (let i = 0; i < 4; i++) {
    assert.equal(pool.take(48, 'node'), undefined);
    clock.advance(5);
  }
  assert.equal(pool.wanted(48, 'node'), 4);
  assert.equal(pool.wanted(48, 'plain'), 2, 'other pairs keep their own count');
  clock.advance(300_000);
  assert.equal(pool.wanted(48, 'node'), 2);
  return pool.close();
});

test('once what a burst keeps has decayed, the ready spares beyond it are discarded by the clock', async () => {
  const clock = new FakeClock();
  const errors: unknown[] = [];
  const pool = new SparePool({ clock, perSize: 1, maxPerSize: 3, burstWindowMs: 500, demandHalfLifeMs: 60_000, prewarmMb: [], maxSizes: 2, refillDelayMs: 0, yieldBoundMs: 20, compactAfterMs: Infinity, onError: (e) => errors.push(e) });
  try {
    for (let i = 0; i < 3; i++) assert.equal(pool.take(48), undefined);
    // the fills' timers are on the fake clock: step it until the three spares are there
    await until(() => {
      clock.advance(0);
      return pool.ready(48) === 3;
    });
    // 3 x 2^-x = 2.01 at x = 0.578 half-lives (34.7 s)
    clock.advance(34_000);
    assert.equal(pool.ready(48), 3, 'still wanted');
    clock.advance(1_000);
    assert.equal(pool.wanted(48), 2);
    assert.equal(pool.ready(48), 2, 'one discarded when the count went down, with no take or fill');
    clock.advance(120_000);
    assert.equal(pool.wanted(48), 1);
    assert.equal(pool.ready(48), 1);
    assert.deepEqual(errors, []);
  } finally {
    await pool.close();
  }
});

test('a start that waits for the spare being made counts as one ask', async () => {
  const errors: unknown[] = [];
  const pool = new SparePool({ clock: systemClock, perSize: 1, maxPerSize: 4, burstWindowMs: 60_000, demandHalfLifeMs: 3_600_000, prewarmMb: [48], maxSizes: 2, refillDelayMs: 0, yieldBoundMs: 20, compactAfterMs: Infinity, onError: (e) => errors.push(e) });
  const taken: Array<ReturnType<SparePool['take']>> = [];
  try {
    await until(() => pool.ready(48) === 1);
    taken.push(pool.take(48));
    await until(() => pool.refilling);
    taken.push(await pool.takeSoon(48));
    assert.ok(taken[1], 'it got the spare that was being made');
    assert.equal(pool.wanted(48), 2);
    assert.deepEqual(errors, []);
  } finally {
    for (const p of taken) if (p) discard(p);
    await pool.close();
  }
});

test('instances that went away make the pool keep a spare each for their return; a pair it does not keep is ignored', async () => {
  const clock = new FakeClock();
  const errors: unknown[] = [];
  const pool = new SparePool({ clock, perSize: 1, maxPerSize: 3, burstWindowMs: 500, demandHalfLifeMs: 60_000, prewarmMb: [48], maxSizes: 2, refillDelayMs: 0, yieldBoundMs: 20, compactAfterMs: Infinity, onError: (e) => errors.push(e) });
  try {
    await fillsDueNow(clock)(() => pool.ready(48) === 1);
    pool.gone(64, 'plain', 'f');
    assert.equal(pool.wanted(64), 1, 'a pair with no spares kept is not made one by an instance gone');
    for (let i = 0; i < 3; i++) {
      pool.gone(48, 'plain', `f${i}`);
      clock.advance(2_000);
    }
    assert.equal(pool.wanted(48), 3);
    await fillsDueNow(clock)(() => pool.ready(48) === 3);
    // spread over minutes they count less: after one half-life, 3 -> 1.5 (still 2 kept, one discarded)
    clock.advance(60_000);
    assert.equal(pool.ready(48), 2);
    assert.deepEqual(errors, []);
  } finally {
    await pool.close();
  }
});

test('an instance gone renews the quiet time before compaction: its function may come back at once', async () => {
  const errors: unknown[] = [];
  const clock = new FakeClock();
  const pool = new SparePool({ clock, perSize: 1, prewarmMb: [48], maxSizes: 2, refillDelayMs: 5, yieldBoundMs: 20, compactAfterMs: 100, onError: (e) => errors.push(e) });
  try {
    await fillsDueNow(clock)(() => pool.ready(48) === 1);
    clock.advance(60);
    pool.gone(48, 'plain', 'f');
    clock.advance(60);
    // a compaction under way holds its spare out of reach of takes from its first step
    assert.equal(pool.ready(48), 1, 'a second quiet time counts from the instance gone');
    clock.advance(40);
    await fillsDueNow(clock)(() => pool.compacted(48) === 1);
    assert.deepEqual(errors, []);
  } finally {
    await pool.close();
  }
});
