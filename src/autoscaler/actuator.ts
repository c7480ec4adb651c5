/**
 * The actuator: turns decisions into instances. One ConcurrencyWindow per pool, fed by
 * the pool on every in-flight/queue change; decide() on the registry's tick (2 s), on
 * queue build-up (coalesced, at most every `demandGapMs`) and after a settings change;
 * then apply: start the difference, or retire the surplus — idle instances longest idle
 * first, then the least busy ones, which drain their in-flight work before they stop.
 * Starting instances are never cancelled. The last decisions of each function are kept,
 * with why, for `nimbus info` and GET /api/v1/functions/{name}/scale.
 *
 * Time comes from the Clock; the decision itself is the pure decide() of decider.ts.
 */
import type { Clock, TimerHandle } from '../core/clock.ts';
import type { FunctionConfig } from '../core/types.ts';
import type { Capacity, CapacityUsage } from '../pool/capacity.ts';
import type { PoolScaler, ScaleView } from '../pool/scaler.ts';
import type { VersionPool } from '../pool/version-pool.ts';
import { decide, type ScaleDecision } from './decider.ts';
import { SCALING_DEFAULTS, settingsFromConfig, validateSettings, type PlatformScaling, type ScalingSettings } from './settings.ts';
import { windowFor, type ConcurrencyWindow } from './window.ts';

export type DecisionTrigger = 'tick' | 'demand' | 'deploy' | 'settings';

/** What a platform-wide cap did to an apply: fewer started than decided. */
export type CapacityLimit = 'platform-instances' | 'memory-budget' | null;

/** A decision and what applying it did. */
export interface ScaleEvent extends ScaleDecision {
  readonly functionName: string;
  readonly version: number;
  readonly trigger: DecisionTrigger;
  /** Instances started by this apply. */
  readonly started: number;
  /** Instances retired by this apply (idle ones stop at once, busy ones drain first). */
  readonly retired: number;
  /** Set when a platform cap stopped the apply short of `desired`. */
  readonly limitedBy: CapacityLimit;
}

export interface AutoscalerOptions {
  readonly clock: Clock;
  /** Platform knobs and the platform instance cap (the Config fits). */
  readonly platform?: PlatformScaling;
  /** The platform caps, to say which one stopped a scale-up. */
  readonly capacity?: Capacity;
  /** Decisions kept per function (default 20). */
  readonly historySize?: number;
  /** Queue build-up decides at most this often per pool (default 10 ms); the first one at once. */
  readonly demandGapMs?: number;
  /** What other nodes of a cluster run of a function, and the node count (scale signals); absent on one node. */
  readonly elsewhere?: (functionName: string) => { readonly instances: number; readonly nodes: number };
  /** Called for every decision that changed something or acted (logging). */
  readonly onEvent?: (event: ScaleEvent) => void;
}

interface PoolState {
  readonly window: ConcurrencyWindow;
  config: FunctionConfig | null;
  settings: ScalingSettings | null;
  previous: ScaleDecision | undefined;
  /** A demand-driven decision is scheduled. */
  scheduled: boolean;
  timer: TimerHandle | null;
  lastDemandAt: number | null;
  forgotten: boolean;
}

/** Which active instances to retire for a scale-down of `n`: idle longest first, then least busy. */
export function pickToRetire(instances: ScaleView['instances'], n: number): string[] {
  if (n <= 0) return [];
  return [...instances]
    .sort((a, b) => (a.inFlight === 0) !== (b.inFlight === 0) ? (a.inFlight === 0 ? -1 : 1) : a.inFlight - b.inFlight || a.lastUsedAt - b.lastUsedAt)
    .slice(0, n)
    .map((i) => i.id);
}

export class Autoscaler implements PoolScaler {
  private readonly states = new Map<VersionPool, PoolState>();
  private readonly history = new Map<string, ScaleEvent[]>();
  private readonly latest = new Map<string, ScaleEvent>();
  private readonly historySize: number;
  private readonly demandGapMs: number;

  constructor(private readonly options: AutoscalerOptions) {
    this.historySize = options.historySize ?? 20;
    this.demandGapMs = options.demandGapMs ?? 10;
    // Refuse bad platform knobs at start rather than on the first request.
    validateSettings({
      ...SCALING_DEFAULTS,
      ...definedKnobs(options.platform ?? {}),
      targetConcurrency: 1,
      concurrencyLimit: 1,
      minInstances: 0,
      maxInstances: 1,
      scaleToZeroAfterMs: 0,
      scaleDownDelayMs: 0,
    });
  }

  observe(pool: VersionPool, now: number, level: number): void {
    this.state(pool, now).window.record(now, level);
  }

  demand(pool: VersionPool): void {
    const s = this.state(pool, this.options.clock.now());
    if (s.scheduled) return;
    s.scheduled = true;
    const run = () => {
      s.scheduled = false;
      s.timer = null;
      if (s.forgotten) return;
      s.lastDemandAt = this.options.clock.now();
      this.reconcile(pool, 'demand');
    };
    const now = this.options.clock.now();
    const wait = s.lastDemandAt === null ? 0 : s.lastDemandAt + this.demandGapMs - now;
    // Coalesce a burst of arrivals in this turn into one decision.
    if (wait <= 0) queueMicrotask(run);
    else s.timer = this.options.clock.setTimer(wait, run);
  }

  tick(pool: VersionPool, now: number, why: 'tick' | 'deploy' | 'settings' = 'tick'): void {
    this.reconcile(pool, why, now);
  }

