/**
 * Leases: a named piece of work that one node owns for a while (a timer trigger's ticks, a
 * running workflow execution, a queue consumer's target). The owner renews before the
 * lease runs out; when it stops renewing (it died), the lease expires and another node may
 * take it. lease-contract.ts is the suite every implementation must pass.
 *
 * Times are epoch ms passed in by the caller (its Clock); nodes are expected to keep their
 * clocks within a small fraction of the lease time of each other.
 */
export interface Lease {
  readonly name: string;
  readonly owner: string;
  readonly expiresAt: number;
}

export interface LeaseRepo {
  /**
   * Takes the lease for `owner` until `now + ttlMs` when it is free, expired at `now`, or
   * already this owner's (then it is a renewal). True when `owner` holds it afterwards;
   * of concurrent callers for a free lease exactly one gets true.
   */
  acquire(name: string, owner: string, now: number, ttlMs: number): Promise<boolean>;
  /** Gives the lease up at once; false when `owner` did not hold it. */
  release(name: string, owner: string): Promise<boolean>;
  /** The holder at `now`, or null when the lease is free or expired. */
  holder(name: string, now: number): Promise<Lease | null>;
}
