/**
 * The live instances of one function version: who is busy, who waits, who starts.
 *
 * A request takes the least-loaded ready instance below the hard per-instance limit.
 * When none has room it waits in a bounded FIFO queue, and the pool starts only as
 * many instances as the demand needs at the target concurrency (a burst of 200 at a
 * target of 10 starts 20, not 200). A request arriving while an instance starts waits
 * for it. Past the queue limit callers get NIMBUS_ERR_THROTTLED.
 */
import type { Clock, TimerHandle } from '../core/clock.ts';
import { NimbusError } from '../core/errors.ts';
import type { FunctionVersion } from '../core/types.ts';
import type { Instance, InstanceDeath, InstanceSpec, Runtime } from '../runtime/port.ts';
import type { Capacity } from './capacity.ts';
import { idleToRetire } from './idle.ts';
import type { PoolScaler, ScaleView } from './scaler.ts';

export interface Lease {
  readonly instance: Instance;
  /** True when this request waited for its instance to start. */
  readonly cold: boolean;
  /** The instance's start time when cold, else 0. */
  readonly initMs: number;
  /** Gives the slot back; call exactly once, after the invocation settled. */
  release(): void;
}

export interface PoolEvents {
  instanceStarted?(pool: VersionPool, instance: Instance): void;
  instanceStopped?(pool: VersionPool, instanceId: string, reason: string): void;
  throttled?(pool: VersionPool): void;
}

export interface PoolDeps {
  readonly clock: Clock;
  readonly runtime: Runtime;
  readonly capacity: Capacity;
  readonly queueLimit: number;
  readonly newInstanceId: () => string;
  readonly instanceSpec: (version: FunctionVersion, instanceId: string) => InstanceSpec;
  readonly events?: PoolEvents;
  /** When set, the scaler decides how many instances run (see scaler.ts). */
  readonly scaler?: PoolScaler;
}

interface Slot {
  readonly instance: Instance;
  inFlight: number;
  lastUsedAt: number;
  served: number;
  retiring: boolean;
}

interface Waiter {
  resolve(lease: Lease): void;
  reject(error: unknown): void;
  timer: TimerHandle;
  /** Past its deadline, kept for an instance that is starting: gives up once no start is under way. */
  overdue: (() => void) | null;
}

export interface InstanceView {
  readonly id: string;
  readonly inFlight: number;
  readonly served: number;
  readonly lastUsedAt: number;
  readonly initMs: number;
  readonly heapUsedBytes: number;
}

export interface PoolStats {
  readonly functionName: string;
  readonly version: number;
  readonly ready: number;
  readonly starting: number;
  readonly inFlight: number;
  readonly queued: number;
  readonly instances: readonly InstanceView[];
}

export class VersionPool {
  private readonly slots: Slot[] = [];
  private readonly waiters: Waiter[] = [];
  private starting = 0;
  private inFlight = 0;
  private closed = false;
  private lastStartError: unknown = null;
  private drainedListeners: Array<() => void> = [];
  private current: FunctionVersion;
  /** Leases released so far; with the two below, what was served while requests waited. */
  private completed = 0;
  /** clock.monotonic() when the queue last became non-empty or an instance ready (the later), and `completed` then. */
  private waitingSince = 0;
  private completedBeforeWaiting = 0;
  /** The last instance start's time, in ms (null before the first). */
  private lastStartMs: number | null = null;

  constructor(
    version: FunctionVersion,
    private readonly deps: PoolDeps,
  ) {
    this.current = version;
  }

  get version(): FunctionVersion {
    return this.current;
  }

  get config() {
    return this.current.config;
  }

  /**
   * Live settings changed (same version and code, e.g. `nimbus scale`): the new limits
   * apply from now on. A raised hard limit lets waiting requests in at once.
   */
  reconfigure(version: FunctionVersion): void {
    if (version.functionName !== this.current.functionName || version.version !== this.current.version) {
      throw new Error(`reconfigure: ${version.functionName}@${version.version} is not this pool's version`);
    }
    this.current = version;
    this.serveWaiters(undefined);
  }

