import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId } from '../core/ids.ts';
import { idHash, pickRoute } from './split.ts';

const split = [
  { version: 3, weight: 80 },
  { version: 4, weight: 20 },
];

test('the same id always picks the same version', () => {
  for (let i = 0; i < 200; i++) {
    const id = newId(1_700_000_000_000 + i);
    const first = pickRoute(split, id).version;
    for (let k = 0; k < 5; k++) assert.equal(pickRoute(split, id).version, first);
  }
});

test('ids made one after another spread by the weights', () => {
  const counts = new Map<number, number>();
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const v = pickRoute(split, newId(1_700_000_000_000 + (i >> 4))).version;
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const share = (counts.get(4) ?? 0) / n;
  assert.ok(share > 0.18 && share < 0.22, `version 4 got ${share}`);
});

test('a weight of 0 or 100 sends nothing or everything', () => {
  const none = [{ version: 1, weight: 100 }, { version: 2, weight: 0 }];
  for (let i = 0; i < 500; i++) assert.equal(pickRoute(none, `id-${i}`).version, 1);
  const all = [{ version: 1, weight: 0 }, { version: 2, weight: 100 }];
  for (let i = 0; i < 500; i++) assert.equal(pickRoute(all, `id-${i}`).version, 2);
});

test('a single route takes every id', () => {
  assert.equal(pickRoute([{ version: 7, weight: 100 }], 'x').version, 7);
});

test('the hash of nearby ids differs in many bits', () => {
  const a = idHash('01J0000000000000000000000A');
  const b = idHash('01J0000000000000000000000B');
  let bits = 0;
  for (let x = (a ^ b) >>> 0; x; x >>>= 1) bits += x & 1;
  assert.ok(bits >= 8, `only ${bits} bits differ`);
});
