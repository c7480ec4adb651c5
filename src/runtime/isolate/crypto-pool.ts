/**
 * Host crypto work runs on libuv's thread pool, which the whole platform shares (fs, dns,
 * zlib, crypto). This gate lets at most `running` operations of all instances be on it at
 * once, so functions can never take every pool thread; the rest wait in turn, first come
 * first served. What waits holds host memory (its input bytes and a closure), so the queue
 * is bounded by what it holds, across the platform and for one instance: a burst of small
 * calls (a page of keys imported at once, a `Promise.all` of signatures) waits its turn,
 * and only a queue that would hold more than its bounds fails at once. Work of an instance
 * that has ended is dropped before it starts.
 */
export interface GateBounds {
  /** Operations on the pool at once, all instances together. */
  readonly running: number;
  /** Operations waiting, all instances together, and of one instance. */
  readonly queued: number;
  readonly queuedPerOwner: number;
  /** Input bytes held by waiting operations, all instances together, and of one instance. */
  readonly queuedBytes: number;
  readonly queuedBytesPerOwner: number;
}

/**
 * The bounds of each gate the platform keeps on the pool (crypto, zlib): two operations at
 * once, leaving libuv's other threads (four by default) to the platform's file and DNS
 * work; 8,192 waiting calls and 64 MiB of their input across the platform, 1,024 and 8 MiB
 * of one instance.
 */
export const POOL_BOUNDS: GateBounds = Object.freeze({ running: 2, queued: 8192, queuedPerOwner: 1024, queuedBytes: 64 << 20, queuedBytesPerOwner: 8 << 20 });

/** What a call holds while it waits, past its input bytes. */
const OVERHEAD_BYTES = 256;

interface Waiter {
  readonly owner: object;
  readonly bytes: number;
  readonly start: () => void;
  readonly drop: (e: Error) => void;
}

interface Held {
  count: number;
  bytes: number;
}

export class CryptoGate {
  readonly #bounds: GateBounds;
  #active = 0;
  #bytes = 0;
  readonly #waiting: Waiter[] = [];
  readonly #heldBy = new Map<object, Held>();

  constructor(bounds: GateBounds) {
    this.#bounds = Object.freeze({ ...bounds });
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Input bytes held by the waiting operations. */
  get waitingBytes(): number {
    return this.#bytes;
  }

  /** Runs `work` when a slot is free; `inputBytes` is what the call holds while it waits. */
  async run<T>(owner: object, work: () => Promise<T>, inputBytes = 0): Promise<T> {
    if (this.#active >= this.#bounds.running || this.#waiting.length > 0) {
      const b = this.#bounds;
      const bytes = inputBytes + OVERHEAD_BYTES;
      const held = this.#heldBy.get(owner) ?? { count: 0, bytes: 0 };
      if (
        this.#waiting.length >= b.queued ||
        this.#bytes + bytes > b.queuedBytes ||
        held.count >= b.queuedPerOwner ||
        held.bytes + bytes > b.queuedBytesPerOwner
      ) {
        throw Object.assign(new Error("the platform's crypto workers are busy; try again later"), { name: 'OperationError' });
      }
      held.count++;
      held.bytes += bytes;
      this.#heldBy.set(owner, held);
      this.#bytes += bytes;
      // #next hands the slot over already counted, so no newcomer can take it meanwhile
      await new Promise<void>((start, drop) => this.#waiting.push({ owner, bytes, start, drop }));
    } else this.#active++;
    try {
      return await work();
    } finally {
      this.#active--;
      this.#next();
    }
  }

  /** Drops the waiting work of `owner` (its instance has ended). */
  cancel(owner: object): void {
    for (let i = this.#waiting.length - 1; i >= 0; i--) {
      const w = this.#waiting[i];
      if (w.owner !== owner) continue;
      this.#waiting.splice(i, 1);
      this.#bytes -= w.bytes;
      w.drop(Object.assign(new Error('the instance has ended'), { name: 'OperationError' }));
    }
    this.#heldBy.delete(owner);
  }

  #next(): void {
    while (this.#active < this.#bounds.running && this.#waiting.length > 0) {
      const w = this.#waiting.shift()!;
      this.#bytes -= w.bytes;
      const held = this.#heldBy.get(w.owner);
      if (held !== undefined) {
        held.count--;
        held.bytes -= w.bytes;
        if (held.count === 0) this.#heldBy.delete(w.owner);
      }
      this.#active++;
      w.start();
    }
  }
}

/** Bytes of the ArrayBuffers and views in `value`, one object level deep (an algorithm's iv, salt, label). */
export function inputBytesOf(values: readonly unknown[]): number {
  let n = 0;
  const add = (v: unknown) => {
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) n += v.byteLength;
  };
  for (const v of values) {
    add(v);
    if (v !== null && typeof v === 'object' && !(v instanceof ArrayBuffer) && !ArrayBuffer.isView(v)) {
      for (const inner of Object.values(v)) add(inner);
    }
  }
  return n;
}
