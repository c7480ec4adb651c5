/**
 * Async invocation policy: how many attempts, how long to wait between them, how old an
 * event may get, and where results go. Pure: every decision takes `now` and `random` and
 * returns a value; the queue consumer acts on it.
 *
 * Backoff (full jitter, capped). After attempt n (1-based) failed:
 *
 *     ceiling(n) = min(maxDelayMs, initialDelayMs × 2^(n−1))
 *     delay(n)   = floor(random() × ceiling(n))          random() ∈ [0, 1)
 *     retry at   = now + delay(n)
 *
 * so the delay is uniform on [0, ceiling(n)). A throttle uses the same formula with the
 * item's throttle count in place of n (and never less than the Retry-After hint).
 */
import { NimbusError } from '../../core/errors.ts';
import { validateDestination, type Destination } from './destination.ts';

export type { Destination } from './destination.ts';

export interface AsyncPolicy {
  /** Attempts in total, the first one included. 1..100. */
  readonly maxAttempts: number;
  /** Ceiling of the first retry delay, in ms. 0..86 400 000. */
  readonly initialDelayMs: number;
  /** Ceiling of every retry delay, in ms. initialDelayMs..86 400 000. */
  readonly maxDelayMs: number;
  /** An event older than this (since it was accepted) is not attempted again. 1 000..604 800 000. */
  readonly maxEventAgeMs: number;
  /** Where the result of a successful invocation is sent, if anywhere. */
  readonly onSuccess: Destination | null;
  /** Where an event that is dead-lettered is also sent, if anywhere. */
  readonly onFailure: Destination | null;
}

export const DEFAULT_ASYNC_POLICY: AsyncPolicy = Object.freeze({
  maxAttempts: 3,
  initialDelayMs: 1_000,
  maxDelayMs: 300_000,
  maxEventAgeMs: 21_600_000,
  onSuccess: null,
  onFailure: null,
});

export const ASYNC_POLICY_LIMITS = Object.freeze({
  maxAttempts: { min: 1, max: 100 },
  initialDelayMs: { min: 0, max: 86_400_000 },
  maxDelayMs: { min: 0, max: 86_400_000 },
  maxEventAgeMs: { min: 1_000, max: 604_800_000 },
});

const KEYS = new Set(['maxAttempts', 'initialDelayMs', 'maxDelayMs', 'maxEventAgeMs', 'onSuccess', 'onFailure']);

function invalid(field: string, detail: string, value: unknown): NimbusError {
  return new NimbusError('NIMBUS_ERR_VALIDATION', `${field}: ${detail}`, { extra: { field, value } });
}

