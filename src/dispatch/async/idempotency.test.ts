import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NimbusError } from '../../core/errors.ts';
import { idempotencyEntryLive, parseIdempotencyKey } from './idempotency.ts';

test('absent header means no key', () => {
  assert.equal(parseIdempotencyKey(null), null);
  assert.equal(parseIdempotencyKey(undefined), null);
});

test('bare and quoted keys give the same key', () => {
  assert.equal(parseIdempotencyKey('8e03978e-40d5-43e8'), '8e03978e-40d5-43e8');
  assert.equal(parseIdempotencyKey('"8e03978e-40d5-43e8"'), '8e03978e-40d5-43e8');
  assert.equal(parseIdempotencyKey('  order-42 '), 'order-42');
});

test('empty, too long or non-ASCII keys are a validation error naming the header', () => {
  for (const bad of ['', '""', 'a b', 'x'.repeat(256), 'café']) {
    assert.throws(
      () => parseIdempotencyKey(bad),
      (e: unknown) => e instanceof NimbusError && e.code === 'NIMBUS_ERR_VALIDATION' && e.extra.field === 'Idempotency-Key',
      JSON.stringify(bad),
    );
  }
  assert.equal(parseIdempotencyKey('x'.repeat(255))?.length, 255);
});

test('a remembered key applies until its TTL has passed', () => {
  assert.equal(idempotencyEntryLive(1000, 1000 + 59_999, 60_000), true);
  assert.equal(idempotencyEntryLive(1000, 1000 + 60_000, 60_000), false);
  assert.equal(idempotencyEntryLive(0, 86_399_999), true);
  assert.equal(idempotencyEntryLive(0, 86_400_000), false);
});
