/**
 * Host objects an instance keeps between host calls, known to its isolate by number only:
 * at most `max` at once, a number this store did not hand out finds nothing, and all are
 * dropped when the instance ends. The Node layer's open digests and ciphers live in one each.
 */
import { int } from './node-host.ts';

export class NumberedStore<T> {
  readonly #open = new Map<number, T>();
  #next = 1;
  #closed = false;

  /** `what` names an entry in errors ("the cipher is not open"). */
  constructor(
    private readonly what: string,
    private readonly max: number,
  ) {}

  /** Throws once the instance has ended: nothing more is kept or looked up. */
  assertOpen(): void {
    if (this.#closed) throw new Error('the instance has ended');
  }

  get full(): boolean {
    return this.#open.size >= this.max;
  }

  get size(): number {
    return this.#open.size;
  }

  /** The new entry's number, or 0 when the store is full. */
  add(value: T): number {
    if (this.full) return 0;
    const id = this.#next++;
    this.#open.set(id, value);
    return id;
  }

  get(id: unknown): T {
    const value = this.#open.get(int(id, this.what, 1, 2 ** 31));
    if (value === undefined) throw new Error(`the ${this.what} is not open`);
    return value;
  }

  /** The entry, which is gone from the store. */
  take(id: unknown): T {
    const value = this.get(id);
    this.#open.delete(id as number);
    return value;
  }

  free(id: unknown): void {
    this.#open.delete(int(id, this.what, 1, 2 ** 31));
  }

  closeAll(): void {
    this.#closed = true;
    this.#open.clear();
  }
}
