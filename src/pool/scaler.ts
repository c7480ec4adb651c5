/**
 * The port through which an autoscaler steers the pools (src/autoscaler/actuator.ts
 * implements it). Without one, a pool sizes itself: ⌈demand / target⌉ instances when
 * requests queue, idle retirement on the registry's tick. With one, the pool only
 * reports and obeys: there is one scaling policy, the autoscaler's.
 */
import type { VersionPool } from './version-pool.ts';

export interface PoolScaler {
  /** In flight + queued of `pool` became `level` at `now`. Called on every change: keep it O(1). */
  observe(pool: VersionPool, now: number, level: number): void;
  /** Requests wait for an instance: size the pool soon. The pool starts none by itself. */
  demand(pool: VersionPool): void;
  /** Periodic (the registry's tick), after a deploy and after a settings change: decide and apply. */
  tick(pool: VersionPool, now: number, why?: 'tick' | 'deploy' | 'settings'): void;
  /** The pool was closed or dropped by the registry. */
  forget(pool: VersionPool): void;
  /** The function was deleted. */
  functionRemoved?(functionName: string): void;
}

/** What a scaler needs to know about a pool's instances, without per-instance stats calls. */
export interface ScaleView {
  /** Instances that take new work (ready, not draining). */
  readonly active: number;
  readonly starting: number;
  /** Instances finishing their in-flight work before they stop. */
  readonly draining: number;
  readonly inFlight: number;
  readonly queued: number;
  /** The active instances. */
  readonly instances: ReadonlyArray<{ readonly id: string; readonly inFlight: number; readonly lastUsedAt: number }>;
  /** What the ready instances served while requests waited, and how long a start takes (the decider's DrainRate). */
  readonly drain: { readonly waitedMs: number; readonly served: number; readonly startMs: number | null };
}
