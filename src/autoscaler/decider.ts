/**
 * The scaling decision, KPA style: pure, time passed in, result a value. The decision is
 * also the state: pass the previous one back in to carry panic mode across calls.
 *
 * Steps, in order (each one that changes the count is named in `reason`, the last one
 * in `boundBy`):
 *  1. desiredStable = ⌈stable average / target⌉, desiredPanic = ⌈panic average / target⌉.
 *  2. Panic when desiredPanic / max(ready, 1) ≥ panicThreshold, or when what the requests
 *     present now need (step 4 from zero, else step 5) is ≥ panicThreshold × max(ready, 1);
 *     it lasts until a full stable window has passed since that last held. In panic: max(desiredPanic,
 *     desiredStable), never below what exists or was asked for before (panic-hold).
 *     Otherwise: desiredStable.
 *  3. Idle: nothing in flight or queued for scaleToZeroAfterMs → demand is 0. Before that,
 *     a last instance is kept (idle-grace).
 *  4. From zero with requests waiting: max(activationScale, ⌈now / target⌉) at once
 *     (activation; exempt from the up-rate limit).
 *  5. Never fewer than the requests present now can fit at the hard limit (backlog).
 *  5a. Drain (queue build-up only, `stats.drain`): with none ready yet and instances
 *     starting, no more: how fast the function serves is unknown until one is up, and the
 *     ones under way serve first. With instances ready, no more until they have served
 *     with requests waiting for as long as a start takes. Then, unless they completed
 *     nothing in that time (a slow function: every start helps), at most as many new
 *     instances as would each get a start's worth of work: the requests present now that
 *     the ready ones will not have served by the time a new one is up, over what one
 *     instance serves in that time. A burst the ready instances clear sooner than an
 *     instance starts starts none: a start costs more than serving on a warm instance.
 *  5b. Scale-down delay: never below the most that steps 2-5 asked for over the last
 *     scaleDownDelayMs (carried in `recentDemand`), unless idle for scaleToZeroAfterMs.
 *     A closed-loop load measures less concurrency per instance once more instances serve
 *     it; without the delay that dip alone shrinks the count, latency rises, and the count
 *     grows back (a flap under an unchanged load).
 *  6. Rate limits: ≤ ⌈max(ready, 1) × maxScaleUpRate⌉ (never below what exists),
 *     ≥ ⌊ready / maxScaleDownRate⌋.
 *  7. Clamp to [minInstances, maxInstances].
 *  8. Cluster (when other nodes run the function, `stats.elsewhere`): never above what
 *     maxInstances leaves beside theirs, except that every node may have its fair share
 *     ⌊maxInstances / nodes⌋ (so a node that comes late to the load gets some, and nodes
 *     over the cap shrink back toward their shares). Wins over minInstances.
 */
import type { ScalingSettings } from './settings.ts';
import type { WindowSnapshot } from './window.ts';

export type ScaleMode = 'stable' | 'panic';

/** What set the final count; 'none' when it is the plain stable/panic demand. */
export type ScaleBound =
  | 'none'
  | 'panic-hold'
  | 'idle-grace'
  | 'activation'
  | 'backlog'
  | 'drain'
  | 'scale-down-delay'
  | 'rate-up'
  | 'rate-down'
  | 'min'
  | 'max'
  | 'cluster-max';

/** What steps 2-5 asked for at one decision, kept for the scale-down delay. */
export interface DemandMark {
  readonly at: number;
  readonly desired: number;
}

export interface ScaleStats extends WindowSnapshot {
  /** Instances able to serve now. */
  readonly ready: number;
  /** Instances being started (cold start in progress); not those draining. */
  readonly starting: number;
  /** What other nodes of a cluster run of this function, and how many nodes there are in all (this one included). */
  readonly elsewhere?: { readonly instances: number; readonly nodes: number };
  /** How fast the ready instances serve while requests wait, and how long a start takes (step 5a); absent: no such cap. */
  readonly drain?: DrainRate;
}

