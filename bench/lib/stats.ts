/** Order statistics over small arrays of numbers (round values, cold-start samples). */

export function sorted(values: readonly number[]): number[] {
  return values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
}

/** Nearest-rank percentile (p in 0–100) of the finite values; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  if (p <= 0) return s[0];
  if (p >= 100) return s[s.length - 1];
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.max(0, rank - 1)];
}

/** The median; with an even count, the mean of the two middle values. */
export function median(values: readonly number[]): number {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function min(values: readonly number[]): number {
  const s = sorted(values);
  return s.length === 0 ? NaN : s[0];
}

export function max(values: readonly number[]): number {
  const s = sorted(values);
  return s.length === 0 ? NaN : s[s.length - 1];
}

export function mean(values: readonly number[]): number {
  const s = sorted(values);
  return s.length === 0 ? NaN : s.reduce((a, b) => a + b, 0) / s.length;
}
