/**
 * How many spares to keep ready for one (memory size, kind) pair, from two histories, each decayed
 * over minutes: the most starts that asked for one within one short window (a burst), so that the
 * next such burst finds a spare for each of its starts; and the instances of the pair that went
 * away (scale to zero, scale down), per function, less the starts of that function since, as each
 * such function may come back cold, and those that went together may come back together (the first
 * burst after a scale to zero has no burst before it to learn from). Pure: time is passed in; the
 * pool (spares.ts) keeps one record per pair and makes or keeps spares to match.
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

/** Instances of one function gone that no start of it has made up for since, as of `at`. */
export interface Away {
  readonly count: number;
  readonly at: number;
}

/** One pair's history: the current window, the largest burst seen (and when), and per function its instances gone. */
export interface SpareDemand {
  readonly windowStart: number;
  readonly inWindow: number;
  readonly peak: number;
  readonly peakAt: number;
  readonly away: ReadonlyMap<string, Away>;
}

export const NO_DEMAND: SpareDemand = {
  windowStart: Number.NEGATIVE_INFINITY,
  inWindow: 0,
  peak: 0,
  peakAt: Number.NEGATIVE_INFINITY,
  away: new Map(),
};

/** A remainder of a hundredth does not keep one more spare. */
const SLACK = 0.01;
/** Functions remembered per pair (the most recently gone): more could never keep more spares than the cap. */
export const MAX_AWAY = 64;

function decayed(value: number, at: number, now: number, opts: SpareDemandOptions): number {
  if (value <= 0) return 0;
  return value * 2 ** (-(Math.max(0, now - at)) / opts.halfLifeMs);
}

/** The largest burst seen, as worth now. */
function decayedPeak(d: SpareDemand, now: number, opts: SpareDemandOptions): number {
  return decayed(d.peak, d.peakAt, now, opts);
}

/** The instances gone, of all functions, as worth now. */
function decayedAway(d: SpareDemand, now: number, opts: SpareDemandOptions): number {
  let sum = 0;
  for (const a of d.away.values()) sum += decayed(a.count, a.at, now, opts);
  return sum;
}

/** `fn`'s instances gone after adding `delta` at `now` (none left: forgotten), the others as they were. */
function awayWith(d: SpareDemand, fn: string, delta: number, now: number, opts: SpareDemandOptions): ReadonlyMap<string, Away> {
  const before = d.away.get(fn);
  if (before === undefined && delta <= 0) return d.away;
  const count = (before === undefined ? 0 : decayed(before.count, before.at, now, opts)) + delta;
  const away = new Map(d.away);
  away.delete(fn);
  if (count > SLACK) away.set(fn, { count, at: now });
  // the oldest first: the map keeps insertion order, and a function gone again is inserted anew
  for (const [name, a] of away) {
    if (away.size <= MAX_AWAY && decayed(a.count, a.at, now, opts) > SLACK) break;
    away.delete(name);
  }
  return away;
}

/**
 * The history after one more start (of function `fn`, if known) asked for a spare of this pair at `now`:
 * if `fn` had instances gone, one of them is back.
 */
export function recordAsk(d: SpareDemand, now: number, opts: SpareDemandOptions, fn?: string): SpareDemand {
  const fresh = now - d.windowStart > opts.windowMs;
  const windowStart = fresh ? now : d.windowStart;
  const inWindow = fresh ? 1 : d.inWindow + 1;
  const away = fn === undefined ? d.away : awayWith(d, fn, -1, now, opts);
  // a burst replaces the peak once it outweighs what is left of it
  if (inWindow >= decayedPeak(d, now, opts)) return { windowStart, inWindow, peak: inWindow, peakAt: now, away };
  return { windowStart, inWindow, peak: d.peak, peakAt: d.peakAt, away };
}

/** The history after an instance of function `fn`, of this pair, went away at `now` (it may start again). */
export function recordGone(d: SpareDemand, now: number, opts: SpareDemandOptions, fn: string): SpareDemand {
  return { ...d, away: awayWith(d, fn, 1, now, opts) };
}

function bounded(fromDemand: number, opts: SpareDemandOptions): number {
  return Math.max(opts.base, Math.min(Math.max(opts.cap, opts.base), fromDemand));
}

/** Spares to keep ready for the pair at `now`: the larger of the decayed histories, at least `base`, at most `cap`. */
export function sparesWanted(d: SpareDemand, now: number, opts: SpareDemandOptions): number {
  if (opts.base <= 0) return 0;
  const worth = Math.max(decayedPeak(d, now, opts), decayedAway(d, now, opts));
  return bounded(Math.ceil(worth - SLACK), opts);
}

/**
 * When `sparesWanted` next goes down with no new ask or instance gone: the time both histories have
 * decayed to one spare fewer. Infinity when it is at the base already (or the pool keeps none).
 */
export function nextDropAt(d: SpareDemand, now: number, opts: SpareDemandOptions): number {
  const wanted = sparesWanted(d, now, opts);
  if (opts.base <= 0 || wanted <= opts.base) return Number.POSITIVE_INFINITY;
  // one fewer once each history is worth at most (wanted - 1) + SLACK; both decay as one exponential
  const target = wanted - 1 + SLACK;
  const at = (worthNow: number) => (worthNow <= target ? now : now + opts.halfLifeMs * Math.log2(worthNow / target));
  return Math.max(at(decayedPeak(d, now, opts)), at(decayedAway(d, now, opts)));
}
