import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.ts';
import { ConcurrencyWindow, bucketMsFor, windowFor } from './window.ts';

const S = 1000;

function setup() {
  const clock = new FakeClock();
  const t0 = clock.now();
  const w = windowFor({ stableWindowMs: 60 * S, panicWindowMs: 6 * S }, t0);
  return { clock, t0, w };
}

test('averages are time-weighted, not per sample', () => {
  const { clock, w } = setup();
  // 4 for 250 ms, 8 for 250 ms, then 0: three records, one busy half-second.
  w.record(clock.now(), 4);
  clock.advance(250);
  w.record(clock.now(), 8);
  clock.advance(250);
  w.record(clock.now(), 0);
  clock.advance(500);
  // Area 4*250 + 8*250 = 3000 over 1000 ms observed: 3 (a mean of samples would say 4).
  assert.equal(w.average(clock.now(), 6 * S), 3);
});

test('10 requests for 1 s then nothing: averages 1 over 10 s, 1/6 over the full stable window', () => {
  const { clock, w } = setup();
  w.record(clock.now(), 10);
  clock.advance(1 * S);
  w.record(clock.now(), 0);
  clock.advance(9 * S);
  // Observation began 10 s ago, so the stable average covers 10 s only.
  assert.equal(w.average(clock.now(), 60 * S), 1);
  assert.equal(w.average(clock.now(), 6 * S), 0);
  clock.advance(50 * S);
  assert.equal(w.average(clock.now(), 60 * S), 10 / 60);
  clock.advance(1 * S);
  assert.equal(w.average(clock.now(), 60 * S), 0, 'the busy second has left the window');
});

test('panic and stable windows see the same curve at different lengths', () => {
  const { clock, w } = setup();
  w.record(clock.now(), 5);
  clock.advance(54 * S);
  w.record(clock.now(), 20);
  clock.advance(6 * S);
  const snap = w.snapshot(clock.now());
  assert.equal(snap.panicConcurrency, 20);
  assert.equal(snap.stableConcurrency, (54 * 5 + 6 * 20) / 60); // 6.5
  assert.equal(snap.currentConcurrency, 20);
  assert.equal(snap.lastActiveAt, clock.now());
});

test('a window start inside a bucket takes that bucket pro rata', () => {
  const { clock, t0, w } = setup();
  w.record(t0, 6);
  clock.advance(10_500);
  w.record(clock.now(), 0); // busy [0, 10.5 s)
  clock.advance(2_000); // now = 12.5 s: panic window [6.5 s, 12.5 s]
  // True area inside: 6 × (10.5 − 6.5) s = 24 000 → average 4.
  assert.equal(w.average(clock.now(), 6 * S), 4);
  assert.equal(w.average(t0 + 12_000, 6 * S), 4, 'an earlier now is treated as the last one seen');
});

test('a long stretch at one level costs at most one pass over the ring and stays exact', () => {
  const { clock, w } = setup();
  w.record(clock.now(), 3);
  clock.advance(10 * 60 * S);
  assert.equal(w.average(clock.now(), 60 * S), 3);
  assert.equal(w.average(clock.now(), 6 * S), 3);
  w.record(clock.now(), 0);
  clock.advance(3 * S);
  assert.equal(w.average(clock.now(), 6 * S), 1.5);
  assert.equal(w.average(clock.now(), 60 * S), 3 * 57 / 60);
});

test('lastActiveAt: null before any request, now while busy, the drop time after', () => {
  const { clock, t0, w } = setup();
  assert.equal(w.lastActiveAt(clock.now()), null);
  clock.advance(5 * S);
  w.adjust(clock.now(), +1);
  w.adjust(clock.now(), +1);
  clock.advance(2 * S);
  assert.equal(w.lastActiveAt(clock.now()), t0 + 7 * S);
  w.adjust(clock.now(), -1);
  clock.advance(1 * S);
  w.adjust(clock.now(), -1);
  assert.equal(w.current(), 0);
  clock.advance(30 * S);
  assert.equal(w.lastActiveAt(clock.now()), t0 + 8 * S);
  // 2 in flight for 2 s, then 1 for 1 s: area 5 over the 38 s observed.
  assert.equal(w.average(clock.now(), 60 * S), 5 / 38);
});

test('negative levels are clamped to 0', () => {
  const { clock, w } = setup();
  w.record(clock.now(), -3);
  clock.advance(S);
  assert.equal(w.current(), 0);
  assert.equal(w.average(clock.now(), 6 * S), 0);
  assert.equal(w.lastActiveAt(clock.now()), null);
});

test('bucket size keeps memory bounded: ~6 per panic window, ≤ ~600 per stable window', () => {
  assert.equal(bucketMsFor(60_000, 6_000), 1000);
  assert.equal(bucketMsFor(3_600_000, 6_000), 6000);
  assert.equal(bucketMsFor(1_000, 100), 16);
  assert.throws(() => new ConcurrencyWindow({ stableWindowMs: 6_000, panicWindowMs: 60_000 }, 0), RangeError);
});