  /** A lease at once when a ready instance has room (the warm path, no promise), else null: then acquire(). */
  tryAcquire(): Lease | null {
    if (this.closed) return null;
    const slot = this.pick();
    return slot ? this.lease(slot, false) : null;
  }

  /**
   * Resolves with a lease on an instance, or rejects (throttled, timed out, closed, init failed).
   * A waiting request gives up at `deadline`, unless an instance is starting then: it waits on
   * for the start until `startDeadline` (a start that takes longer than the function's timeout,
   * such as an app's, does not fail the requests that wait for it), or until no start is under
   * way any more.
   */
  acquire(deadline: number, startDeadline = deadline): Promise<Lease> {
    if (this.closed) {
      return Promise.reject(new NimbusError('NIMBUS_ERR_SHUTTING_DOWN', `version ${this.version.version} of ${this.version.functionName} is retiring`));
    }
    const slot = this.pick();
    if (slot) return Promise.resolve(this.lease(slot, false));
    if (this.waiters.length >= this.deps.queueLimit + this.absorbable()) {
      this.deps.events?.throttled?.(this);
      return Promise.reject(
        new NimbusError(
          'NIMBUS_ERR_THROTTLED',
          `${this.version.functionName}: all ${this.slots.length} instance(s) are busy and ${this.waiters.length} request(s) already wait; retry shortly or raise --max`,
          { retryAfterSeconds: 1, extra: { queued: this.waiters.length, instances: this.slots.length } },
        ),
      );
    }
    return new Promise<Lease>((resolve, reject) => {
      const giveUp = () => {
        const at = this.waiters.indexOf(waiter);
        if (at === -1) return;
        this.waiters.splice(at, 1);
        this.changed();
        reject(
          new NimbusError('NIMBUS_ERR_QUEUE_TIMEOUT', `${this.version.functionName}: no instance became free before the deadline`, {
            retryAfterSeconds: 1,
          }),
        );
      };
      const atDeadline = () => {
        const now = this.deps.clock.now();
        if (this.starting > 0 && startDeadline > now && this.waiters.includes(waiter)) {
          waiter.timer = this.deps.clock.setTimer(startDeadline - now, giveUp);
          waiter.overdue = giveUp;
        } else giveUp();
      };
      const waiter: Waiter = { resolve, reject, timer: this.deps.clock.setTimer(Math.max(0, deadline - this.deps.clock.now()), atDeadline), overdue: null };
      if (this.waiters.length === 0) this.startWaitMeasure();
      this.waiters.push(waiter);
      this.changed();
      this.scaleForDemand();
    });
  }

  /**
   * Waiting requests that instances still to come will take: the ones starting, and the
   * ones max instances and the platform caps still allow. The queue limit bounds only
   * what waits beyond them, so a burst at a cold function is absorbed by the instances it
   * starts instead of being throttled while they boot.
   */
  private absorbable(): number {
    const byMax = this.config.maxInstances - this.slots.length - this.starting;
    const byPlatform = this.deps.capacity.room(this.config.memoryMb);
    const startable = Math.max(0, Math.min(byMax, byPlatform));
    return (this.starting + startable) * this.config.concurrency;
  }

  /** Starts instances until `count` are live or starting (bounded by max and the caps). */
  ensureInstances(count: number): void {
    const wanted = Math.min(count, this.config.maxInstances);
    // Draining instances do not serve new work but still count against the maximum.
    while (!this.closed && this.activeCount() + this.starting < wanted && this.slots.length + this.starting < this.config.maxInstances) {
      if (!this.deps.capacity.tryReserve(this.config.memoryMb)) break;
      this.startOne();
    }
  }

  /** Retires idle instances older than the idle timeout, keeping min instances. */
  tick(now: number): void {
    if (this.closed) return;
    const ids = idleToRetire(
      this.slots.filter((s) => !s.retiring).map((s) => ({ id: s.instance.id, inFlight: s.inFlight, lastUsedAt: s.lastUsedAt })),
      now,
      this.config.idleTimeoutMs,
      this.config.minInstances,
    );
    for (const id of ids) this.retire(id, 'idle');
    this.ensureInstances(this.config.minInstances);
  }

