import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt, seededRandom, uuidV4 } from './random.ts';

test('seededRandom is repeatable per seed and spreads over [0, 1)', () => {
  const a = seededRandom('x');
  const b = seededRandom('x');
  const xs = Array.from({ length: 2000 }, () => a());
  assert.deepEqual(xs.slice(0, 5), Array.from({ length: 5 }, () => b()));
  assert.ok(xs.every((v) => v >= 0 && v < 1));
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
  assert.notEqual(seededRandom('y')(), seededRandom('x')());
});

test('randomInt stays in [start, end) and uuidV4 has the version and variant bits', () => {
  const r = seededRandom(3);
  const seen = new Set<number>();
  for (let i = 0; i < 500; i++) seen.add(randomInt(r, 5, 8));
  assert.deepEqual([...seen].sort(), [5, 6, 7]);
  assert.match(uuidV4(r), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
