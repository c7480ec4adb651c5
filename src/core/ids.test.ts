import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from './ids.ts';

test('ids are 26 lower-case Crockford characters and sort by time', () => {
  const a = newId(1_700_000_000_000);
  const b = newId(1_700_000_000_001);
  assert.match(a, /^[0-9a-hjkmnp-tv-z]{26}$/);
  assert.ok(a < b);
  assert.equal(a.slice(0, 10) < b.slice(0, 10), true);
});

test('ids made in the same millisecond are distinct, across refills of the random pool', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) seen.add(newId(1_700_000_000_000));
  assert.equal(seen.size, 5000);
});
