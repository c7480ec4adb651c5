import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../core/clock.ts';
import { MAX_AWAY, NO_DEMAND, nextDropAt, recordAsk, recordGone, sparesWanted, type SpareDemand, type SpareDemandOptions } from './spare-demand.ts';

const opts: SpareDemandOptions = { base: 2, cap: 4, windowMs: 500, halfLifeMs: 300_000 };

/** Asks at the clock's current time, `gapMs` apart. */
function asks(clock: FakeClock, d: SpareDemand, n: number, gapMs: number, o = opts): SpareDemand {
  for (let i = 0; i < n; i++) {
    if (i > 0) clock.advance(gapMs);
    d = recordAsk(d, clock.monotonic(), o);
  }
  return d;
}

test('with no history the pool keeps the base count', () => {
  const clock = new FakeClock();
  assert.equal(sparesWanted(NO_DEMAND, clock.monotonic(), opts), 2);
});

test('a burst of starts raises the count to its size, bounded by the cap', () => {
  const clock = new FakeClock();
  const three = asks(clock, NO_DEMAND, 3, 10);
  assert.equal(sparesWanted(three, clock.monotonic(), opts), 3);
  const six = asks(clock, three, 3, 10);
  assert.equal(sparesWanted(six, clock.monotonic(), opts), 4, 'six starts in one window keep the cap, 4');
});

test('starts spread over more than a window are not a burst', () => {
  const clock = new FakeClock();
  const d = asks(clock, NO_DEMAND, 6, 600);
  assert.equal(sparesWanted(d, clock.monotonic(), opts), 2);
});

test('the count a burst keeps decays over minutes, back to the base', () => {
  const clock = new FakeClock();
  const d = asks(clock, NO_DEMAND, 4, 5);
  assert.equal(sparesWanted(d, clock.monotonic(), opts), 4);
  clock.advance(60_000);
  assert.equal(sparesWanted(d, clock.monotonic(), opts), 4, 'a minute later: 4 x 2^-0.2 = 3.48, still 4');
  clock.advance(240_000);
  assert.equal(sparesWanted(d, clock.monotonic(), opts), 2, 'one half-life later: 2');
  clock.advance(600_000);
  assert.equal(sparesWanted(d, clock.monotonic(), opts), 2, 'never below the base');
});

test('a smaller burst after the peak decayed below it becomes the peak; one above what is left replaces it', () => {
  const clock = new FakeClock();
  let d = asks(clock, NO_DEMAND, 4, 5);
  clock.advance(1_000);
  d = asks(clock, d, 2, 5);
  assert.equal(d.peak, 4, 'two starts do not outweigh a burst of four a second ago');
  clock.advance(900_000);
  d = asks(clock, d, 3, 5);
  assert.equal(d.peak, 3, 'three starts outweigh four after three half-lives (0.5)');
  assert.equal(sparesWanted(d, clock.monotonic(), opts), 3);
});

test('a base of 0 keeps none whatever the demand; a cap below the base keeps the base', () => {
  const clock = new FakeClock();
  const d = asks(clock, NO_DEMAND, 4, 5);
  assert.equal(sparesWanted(d, clock.monotonic(), { ...opts, base: 0 }), 0);
  assert.equal(sparesWanted(d, clock.monotonic(), { ...opts, cap: 1 }), 2);
});

/** One instance of each of `fns` gone at the clock's current time, `gapMs` apart. */
function gone(clock: FakeClock, d: SpareDemand, fns: readonly string[], gapMs: number): SpareDemand {
  for (const [i, fn] of fns.entries()) {
    if (i > 0) clock.advance(gapMs);
    d = recordGone(d, clock.monotonic(), opts, fn);
  }
  return d;
}

const awayNow = (d: SpareDemand, now: number) => [...d.away.values()].reduce((sum, a) => sum + a.count * 2 ** (-(now - a.at) / opts.halfLifeMs), 0);

test('instances that went away, even seconds apart, keep a spare each for their return, bounded by the cap', () => {
  const clock = new FakeClock();
  const three = gone(clock, NO_DEMAND, ['a', 'b', 'c'], 2_000);
  assert.equal(sparesWanted(three, clock.monotonic(), opts), 3, 'no burst of starts needed: three went, three may come back');
  const six = gone(clock, three, ['d', 'e', 'a'], 2_000);
  assert.equal(sparesWanted(six, clock.monotonic(), opts), 4, 'the cap');
  assert.equal(sparesWanted(gone(clock, NO_DEMAND, ['a'], 0), clock.monotonic(), opts), 2, 'one gone: the base still covers it');
});

