/**
 * Spare isolates, already prepared (context + shim), per memory size and kind (`node`: the
 * shared Node layer evaluated too, for bundles built against it), as many per pair as its recent
 * bursts of starts asked for, or as its instances that went away may come back (spare-demand.ts
 * decides; extra ones are discarded, by a timer once the demand has decayed). A cold start takes
 * one and only compiles and runs the function's bundle. A spare is never given back: each
 * serves one instance, so one of kind `node` holds a layer no function has touched. Refilling happens one isolate at
 * a time, a little after a start last asked for a spare, so it does not sit on that start's path; once that
 * wait is over, spares are made one after another until every kind is full again, the kind furthest below
 * its count first. Making one gives way to starts while its kind still has a spare ready: between its steps
 * it waits while a start is under way, for at most `yieldBoundMs` a step, so that starts back to back (a burst
 * after scale to zero) do not share the cores with it; once its kind has none ready (or a start waits for it),
 * it goes on at once, as a start of that kind may need it next.
 *
 * Once every kind is full and no start has begun, ended or asked for a spare, and no instance has gone, for `compactAfterMs`, the ready spares
 * are compacted one at a time (a full garbage collection each, prepare.ts `compact`), so that an
 * instance started from one does not carry the garbage of its making: a few times a spare's own cost,
 * spent only while the platform is quiet (no start, no code running in an isolate); a burst takes
 * spares as they were made.
 */
import type { Clock, TimerHandle } from '../../core/clock.ts';
import { LAYER_KINDS } from '../../deploy/node-layer-shared.ts';
import { compact, discard, isolateMemoryMb, prepare, type Between, type Prepared, type SpareKind } from './prepare.ts';
import { NO_DEMAND, nextDropAt, recordAsk, recordGone, sparesWanted, type SpareDemand, type SpareDemandOptions } from './spare-demand.ts';

export interface SparePoolOptions {
  readonly clock: Clock;
  /** Spares kept per memory size and kind with no history of bursts, and the fewest kept. 0 disables the pool. */
  readonly perSize: number;
  /**
   * How many follow demand (spare-demand.ts): the most starts that asked for a spare of a pair within
   * `burstWindowMs`, halved every `demandHalfLifeMs`, kept ready, at most `maxPerSize`. Without these, `perSize`.
   */
  readonly maxPerSize?: number;
  readonly burstWindowMs?: number;
  readonly demandHalfLifeMs?: number;
  /** Memory sizes prepared at once (kind `plain`); other sizes and kinds get spares after their first use. */
  readonly prewarmMb: readonly number[];
  /** At most this many distinct (memory size, kind) pairs keep spares (the most recently used). */
  readonly maxSizes: number;
  /**
   * Wait this long after a start asked for a spare before making a new one: creating an isolate
   * holds the main thread for about a millisecond, which should not land inside the
   * cold start that just took the spare. Fills with no such ask since follow each other at once.
   */
  readonly refillDelayMs: number;
  /** The longest a spare being made waits, at one of its steps, for starts under way to finish. */
  readonly yieldBoundMs: number;
  /** Quiet time (no start beginning, ending or asking for a spare) before ready spares are compacted. Infinity: never. */
  readonly compactAfterMs: number;
  /**
   * Whether code runs in an isolate now: compaction then waits (another quiet time), so that it takes
   * no core from that code, and its CPU does not count toward what the CPU watchdog may charge it.
   */
  readonly busy?: () => boolean;
  readonly onError: (error: unknown) => void;
}

export class SparePool {
  readonly #opts: SparePoolOptions;
  readonly #spares = new Map<string, Prepared[]>();
  /** (size, kind) keys wanted, least recently used first */
  readonly #sizes: string[] = [];
  /** Per (size, kind) key: the starts that asked for a spare of it, as bursts. */
  readonly #demand = new Map<string, SpareDemand>();
  readonly #demandOpts: SpareDemandOptions;
  #timer: TimerHandle | null = null;
  /** Discards the spares beyond what a pair keeps once its demand has decayed. */
  #trimTimer: TimerHandle | null = null;
  #filling = false;
  /** The size the fill in progress makes, and whether a start already waits for it. */
  #fillingSize: string | null = null;
  #claimed = false;
  /** The fill in progress, if any (close() waits for it). */
  #fill: Promise<void> | null = null;
  #closed = false;
  #taken = 0;
  /** When a start last asked for a spare (clock.monotonic), or -Infinity. */
  #lastTakeAt = Number.NEGATIVE_INFINITY;
  /** Starts under way (startBegan without its end yet). */
  #starting = 0;
  /** When a start last began, ended or asked for a spare, an instance went, or the pool was made (clock.monotonic). */
  #lastActiveAt: number;
  /** Steps of the spare being made that wait for the starts under way to finish. */
  #yielding: Array<() => void> = [];
  /** Spares compacted since they were made. */
  readonly #compacted = new WeakSet<Prepared>();
  #compactTimer: TimerHandle | null = null;
  /** The compaction in progress, if any (close() waits for it). */
  #compaction: Promise<void> | null = null;

