/**
 * Host crypto work runs on libuv's thread pool, which the whole platform shares (fs, dns,
 * zlib, crypto). This gate lets at most `running` operations of all instances be on it at
 * once, so functions can never take every pool thread; the rest wait in turn, first come
 * first served, up to `queued` waiting (and `perOwner` for one instance), past which a call
 * fails at once. Work of an instance that has ended is dropped before it starts.
 */
export class CryptoGate {
  readonly #running: number;
  readonly #queued: number;
  readonly #perOwner: number;
  #active = 0;
  readonly #waiting: Array<{ owner: object; start: () => void; drop: (e: Error) => void }> = [];
  readonly #waitingOf = new Map<object, number>();

  constructor(running: number, queued: number, perOwner: number) {
    this.#running = running;
    this.#queued = queued;
    this.#perOwner = perOwner;
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  async run<T>(owner: object, work: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#running || this.#waiting.length > 0) {
      const mine = this.#waitingOf.get(owner) ?? 0;
      if (this.#waiting.length >= this.#queued || mine >= this.#perOwner) {
        throw Object.assign(new Error("the platform's crypto workers are busy; try again later"), { name: 'OperationError' });
      }
      this.#waitingOf.set(owner, mine + 1);
      // #next hands the slot over already counted, so no newcomer can take it meanwhile
      await new Promise<void>((start, drop) => this.#waiting.push({ owner, start, drop }));
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
      w.drop(Object.assign(new Error('the instance has ended'), { name: 'OperationError' }));
    }
    this.#waitingOf.delete(owner);
  }

  #next(): void {
    while (this.#active < this.#running && this.#waiting.length > 0) {
      const w = this.#waiting.shift()!;
      const left = (this.#waitingOf.get(w.owner) ?? 1) - 1;
      if (left > 0) this.#waitingOf.set(w.owner, left);
      else this.#waitingOf.delete(w.owner);
      this.#active++;
      w.start();
    }
  }
}