test('a start makes up for its own function\'s instance gone, not for another\'s', () => {
  const clock = new FakeClock();
  // a deploy phase: functions come and go in turn, each first request after the one before went away
  let d = NO_DEMAND;
  for (const fn of ['a', 'b', 'c', 'd']) {
    d = recordAsk(d, clock.monotonic(), opts, fn);
    clock.advance(1_500);
    d = recordGone(d, clock.monotonic(), opts, fn);
  }
  assert.equal(sparesWanted(d, clock.monotonic(), opts), 4, 'all four are away, though each start came after another went');
  d = recordAsk(d, clock.monotonic(), opts, 'b');
  assert.equal(d.away.has('b'), false, 'b came back');
  assert.equal(sparesWanted(d, clock.monotonic(), opts), 3, 'the three still away keep three');
});

test('a function that scales to zero and back again and again keeps the base', () => {
  const clock = new FakeClock();
  let d = NO_DEMAND;
  for (let i = 0; i < 20; i++) {
    d = recordGone(d, clock.monotonic(), opts, 'cycling');
    clock.advance(3_000);
    d = recordAsk(d, clock.monotonic(), opts, 'cycling');
    clock.advance(3_000);
  }
  assert.equal(sparesWanted(d, clock.monotonic(), opts), 2);
  assert.equal(d.away.size, 0, 'nothing left away');
});

test('the return of those gone, as a burst, is then remembered as one', () => {
  const clock = new FakeClock();
  const fns = ['a', 'b', 'c', 'd'];
  let d = gone(clock, NO_DEMAND, fns, 1_500);
  clock.advance(1_000);
  for (const [i, fn] of fns.entries()) {
    const wanted = sparesWanted(d, clock.monotonic(), opts);
    assert.ok(wanted >= 4 - i, `before start ${i + 1}: ${wanted} kept, fewer than the ${4 - i} still to come back`);
    d = recordAsk(d, clock.monotonic(), opts, fn);
    clock.advance(5);
  }
  assert.equal(d.away.size, 0, 'all four came back');
  assert.equal(sparesWanted(d, clock.monotonic(), opts), 4, 'the burst they made keeps four');
});

test('what instances gone keep decays over minutes, back to the base; the functions remembered are bounded', () => {
  const clock = new FakeClock();
  const d = gone(clock, NO_DEMAND, ['a', 'b', 'c', 'd'], 10);
  clock.advance(300_000);
  assert.equal(sparesWanted(d, clock.monotonic(), opts), 2);
  const many = gone(clock, NO_DEMAND, Array.from({ length: MAX_AWAY + 10 }, (_, i) => `f${i}`), 1);
  assert.equal(many.away.size, MAX_AWAY);
  assert.equal(many.away.has('f0'), false, 'the oldest are forgotten first');
  assert.equal(sparesWanted(many, clock.monotonic(), opts), 4);
});

test('nextDropAt: when the count next goes down with nothing new; never at the base', () => {
  const clock = new FakeClock();
  assert.equal(nextDropAt(NO_DEMAND, clock.monotonic(), opts), Number.POSITIVE_INFINITY);
  const d = asks(clock, NO_DEMAND, 4, 0);
  const t0 = clock.monotonic();
  const at = nextDropAt(d, t0, opts);
  assert.ok(at > t0 && Number.isFinite(at));
  assert.equal(sparesWanted(d, at - 1, opts), 4, 'a millisecond before: still four');
  assert.equal(sparesWanted(d, at + 1, opts), 3, 'a millisecond after: three');
  const next = nextDropAt(d, at + 1, opts);
  assert.equal(sparesWanted(d, next - 1, opts), 3);
  assert.equal(sparesWanted(d, next + 1, opts), 2);
  assert.equal(nextDropAt(d, next + 1, opts), Number.POSITIVE_INFINITY, 'at the base: no more drops');
});

test('nextDropAt waits for both histories, and for the cap: six gone drop from four only once worth three', () => {
  const clock = new FakeClock();
  let d = gone(clock, NO_DEMAND, ['a', 'b', 'c', 'd', 'e', 'f'], 1_000);
  d = recordAsk(d, clock.monotonic(), opts, 'a');
  const t0 = clock.monotonic();
  const at = nextDropAt(d, t0, opts);
  const worth = awayNow(d, t0);
  assert.ok(worth > 4.9 && worth < 5, `five left away, a little decayed (${worth})`);
  assert.ok(Math.abs(at - (t0 + opts.halfLifeMs * Math.log2(worth / 3.01))) < 1, `${at - t0}`);
  assert.equal(sparesWanted(d, at - 1, opts), 4);
  assert.equal(sparesWanted(d, at + 1, opts), 3);
});
