/**
 * How many spares to keep ready for one (memory size, kind) pair, from the starts that asked for
 * one: the most asks that came within one short window (a burst, e.g. after scale to zero), decayed
 * over minutes, so that the next such burst finds a spare for each of its starts. Pure: time is
 * passed in; the pool (spares.ts) keeps one record per pair and makes or keeps spares to match.
 */

export interface SpareDemandOptions {
  /** Spares kept when a pair has no history, and the fewest kept at any time. */
  readonly base: number;
  /** The most spares kept for one pair, whatever the demand. */
  readonly cap: number;
  /** Asks that begin within this long of a window's first one count as one burst. */
  readonly windowMs: number;
  /** A burst's count is worth half as much after this long. */
  readonly halfLifeMs: number;
}

/** One pair's history: the current window, and the largest burst seen (and when). */
export interface SpareDemand {
  readonly windowStart: number;
  readonly inWindow: number;
  readonly peak: number;
  readonly peakAt: number;
}

export const NO_DEMAND: SpareDemand = { windowStart: Number.NEGATIVE_INFINITY, inWindow: 0, peak: 0, peakAt: Number.NEGATIVE_INFINITY };

/** The largest burst seen, as worth now. */
function decayedPeak(d: SpareDemand, now: number, opts: SpareDemandOptions): number {
  if (d.peak <= 0) return 0;
  return d.peak * 2 ** (-(Math.max(0, now - d.peakAt)) / opts.halfLifeMs);
}

/** The history after one more start asked for a spare of this pair at `now`. */
export function recordAsk(d: SpareDemand, now: number, opts: SpareDemandOptions): SpareDemand {
  const fresh = now - d.windowStart > opts.windowMs;
  const windowStart = fresh ? now : d.windowStart;
  const inWindow = fresh ? 1 : d.inWindow + 1;
  // a burst replaces the peak once it outweighs what is left of it
  if (inWindow >= decayedPeak(d, now, opts)) return { windowStart, inWindow, peak: inWindow, peakAt: now };
  return { windowStart, inWindow, peak: d.peak, peakAt: d.peakAt };
}

/** Spares to keep ready for the pair at `now`: the decayed largest burst, at least `base`, at most `cap`. */
export function sparesWanted(d: SpareDemand, now: number, opts: SpareDemandOptions): number {
  if (opts.base <= 0) return 0;
  // a remainder of a hundredth does not keep one more spare
  const fromDemand = Math.ceil(decayedPeak(d, now, opts) - 0.01);
  return Math.max(opts.base, Math.min(Math.max(opts.cap, opts.base), fromDemand));
}
