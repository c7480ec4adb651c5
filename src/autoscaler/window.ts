/**
 * Observed concurrency (in flight + queued) of one function version, as a step function
 * of time kept in a ring of fixed-width buckets. Each bucket holds the area under the
 * curve (concurrency × ms) inside it, so averages are time-weighted: 10 requests for 1 s
 * then 0 for 9 s averages 1 over 10 s, however many record() calls there were.
 *
 * Memory is O(buckets) (≤ 602 with windowFor()); record() allocates nothing. Time is
 * always an argument; a `now` earlier than the last one seen is treated as the last one.
 */
import type { ScalingSettings } from './settings.ts';

export interface WindowSnapshot {
  /** Time-weighted average over the stable window. */
  readonly stableConcurrency: number;
  /** Time-weighted average over the panic window. */
  readonly panicConcurrency: number;
  /** Concurrency right now (the last recorded level). */
  readonly currentConcurrency: number;
  /** Last instant anything was in flight or queued (`now` while something is); null if never. */
  readonly lastActiveAt: number | null;
}

export interface WindowOptions {
  readonly stableWindowMs: number;
  readonly panicWindowMs: number;
  /** Bucket width; defaults to bucketMsFor(stable, panic). */
  readonly bucketMs?: number;
}

/** ~6 buckets per panic window, but never more than ~600 buckets over the stable window. */
export function bucketMsFor(stableWindowMs: number, panicWindowMs: number): number {
  return Math.max(1, Math.floor(panicWindowMs / 6), Math.ceil(stableWindowMs / 600));
}

export class ConcurrencyWindow {
  readonly stableWindowMs: number;
  readonly panicWindowMs: number;
  readonly bucketMs: number;
  private readonly size: number;
  /** Area (concurrency × ms) per slot, and which bucket number the slot currently holds. */
  private readonly area: Float64Array;
  private readonly bucketOf: Float64Array;
  /** Time up to which area has been accumulated, and the level since then. */
  private lastT: number;
  private level = 0;
  private readonly startedAt: number;
  private lastActive: number | null = null;

  /** `start` is when observation began: averages never reach back before it. */
  constructor(options: WindowOptions, start: number) {
    this.stableWindowMs = options.stableWindowMs;
    this.panicWindowMs = options.panicWindowMs;
    this.bucketMs = options.bucketMs ?? bucketMsFor(options.stableWindowMs, options.panicWindowMs);
    if (!(this.bucketMs > 0) || this.panicWindowMs > this.stableWindowMs) {
      throw new RangeError('ConcurrencyWindow needs bucketMs > 0 and panicWindowMs ≤ stableWindowMs');
    }
    this.size = Math.ceil(this.stableWindowMs / this.bucketMs) + 2;
    this.area = new Float64Array(this.size);
    this.bucketOf = new Float64Array(this.size).fill(-1);
    this.lastT = start;
    this.startedAt = start;
  }

  /** Records that from `now` on, `concurrency` requests are in flight or queued. */
  record(now: number, concurrency: number): void {
    this.advance(now);
    const t = this.lastT;
    if (this.level > 0) this.lastActive = t;
    this.level = concurrency > 0 ? concurrency : 0;
    if (this.level > 0) this.lastActive = t;
  }

  /** Convenience for callers that count arrivals (+1) and completions (-1). */
  adjust(now: number, delta: number): void {
    this.record(now, this.level + delta);
  }

  current(): number {
    return this.level;
  }

  lastActiveAt(now: number): number | null {
    if (this.level > 0) return Math.max(now, this.lastT);
    return this.lastActive;
  }

  /** Time-weighted average over the last `lookbackMs` (clipped to the window and to `start`). */
  average(now: number, lookbackMs: number): number {
    this.advance(now);
    const end = this.lastT;
    const from = Math.max(end - Math.min(lookbackMs, this.stableWindowMs), this.startedAt);
    const span = end - from;
    if (span <= 0) return this.level;
    const B = this.bucketMs;
    let sum = 0;
    for (let k = Math.floor(from / B), last = Math.floor(end / B); k <= last; k++) {
      const slot = this.slotOf(k);
      if (this.bucketOf[slot] !== k) continue;
      const a = this.area[slot];
      if (a === 0) continue;
      // The bucket's recorded stretch is [max(kB, start), min((k+1)B, end)]; take the part
      // after `from`, assuming the level was even inside the bucket (exact when it was).
      const lo = Math.max(k * B, this.startedAt);
      const hi = Math.min((k + 1) * B, end);
      if (from <= lo) sum += a;
      else if (hi > lo) sum += (a * (hi - from)) / (hi - lo);
    }
    return sum / span;
  }

  snapshot(now: number): WindowSnapshot {
    return {
      stableConcurrency: this.average(now, this.stableWindowMs),
      panicConcurrency: this.average(now, this.panicWindowMs),
      currentConcurrency: this.level,
      lastActiveAt: this.lastActiveAt(now),
    };
  }

  private slotOf(k: number): number {
    const r = k % this.size;
    return r < 0 ? r + this.size : r;
  }

  /** Accumulates the current level from lastT up to `now`. */
  private advance(now: number): void {
    if (!(now > this.lastT)) return;
    const B = this.bucketMs;
    if (this.level > 0) {
      // Only the last `size` buckets can be read again: skip older time outright.
      let t = Math.max(this.lastT, (Math.floor(now / B) - this.size + 1) * B);
      while (t < now) {
        const k = Math.floor(t / B);
        const stop = Math.min(now, (k + 1) * B);
        const slot = this.slotOf(k);
        if (this.bucketOf[slot] !== k) {
          this.bucketOf[slot] = k;
          this.area[slot] = 0;
        }
        this.area[slot] += this.level * (stop - t);
        t = stop;
      }
    }
    this.lastT = now;
  }
}

/** A window sized for these settings, observing from `start`. */
export function windowFor(settings: Pick<ScalingSettings, 'stableWindowMs' | 'panicWindowMs'>, start: number): ConcurrencyWindow {
  return new ConcurrencyWindow({ stableWindowMs: settings.stableWindowMs, panicWindowMs: settings.panicWindowMs }, start);
}
