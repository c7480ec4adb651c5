/**
 * Invocation records leave the hot path here: pushed into memory, written to the
 * store in one transaction per batch every flush interval. Reads of a record that is
 * not flushed yet are answered from the buffer. Listeners (metrics, usage) see every
 * record as it is pushed. A record whose invocation still has waitUntil work is pushed
 * with the final version to come (its logs grow until the work settles): it is read and
 * counted at once, and written once the final version replaces it.
 */
import type { Clock, TimerHandle } from '../core/clock.ts';
import type { InvocationRecord } from '../core/types.ts';
import type { InvocationRepo } from '../store/ports.ts';

export type RecordListener = (record: InvocationRecord) => void;

/** A store outage must not grow memory without bound. */
const MAX_BUFFERED = 100_000;

export class Recorder {
  private buffer: InvocationRecord[] = [];
  /** The records being written: still answered by get() until the store has them. */
  private writing: readonly InvocationRecord[] = [];
  /** Batches of records with ids made for them whose write failed, to be written again as they are. */
  private retrying: Array<readonly InvocationRecord[]> = [];
  private retryingCount(): number {
    let n = 0;
    for (const r of this.retrying) n += r.length;
    return n;
  }
  private timer: TimerHandle | null = null;
  private flushing: Promise<void> | null = null;
  private readonly listeners = new Set<RecordListener>();
  /** Buffered records whose final version is still to come. */
  private readonly unsettled = new Set<InvocationRecord>();
  /** Records under an id that may be written again (async attempts): the store's keyed path. */
  private readonly keyed = new WeakSet<InvocationRecord>();
  dropped = 0;

  constructor(
    private readonly repo: InvocationRepo,
    private readonly clock: Clock,
    private readonly flushMs: number,
    private readonly onError: (error: unknown, batchSize: number) => void,
  ) {}

  /**
   * `idMadeForIt`: the id was made by newId for this invocation and is never recorded again
   * (InvocationRepo.append); false when it may be (an async attempt, under its queue item's
   * id). `final`: the version that replaces this one when the invocation's background work settles.
   */
  push(record: InvocationRecord, idMadeForIt: boolean, final?: Promise<InvocationRecord>): void {
    if (this.buffer.length + (this.retrying.length === 0 ? 0 : this.retryingCount()) >= MAX_BUFFERED) {
      this.dropped++;
    } else {
      this.buffer.push(record);
      if (!idMadeForIt) this.keyed.add(record);
      if (final) {
        this.unsettled.add(record);
        void final.then((r) => this.settle(record, r));
      }
    }
    for (const l of this.listeners) l(record);
    this.schedule();
  }

  private schedule(): void {
    this.timer ??= this.clock.setTimer(this.flushMs, () => {
      this.timer = null;
      void this.flush();
    });
  }

  /** Puts the final version in the first one's place; listeners have counted it already. */
  private settle(first: InvocationRecord, final: InvocationRecord): void {
    this.unsettled.delete(first);
    const i = this.buffer.indexOf(first);
    if (i < 0) return; // written as it was already (the recorder stopped)
    this.buffer[i] = final;
    if (this.keyed.has(first)) this.keyed.add(final);
    this.schedule();
  }

  /**
   * The newest version of a record not yet in the store. A scan, not an index: reads by id
   * are rare next to pushes, and a map would cost every invocation an insert and a delete.
   */
  get(id: string): InvocationRecord | undefined {
    // An id can be there more than once (async attempts), in either list and in any order
    // (a record waiting for its background work stays while later ones are written).
    let best: InvocationRecord | undefined;
    for (const r of this.pending()) if (r.id === id && (best === undefined || !isEarlier(r, best))) best = r;
    return best;
  }

  /**
   * Records not known to be in the store, oldest first: waiting to be written again after a
   * failure, being written, buffered. (One being written may be in the store already:
   * readers merge by id.)
   */
  pending(): readonly InvocationRecord[] {
    if (this.retrying.length === 0 && this.writing.length === 0) return this.buffer;
    return [...this.retrying.flat(), ...this.writing, ...this.buffer];
  }

  subscribe(listener: RecordListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Writes everything buffered but records still waiting for their final version (all of
   * them when `all`: stopping); concurrent calls share one write.
   */
  async flush(all = false): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0 && this.retrying.length === 0) return;
    let batch = this.buffer;
    this.buffer = [];
    if (!all && this.unsettled.size > 0) {
      this.buffer = batch.filter((r) => this.unsettled.has(r));
      batch = batch.filter((r) => !this.unsettled.has(r));
    }
    const keyed = batch.filter((r) => this.keyed.has(r));
    const fresh = keyed.length === 0 ? batch : batch.filter((r) => !this.keyed.has(r));
    const freshBatches = fresh.length > 0 ? [...this.retrying, fresh] : this.retrying;
    this.retrying = [];
    if (freshBatches.length === 0 && keyed.length === 0) return;
    this.writing = [...freshBatches.flat(), ...keyed];
    this.flushing = this.write(freshBatches, keyed);
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
      this.writing = [];
    }
  }

  /**
   * A batch of records with ids made for them is written again exactly as it was if it
   * failed: the store recognises the part it did commit only in the same batches (it keeps
   * them in segments named by their content, with no id check). Keyed records are checked
   * by id, so they simply go back into the buffer.
   */
  private async write(freshBatches: readonly (readonly InvocationRecord[])[], keyed: readonly InvocationRecord[]): Promise<void> {
    let failed = 0;
    let firstError: unknown;
    for (let i = 0; i < freshBatches.length; i++) {
      try {
        await this.repo.append(freshBatches[i]);
      } catch (error) {
        // The store is failing: the rest wait with this one (each try can take the store's busy timeout).
        this.retrying.push(...freshBatches.slice(i));
        for (const records of freshBatches.slice(i)) failed += records.length;
        firstError = error;
        break;
      }
    }
    if (keyed.length > 0 && firstError !== undefined) {
      this.buffer = keyed.concat(this.buffer);
      failed += keyed.length;
    } else if (keyed.length > 0) {
      try {
        await this.repo.insertMany(keyed);
      } catch (error) {
        this.buffer = keyed.concat(this.buffer);
        failed += keyed.length;
        firstError ??= error;
      }
    }
    if (failed === 0) return;
    this.onError(firstError, failed);
    // Kept for a later flush rather than lost.
    this.timer ??= this.clock.setTimer(this.flushMs * 5, () => {
      this.timer = null;
      void this.flush();
    });
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    await this.flush(true);
  }
}

/** Whether `a` is an earlier version than `b` of the same invocation (the store's rule: attempt, then start). */
function isEarlier(a: InvocationRecord, b: InvocationRecord): boolean {
  return a.attempt < b.attempt || (a.attempt === b.attempt && a.startedAt < b.startedAt);
}
