/**
 * Spare isolates, already prepared (context + shim), per memory size. A cold start takes
 * one and only compiles and runs the function's bundle. Refilling happens one isolate at
 * a time, a little after a take, so it does not sit on the path of the start that took one.
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

  #schedule(): void {
    if (this.#closed || this.#filling || this.#timer !== null || this.#opts.perSize <= 0) return;
    if (this.#missing() === undefined) return;
    this.#timer = this.#opts.clock.setTimer(this.#opts.refillDelayMs, () => {
      this.#timer = null;
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