  /** Stops an instance once it has nothing in flight. */
  retire(instanceId: string, reason: string): void {
    const slot = this.slots.find((s) => s.instance.id === instanceId);
    if (!slot) return;
    slot.retiring = true;
    if (slot.inFlight === 0) this.remove(slot, reason);
  }

  /** Refuses new work, fails waiters, waits up to `timeoutMs` for in-flight work, then stops every instance. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) {
      w.timer.cancel();
      w.reject(new NimbusError('NIMBUS_ERR_SHUTTING_DOWN', `${this.version.functionName} is shutting down`, { retryAfterSeconds: 1 }));
    }
    this.changed();
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = this.deps.clock.setTimer(timeoutMs, resolve, true);
        this.drainedListeners.push(() => {
          timer.cancel();
          resolve();
        });
      });
    }
    for (const slot of [...this.slots]) this.remove(slot, 'shutdown');
  }

  isIdle(): boolean {
    return this.inFlight === 0 && this.waiters.length === 0 && this.starting === 0;
  }

  stats(): PoolStats {
    return {
      functionName: this.version.functionName,
      version: this.version.version,
      ready: this.slots.length,
      starting: this.starting,
      inFlight: this.inFlight,
      queued: this.waiters.length,
      instances: this.slots.map((s) => ({
        id: s.instance.id,
        inFlight: s.inFlight,
        served: s.served,
        lastUsedAt: s.lastUsedAt,
        initMs: s.instance.initMs,
        heapUsedBytes: s.instance.stats().heapUsedBytes,
      })),
    };
  }

  /** Requests running or waiting here now (what stats() counts as inFlight + queued, without building it). */
  load(): number {
    return this.inFlight + this.waiters.length;
  }

  /** Live instances, draining ones included (what stats() counts as ready), without asking each for its figures. */
  instanceCount(): number {
    return this.slots.length;
  }

  /** Counts and the active instances, for a scaler. */
  scaleView(): ScaleView {
    const instances: Array<{ id: string; inFlight: number; lastUsedAt: number }> = [];
    for (const s of this.slots) if (!s.retiring) instances.push({ id: s.instance.id, inFlight: s.inFlight, lastUsedAt: s.lastUsedAt });
    return {
      active: instances.length,
      starting: this.starting,
      draining: this.slots.length - instances.length,
      inFlight: this.inFlight,
      queued: this.waiters.length,
      instances,
      drain: this.drainRate(),
    };
  }

  private startWaitMeasure(): void {
    this.waitingSince = this.deps.clock.monotonic();
    this.completedBeforeWaiting = this.completed;
  }

  private drainRate(): ScaleView['drain'] {
    if (this.waiters.length === 0) return { waitedMs: 0, served: 0, startMs: this.lastStartMs };
    return { waitedMs: this.deps.clock.monotonic() - this.waitingSince, served: this.completed - this.completedBeforeWaiting, startMs: this.lastStartMs };
  }

  private activeCount(): number {
    let n = 0;
    for (const s of this.slots) if (!s.retiring) n++;
    return n;
  }

  /** Tells the scaler the new in-flight + queued level. */
  private changed(): void {
    this.deps.scaler?.observe(this, this.deps.clock.now(), this.inFlight + this.waiters.length);
  }

  private pick(): Slot | undefined {
    let best: Slot | undefined;
    const limit = this.config.concurrency;
    for (const slot of this.slots) {
      if (slot.retiring || slot.inFlight >= limit) continue;
      if (best === undefined || slot.inFlight < best.inFlight) best = slot;
    }
    return best;
  }

