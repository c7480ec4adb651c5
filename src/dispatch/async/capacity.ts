/**
 * How many queued events a consumer may start now for one function, so that async work
 * never exceeds maxInstances × concurrency (the per-instance limit) in flight, counting
 * what is already running for that function from any trigger.
 */
export interface CapacityLimits {
  readonly maxInstances: number;
  /** Hard per-instance limit (FunctionConfig.concurrency). */
  readonly concurrency: number;
}

export function maxInFlight(limits: CapacityLimits): number {
  return Math.max(0, Math.floor(limits.maxInstances)) * Math.max(0, Math.floor(limits.concurrency));
}

/**
 * Events to claim now: min(batchMax, maxInFlight − inFlight), never negative. `inFlight`
 * is the function's current in-flight count (pool) plus events already claimed but not
 * yet started.
 */
export function slotsToClaim(limits: CapacityLimits, inFlight: number, batchMax = Infinity): number {
  return Math.max(0, Math.min(batchMax, maxInFlight(limits) - inFlight));
}
