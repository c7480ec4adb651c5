/**
 * Holds one named lease (LeaseRepo) for this node while it can: tries to take it every
 * renewEveryMs, which renews it when it is already ours, and says whether it may act on it
 * now (leaseUsable). onGained runs when the lease becomes ours (the new holder reads what
 * the last one left, e.g. the cron runner reloads its timers' last ticks).
 */
import type { Clock } from '../core/clock.ts';
import { repeatEvery, type Periodic } from '../core/periodic.ts';
import type { LeaseRepo } from '../store/lease-ports.ts';
import { leaseUsable, renewEveryMs } from './liveness.ts';

export interface LeaseKeeperDeps {
  readonly clock: Clock;
  readonly leases: LeaseRepo;
  readonly name: string;
  readonly owner: string;
  readonly ttlMs: number;
  readonly onGained?: () => void;
  readonly onError?: (error: unknown, what: string) => void;
}

export class LeaseKeeper {
  private acquiredAt: number | null = null;
  private periodic: Periodic | null = null;

  constructor(private readonly deps: LeaseKeeperDeps) {}

  /** Starts trying to hold the lease; resolves after the first try. */
  async start(): Promise<void> {
    await this.attempt();
    this.periodic = repeatEvery(
      this.deps.clock,
      renewEveryMs(this.deps.ttlMs),
      async () => {
        // repeatEvery runs at once: the first try is done already
        if (this.periodic === null) return;
        await this.attempt();
      },
      (e) => this.deps.onError?.(e, `renewing lease ${this.deps.name}`),
    );
  }

  /** True while this node may act as the holder. */
  held(): boolean {
    return leaseUsable(this.acquiredAt, this.deps.clock.now(), this.deps.ttlMs);
  }

  /** One try: take or renew. Exposed for tests. */
  async attempt(): Promise<boolean> {
    const { clock, leases, name, owner, ttlMs } = this.deps;
    const now = clock.now();
    const wasHeld = this.held();
    const got = await leases.acquire(name, owner, now, ttlMs);
    this.acquiredAt = got ? now : null;
    if (got && !wasHeld) this.deps.onGained?.();
    return got;
  }

  /** Stops renewing and gives the lease up, so another node takes it at once. */
  async stop(): Promise<void> {
    this.periodic?.stop();
    this.periodic = null;
    const had = this.acquiredAt !== null;
    this.acquiredAt = null;
    if (had) await this.deps.leases.release(this.deps.name, this.deps.owner);
  }
}