/**
 * What the ready instances served while requests waited: since the queue last became
 * non-empty or an instance last became ready (whichever is later), and how long a start takes.
 */
export interface DrainRate {
  /** How long requests have waited, measured as above, in ms (0 when nothing waits). */
  readonly waitedMs: number;
  /** Invocations the ready instances completed in that time. */
  readonly served: number;
  /** How long the version's last instance took to start, in ms; null before the first. */
  readonly startMs: number | null;
}

export interface ScaleDecision {
  /** When it was decided (the `now` passed in). */
  readonly at: number;
  /** Instances wanted: ready + starting should become this. */
  readonly desired: number;
  /** ready + starting when decided. */
  readonly current: number;
  readonly ready: number;
  readonly starting: number;
  readonly mode: ScaleMode;
  readonly boundBy: ScaleBound;
  /** Every step that shaped `desired`, for `nimbus info` and the logs. */
  readonly reason: string;
  readonly stableConcurrency: number;
  readonly panicConcurrency: number;
  readonly currentConcurrency: number;
  readonly desiredStable: number;
  readonly desiredPanic: number;
  /** ms since anything was in flight or queued; null if nothing ever was. */
  readonly idleForMs: number | null;
  /** When this panic began; null in stable mode. */
  readonly panicSince: number | null;
  /** Last time the panic condition held (carried while in panic); null in stable mode. */
  readonly lastPanicAt: number | null;
  /** Panic ends at this time unless the condition holds again; null in stable mode. */
  readonly panicUntil: number | null;
  /**
   * The scale-down delay's memory: what steps 2-5 asked for within the last
   * scaleDownDelayMs, oldest first, each mark above every later one (a later, larger
   * mark makes the earlier ones moot). The first mark is the most asked for.
   */
  readonly recentDemand: readonly DemandMark[];
}

const EPS = 1e-9;

/** Instances needed to carry `load` at `per` each (tolerant of float noise). */
export function instancesFor(load: number, per: number): number {
  return load > 0 ? Math.max(0, Math.ceil(load / per - EPS)) : 0;
}

