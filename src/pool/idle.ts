/** Which idle instances to retire: a decision as a value, applied by the pool. */
export interface IdleCandidate {
  readonly id: string;
  readonly inFlight: number;
  readonly lastUsedAt: number;
}

/**
 * Instances with nothing in flight whose last use is older than `idleTimeoutMs`,
 * least recently used first, never taking the count below `minInstances`.
 */
export function idleToRetire(
  instances: readonly IdleCandidate[],
  now: number,
  idleTimeoutMs: number,
  minInstances: number,
): string[] {
  const removable = instances.length - minInstances;
  if (removable <= 0) return [];
  return instances
    .filter((i) => i.inFlight === 0 && now - i.lastUsedAt >= idleTimeoutMs)
    .sort((a, b) => a.lastUsedAt - b.lastUsedAt)
    .slice(0, removable)
    .map((i) => i.id);
}
