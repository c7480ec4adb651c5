import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeRatios, pairOrder, pairRatios, splitRounds } from './paired.ts';

test('pairOrder swaps the two targets every round', () => {
  assert.deepEqual([1, 2, 3, 4].map((r) => pairOrder(r, 'on', 'off').join(' ')), ['on off', 'off on', 'on off', 'off on']);
});

test('pairRatios divides round by round and skips rounds without both figures', () => {
  assert.deepEqual(pairRatios([10, 9, null, 8], [10, 10, 5, 0]), [1, 0.9]);
});

test('describeRatios gives the median, the range and the count', () => {
  assert.equal(describeRatios([0.9, 1.02, 0.97]), '0.97x (0.90–1.02, 3 rounds)');
  assert.equal(describeRatios([]), 'no pairs');
});

test('splitRounds shares rounds out evenly, larger shares first, never an empty group', () => {
  assert.deepEqual(splitRounds(5, 2), [3, 2]);
  assert.deepEqual(splitRounds(1, 2), [1]);
  assert.deepEqual(splitRounds(6, 3), [2, 2, 2]);
});
