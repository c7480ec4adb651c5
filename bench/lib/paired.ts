/**
 * Paired A/B rounds: two targets measured back to back in every round, their order swapped
 * from one round to the next (A B, B A, …) so neither always runs second, and the ratio
 * taken round by round. A slow patch of a shared machine then moves both halves of a pair
 * together, and the median of the per-round ratios is steadier than the ratio of medians.
 */
import { median } from './stats.ts';

/** The two targets in the order round `round` (1-based) runs them. */
export function pairOrder<T>(round: number, a: T, b: T): [T, T] {
  return round % 2 === 1 ? [a, b] : [b, a];
}

/** Round-by-round ratios a ÷ b (rounds where b is 0 or either is missing are left out). */
export function pairRatios(a: readonly (number | null)[], b: readonly (number | null)[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== null && y !== null && y > 0) out.push(x / y);
  }
  return out;
}

/** "0.97x (0.91–1.02, 6 pairs)": the median of the ratios, their range and count. */
export function describeRatios(ratios: readonly number[]): string {
  if (ratios.length === 0) return 'no pairs';
  return `${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}, ${ratios.length} rounds)`;
}

/** Splits `rounds` over `groups` as evenly as possible, the larger shares first: 5 over 2 → [3, 2]. */
export function splitRounds(rounds: number, groups: number): number[] {
  const n = Math.max(1, Math.min(groups, rounds));
  return Array.from({ length: n }, (_, i) => Math.floor(rounds / n) + (i < rounds % n ? 1 : 0));
}
