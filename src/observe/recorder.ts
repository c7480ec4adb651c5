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
  /** The batch being written: still answered by get() until the store has it. */
  private writing: readonly InvocationRecord[] = [];
  private timer: TimerHandle | null = null;
  private flushing: Promise<void> | null = null;
  private readonly listeners = new Set<RecordListener>();
  /** Buffered records whose final version is still to come. */
  private readonly unsettled = new Set<InvocationRecord>();
  dropped = 0;

  constructor(
    private readonly repo: InvocationRepo,
    private readonly clock: Clock,
    private readonly flushMs: number,
    private readonly onError: (error: unknown, batchSize: number) => void,
  ) {}

  /** `final`: the version that replaces this one when the invocation's background work settles. */
  push(record: InvocationRecord, final?: Promise<InvocationRecord>): void {
    if (this.buffer.length >= MAX_BUFFERED) {
      this.dropped++;
    } else {
      this.buffer.push(record);
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
    this.schedule();
  }

  /**
   * The newest version of a record not yet in the store. A scan, not an index: reads by id
   * are rare next to pushes, and a map would cost every invocation an insert and a delete.
   */
  get(id: string): InvocationRecord | undefined {
    return newestWith(this.buffer, id) ?? newestWith(this.writing, id);
  }

  /** Records not yet in the store, oldest first. */
  pending(): readonly InvocationRecord[] {
    return this.buffer;
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
    if (this.buffer.length === 0) return;
    let batch = this.buffer;
    this.buffer = [];
    if (!all && this.unsettled.size > 0) {
      this.buffer = batch.filter((r) => this.unsettled.has(r));
      batch = batch.filter((r) => !this.unsettled.has(r));
      if (batch.length === 0) return;
    }
    this.writing = batch;
    this.flushing = this.repo.insertMany(batch).then(
      () => {
        this.writing = [];
      },
      (error: unknown) => {
        this.writing = [];
        this.onError(error, batch.length);
        // Keep them for the next flush rather than lose them.
        this.buffer = batch.concat(this.buffer).slice(0, MAX_BUFFERED);
        this.timer ??= this.clock.setTimer(this.flushMs * 5, () => {
          this.timer = null;
          void this.flush();
        });
      },
    );
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    await this.flush(true);
  }
}

function newestWith(records: readonly InvocationRecord[], id: string): InvocationRecord | undefined {
  for (let i = records.length - 1; i >= 0; i--) if (records[i].id === id) return records[i];
  return undefined;
}
