import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../core/clock.ts';
import { NO_DEMAND, recordAsk, sparesWanted, type SpareDemand, type SpareDemandOptions } from './spare-demand.ts';

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
