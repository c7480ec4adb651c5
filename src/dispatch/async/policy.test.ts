import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NimbusError } from '../../core/errors.ts';
import {
  DEFAULT_ASYNC_POLICY,
  backoffCeiling,
  backoffDelay,
  decideAfterAttempt,
  decideAfterThrottle,
  decideBeforeAttempt,
  isRetryableForAsync,
  redriveState,
  validateAsyncPolicy,
  type AsyncPolicy,
} from './policy.ts';

const T0 = 1_700_000_000_000;
const fixed = (r: number) => () => r;
const policy = (over: Partial<AsyncPolicy> = {}): AsyncPolicy => ({ ...DEFAULT_ASYNC_POLICY, ...over });
const fail = { ok: false, errorCode: 'NIMBUS_ERR_FUNCTION_ERROR' } as const;

function validationField(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof NimbusError, 'expected a NimbusError');
    assert.equal(e.code, 'NIMBUS_ERR_VALIDATION');
    return String(e.extra.field);
  }
  assert.fail('expected a validation error');
}

test('defaults: 3 attempts, 1 s initial, 5 min max delay, 6 h max age, no destinations', () => {
  assert.deepEqual(validateAsyncPolicy(undefined), {
    maxAttempts: 3,
    initialDelayMs: 1000,
    maxDelayMs: 300_000,
    maxEventAgeMs: 21_600_000,
    onSuccess: null,
    onFailure: null,
  });
  assert.deepEqual(validateAsyncPolicy({}), DEFAULT_ASYNC_POLICY);
  assert.ok(Object.isFrozen(validateAsyncPolicy({ maxAttempts: 5 })));
});

test('validation accepts the bounds and names the field outside them', () => {
  assert.equal(validateAsyncPolicy({ maxAttempts: 1 }).maxAttempts, 1);
  assert.equal(validateAsyncPolicy({ maxAttempts: 100 }).maxAttempts, 100);
  assert.equal(validationField(() => validateAsyncPolicy({ maxAttempts: 0 })), 'async.maxAttempts');
  assert.equal(validationField(() => validateAsyncPolicy({ maxAttempts: 101 })), 'async.maxAttempts');
  assert.equal(validationField(() => validateAsyncPolicy({ maxAttempts: 2.5 })), 'async.maxAttempts');
  assert.equal(validationField(() => validateAsyncPolicy({ maxAttempts: '3' })), 'async.maxAttempts');
  assert.equal(validationField(() => validateAsyncPolicy({ initialDelayMs: -1 })), 'async.initialDelayMs');
  assert.equal(validationField(() => validateAsyncPolicy({ maxEventAgeMs: 999 })), 'async.maxEventAgeMs');
  assert.equal(validationField(() => validateAsyncPolicy({ maxAttempt: 3 })), 'async.maxAttempt');
  assert.equal(validationField(() => validateAsyncPolicy([1], 'policy')), 'policy');
  assert.equal(validationField(() => validateAsyncPolicy({ initialDelayMs: 5000, maxDelayMs: 4000 })), 'async.maxDelayMs');
});

test('a large initialDelayMs raises the default maxDelayMs instead of failing', () => {
  assert.equal(validateAsyncPolicy({ initialDelayMs: 600_000 }).maxDelayMs, 600_000);
});

test('destinations are validated inside the policy', () => {
  const p = validateAsyncPolicy({
    onSuccess: { kind: 'function', name: 'audit' },
    onFailure: { kind: 'webhook', url: 'https://hooks.example.com/x?y=1' },
  });
  assert.deepEqual(p.onSuccess, { kind: 'function', name: 'audit' });
  assert.deepEqual(p.onFailure, { kind: 'webhook', url: 'https://hooks.example.com/x?y=1' });
  assert.equal(validationField(() => validateAsyncPolicy({ onFailure: { kind: 'queue', name: 'x' } })), 'async.onFailure.kind');
  assert.equal(validationField(() => validateAsyncPolicy({ onSuccess: { kind: 'topic', name: '' } })), 'async.onSuccess.name');
});

test('backoff ceiling doubles from initialDelayMs and stops at maxDelayMs', () => {
  const p = policy({ initialDelayMs: 1000, maxDelayMs: 10_000 });
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffCeiling(p, n)), [1000, 2000, 4000, 8000, 10_000, 10_000]);
  assert.equal(backoffCeiling(p, 10_000), 10_000, 'no overflow for huge n');
  assert.equal(backoffCeiling(policy({ initialDelayMs: 0, maxDelayMs: 0 }), 500), 0, 'no NaN with a zero delay');
});