  private lease(slot: Slot, cold: boolean): Lease {
    slot.inFlight++;
    slot.served++;
    this.inFlight++;
    this.changed();
    let released = false;
    return {
      instance: slot.instance,
      cold,
      initMs: cold ? slot.instance.initMs : 0,
      release: () => {
        if (released) return;
        released = true;
        this.completed++;
        slot.inFlight--;
        this.inFlight--;
        this.changed();
        slot.lastUsedAt = this.deps.clock.now();
        if (slot.instance.deathReason() !== null) this.remove(slot, slot.instance.deathReason() ?? 'dead');
        else if (slot.retiring && slot.inFlight === 0) this.remove(slot, 'retired');
        if (this.inFlight === 0) for (const fn of this.drainedListeners.splice(0)) fn();
        this.serveWaiters(undefined);
      },
    };
  }

  /** Starts what the queue needs: ceil(demand / target) instances in all. */
  private scaleForDemand(): void {
    if (this.deps.scaler) {
      this.deps.scaler.demand(this);
      return;
    }
    const demand = this.inFlight + this.waiters.length;
    this.ensureInstances(Math.ceil(demand / Math.max(1, this.config.targetConcurrency)));
  }

  private startOne(): void {
    this.starting++;
    const id = this.deps.newInstanceId();
    const spec = this.deps.instanceSpec(this.version, id);
    // An instance that dies between calls (a module-level timer past its CPU limit) leaves
    // at once rather than failing the next request sent to it.
    const withDeath = { ...spec, onDeath: (reason: InstanceDeath) => (spec.onDeath?.(reason), this.onInstanceDeath(id)) };
    this.deps.runtime.start(withDeath).then(
      (instance) => {
        this.starting--;
        if (this.closed) {
          instance.dispose();
          this.deps.capacity.release(this.config.memoryMb);
          return;
        }
        const slot: Slot = { instance, inFlight: 0, lastUsedAt: this.deps.clock.now(), served: 0, retiring: false };
        this.slots.push(slot);
        this.lastStartError = null;
        this.lastStartMs = instance.initMs;
        // More instances serve from now on: the serving rate is measured afresh.
        if (this.waiters.length > 0) this.startWaitMeasure();
        this.deps.events?.instanceStarted?.(this, instance);
        this.serveWaiters(slot);
        this.endStartWaits();
      },
      (error: unknown) => {
        this.starting--;
        this.deps.capacity.release(this.config.memoryMb);
        this.lastStartError = error;
        // With nothing else coming, the waiters would only time out: tell them why now.
        if (this.starting === 0 && this.slots.length === 0) {
          for (const w of this.waiters.splice(0)) {
            w.timer.cancel();
            w.reject(error);
          }
          this.changed();
        }
        this.endStartWaits();
      },
    );
  }

  /** No start is under way any more: the waiters kept past their deadline for one give up now. */
  private endStartWaits(): void {
    if (this.starting > 0) return;
    for (const w of this.waiters.filter((x) => x.overdue !== null)) {
      w.timer.cancel();
      w.overdue?.();
    }
  }

  private onInstanceDeath(instanceId: string): void {
    const slot = this.slots.find((s) => s.instance.id === instanceId);
    if (slot && slot.inFlight === 0) {
      this.remove(slot, slot.instance.deathReason() ?? 'dead');
      this.serveWaiters(undefined);
    }
    // With calls in flight, their release removes the slot (its death reason is set).
  }

  private serveWaiters(fresh: Slot | undefined): void {
    while (this.waiters.length > 0) {
      const slot = fresh && fresh.inFlight < this.config.concurrency ? fresh : this.pick();
      if (!slot) break;
      const waiter = this.waiters.shift() as Waiter;
      waiter.timer.cancel();
      // The lease reports the level; taking the waiter off first keeps it unchanged.
      waiter.resolve(this.lease(slot, slot === fresh));
    }
    if (this.waiters.length > 0) this.scaleForDemand();
  }

  private remove(slot: Slot, reason: string): void {
    const at = this.slots.indexOf(slot);
    if (at === -1) return;
    this.slots.splice(at, 1);
    slot.instance.dispose();
    this.deps.capacity.release(this.config.memoryMb);
    this.deps.events?.instanceStopped?.(this, slot.instance.id, reason);
  }

  /** The error of the last failed start, for diagnostics. */
  startError(): unknown {
    return this.lastStartError;
  }
}
