import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxInFlight, slotsToClaim } from './capacity.ts';

test('max in flight is maxInstances × per-instance concurrency', () => {
  assert.equal(maxInFlight({ maxInstances: 5, concurrency: 4 }), 20);
  assert.equal(maxInFlight({ maxInstances: 0, concurrency: 4 }), 0);
});

test('slots never exceed the limit, the batch size, or go negative', () => {
  const limits = { maxInstances: 2, concurrency: 3 };
  assert.equal(slotsToClaim(limits, 0), 6);
  assert.equal(slotsToClaim(limits, 4), 2);
  assert.equal(slotsToClaim(limits, 6), 0);
  assert.equal(slotsToClaim(limits, 9), 0, 'over the limit (e.g. HTTP traffic) claims nothing');
  assert.equal(slotsToClaim(limits, 0, 4), 4);
});
