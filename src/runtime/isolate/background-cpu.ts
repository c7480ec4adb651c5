/**
 * CPU an instance's own code uses outside any invocation (module-level timers): bounded
 * by the function's CPU limit over a sliding span (its timeout: what one invocation may
 * use, background work may use in any span that long), and reported so that the platform
 * charges it to the function (a `background` record): every REPORT_EVERY_MS while it
 * goes on, and once more when the instance stops. Time is passed in.
 */
import type { BackgroundReport } from '../port.ts';

export const REPORT_EVERY_MS = 10_000;
const BUCKETS = 20;

export class BackgroundCpu {
  readonly #limitMs: number;
  readonly #spanMs: number;
  readonly #bucketMs: number;
  /** CPU per bucket of the sliding span, and which bucket (start / bucketMs) each slot holds. */
  readonly #sums = new Float64Array(BUCKETS);
  readonly #slots = new Float64Array(BUCKETS).fill(-1);
  #unreported = 0;
  #from = -1;
  #to = -1;

  constructor(
    limitMs: number,
    spanMs: number,
    private readonly report: (r: BackgroundReport) => void,
  ) {
    this.#limitMs = limitMs;
    this.#spanMs = Math.max(BUCKETS, spanMs);
    this.#bucketMs = this.#spanMs / BUCKETS;
  }

  /** Charges `cpuMs` used at `now`; false when the CPU of the last span is past the limit (reported). */
  add(cpuMs: number, now: number): boolean {
    if (cpuMs <= 0) return true;
    const slot = Math.floor(now / this.#bucketMs);
    const i = slot % BUCKETS;
    if (this.#slots[i] !== slot) {
      this.#slots[i] = slot;
      this.#sums[i] = 0;
    }
    this.#sums[i] += cpuMs;
    if (this.#from < 0) this.#from = now;
    this.#to = now;
    this.#unreported += cpuMs;
    if (this.inSpan(now) > this.#limitMs) {
      this.flush(true);
      return false;
    }
    if (now - this.#from >= REPORT_EVERY_MS) this.flush(false);
    return true;
  }

  /** The CPU charged over the span that ends at `now` (to within one bucket, a twentieth of it). */
  inSpan(now: number): number {
    const current = Math.floor(now / this.#bucketMs);
    let sum = 0;
    for (let i = 0; i < BUCKETS; i++) if (this.#slots[i] > current - BUCKETS && this.#slots[i] <= current) sum += this.#sums[i];
    return sum;
  }

  /** Reports what is not reported yet (the instance stops, or the period is over). */
  flush(overLimit = false): void {
    if (this.#unreported <= 0 && !overLimit) return;
    this.report({ cpuMs: this.#unreported, fromMs: this.#from, toMs: this.#to, overLimit, limitMs: this.#limitMs, spanMs: this.#spanMs });
    this.#unreported = 0;
    this.#from = -1;
    this.#to = -1;
  }
}