export function decide(
  settings: ScalingSettings,
  stats: ScaleStats,
  now: number,
  previous?: ScaleDecision,
): ScaleDecision {
  const s = settings;
  const target = s.targetConcurrency;
  const ready = Math.max(0, Math.floor(stats.ready));
  const starting = Math.max(0, Math.floor(stats.starting));
  const current = ready + starting;
  const base = Math.max(ready, 1);
  const demandNow = Math.max(0, stats.currentConcurrency);
  const desiredStable = instancesFor(stats.stableConcurrency, target);
  const desiredPanic = instancesFor(stats.panicConcurrency, target);
  const idleForMs = demandNow > 0 ? 0 : stats.lastActiveAt === null ? null : Math.max(0, now - stats.lastActiveAt);
  const idleEnough = idleForMs === null || idleForMs >= s.scaleToZeroAfterMs;

  // What the requests present now need, before any average has seen them: from zero, the
  // activation count (step 4); otherwise the backlog floor (step 5).
  const activating = current === 0 && demandNow > 0;
  const activationNeed = activating ? Math.max(s.activationScale, instancesFor(demandNow, target)) : 0;
  const backlog = instancesFor(demandNow, s.concurrencyLimit);
  const presentNeed = Math.max(activationNeed, backlog);
  // Panic: enter when the burst needs ≥ threshold × ready; stay a stable window after. A step
  // whose requests present now need ≥ threshold × ready is such a burst too, even when the
  // panic window (still diluted by the quiet time before) does not show it yet: otherwise the
  // next decisions would follow a stable average that lags the step and shrink what was just
  // started under an unchanged load, and grow it back a window later.
  const wasPanic = previous?.mode === 'panic' && previous.lastPanicAt !== null;
  const burstNow = desiredPanic > 0 && desiredPanic / base >= s.panicThreshold;
  const stepNow = presentNeed / base >= s.panicThreshold;
  const panicNow = burstNow || stepNow;
  const lastPanicAt = panicNow ? now : wasPanic ? previous!.lastPanicAt : null;
  const inPanic = lastPanicAt !== null && (panicNow || now < lastPanicAt + s.stableWindowMs);

  const why: string[] = [];
  let bound: ScaleBound = 'none';
  let want = 0;
  const set = (n: number, b: ScaleBound, text: string) => {
    want = n;
    bound = b;
    why.push(text);
  };

  if (inPanic) {
    want = Math.max(desiredPanic, desiredStable);
    const burst = `${num(stats.panicConcurrency)} over the last ${dur(s.panicWindowMs)} / target ${num(target)} → ${desiredPanic}`;
    why.push(
      panicNow && !burstNow
        ? `panic: ${num(demandNow)} ${activating ? 'waiting from zero' : 'in flight or queued now'} need ${presentNeed}, ≥ ${num(s.panicThreshold)}× ${activating ? 'one instance' : `the ${ready} ready`}`
        : panicNow
        ? `panic: ${burst}, ≥ ${num(s.panicThreshold)}× the ${ready} ready` +
            (desiredStable > desiredPanic ? `; stable average needs more (${desiredStable})` : '')
        : `panic held until ${dur(lastPanicAt! + s.stableWindowMs - now)} from now (a stable window after the last burst): ${burst}` +
            (desiredStable > desiredPanic ? `; stable average needs ${desiredStable}` : ''),
    );
    const hold = Math.max(current, wasPanic ? previous!.desired : 0);
    if (hold > want) set(hold, 'panic-hold', `panic never scales down: holding ${hold}`);
  } else {
    want = desiredStable;
    why.push(`stable: ${num(stats.stableConcurrency)} average over ${dur(s.stableWindowMs)} / target ${num(target)} → ${desiredStable}`);
    if (wasPanic) why.push(`panic ended: no burst for ${dur(now - previous!.lastPanicAt!)}`);
    if (want > 0 && demandNow === 0 && idleEnough) {
      set(0, 'none', `idle ${idleForMs === null ? 'since start' : 'for ' + dur(idleForMs)} (≥ ${dur(s.scaleToZeroAfterMs)}): no demand → 0`);
    }
  }

  if (want === 0 && current > 0 && !idleEnough && s.minInstances === 0) {
    set(1, 'idle-grace', `last request ${dur(idleForMs!)} ago: 1 kept until idle for ${dur(s.scaleToZeroAfterMs)}`);
  }

  if (activating) {
    const act = activationNeed;
    if (act > want) {
      set(act, 'activation', `from zero: ${num(demandNow)} waiting / target ${num(target)}` +
        (act === s.activationScale && s.activationScale > 1 ? ` (activationScale ${s.activationScale})` : '') + ` → ${act} at once`);
    }
  }

  if (backlog > want) {
    set(backlog, 'backlog', `${num(demandNow)} in flight or queued now need ${backlog} at the hard limit ${s.concurrencyLimit}`);
  }

  const drainCap = drainCeiling(stats.drain, ready, starting, demandNow);
  if (drainCap !== null && want > drainCap.ceiling) {
    set(drainCap.ceiling, 'drain', drainCap.text);
  }

  // Step 5b. What was asked for before and is past the delay is forgotten; what this step
  // asks for is remembered whatever the delay makes of it.
  const asked = want;
  const horizon = now - s.scaleDownDelayMs;
  const recent = (previous?.recentDemand ?? []).filter((m) => m.at > horizon && m.desired > asked);
  const goingToZero = demandNow === 0 && idleEnough;
  const held = recent.length > 0 ? recent[0]!.desired : 0;
  if (!goingToZero && held > want) {
    set(held, 'scale-down-delay', `scale-down delay: ${held} asked for within the last ${dur(s.scaleDownDelayMs)}`);
  }
  // Gone idle: the next request starts afresh, not at what was asked for before the quiet.
  const recentDemand = goingToZero || s.scaleDownDelayMs === 0 ? [] : [...recent, { at: now, desired: asked }];

  if (!activating) {
    const upCap = Math.max(current, Math.ceil(base * s.maxScaleUpRate - EPS));
    if (want > upCap) {
      set(upCap, 'rate-up', `rate-up: at most ${num(s.maxScaleUpRate)}× ${base} ready per decision → ${upCap}`);
    }
  }
  const downFloor = Math.floor(ready / s.maxScaleDownRate + EPS);
  if (want < downFloor) {
    set(downFloor, 'rate-down', `rate-down: ${ready} ready shrink to no less than ${ready}/${num(s.maxScaleDownRate)} per decision → ${downFloor}`);
  }

  if (want > s.maxInstances) set(s.maxInstances, 'max', `capped at maxInstances ${s.maxInstances}`);
  if (want < s.minInstances) set(s.minInstances, 'min', `raised to minInstances ${s.minInstances}`);

  const others = Math.max(0, Math.floor(stats.elsewhere?.instances ?? 0));
  if (others > 0) {
    const room = Math.max(0, s.maxInstances - others);
    const share = Math.floor(s.maxInstances / Math.max(1, stats.elsewhere!.nodes));
    const ceiling = Math.max(room, Math.min(want, share));
    if (want > ceiling) {
      set(ceiling, 'cluster-max', `cluster: maxInstances ${s.maxInstances} less ${others} on other nodes leaves ${room}` + (ceiling > room ? `; ${ceiling}, this node's share of ${stats.elsewhere!.nodes} nodes` : ''));
    }
  }

  const desired = want;
  return {
    at: now,
    desired,
    current,
    ready,
    starting,
    mode: inPanic ? 'panic' : 'stable',
    boundBy: bound,
    reason: `${desired} (have ${ready} ready + ${starting} starting): ${why.join('; ')}`,
    stableConcurrency: stats.stableConcurrency,
    panicConcurrency: stats.panicConcurrency,
    currentConcurrency: demandNow,
    desiredStable,
    desiredPanic,
    idleForMs,
    panicSince: inPanic ? (wasPanic ? previous!.panicSince : now) : null,
    lastPanicAt: inPanic ? lastPanicAt : null,
    panicUntil: inPanic ? lastPanicAt! + s.stableWindowMs : null,
    recentDemand,
  };
}

