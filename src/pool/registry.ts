/**
 * All pools, one per live function version. Pools are made on first use; when a
 * function gets a new current version the old pools drain and close; a ticker retires
 * idle instances and keeps min instances warm — or, when PoolDeps has a scaler, hands
 * every pool to it on each tick instead (one policy: the autoscaler's).
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

  /**
   * The versions that get traffic changed (a deploy, an alias moved): the others finish what
   * they hold, then stop, min instances and all. An unused version costs nothing.
   */
  retireOtherVersions(functionName: string, served: readonly number[]): void {
    for (const [key, pool] of this.pools) {
      if (pool.version.functionName === functionName && !served.includes(pool.version.version)) {
        this.pools.delete(key);
        this.deps.scaler?.forget(pool);
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
        this.deps.scaler?.forget(pool);
        closing.push(pool.close(this.drainTimeoutMs));
      }
    }
    this.deps.scaler?.functionRemoved?.(functionName);
    await Promise.all(closing);
  }

  all(): VersionPool[] {
    return [...this.pools.values()];
  }

  /** Requests of a function running or waiting in its pools now (cheap: no per-instance stats). */
  loadOf(functionName: string): number {
    let n = 0;
    for (const p of this.pools.values()) if (p.version.functionName === functionName) n += p.load();
    return n;
  }

  statsFor(functionName: string): PoolStats[] {
    return this.all().filter((p) => p.version.functionName === functionName).map((p) => p.stats());
  }

  /** The live pool of this version, if there is one (no pool is made). */
  peek(version: Pick<FunctionVersion, 'functionName' | 'version'>): VersionPool | undefined {
    return this.pools.get(`${version.functionName}@${version.version}`);
  }

  /** Starts min instances of a version now rather than on its first request. */
  warm(version: FunctionVersion, why: 'deploy' | 'settings' = 'deploy'): void {
    if (version.config.minInstances <= 0) return;
    const pool = this.poolFor(version);
    if (this.deps.scaler) this.deps.scaler.tick(pool, this.clock.now(), why);
    else pool.ensureInstances(version.config.minInstances);
  }

  /**
   * The same version got new live settings (`nimbus scale`): its pool takes them at once
   * and is resized now rather than at the next tick. Warms a version without a pool.
   */
  reconfigure(version: FunctionVersion): void {
    const pool = this.peek(version);
    if (!pool) return this.warm(version, 'settings');
    pool.reconfigure(version);
    if (this.deps.scaler) this.deps.scaler.tick(pool, this.clock.now(), 'settings');
    else pool.tick(this.clock.now());
  }

  async closeAll(timeoutMs: number): Promise<void> {
    this.ticker?.cancel();
    this.ticker = null;
    const pools = [...this.pools.values()];
    this.pools.clear();
    for (const p of pools) this.deps.scaler?.forget(p);
    await Promise.all(pools.map((p) => p.close(timeoutMs)));
  }

  private armTicker(): void {
    if (this.ticker) return;
    this.ticker = this.clock.setTimer(this.tickMs, () => {
      this.ticker = null;
      const now = this.clock.now();
      for (const [key, pool] of this.pools) {
        if (this.deps.scaler) this.deps.scaler.tick(pool, now);
        else pool.tick(now);
        // A pool with nothing left and no minimum is forgotten: idle costs nothing. (Counted, not
        // stats(): that asks every instance for its figures, a heap reading each.)
        if (pool.isIdle() && pool.instanceCount() === 0 && pool.config.minInstances === 0) {
          this.pools.delete(key);
          this.deps.scaler?.forget(pool);
        }
      }
      if (this.pools.size > 0) this.armTicker();
    });
  }
}
