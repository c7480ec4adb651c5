/**
 * Spare isolates, already prepared (context + shim), per memory size. A cold start takes
 * one and only compiles and runs the function's bundle. Refilling happens one isolate at
 * a time, a little after a take, so it does not sit on the path of the start that took one;
 * while starts are still running (hold()), a refill that falls due waits for them, up to
 * `maxHoldMs`.
 */
import type { Clock, TimerHandle } from '../../core/clock.ts';
import { discard, isolateMemoryMb, prepare, type Prepared } from './prepare.ts';

export interface SparePoolOptions {
  readonly clock: Clock;
  /** Spares kept per memory size. 0 disables the pool. */
  readonly perSize: number;
  /** Memory sizes prepared at once; other sizes get spares after their first use. */
  readonly prewarmMb: readonly number[];
  /** At most this many distinct memory sizes keep spares (the most recently used). */
  readonly maxSizes: number;
  /**
   * Wait this long after a spare is taken before making a new one: creating an isolate
   * holds the main thread for about a millisecond, which should not land inside the
   * cold start that just took the spare.
   */
  readonly refillDelayMs: number;
  /**
   * A refill that falls due while a start holds the pool (hold()) waits until no start
   * does, checking every `refillDelayMs`, but no longer than this: making an isolate on
   * the side slows a start that runs at the same time (its thread and the main thread
   * are shared), and a start of a large bundle outlasts `refillDelayMs`.
   */
  readonly maxHoldMs?: number;
  readonly onError: (error: unknown) => void;
}

export class SparePool {
  readonly #opts: SparePoolOptions;
  readonly #spares = new Map<number, Prepared[]>();
  /** sizes wanted, least recently used first */
  readonly #sizes: number[] = [];
  #timer: TimerHandle | null = null;
  #filling = false;
  /** The size the fill in progress makes, and whether a start already waits for it. */
  #fillingSize: number | null = null;
  #claimed = false;
  /** The fill in progress, if any (close() waits for it). */
  #fill: Promise<void> | null = null;
  #closed = false;
  #taken = 0;
  /** Starts running now (hold()), and since when a refill has waited for them. */
  #holds = 0;
  #dueSince: number | null = null;

  constructor(options: SparePoolOptions) {
    this.#opts = options;
    for (const mb of options.prewarmMb) this.#want(isolateMemoryMb(mb));
    this.#schedule();
  }

  /** A prepared isolate for this memory size, if one is ready. */
  take(memoryMb: number): Prepared | undefined {
    const size = isolateMemoryMb(memoryMb);
    if (this.#opts.perSize <= 0 || this.#closed) return undefined;
    this.#want(size);
    const spare = this.#spares.get(size)?.pop();
    if (spare !== undefined) this.#taken++;
    this.#schedule();
    return spare;
  }

  /**
   * A spare for this size: a ready one, or else the one being made right now (it is further
   * along than a new one would be) when no other start waits for it already. Undefined when
   * neither: the caller prepares its own.
   */
  async takeSoon(memoryMb: number): Promise<Prepared | undefined> {
    const ready = this.take(memoryMb);
    const size = isolateMemoryMb(memoryMb);
    if (ready !== undefined || this.#fill === null || this.#fillingSize !== size || this.#claimed) return ready;
    this.#claimed = true;
    try {
      await this.#fill;
    } finally {
      this.#claimed = false;
    }
    return this.take(memoryMb);
  }

  /**
   * Marks a start as running until the returned function is called (once): refills that
   * fall due meanwhile wait for it (see `maxHoldMs`).
   */
  hold(): () => void {
    this.#holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holds--;
    };
  }

  /** Whether a spare is being made now (tests). */
  get refilling(): boolean {
    return this.#fill !== null;
  }

  /** How many spares starts have taken so far (tests, metrics). */
  get taken(): number {
    return this.#taken;
  }

  /** How many are ready now, for one size (tests, metrics). */
  ready(memoryMb: number): number {
    return this.#spares.get(isolateMemoryMb(memoryMb))?.length ?? 0;
  }

  /** Disposes the spares; resolves once isolated-vm has settled everything they had pending. */
  close(): Promise<void> {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = null;
    const gone: Array<Promise<void>> = [];
    for (const list of this.#spares.values()) {
      for (const p of list) {
        discard(p);
        gone.push(p.gone);
      }
    }
    this.#spares.clear();
    if (this.#fill !== null) gone.push(this.#fill);
    return Promise.all(gone).then(() => undefined);
  }

  #want(size: number): void {
    const i = this.#sizes.indexOf(size);
    if (i >= 0) this.#sizes.splice(i, 1);
    this.#sizes.push(size);
    while (this.#sizes.length > Math.max(1, this.#opts.maxSizes)) {
      const dropped = this.#sizes.shift() as number;
      for (const p of this.#spares.get(dropped) ?? []) discard(p);
      this.#spares.delete(dropped);
    }
  }

  #missing(): number | undefined {
    for (let i = this.#sizes.length - 1; i >= 0; i--) {
      const size = this.#sizes[i];
      if ((this.#spares.get(size)?.length ?? 0) < this.#opts.perSize) return size;
    }
    return undefined;
  }

  #schedule(delayMs = this.#opts.refillDelayMs): void {
    if (this.#closed || this.#filling || this.#timer !== null || this.#opts.perSize <= 0) return;
    if (this.#missing() === undefined) return;
    this.#timer = this.#opts.clock.setTimer(delayMs, () => {
      this.#timer = null;
      const now = this.#opts.clock.monotonic();
      this.#dueSince ??= now;
      if (this.#holds > 0 && now - this.#dueSince < (this.#opts.maxHoldMs ?? 0)) {
        this.#schedule(Math.max(1, this.#opts.refillDelayMs));
        return;
      }
      this.#dueSince = null;
      this.#fill = this.#fillOne().finally(() => {
        this.#fill = null;
      });
    });
  }

  async #fillOne(): Promise<void> {
    const size = this.#missing();
    if (size === undefined || this.#closed) return;
    this.#filling = true;
    this.#fillingSize = size;
    try {
      const p = await prepare(size, true);
      if (this.#closed || !this.#sizes.includes(size)) {
        discard(p);
        await p.gone;
      } else {
        const list = this.#spares.get(size) ?? [];
        list.push(p);
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
  }
}