  constructor(options: SparePoolOptions) {
    this.#opts = options;
    this.#demandOpts = {
      base: options.perSize,
      cap: options.maxPerSize ?? options.perSize,
      windowMs: options.burstWindowMs ?? 0,
      halfLifeMs: options.demandHalfLifeMs ?? 1,
    };
    // the platform is starting: the first spares are compacted only after a quiet time too
    this.#lastActiveAt = options.clock.monotonic();
    for (const mb of options.prewarmMb) this.#want(keyOf(mb, 'plain'));
    this.#schedule();
  }

  /** A prepared isolate for this memory size and kind, if one is ready; `fn`: the function that starts (its instances gone come back). */
  take(memoryMb: number, kind: SpareKind = 'plain', fn?: string): Prepared | undefined {
    return this.#take(memoryMb, kind, true, fn);
  }

  /** `ask`: counts as a start asking for a spare (not when the same start looks again). */
  #take(memoryMb: number, kind: SpareKind, ask: boolean, fn?: string): Prepared | undefined {
    const size = keyOf(memoryMb, kind);
    if (this.#opts.perSize <= 0 || this.#closed) return undefined;
    this.#want(size);
    if (ask) this.#demand.set(size, recordAsk(this.#demand.get(size) ?? NO_DEMAND, this.#opts.clock.monotonic(), this.#demandOpts, fn));
    const spare = this.#spares.get(size)?.pop();
    if (spare !== undefined) this.#taken++;
    if (size === this.#fillingSize && !this.#fillCanWait()) this.#resume();
    // a start is under way whether or not it found one
    this.#lastTakeAt = this.#opts.clock.monotonic();
    this.#lastActiveAt = this.#lastTakeAt;
    this.#schedule();
    return spare;
  }

  /**
   * An instance of function `fn` started from this size and kind went away (scale to zero, scale down):
   * it may start again, maybe with others that went too, so the pair keeps one more spare until a start
   * of `fn` makes up for it (decayed, capped).
   */
  gone(memoryMb: number, kind: SpareKind, fn: string): void {
    const size = keyOf(memoryMb, kind);
    if (this.#opts.perSize <= 0 || this.#closed || !this.#sizes.includes(size)) return;
    this.#demand.set(size, recordGone(this.#demand.get(size) ?? NO_DEMAND, this.#opts.clock.monotonic(), this.#demandOpts, fn));
    // not quiet yet: a compaction now would hold a spare out of reach of its function coming back
    this.#lastActiveAt = this.#opts.clock.monotonic();
    this.#schedule();
  }

  /** Keeps spares of this size and kind from now on (a deploy's check says what its function will take). */
  want(memoryMb: number, kind: SpareKind): void {
    if (this.#opts.perSize <= 0 || this.#closed) return;
    this.#want(keyOf(memoryMb, kind));
    this.#schedule();
  }

  /**
   * A spare for this size: a ready one, or else the one being made right now (it is further
   * along than a new one would be) when no other start waits for it already. Undefined when
   * neither: the caller prepares its own.
   */
  async takeSoon(memoryMb: number, kind: SpareKind = 'plain', fn?: string): Promise<Prepared | undefined> {
    const ready = this.take(memoryMb, kind, fn);
    const size = keyOf(memoryMb, kind);
    if (ready !== undefined || this.#fill === null || this.#fillingSize !== size || this.#claimed) return ready;
    this.#claimed = true;
    // the start waits for this spare: its steps no longer give way
    this.#resume();
    try {
      await this.#fill;
    } finally {
      this.#claimed = false;
    }
    return this.#take(memoryMb, kind, false);
  }

  /**
   * A start is under way until the function it returns is called (once its instance is up, or it failed):
   * the spare being made waits between its steps meanwhile.
   */
  startBegan(): () => void {
    this.#starting++;
    this.#lastActiveAt = this.#opts.clock.monotonic();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#starting--;
      this.#lastActiveAt = this.#opts.clock.monotonic();
      if (this.#starting === 0) {
        this.#resume();
        this.#scheduleCompaction();
      }
    };
  }

  /** Whether the spare being made waits, between two of its steps, for starts under way (tests). */
  get givingWay(): boolean {
    return this.#yielding.length > 0;
  }

  /** Whether a spare is being made now (tests). */
  get refilling(): boolean {
    return this.#fill !== null;
  }

  /** How many spares starts have taken so far (tests, metrics). */
  get taken(): number {
    return this.#taken;
  }

  /** How many of those ready now have been compacted (tests, metrics). */
  compacted(memoryMb: number, kind: SpareKind = 'plain'): number {
    return this.#spares.get(keyOf(memoryMb, kind))?.filter((p) => this.#compacted.has(p)).length ?? 0;
  }

  /** How many spares the pool keeps ready now for one size and kind (tests, metrics). */
  wanted(memoryMb: number, kind: SpareKind = 'plain'): number {
    return this.#wanted(keyOf(memoryMb, kind));
  }

  /** How many are ready now, for one size and kind (tests, metrics). */
  ready(memoryMb: number, kind: SpareKind = 'plain'): number {
    return this.#spares.get(keyOf(memoryMb, kind))?.length ?? 0;
  }

  /** Disposes the spares; resolves once isolated-vm has settled everything they had pending. */
  close(): Promise<void> {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = null;
    this.#compactTimer?.cancel();
    this.#compactTimer = null;
    this.#trimTimer?.cancel();
    this.#trimTimer = null;
    this.#resume();
    const gone: Array<Promise<void>> = [];
    for (const list of this.#spares.values()) {
      for (const p of list) {
        discard(p);
        gone.push(p.gone);
      }
    }
    this.#spares.clear();
    if (this.#fill !== null) gone.push(this.#fill);
    if (this.#compaction !== null) gone.push(this.#compaction);
    return Promise.all(gone).then(() => undefined);
  }

  #want(size: string): void {
    const i = this.#sizes.indexOf(size);
    if (i >= 0) this.#sizes.splice(i, 1);
    this.#sizes.push(size);
    while (this.#sizes.length > Math.max(1, this.#opts.maxSizes)) {
      const dropped = this.#sizes.shift() as string;
      for (const p of this.#spares.get(dropped) ?? []) discard(p);
      this.#spares.delete(dropped);
      this.#demand.delete(dropped);
    }
  }

  #wanted(size: string): number {
    return sparesWanted(this.#demand.get(size) ?? NO_DEMAND, this.#opts.clock.monotonic(), this.#demandOpts);
  }

  /** Discards the ready spares beyond what each pair's demand keeps now (the least compacted first). */
  #trim(): void {
    for (const [size, list] of this.#spares) {
      const extra = list.length - this.#wanted(size);
      for (const p of extra > 0 ? list.splice(0, extra) : []) discard(p);
    }
  }

  /**
   * The next spare to make: of the (size, kind) pairs short of spares, the one furthest short
   * (a burst of starts of one kind should not leave that kind without spares while others are
   * refilled); among those, plain ones first (a spare that holds a Node layer costs about twice
   * as much to make), then the most recently wanted.
   */
  #missing(): string | undefined {
    let best: string | undefined;
    let bestShort = 0;
    for (const plain of [true, false]) {
      for (let i = this.#sizes.length - 1; i >= 0; i--) {
        const size = this.#sizes[i]!;
        if (fromKey(size)[1] === 'plain' !== plain) continue;
        const short = this.#wanted(size) - (this.#spares.get(size)?.length ?? 0);
        if (short > bestShort) {
          best = size;
          bestShort = short;
        }
      }
    }
    return best;
  }

  /** Arms the timer that discards spares once a pair holding more than the base wants fewer. */
  #armTrim(): void {
    this.#trimTimer?.cancel();
    this.#trimTimer = null;
    if (this.#closed || this.#opts.perSize <= 0) return;
    const now = this.#opts.clock.monotonic();
    let at = Number.POSITIVE_INFINITY;
    for (const [size, list] of this.#spares) {
      if (list.length > this.#opts.perSize) at = Math.min(at, nextDropAt(this.#demand.get(size) ?? NO_DEMAND, now, this.#demandOpts));
    }
    if (!Number.isFinite(at)) return;
    // a millisecond past the drop, so that rounding does not wake it just before
    this.#trimTimer = this.#opts.clock.setTimer(Math.max(0, at - now) + 1, () => {
      this.#trimTimer = null;
      this.#trim();
      this.#armTrim();
    });
  }

  #schedule(): void {
    if (this.#closed || this.#opts.perSize <= 0) return;
    this.#armTrim();
    if (this.#filling || this.#timer !== null) return;
    this.#trim();
    if (this.#missing() === undefined) return;
    const wait = this.#lastTakeAt + this.#opts.refillDelayMs - this.#opts.clock.monotonic();
    this.#timer = this.#opts.clock.setTimer(Math.max(0, wait), () => {
      this.#timer = null;
      this.#fill = this.#fillOne().finally(() => {
        this.#fill = null;
      });
    });
  }

  /** Between the steps of making a spare: resolves at once unless a start is under way that does not wait for it. */
  readonly #giveWay: Between = () => {
    if (this.#starting === 0 || this.#claimed || this.#closed || !this.#fillCanWait()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const bound = this.#opts.clock.setTimer(this.#opts.yieldBoundMs, () => {
        const i = this.#yielding.indexOf(go);
        if (i >= 0) this.#yielding.splice(i, 1);
        resolve();
      });
      const go = () => {
        bound.cancel();
        resolve();
      };
      this.#yielding.push(go);
    });
  };

  /** The spare being made may wait while its kind still has one ready; once none is, a start may need this one. */
  #fillCanWait(): boolean {
    return this.#fillingSize !== null && (this.#spares.get(this.#fillingSize)?.length ?? 0) > 0;
  }

  #resume(): void {
    const waiting = this.#yielding;
    this.#yielding = [];
    for (const go of waiting) go();
  }

  async #fillOne(): Promise<void> {
    const size = this.#missing();
    if (size === undefined || this.#closed) return;
    this.#filling = true;
    this.#fillingSize = size;
    try {
      const [mb, kind] = fromKey(size);
      await this.#giveWay();
      const p = await prepare(mb, true, kind, this.#giveWay);
      if (this.#closed || !this.#sizes.includes(size)) {
        discard(p);
        await p.gone;
      } else {
        const list = this.#spares.get(size) ?? [];
        // behind any compacted one: takes pop from the end
        list.unshift(p);
        this.#spares.set(size, list);
      }
    } catch (error) {
      this.#opts.onError(error);
      this.#filling = false;
      this.#fillingSize = null;
      return; // do not spin on a persistent failure; the next take() retries
    }
    this.#filling = false;
    this.#fillingSize = null;
    this.#schedule();
    this.#scheduleCompaction();
  }

  /** A ready spare not compacted yet, and where it is kept. */
  #uncompacted(): [string, Prepared] | undefined {
    for (const [size, list] of this.#spares) {
      const p = list.find((q) => !this.#compacted.has(q));
      if (p !== undefined) return [size, p];
    }
    return undefined;
  }

  /** `atLeastMs`: wait that long in any case (code was running in an isolate). */
  #scheduleCompaction(atLeastMs = 0): void {
    if (this.#closed || this.#compactTimer !== null || this.#compaction !== null || !Number.isFinite(this.#opts.compactAfterMs)) return;
    if (this.#filling || this.#timer !== null || this.#uncompacted() === undefined) return;
    const wait = this.#lastActiveAt + this.#opts.compactAfterMs - this.#opts.clock.monotonic();
    this.#compactTimer = this.#opts.clock.setTimer(Math.max(atLeastMs, wait), () => {
      this.#compactTimer = null;
      this.#compaction = this.#compactOne().then((next) => {
        this.#compaction = null;
        if (next === 'now') this.#scheduleCompaction();
        else if (next === 'later') this.#scheduleCompaction(this.#opts.compactAfterMs);
      });
    });
  }

  /**
   * Compacts one ready spare. Not while spares are being made or a start is under way (their ends
   * schedule it again: 'stop'); when to look again: 'now' (after the quiet time, which a start may
   * have renewed), 'later' (code runs in an isolate: one more quiet time).
   */
  async #compactOne(): Promise<'now' | 'later' | 'stop'> {
    const quietFor = this.#opts.clock.monotonic() - this.#lastActiveAt;
    if (this.#closed || this.#filling || this.#timer !== null || this.#starting > 0) return 'stop';
    if (quietFor < this.#opts.compactAfterMs) return 'now';
    if (this.#opts.busy?.() === true) return 'later';
    const found = this.#uncompacted();
    if (found === undefined) return 'stop';
    const [size, p] = found;
    // out of reach of takes meanwhile: a start on it would wait behind the collection
    const list = this.#spares.get(size)!;
    list.splice(list.indexOf(p), 1);
    try {
      await compact(p);
    } catch (error) {
      // the isolate is gone or broken: made again like any spare taken
      discard(p);
      if (this.#closed) return 'stop';
      this.#opts.onError(error);
      this.#schedule();
      return 'stop';
    }
    this.#compacted.add(p);
    if (this.#closed || !this.#sizes.includes(size)) {
      discard(p);
      await p.gone;
      return 'stop';
    }
    // compacted spares are taken first
    const now = this.#spares.get(size) ?? [];
    now.push(p);
    this.#spares.set(size, now);
    // it was out of the count while compacted: the trim may be due again
    this.#armTrim();
    return 'now';
  }
}

function keyOf(memoryMb: number, kind: SpareKind): string {
  return `${isolateMemoryMb(memoryMb)}:${kind}`;
}

function fromKey(key: string): [number, SpareKind] {
  const [mb, kind] = key.split(':');
  return [Number(mb), LAYER_KINDS.find((k) => k === kind) ?? 'plain'];
}
