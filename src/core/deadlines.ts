/**
 * Many deadlines over one timer. Every invocation has a deadline, and nearly all of them
 * are cancelled (the invocation ends first). A Node timer per invocation costs a Timeout
 * object, an async resource and a timer-list insert and removal on the request path
 * (~2 % of the main thread in a profile of warm hello). Here a deadline is a heap entry;
 * one clock timer is armed for the earliest live one; a cancelled entry is dropped
 * lazily (or when cancelled ones outnumber live ones).
 */
import { MAX_TIMER_MS, type Clock, type TimerHandle } from './clock.ts';

export interface Deadline {
  cancel(): void;
}

interface Entry {
  readonly at: number;
  readonly seq: number;
  fn: (() => void) | null;
}

/** Below this many cancelled entries, compaction is not worth its pass. */
const COMPACT_MIN = 64;

export class Deadlines {
  readonly #clock: Clock;
  readonly #onError: (error: unknown) => void;
  #heap: Entry[] = [];
  #seq = 0;
  #live = 0;
  #timer: TimerHandle | null = null;
  #armedAt = Infinity;

  /** `onError` hears a deadline callback that threw; the others still run. */
  constructor(clock: Clock, onError: (error: unknown) => void) {
    this.#clock = clock;
    this.#onError = onError;
  }

  /**
   * Runs `fn` at `epochMs` (clock.now() time) unless cancelled first. While any deadline is
   * live the timer is ref'd: work with a deadline keeps the process up. Kept in monotonic
   * time, so a wall clock set back does not delay it.
   */
  at(epochMs: number, fn: () => void): Deadline {
    const at = this.#clock.monotonic() + (epochMs - this.#clock.now());
    const entry: Entry = { at, seq: this.#seq++, fn };
    this.#push(entry);
    this.#live++;
    if (at < this.#armedAt) this.#arm();
    return {
      cancel: () => {
        if (entry.fn === null) return;
        entry.fn = null;
        this.#live--;
        if (this.#live === 0) this.#clear();
        else if (this.#heap.length - this.#live > Math.max(COMPACT_MIN, this.#live)) this.#compact();
      },
    };
  }

  /** Live (not yet fired or cancelled) deadlines. */
  get size(): number {
    return this.#live;
  }

  close(): void {
    this.#clear();
  }

  #clear(): void {
    for (const e of this.#heap) e.fn = null;
    this.#heap = [];
    this.#live = 0;
    this.#timer?.cancel();
    this.#timer = null;
    this.#armedAt = Infinity;
  }

  #arm(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#armedAt = Infinity;
    while (this.#heap.length > 0 && this.#heap[0].fn === null) this.#pop();
    if (this.#heap.length === 0) return;
    const at = this.#heap[0].at;
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, at - this.#clock.monotonic()));
    this.#armedAt = at;
    this.#timer = this.#clock.setTimer(ms, () => this.#fire(), true);
  }

  #fire(): void {
    this.#timer = null;
    this.#armedAt = Infinity;
    const now = this.#clock.monotonic();
    while (this.#heap.length > 0 && this.#heap[0].at <= now) {
      const e = this.#pop();
      const fn = e.fn;
      if (fn === null) continue;
      e.fn = null;
      this.#live--;
      try {
        fn();
      } catch (error) {
        this.#onError(error);
      }
    }
    this.#arm();
  }

  #compact(): void {
    const kept = this.#heap.filter((e) => e.fn !== null);
    this.#heap = [];
    for (const e of kept) this.#push(e);
  }

  // ------------------------------------------------------------------ binary min-heap by (at, seq)

  #push(e: Entry): void {
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(e, h[parent])) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = e;
  }

  #pop(): Entry {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop() as Entry;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && before(h[r], h[l]) ? r : l;
        if (!before(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