test('full jitter: delay = floor(random × ceiling), uniform on [0, ceiling)', () => {
  const p = policy({ initialDelayMs: 1000, maxDelayMs: 60_000 });
  assert.equal(backoffDelay(p, 3, fixed(0)), 0);
  assert.equal(backoffDelay(p, 3, fixed(0.5)), 2000);
  assert.equal(backoffDelay(p, 3, fixed(0.999_999)), 3999);
  assert.equal(backoffDelay(p, 3, fixed(1)), 3999, 'random() = 1 is clamped below the ceiling');
  assert.equal(backoffDelay(p, 3, fixed(-3)), 0);
  assert.equal(backoffDelay(p, 3, fixed(Number.NaN)), 0);
});

test('success is done and carries the on-success destination', () => {
  const p = policy({ onSuccess: { kind: 'topic', name: 'done' } });
  assert.deepEqual(decideAfterAttempt(p, { enqueuedAt: T0, attempts: 1, throttles: 0 }, { ok: true }, T0 + 10, fixed(0.5)), {
    kind: 'done',
    destination: { kind: 'topic', name: 'done' },
  });
});

test('a retryable failure retries at now + jittered delay until maxAttempts', () => {
  const p = policy({ maxAttempts: 3, initialDelayMs: 1000, maxDelayMs: 60_000 });
  const now = T0 + 5000;
  assert.deepEqual(decideAfterAttempt(p, { enqueuedAt: T0, attempts: 1, throttles: 0 }, fail, now, fixed(0.5)), {
    kind: 'retry',
    at: now + 500,
  });
  assert.deepEqual(decideAfterAttempt(p, { enqueuedAt: T0, attempts: 2, throttles: 0 }, fail, now, fixed(0.5)), {
    kind: 'retry',
    at: now + 1000,
  });
  assert.deepEqual(decideAfterAttempt(p, { enqueuedAt: T0, attempts: 3, throttles: 0 }, fail, now, fixed(0.5)), {
    kind: 'dead-letter',
    reason: 'max-attempts',
    destination: null,
  });
});

test('maxAttempts 1 dead-letters on the first failure', () => {
  const d = decideAfterAttempt(policy({ maxAttempts: 1 }), { enqueuedAt: T0, attempts: 1, throttles: 0 }, fail, T0, fixed(0));
  assert.equal(d.kind, 'dead-letter');
  assert.equal(d.kind === 'dead-letter' && d.reason, 'max-attempts');
});

test('non-retryable errors dead-letter at once, with the on-failure destination', () => {
  const p = policy({ maxAttempts: 10, onFailure: { kind: 'function', name: 'dlq-handler' } });
  const item = { enqueuedAt: T0, attempts: 1, throttles: 0 };
  assert.deepEqual(decideAfterAttempt(p, item, { ok: false, errorCode: 'NIMBUS_ERR_FUNCTION_NOT_FOUND' }, T0, fixed(0)), {
    kind: 'dead-letter',
    reason: 'non-retryable',
    destination: { kind: 'function', name: 'dlq-handler' },
  });
  assert.equal(decideAfterAttempt(p, item, { ok: false, errorCode: 'X', retryable: false }, T0, fixed(0)).kind, 'dead-letter');
  assert.equal(
    decideAfterAttempt(p, item, { ok: false, errorCode: 'NIMBUS_ERR_VALIDATION', retryable: true }, T0, fixed(0)).kind,
    'retry',
    'an explicit retryable flag wins over the classification',
  );
});

test('function errors, timeouts and crashes are retried; the request being wrong is not', () => {
  for (const code of ['NIMBUS_ERR_FUNCTION_ERROR', 'NIMBUS_ERR_TIMEOUT', 'NIMBUS_ERR_INSTANCE_CRASHED', 'NIMBUS_ERR_MEMORY_LIMIT', 'SOMETHING_NEW']) {
    assert.equal(isRetryableForAsync(code), true, code);
  }
  for (const code of ['NIMBUS_ERR_FUNCTION_NOT_FOUND', 'NIMBUS_ERR_PAYLOAD_TOO_LARGE', 'NIMBUS_ERR_INVALID_FUNCTION']) {
    assert.equal(isRetryableForAsync(code), false, code);
  }
});

