import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, bucketRange } from './histogram.ts';
import { median, percentile } from './stats.ts';

test('bucket ranges tile the value space without gaps', () => {
  let next = 0;
  for (let i = 0; i < 2000; i++) {
    const [lo, hi] = bucketRange(i);
    assert.equal(lo, next, `bucket ${i}`);
    assert.ok(hi >= lo);
    next = hi + 1;
  }
});

test('percentiles are within 1% of the exact nearest-rank value', () => {
  const h = new Histogram();
  const values: number[] = [];
  let x = 12345;
  for (let i = 0; i < 20000; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const ms = 0.05 + (x / 2 ** 31) ** 3 * 400; // skewed, 50 µs to 400 ms
    values.push(Math.round(ms * 1000) / 1000);
    h.recordMs(ms);
  }
  for (const p of [1, 50, 90, 99, 99.9]) {
    const exact = percentile(values, p);
    const got = h.percentileMs(p);
    assert.ok(Math.abs(got - exact) / exact < 0.01, `p${p}: ${got} vs ${exact}`);
  }
  assert.equal(h.percentileMs(100), Math.max(...values));
  assert.equal(h.total, 20000);
});

test('merging adds counts and keeps extremes', () => {
  const a = new Histogram();
  const b = new Histogram();
  a.recordMs(1);
  a.recordMs(2);
  b.recordMs(300);
  a.merge(b);
  assert.equal(a.total, 3);
  assert.equal(a.percentileMs(0), 1);
  assert.equal(a.percentileMs(100), 300);
  assert.ok(Math.abs(a.percentileMs(50) - 2) < 2 * 0.008, 'within one bucket of 2 ms');
});

test('an empty histogram reports NaN, not zero', () => {
  assert.ok(Number.isNaN(new Histogram().percentileMs(50)));
});

test('median of an even count averages the middle pair', () => {
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([5, 1, 3]), 3);
  assert.ok(Number.isNaN(median([])));
});