  forget(pool: VersionPool): void {
    const s = this.states.get(pool);
    if (!s) return;
    s.forgotten = true;
    s.timer?.cancel();
    this.states.delete(pool);
  }

  functionRemoved(functionName: string): void {
    this.history.delete(functionName);
    this.latest.delete(functionName);
  }

  /** Decides for `pool` now and applies the decision. */
  reconcile(pool: VersionPool, trigger: DecisionTrigger, now = this.options.clock.now()): ScaleEvent | null {
    const s = this.state(pool, now);
    const settings = this.settingsOf(pool, s);
    const view = pool.scaleView();
    // A decision for queue build-up that comes once the queue is gone has nothing to add for.
    if (trigger === 'demand' && view.queued === 0) return null;
    if (settings === null) {
      // Settings the decider refuses (cannot come from a validated deploy): still serve.
      const c = pool.config;
      pool.ensureInstances(Math.max(c.minInstances, Math.ceil((view.inFlight + view.queued) / Math.max(1, c.targetConcurrency))));
      return null;
    }
    const decision = decide(
      settings,
      {
        ready: view.active,
        starting: view.starting,
        ...s.window.snapshot(now),
        ...(this.options.elsewhere ? { elsewhere: this.options.elsewhere(pool.version.functionName) } : {}),
        // How fast the queue drains bounds only what queue build-up starts; ticks follow the averages.
        ...(trigger === 'demand' ? { drain: view.drain } : {}),
      },
      now,
      s.previous,
    );
    // Held back until the ready instances show how fast they serve: look again soon, as
    // nothing else may prompt a decision while the queue waits on slow invocations.
    const held = trigger === 'demand' && decision.boundBy === 'drain';
    if (held) this.demand(pool);
    // Queue build-up only ever adds instances; shrinking waits for the tick. A hold is kept
    // as a decision all the same: it says why a queue started nothing.
    if (trigger === 'demand' && decision.desired <= view.active + view.starting && !held) return null;
    const before = s.previous;
    s.previous = decision;
    const applied = this.apply(pool, view, decision);
    const event: ScaleEvent = {
      ...decision,
      functionName: pool.version.functionName,
      version: pool.version.version,
      trigger,
      ...applied,
    };
    this.latest.set(event.functionName, event);
    const changed =
      before === undefined ||
      before.desired !== decision.desired ||
      before.mode !== decision.mode ||
      before.boundBy !== decision.boundBy ||
      applied.started > 0 ||
      applied.retired > 0 ||
      applied.limitedBy !== null;
    if (changed) {
      let list = this.history.get(event.functionName);
      if (!list) this.history.set(event.functionName, (list = []));
      list.push(event);
      if (list.length > this.historySize) list.splice(0, list.length - this.historySize);
      this.options.onEvent?.(event);
    }
    return event;
  }

  /** The latest decision and the last ones that changed something, newest first. */
  decisionsFor(functionName: string): { latest: ScaleEvent | null; recent: ScaleEvent[] } {
    return { latest: this.latest.get(functionName) ?? null, recent: [...(this.history.get(functionName) ?? [])].reverse() };
  }

  /** Platform-wide instances and memory in use against their caps; null without a Capacity. */
  capacityUsage(): CapacityUsage | null {
    return this.options.capacity?.usage() ?? null;
  }

  /** The settings the decider uses for a pool (platform caps applied), or null if none valid. */
  settingsFor(pool: VersionPool): ScalingSettings | null {
    return this.settingsOf(pool, this.state(pool, this.options.clock.now()));
  }

  private apply(pool: VersionPool, view: ScaleView, d: ScaleDecision): Pick<ScaleEvent, 'started' | 'retired' | 'limitedBy'> {
    const current = view.active + view.starting;
    if (d.desired > current) {
      pool.ensureInstances(d.desired);
      const after = pool.scaleView();
      const started = after.active + after.starting - current;
      let limitedBy: CapacityLimit = null;
      if (after.active + after.starting < d.desired && this.options.capacity) limitedBy = this.options.capacity.full(pool.config.memoryMb);
      return { started, retired: 0, limitedBy };
    }
    if (d.desired < current) {
      const ids = pickToRetire(view.instances, Math.min(current - d.desired, view.active));
      for (const id of ids) pool.retire(id, 'scale-down');
      return { started: 0, retired: ids.length, limitedBy: null };
    }
    return { started: 0, retired: 0, limitedBy: null };
  }

  private state(pool: VersionPool, now: number): PoolState {
    let s = this.states.get(pool);
    if (!s) {
      const knobs = { ...SCALING_DEFAULTS, ...definedKnobs(this.options.platform ?? {}) };
      s = {
        window: windowFor(knobs, now),
        config: null,
        settings: null,
        previous: undefined,
        scheduled: false,
        timer: null,
        lastDemandAt: null,
        forgotten: false,
      };
      this.states.set(pool, s);
    }
    return s;
  }

  private settingsOf(pool: VersionPool, s: PoolState): ScalingSettings | null {
    const config = pool.config;
    if (s.config !== config) {
      s.config = config;
      const cap = this.options.platform?.maxTotalInstances;
      // A platform cap below the function's minimum caps the minimum too.
      const fitted = cap !== undefined && config.minInstances > cap ? { ...config, minInstances: cap } : config;
      try {
        s.settings = settingsFromConfig(fitted, this.options.platform ?? {});
      } catch {
        s.settings = null;
      }
    }
    return s.settings;
  }
}

function definedKnobs(p: PlatformScaling): Partial<PlatformScaling> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(SCALING_DEFAULTS) as (keyof typeof SCALING_DEFAULTS)[]) {
    const v = p[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
