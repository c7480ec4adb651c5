/**
 * How many spares to keep ready for one (memory size, kind) pair, from two histories, each decayed
 * over minutes: the most starts that asked for one within one short window (a burst), so that the
 * next such burst finds a spare for each of its starts; and the instances of the pair that went away
 * (scale to zero, scale down) less the starts since, as each such function may come back cold and
 * those that went together may come back together (the first burst after a scale to zero, which has
 * no burst before it to learn from). Pure: time is passed in; the pool (spares.ts) keeps one record
 * per pair and makes or keeps spares to match.
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

/**
 * One pair's history: the current window, the largest burst seen (and when), and the instances gone
 * that no start has made up for yet (as of `awayAt`).
 */
export interface SpareDemand {
  readonly windowStart: number;
  readonly inWindow: number;
  readonly peak: number;
  readonly peakAt: number;
  readonly away: number;
  readonly awayAt: number;
}

export const NO_DEMAND: SpareDemand = {
  windowStart: Number.NEGATIVE_INFINITY,
  inWindow: 0,
  peak: 0,
  peakAt: Number.NEGATIVE_INFINITY,
  away: 0,
  awayAt: Number.NEGATIVE_INFINITY,
};

/** A remainder of a hundredth does not keep one more spare. */
const SLACK = 0.01;

function decayed(value: number, at: number, now: number, opts: SpareDemandOptions): number {
  if (value <= 0) return 0;
  return value * 2 ** (-(Math.max(0, now - at)) / opts.halfLifeMs);
}

/** The largest burst seen, as worth now. */
function decayedPeak(d: SpareDemand, now: number, opts: SpareDemandOptions): number {
  return decayed(d.peak, d.peakAt, now, opts);
}

/** The history after one more start asked for a spare of this pair at `now`: it may be one of those gone, come back. */
export function recordAsk(d: SpareDemand, now: number, opts: SpareDemandOptions): SpareDemand {
  const fresh = now - d.windowStart > opts.windowMs;
  const windowStart = fresh ? now : d.windowStart;
  const inWindow = fresh ? 1 : d.inWindow + 1;
  const away = Math.max(0, decayed(d.away, d.awayAt, now, opts) - 1);
  // a burst replaces the peak once it outweighs what is left of it
  if (inWindow >= decayedPeak(d, now, opts)) return { windowStart, inWindow, peak: inWindow, peakAt: now, away, awayAt: now };
  return { windowStart, inWindow, peak: d.peak, peakAt: d.peakAt, away, awayAt: now };
}

/** The history after an instance of this pair went away at `now` (its function may start again). */
export function recordGone(d: SpareDemand, now: number, opts: SpareDemandOptions): SpareDemand {
  return { ...d, away: decayed(d.away, d.awayAt, now, opts) + 1, awayAt: now };
}

function bounded(fromDemand: number, opts: SpareDemandOptions): number {
  return Math.max(opts.base, Math.min(Math.max(opts.cap, opts.base), fromDemand));
}

/** Spares to keep ready for the pair at `now`: the larger of the decayed histories, at least `base`, at most `cap`. */
export function sparesWanted(d: SpareDemand, now: number, opts: SpareDemandOptions): number {
  if (opts.base <= 0) return 0;
  const worth = Math.max(decayedPeak(d, now, opts), decayed(d.away, d.awayAt, now, opts));
  return bounded(Math.ceil(worth - SLACK), opts);
}

/**
 * When `sparesWanted` next goes down with no new ask or instance gone: the time both histories have
 * decayed to one spare fewer. Infinity when it is at the base already (or the pool keeps none).
 */
export function nextDropAt(d: SpareDemand, now: number, opts: SpareDemandOptions): number {
  const wanted = sparesWanted(d, now, opts);
  if (opts.base <= 0 || wanted <= opts.base) return Number.POSITIVE_INFINITY;
  // one fewer once each history is worth at most (wanted - 1) + SLACK
  const target = wanted - 1 + SLACK;
  const at = (value: number, since: number) => (value <= target ? now : since + opts.halfLifeMs * Math.log2(value / target));
  return Math.max(now, at(d.peak, d.peakAt), at(d.away, d.awayAt));
}
