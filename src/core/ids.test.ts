import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idFrom, idTimeMs, idTimePrefix, isId, newId } from './ids.ts';

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

test('an id tells when it was made; its first 10 chars are the time prefix; other strings tell nothing', () => {
  const ms = Date.UTC(2026, 10, 27, 3, 4, 5, 678);
  const id = newId(ms);
  assert.equal(idTimeMs(id), ms);
  assert.equal(id.slice(0, 10), idTimePrefix(ms));
  // 26 chars each: only the characters decide (u and upper case are not Crockford digits here; é is not ASCII).
  for (const bad of ['', 'u'.repeat(26), `${id.slice(0, 9)}U${id.slice(10)}`, `${id.slice(0, 9)}é${id.slice(10)}`]) {
    assert.equal(idTimeMs(bad), null, bad);
  }
});

test('idFrom: the same time and seed give the same id, another seed another one; laid out and timed as newId', () => {
  const ms = 1_700_000_000_123;
  const a = idFrom(ms, 'sub1:42');
  assert.equal(a, idFrom(ms, 'sub1:42'));
  assert.notEqual(a, idFrom(ms, 'sub1:43'));
  assert.notEqual(a, idFrom(ms, 'sub2:42'));
  assert.match(a, /^[0-9a-hjkmnp-tv-z]{26}$/);
  assert.equal(idTimeMs(a), ms);
});

test('isId: every id made here has the shape, at any time; other strings do not', () => {
  for (const ms of [0, 1, 1_700_000_000_000, 2 ** 50 - 1]) {
    for (let i = 0; i < 200; i++) assert.equal(isId(newId(ms)), true);
    assert.equal(isId(idFrom(ms, `seed-${ms}`)), true);
  }
  const id = newId(1_700_000_000_000);
  for (const bad of ['', 'garbage', id.slice(1), id + '0', id.toUpperCase(), `${id.slice(0, 20)}u${id.slice(21)}`, `${id.slice(0, 25)} `, `${id.slice(0, 25)}%`, '~'.repeat(26), 'z'.repeat(27)]) {
    assert.equal(isId(bad), false, bad);
  }
});