function integerIn(input: Record<string, unknown>, key: keyof typeof ASYNC_POLICY_LIMITS, prefix: string, fallback: number): number {
  const value = input[key];
  if (value === undefined) return fallback;
  const { min, max } = ASYNC_POLICY_LIMITS[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(prefix + key, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`, value);
  }
  return value;
}

/**
 * Validates a (partial) policy as a user sends it and fills in the defaults. Unknown keys
 * are rejected so a typo (`maxAttempt`) does not silently fall back to the default.
 * Errors are NIMBUS_ERR_VALIDATION with `extra.field` naming the key (prefixed by `field`).
 */
export function validateAsyncPolicy(input: unknown, field = 'async'): AsyncPolicy {
  if (input === undefined || input === null) return DEFAULT_ASYNC_POLICY;
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw invalid(field, 'must be an object such as {"maxAttempts": 3}', input);
  }
  const obj = input as Record<string, unknown>;
  const prefix = field === '' ? '' : field + '.';
  for (const key of Object.keys(obj)) {
    if (!KEYS.has(key)) throw invalid(prefix + key, `unknown setting; known ones are ${[...KEYS].join(', ')}`, obj[key]);
  }
  const d = DEFAULT_ASYNC_POLICY;
  const maxAttempts = integerIn(obj, 'maxAttempts', prefix, d.maxAttempts);
  const initialDelayMs = integerIn(obj, 'initialDelayMs', prefix, d.initialDelayMs);
  const maxDelayMs = integerIn(obj, 'maxDelayMs', prefix, Math.max(d.maxDelayMs, initialDelayMs));
  if (maxDelayMs < initialDelayMs) {
    throw invalid(prefix + 'maxDelayMs', `must be at least initialDelayMs (${initialDelayMs}), got ${maxDelayMs}`, maxDelayMs);
  }
  const maxEventAgeMs = integerIn(obj, 'maxEventAgeMs', prefix, d.maxEventAgeMs);
  const onSuccess = obj.onSuccess == null ? null : validateDestination(obj.onSuccess, prefix + 'onSuccess');
  const onFailure = obj.onFailure == null ? null : validateDestination(obj.onFailure, prefix + 'onFailure');
  return Object.freeze({ maxAttempts, initialDelayMs, maxDelayMs, maxEventAgeMs, onSuccess, onFailure });
}

/** What the policy needs to know about a queued event. The queue row must carry these. */
export interface AsyncItemState {
  /** Epoch ms at which the event was accepted (the 202). Age is measured from here. */
  readonly enqueuedAt: number;
  /** Attempts made so far, the one that just finished included (so ≥ 1 after an attempt). */
  readonly attempts: number;
  /** Times the event was put back because the function was at capacity (not attempts). */
  readonly throttles: number;
}

/**
 * How an attempt ended. `errorCode` is a NIMBUS_ERR_* code (or any string); `retryable`
 * overrides the default classification of {@link isRetryableForAsync}.
 */
export type AttemptOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly errorCode: string; readonly retryable?: boolean };

export type DeadLetterReason = 'max-attempts' | 'max-age' | 'non-retryable';

export type AfterAttempt =
  | { readonly kind: 'done'; readonly destination: Destination | null }
  | { readonly kind: 'retry'; readonly at: number }
  | { readonly kind: 'dead-letter'; readonly reason: DeadLetterReason; readonly destination: Destination | null };

/**
 * Errors that another attempt cannot fix: the request or the function itself is wrong.
 * Everything else (a thrown error, a timeout, a crash, a memory or CPU limit) is retried,
 * as Lambda does for asynchronous invocations; the catalogue's `retryable` flag answers a
 * different question (whether the *caller* should resend an HTTP request).
 */
export const NON_RETRYABLE_FOR_ASYNC: ReadonlySet<string> = new Set([
  'NIMBUS_ERR_BAD_REQUEST',
  'NIMBUS_ERR_VALIDATION',
  'NIMBUS_ERR_BUILD_FAILED',
  'NIMBUS_ERR_INVALID_FUNCTION',
  'NIMBUS_ERR_UNAUTHORIZED',
  'NIMBUS_ERR_NOT_FOUND',
  'NIMBUS_ERR_FUNCTION_NOT_FOUND',
  'NIMBUS_ERR_VERSION_NOT_FOUND',
  'NIMBUS_ERR_METHOD_NOT_ALLOWED',
  'NIMBUS_ERR_PAYLOAD_TOO_LARGE',
  'NIMBUS_ERR_UNSUPPORTED_MEDIA_TYPE',
]);

export function isRetryableForAsync(errorCode: string): boolean {
  return !NON_RETRYABLE_FOR_ASYNC.has(errorCode);
}

/** random() clamped into [0, 1), so a faulty source cannot produce a negative or over-cap delay. */
function unit(random: () => number): number {
  const r = random();
  if (!(r >= 0)) return 0; // NaN or negative
  return r >= 1 ? 1 - Number.EPSILON : r;
}

/** ceiling(n) = min(maxDelayMs, initialDelayMs × 2^(n−1)), for n ≥ 1. */
export function backoffCeiling(policy: Pick<AsyncPolicy, 'initialDelayMs' | 'maxDelayMs'>, n: number): number {
  const exponent = Math.min(Math.max(n, 1) - 1, 60); // 2^60 × anything ≥ 1 exceeds any maxDelayMs
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);
}

/** delay(n) = floor(random() × ceiling(n)): full jitter on [0, ceiling(n)). */
export function backoffDelay(
  policy: Pick<AsyncPolicy, 'initialDelayMs' | 'maxDelayMs'>,
  n: number,
  random: () => number,
): number {
  return Math.floor(unit(random) * backoffCeiling(policy, n));
}

/** Epoch ms after which the event is too old to attempt. */
export function expiresAt(policy: AsyncPolicy, item: Pick<AsyncItemState, 'enqueuedAt'>): number {
  return item.enqueuedAt + policy.maxEventAgeMs;
}

/**
 * Before an attempt (including the first): an event that has waited longer than
 * maxEventAgeMs (for instance behind throttles) is dead-lettered instead of run.
 */
export function decideBeforeAttempt(
  policy: AsyncPolicy,
  item: Pick<AsyncItemState, 'enqueuedAt'>,
  now: number,
): { readonly kind: 'attempt' } | { readonly kind: 'dead-letter'; readonly reason: 'max-age'; readonly destination: Destination | null } {
  if (now >= expiresAt(policy, item)) return { kind: 'dead-letter', reason: 'max-age', destination: policy.onFailure };
  return { kind: 'attempt' };
}

/**
 * After an attempt finished. In order: success → done; a non-retryable error →
 * dead-letter; attempts ≥ maxAttempts → dead-letter; a retry that would start after the
 * event expires → dead-letter (max-age); otherwise retry at now + delay(attempts).
 */
export function decideAfterAttempt(
  policy: AsyncPolicy,
  item: AsyncItemState,
  outcome: AttemptOutcome,
  now: number,
  random: () => number,
): AfterAttempt {
  if (outcome.ok) return { kind: 'done', destination: policy.onSuccess };
  const retryable = outcome.retryable ?? isRetryableForAsync(outcome.errorCode);
  if (!retryable) return { kind: 'dead-letter', reason: 'non-retryable', destination: policy.onFailure };
  if (item.attempts >= policy.maxAttempts) {
    return { kind: 'dead-letter', reason: 'max-attempts', destination: policy.onFailure };
  }
  const at = now + backoffDelay(policy, item.attempts, random);
  if (at >= expiresAt(policy, item)) return { kind: 'dead-letter', reason: 'max-age', destination: policy.onFailure };
  return { kind: 'retry', at };
}

/**
 * The function was at capacity (every instance busy, or the consumer's slot limit hit):
 * put the event back without counting an attempt. The caller increments `throttles`.
 *
 *     delay = max(retryAfterMs, floor(random() × ceiling(throttles + 1)))
 *     at    = min(now + delay, expiresAt)
 *
 * The requeue time never passes the event's expiry, so an event that cannot get capacity
 * in time comes back exactly then and {@link decideBeforeAttempt} dead-letters it.
 */
export function decideAfterThrottle(
  policy: AsyncPolicy,
  item: AsyncItemState,
  now: number,
  random: () => number,
  retryAfterMs = 0,
): { readonly kind: 'requeue'; readonly at: number } {
  const delay = Math.max(retryAfterMs, backoffDelay(policy, item.throttles + 1, random));
  return { kind: 'requeue', at: Math.max(now, Math.min(now + delay, expiresAt(policy, item))) };
}

/**
 * The state a dead-lettered event gets when it is redriven: a fresh start (attempts and
 * throttles at zero, age measured from the redrive), or max-age would dead-letter it again
 * at once. Its id, payload and idempotency key stay as they were.
 */
export function redriveState(now: number): AsyncItemState {
  return { enqueuedAt: now, attempts: 0, throttles: 0 };
}
