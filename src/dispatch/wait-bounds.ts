/**
 * How long an invocation may wait for an instance, and the longest it can take end to end.
 * The timeout counts from when an instance takes the request; a request waiting for an instance
 * that is starting waits up to the start's bound, which for an app is its start timeout.
 */
import type { FunctionConfig } from '../core/types.ts';

/** Waiting for an instance that is starting ends after this long (from arrival); behind busy instances, after the timeout. */
export function startWaitMs(config: Pick<FunctionConfig, 'timeoutMs' | 'app'>): number {
  return Math.max(config.timeoutMs, config.app?.startTimeoutMs ?? 0);
}

/** The longest an invocation can take from arrival: the wait for a starting instance, then its timeout. */
export function longestInvocationMs(config: Pick<FunctionConfig, 'timeoutMs' | 'app'>): number {
  return startWaitMs(config) + config.timeoutMs;
}
