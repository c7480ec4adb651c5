import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.ts';
import { Deadlines } from './deadlines.ts';

function setup() {
  const clock = new FakeClock();
  const errors: unknown[] = [];
  const d = new Deadlines(clock, (e) => errors.push(e));
  return { clock, d, errors, t0: clock.now() };
}

test('deadlines fire in due order, each once, over one timer', () => {
  const { clock, d, t0 } = setup();
  const fired: string[] = [];
  d.at(t0 + 30, () => fired.push('c'));
  d.at(t0 + 10, () => fired.push('a'));
  d.at(t0 + 20, () => fired.push('b1'));
  d.at(t0 + 20, () => fired.push('b2'));
  assert.equal(clock.pendingTimers(), 1);
  clock.advance(9);
  assert.deepEqual(fired, []);
  clock.advance(1);
  assert.deepEqual(fired, ['a']);
  clock.advance(100);
  assert.deepEqual(fired, ['a', 'b1', 'b2', 'c']);
  assert.equal(d.size, 0);
  assert.equal(clock.pendingTimers(), 0);
});

test('a cancelled deadline never fires; the last cancel disarms the timer', () => {
  const { clock, d, t0 } = setup();
  const fired: number[] = [];
  const a = d.at(t0 + 10, () => fired.push(1));
  const b = d.at(t0 + 20, () => fired.push(2));
  a.cancel();
  a.cancel();
  assert.equal(d.size, 1);
  clock.advance(15);
  assert.deepEqual(fired, []);
  b.cancel();
  assert.equal(d.size, 0);
  assert.equal(clock.pendingTimers(), 0, 'nothing keeps the process up once every deadline is gone');
  clock.advance(100);
  assert.deepEqual(fired, []);
});

test('an earlier deadline re-arms the timer; a past one fires at once', () => {
  const { clock, d, t0 } = setup();
  const fired: string[] = [];
  d.at(t0 + 1000, () => fired.push('late'));
  d.at(t0 + 5, () => fired.push('early'));
  d.at(t0 - 5, () => fired.push('past'));
  clock.advance(0);
  assert.deepEqual(fired, ['past']);
  clock.advance(5);
  assert.deepEqual(fired, ['past', 'early']);
  assert.equal(clock.pendingTimers(), 1);
});

test('a throwing callback is reported and the others still run', () => {
  const { clock, d, errors, t0 } = setup();
  const fired: number[] = [];
  d.at(t0 + 1, () => {
    throw new Error('boom');
  });
  d.at(t0 + 1, () => fired.push(2));
  clock.advance(1);
  assert.deepEqual(fired, [2]);
  assert.equal(errors.length, 1);
});

test('many cancelled entries are compacted away and order holds (randomised against a sort)', () => {
  const { clock, d, t0 } = setup();
  const fired: number[] = [];
  const expected: Array<{ at: number; i: number }> = [];
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 5000; i++) {
    const at = t0 + Math.floor(rand() * 1000);
    const h = d.at(at, () => fired.push(i));
    if (rand() < 0.9) h.cancel();
    else expected.push({ at, i });
  }
  assert.equal(d.size, expected.length);
  clock.advance(2000);
  expected.sort((a, b) => a.at - b.at || a.i - b.i);
  assert.deepEqual(fired, expected.map((e) => e.i));
});

test('a deadline beyond the longest timer Node can arm still fires when due', () => {
  const { clock, d, t0 } = setup();
  let fired = false;
  d.at(t0 + 2 ** 31 + 10, () => (fired = true));
  clock.advance(2 ** 31 - 1);
  assert.equal(fired, false);
  clock.advance(11);
  assert.equal(fired, true);
});
