/**
 * A log-linear latency histogram (HDR-style): values are recorded in microseconds into
 * buckets whose width is at most 1/128 of their value, so any percentile read back is
 * within 0.8% of the true sample. Histograms merge by adding counts, which is how the
 * rounds of one target are pooled.
 */

const SUB_BITS = 8; // 256 exact values, then 128 sub-buckets per power of two
const HALF = 1 << (SUB_BITS - 1);
const MAX_US = 2 ** 31 - 1; // ~35 minutes: anything longer is clamped (and counted as such)
const BUCKETS = (31 - SUB_BITS + 2) * HALF;

function indexOf(us: number): number {
  if (us < 1 << SUB_BITS) return us;
  const msb = 31 - Math.clz32(us);
  const shift = msb - SUB_BITS + 1;
  return shift * HALF + (us >>> shift);
}

/** The lowest and highest microsecond values that land in bucket `i`. */
export function bucketRange(i: number): [number, number] {
  if (i < 1 << SUB_BITS) return [i, i];
  const shift = Math.floor(i / HALF) - 1;
  const lo = (i - shift * HALF) * 2 ** shift;
  return [lo, lo + 2 ** shift - 1];
}

export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  total = 0;
  sumUs = 0;
  minUs = Infinity;
  maxUs = 0;
  clamped = 0;

  /** Records one value given in milliseconds (fractions welcome). */
  recordMs(ms: number): void {
    this.recordUs(Math.round(ms * 1000));
  }

  recordUs(value: number): void {
    let us = Math.max(0, Math.round(value));
    if (us > MAX_US) {
      us = MAX_US;
      this.clamped++;
    }
    this.counts[indexOf(us)]++;
    this.total++;
    this.sumUs += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  merge(other: Histogram): this {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i];
    this.total += other.total;
    this.sumUs += other.sumUs;
    this.minUs = Math.min(this.minUs, other.minUs);
    this.maxUs = Math.max(this.maxUs, other.maxUs);
    this.clamped += other.clamped;
    return this;
  }

  /**
   * The value at percentile `p` (0–100) in milliseconds: the smallest bucket whose
   * cumulative count reaches rank ceil(p% × total), reported at the bucket's midpoint and
   * clipped to the exact min and max seen. NaN when empty.
   */
  percentileMs(p: number): number {
    if (this.total === 0) return NaN;
    if (p <= 0) return this.minUs / 1000;
    if (p >= 100) return this.maxUs / 1000;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) {
        const [lo, hi] = bucketRange(i);
        const mid = (lo + hi) / 2;
        return Math.min(this.maxUs, Math.max(this.minUs, mid)) / 1000;
      }
    }
    return this.maxUs / 1000;
  }

  meanMs(): number {
    return this.total === 0 ? NaN : this.sumUs / this.total / 1000;
  }

  /** [percentile, ms] pairs for plotting a latency distribution. */
  curve(percentiles: readonly number[] = CURVE_PERCENTILES): Array<[number, number]> {
    return percentiles.map((p) => [p, this.percentileMs(p)]);
  }
}

export const CURVE_PERCENTILES = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100] as const;
