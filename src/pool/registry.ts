/**
 * All pools, one per live function version. Pools are made on first use; when a
 * function gets a new current version the old pools drain and close; a ticker retires
 * idle instances and keeps min instances warm.
 */
import type { Clock, TimerHandle } from '../core/clock.ts';
import type { FunctionVersion } from '../core/types.ts';
import { VersionPool, type PoolDeps, type PoolStats } from './version-pool.ts';

export class PoolRegistry {
  private readonly pools = new Map<string, VersionPool>();
  private ticker: TimerHandle | null = null;

  constructor(
    private readonly deps: PoolDeps,
    private readonly clock: Clock,
    private readonly tickMs = 1000,
    private readonly drainTimeoutMs = 30_000,
  ) {}

  poolFor(version: FunctionVersion): VersionPool {
    const key = `${version.functionName}@${version.version}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new VersionPool(version, this.deps);
      this.pools.set(key, pool);
      this.armTicker();
    }
    return pool;
  }

  /** The current version changed: earlier versions finish what they hold, then stop. */
  retireOtherVersions(functionName: string, currentVersion: number): void {
    for (const [key, pool] of this.pools) {
      if (pool.version.functionName === functionName && pool.version.version !== currentVersion) {
        this.pools.delete(key);
        void pool.close(this.drainTimeoutMs);
      }
    }
  }

  /** The function was deleted: drain and close all of its pools. */
  async removeFunction(functionName: string): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [key, pool] of this.pools) {
      if (pool.version.functionName === functionName) {
        this.pools.delete(key);
        closing.push(pool.close(this.drainTimeoutMs));
      }
    }
    await Promise.all(closing);
  }

  all(): VersionPool[] {
    return [...this.pools.values()];
  }

  statsFor(functionName: string): PoolStats[] {
    return this.all().filter((p) => p.version.functionName === functionName).map((p) => p.stats());
  }

  /** Starts min instances of a version now rather than on its first request. */
  warm(version: FunctionVersion): void {
    if (version.config.minInstances > 0) this.poolFor(version).ensureInstances(version.config.minInstances);
  }

  async closeAll(timeoutMs: number): Promise<void> {
    this.ticker?.cancel();
    this.ticker = null;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close(timeoutMs)));
  }

  private armTicker(): void {
    if (this.ticker) return;
    this.ticker = this.clock.setTimer(this.tickMs, () => {
      this.ticker = null;
      const now = this.clock.now();
      for (const [key, pool] of this.pools) {
        pool.tick(now);
        // A pool with nothing left and no minimum is forgotten: idle costs nothing.
        if (pool.isIdle() && pool.stats().ready === 0 && pool.config.minInstances === 0) this.pools.delete(key);
      }
      if (this.pools.size > 0) this.armTicker();
    });
  }
}
