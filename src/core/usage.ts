/**
 * What one invocation record adds to its function's usage: the one definition the store
 * (which aggregates per function-hour in the transaction that writes the records) and
 * the tests (which sum records) share. Plain arithmetic; no imports of ours but types.
 */
import type { InvocationRecord } from './types.ts';

export const HOUR_MS = 3_600_000;

export interface UsageAmounts {
  /** Invocations that were not throttled (throttled ones never ran and are not billed). */
  readonly requests: number;
  readonly errors: number;
  readonly throttles: number;
  readonly coldStarts: number;
  readonly billedMs: number;
  /** Configured memory (GB) x billed duration (s). */
  readonly gbSeconds: number;
  readonly cpuMs: number;
  /** Configured memory (GB) x this invocation's share of its instance's busy time (s). */
  readonly occupancyGbSeconds: number;
  /** Configured memory (GB) x the time process instances (apps) were up, idle included (s): `instance` records. */
  readonly instanceGbSeconds: number;
}

export const ZERO_USAGE: UsageAmounts = { requests: 0, errors: 0, throttles: 0, coldStarts: 0, billedMs: 0, gbSeconds: 0, cpuMs: 0, occupancyGbSeconds: 0, instanceGbSeconds: 0 };

export function hourOf(epochMs: number): number {
  return Math.floor(epochMs / HOUR_MS) * HOUR_MS;
}

export type UsageSource = Pick<InvocationRecord, 'status' | 'coldStart' | 'billedMs' | 'memoryMb' | 'cpuMs' | 'occupancyMs' | 'trigger'>;

/** What one invocation counts for usage. */
export function usageOf(r: UsageSource): UsageAmounts {
  const total = { ...ZERO_USAGE };
  countUsage(total, r);
  return total;
}

export type MutableUsage = { -readonly [K in keyof UsageAmounts]: UsageAmounts[K] };

/** Adds what `r` counts (usageOf), times `sign`, to a running total in place: no object per record. */
export function countUsage(total: MutableUsage, r: UsageSource, sign = 1): void {
  const gb = r.memoryMb / 1024;
  // An instance's lifetime is not a request: it counts only as instance occupancy.
  if (r.trigger === 'instance') {
    total.instanceGbSeconds += sign * ((gb * r.occupancyMs) / 1000);
    return;
  }
  const throttled = r.status === 'throttled';
  total.requests += sign * (throttled ? 0 : 1);
  total.errors += sign * (throttled || r.status === 'success' ? 0 : 1);
  total.throttles += sign * (throttled ? 1 : 0);
  total.coldStarts += sign * (r.coldStart ? 1 : 0);
  total.billedMs += sign * r.billedMs;
  total.gbSeconds += sign * ((gb * r.billedMs) / 1000);
  total.cpuMs += sign * r.cpuMs;
  total.occupancyGbSeconds += sign * ((gb * r.occupancyMs) / 1000);
}

export function addUsage(a: UsageAmounts, b: UsageAmounts, sign = 1): UsageAmounts {
  return {
    requests: a.requests + sign * b.requests,
    errors: a.errors + sign * b.errors,
    throttles: a.throttles + sign * b.throttles,
    coldStarts: a.coldStarts + sign * b.coldStarts,
    billedMs: a.billedMs + sign * b.billedMs,
    gbSeconds: a.gbSeconds + sign * b.gbSeconds,
    cpuMs: a.cpuMs + sign * b.cpuMs,
    occupancyGbSeconds: a.occupancyGbSeconds + sign * b.occupancyGbSeconds,
    instanceGbSeconds: a.instanceGbSeconds + sign * b.instanceGbSeconds,
  };
}