test('a retry that would start at or after the event expiry dead-letters with max-age', () => {
  const p = policy({ maxAttempts: 10, initialDelayMs: 10_000, maxDelayMs: 10_000, maxEventAgeMs: 60_000 });
  const item = { enqueuedAt: T0, attempts: 1, throttles: 0 };
  // retry would be at T0 + 55 000 + 5 000 = expiry exactly
  assert.deepEqual(decideAfterAttempt(p, item, fail, T0 + 55_000, fixed(0.5)), {
    kind: 'dead-letter',
    reason: 'max-age',
    destination: null,
  });
  assert.deepEqual(decideAfterAttempt(p, item, fail, T0 + 54_999, fixed(0.5)), { kind: 'retry', at: T0 + 59_999 });
});

test('max-attempts is reported before max-age when both apply', () => {
  const p = policy({ maxAttempts: 2, maxEventAgeMs: 1000 });
  const d = decideAfterAttempt(p, { enqueuedAt: T0, attempts: 2, throttles: 0 }, fail, T0 + 5000, fixed(0));
  assert.equal(d.kind === 'dead-letter' && d.reason, 'max-attempts');
});

test('decideBeforeAttempt dead-letters an event that has outlived maxEventAgeMs', () => {
  const p = policy({ maxEventAgeMs: 60_000, onFailure: { kind: 'topic', name: 'dead' } });
  assert.deepEqual(decideBeforeAttempt(p, { enqueuedAt: T0 }, T0 + 59_999), { kind: 'attempt' });
  assert.deepEqual(decideBeforeAttempt(p, { enqueuedAt: T0 }, T0 + 60_000), {
    kind: 'dead-letter',
    reason: 'max-age',
    destination: { kind: 'topic', name: 'dead' },
  });
});

test('a throttle requeues with backoff on the throttle count, never counting an attempt', () => {
  const p = policy({ initialDelayMs: 1000, maxDelayMs: 8000 });
  const item = { enqueuedAt: T0, attempts: 0, throttles: 0 };
  assert.deepEqual(decideAfterThrottle(p, item, T0, fixed(0.5)), { kind: 'requeue', at: T0 + 500 });
  assert.deepEqual(decideAfterThrottle(p, { ...item, throttles: 2 }, T0, fixed(0.5)), { kind: 'requeue', at: T0 + 2000 });
  assert.deepEqual(decideAfterThrottle(p, { ...item, throttles: 50 }, T0, fixed(0.5)), { kind: 'requeue', at: T0 + 4000 });
});

test('a throttle honours a Retry-After hint as the minimum delay', () => {
  const p = policy({ initialDelayMs: 1000, maxDelayMs: 8000 });
  const item = { enqueuedAt: T0, attempts: 1, throttles: 0 };
  assert.deepEqual(decideAfterThrottle(p, item, T0, fixed(0), 3000), { kind: 'requeue', at: T0 + 3000 });
  assert.deepEqual(decideAfterThrottle(p, item, T0, fixed(0.9), 100), { kind: 'requeue', at: T0 + 900 });
});

test('a throttle never requeues past the expiry, so the next check dead-letters it', () => {
  const p = policy({ initialDelayMs: 10_000, maxDelayMs: 10_000, maxEventAgeMs: 60_000 });
  const item = { enqueuedAt: T0, attempts: 0, throttles: 3 };
  const d = decideAfterThrottle(p, item, T0 + 58_000, fixed(0.9));
  assert.deepEqual(d, { kind: 'requeue', at: T0 + 60_000 });
  assert.equal(decideBeforeAttempt(p, item, d.at).kind, 'dead-letter');
  // already expired: requeue now, not in the past
  assert.deepEqual(decideAfterThrottle(p, item, T0 + 70_000, fixed(0.9)), { kind: 'requeue', at: T0 + 70_000 });
});

test('a redriven event starts afresh', () => {
  const p = policy({ maxEventAgeMs: 60_000 });
  const state = redriveState(T0 + 3_600_000);
  assert.deepEqual(state, { enqueuedAt: T0 + 3_600_000, attempts: 0, throttles: 0 });
  assert.equal(decideBeforeAttempt(p, state, T0 + 3_600_000).kind, 'attempt');
});