/**
 * Step 5a: the most instances worth having for the requests present now, given how fast
 * the ready ones serve them; null when there is nothing to go by (none ready, no rate).
 */
export function drainCeiling(drain: DrainRate | undefined, ready: number, starting: number, demandNow: number): { ceiling: number; text: string } | null {
  if (drain === undefined) return null;
  const current = ready + starting;
  if (ready === 0) {
    return starting > 0 ? { ceiling: current, text: `drain: none ready yet, ${starting} starting: they serve first, and how fast decides the next` } : null;
  }
  if (drain.startMs === null || !(drain.startMs > 0)) return null;
  if (drain.waitedMs < drain.startMs) {
    return {
      ceiling: current,
      text: `drain: the ${ready} ready have served with requests waiting for ${num(drain.waitedMs)} ms, less than a start (${num(drain.startMs)} ms): measuring before starting more`,
    };
  }
  if (drain.served <= 0) return null;
  const perStart = (drain.served / drain.waitedMs / ready) * drain.startMs;
  const left = Math.max(0, demandNow - ready * perStart);
  const worth = Math.floor(left / perStart + EPS);
  const ceiling = Math.max(current, ready + worth);
  return {
    ceiling,
    text:
      `drain: the ${ready} ready served ${drain.served} in ${num(drain.waitedMs)} ms with requests waiting, one instance ${num(perStart)} in a start (${num(drain.startMs)} ms); ` +
      `of the ${num(demandNow)} present ${num(left)} are left by then, worth ${worth} more → ${ceiling}`,
  };
}

function num(n: number): string {
  return String(Math.round(n * 100) / 100);
}

function dur(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 120_000) return `${Math.round(ms / 100) / 10}s`;
  if (ms < 7_200_000) return `${Math.round(ms / 6_000) / 10}m`;
  return `${Math.round(ms / 360_000) / 10}h`;
}
