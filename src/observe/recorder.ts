/**
 * Invocation records leave the hot path here: pushed into memory, taken into the store's
 * compact form (RecordPack) and shown to listeners (metrics, the recent window) in one loop
 * a flush interval, and written to the store in one transaction per batch. Reads of a
 * record that is not flushed yet are answered from memory. Why a loop and not at push:
 * the same work done a record at a time between requests cost ~4 µs of the main thread a
 * request (cold caches, by CPU profile), about a third of what observability cost it;
 * done in a loop, the code and its data stay warm. Every read here catches up first, and
 * so must a listener's readers (catchUp): nobody sees a record late. A record whose
 * invocation still has waitUntil work is pushed with the final version to come (its logs
 * grow until the work settles): it is read and counted at once, and written once the final
 * version replaces it.
 */
import type { Clock, TimerHandle } from '../core/clock.ts';
import type { InvocationRecord } from '../core/types.ts';
import { isEarlier, latestNewestFirst, latestVersions, matchesQuery } from '../store/invocation-query.ts';
import type { InvocationQuery, InvocationRepo, RecordPack } from '../store/ports.ts';
import type { RecordLedger } from './record-ledger.ts';
import { packFor } from '../store/record-pack.ts';

/** `pushedAt`: the wall-clock time the record was pushed (Clock.now), as listeners may see it later. */
export type RecordListener = (record: InvocationRecord, pushedAt: number) => void;

/** A store outage must not grow memory without bound. */
const MAX_BUFFERED = 100_000;

/** Room for a pack after one of `count` records: as many again, a quarter more. */
function nextPackCapacity(count: number): number {
  return Math.min(MAX_BUFFERED, Math.ceil(count * 1.25) + 16);
}

export class Recorder {
  /**
   * Records with ids made for them (nearly all), in the store's compact form from the
   * catch-up until they are written: the record objects themselves die young (RecordPack).
   */
  private pack: RecordPack;
  /** Records pushed since the last catch-up, and when: the common case (an id made for it, no background work). */
  private incoming: InvocationRecord[] = [];
  private incomingAt: number[] = [];
  /** Records kept as objects: keyed ones (async attempts) and ones whose final version is still to come. */
  private buffer: InvocationRecord[] = [];
  /** What is being written: still answered by get() until the store has it. */
  private writingPacks: readonly RecordPack[] = [];
  private writingKeyed: readonly InvocationRecord[] = [];
  /** Packs whose append failed, to be appended again as they are. */
  private retrying: RecordPack[] = [];
  private timer: TimerHandle | null = null;
  private flushing: Promise<void> | null = null;
  /** An array, not a set: iterating it for every record allocates nothing. */
  private listeners: readonly RecordListener[] = [];
  /** Buffered records whose final version is still to come. */
  private readonly unsettled = new Set<InvocationRecord>();
  /** Records under an id that may be written again (async attempts): the store's keyed path. */
  private readonly keyed = new WeakSet<InvocationRecord>();
  /** Keyed records their caller committed with its own outcome (the queue's): held for reads, not written again. */
  private readonly committedByCaller = new WeakSet<InvocationRecord>();
  /**
   * Keyed records whose caller commits them with its own outcome (the queue's, in its next
   * group), which usually lands between two flushes: such a record waits one flush of the
   * interval (passedOver) before the recorder writes it itself. A flush asked for writes them at once.
   */
  private readonly awaitingCaller = new WeakSet<InvocationRecord>();
  private readonly passedOver = new WeakSet<InvocationRecord>();
  dropped = 0;
  /**
   * For the ledger: records taken in (dropped ones too) and committed, of the ids made for
   * their invocation only; an async attempt's record (keyed) is committed with its queue
   * outcome as well, so a crash does not lose it.
   */
  private issued = 0;
  private committed = 0;

  constructor(
    private readonly repo: InvocationRepo,
    private readonly clock: Clock,
    private readonly flushMs: number,
    private readonly onError: (error: unknown, batchSize: number) => void,
    private readonly ledger: RecordLedger | null = null,
  ) {
    this.pack = packFor(repo);
  }

  /**
   * `idMadeForIt`: the id was made by newId for this invocation and is never recorded again
   * (InvocationRepo.append); false when it may be (an async attempt, under its queue item's
   * id). `final`: the version that replaces this one when the invocation's background work settles.
   * `awaitsCaller`: a keyed record its caller commits with its own outcome and then reports
   * (committedByItsCaller): the interval's flush leaves it to the next one.
   */
  push(record: InvocationRecord, idMadeForIt: boolean, final?: Promise<InvocationRecord>, awaitsCaller = false): void {
    if (idMadeForIt && !final) {
      if (this.incoming.length + this.buffered() >= MAX_BUFFERED) this.catchUp(); // counted as dropped there
      this.incoming.push(record);
      this.incomingAt.push(this.clock.now());
    } else {
      // Rare (async attempts, waitUntil): kept as objects, taken at once after the records pushed before.
      this.catchUp();
      this.take(record, idMadeForIt, this.clock.now(), final);
      if (awaitsCaller && !idMadeForIt) this.awaitingCaller.add(record);
    }
    this.schedule();
  }

  /**
   * A keyed record (an async attempt's) that its caller committed with its own outcome, as
   * the queue does: it stays readable from memory until the next flush, which then drops it
   * instead of writing it again. A final version (waitUntil work) is another object, still written.
   */
  committedByItsCaller(record: InvocationRecord): void {
    if (this.keyed.has(record)) this.committedByCaller.add(record);
  }

  /** Takes every record pushed so far into the pack and shows it to the listeners, in order. */
  catchUp(): void {
    const records = this.incoming;
    if (records.length === 0) return;
    const at = this.incomingAt;
    // A listener may push (it never does today): what it pushes waits for the next catch-up.
    this.incoming = [];
    this.incomingAt = [];
    const pack = this.pack;
    const listeners = this.listeners;
    let room = MAX_BUFFERED - this.buffered();
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      if (room > 0) {
        pack.add(record);
        room--;
      } else this.dropped++; // still counted by the listeners
      for (let j = 0; j < listeners.length; j++) listeners[j](record, at[i]);
    }
    this.issued += records.length;
    this.ledger?.noteIssued(this.issued);
  }

  /** A record kept as an object (keyed, or with its final version to come). */
  private take(record: InvocationRecord, idMadeForIt: boolean, pushedAt: number, final?: Promise<InvocationRecord>): void {
    if (idMadeForIt) {
      this.issued++;
      this.ledger?.noteIssued(this.issued);
    }
    if (this.buffered() >= MAX_BUFFERED) {
      this.dropped++; // still counted by the listeners
    } else {
      this.buffer.push(record);
      if (!idMadeForIt) this.keyed.add(record);
      if (final) {
        this.unsettled.add(record);
        void final.then((r) => this.settle(record, r));
      }
    }
    for (const l of this.listeners) l(record, pushedAt);
  }

  /**
   * Records pushed and not yet known to be committed: what a crash (kill -9, power loss)
   * now would lose, at most (an async attempt's record is committed with its queue outcome too).
   */
  unwritten(): number {
    return this.incoming.length + this.buffered();
  }

  /** Records held in memory: being written counts too (a write that fails keeps them). */
  private buffered(): number {
    let n = this.pack.count + this.buffer.length + this.writingKeyed.length;
    for (const p of this.retrying) n += p.count;
    for (const p of this.writingPacks) n += p.count;
    return n;
  }

  private schedule(): void {
    this.timer ??= this.clock.setTimer(this.flushMs, () => {
      this.timer = null;
      void this.flush(false, true);
    });
  }

  /** Puts the final version in the first one's place; listeners have counted it already. */
  private settle(first: InvocationRecord, final: InvocationRecord): void {
    this.unsettled.delete(first);
    const i = this.buffer.indexOf(first);
    if (i < 0) return; // written as it was already (the recorder stopped)
    if (this.keyed.has(first)) {
      this.buffer[i] = final;
      this.keyed.add(final);
    } else {
      this.buffer.splice(i, 1);
      this.pack.add(final);
    }
    this.schedule();
  }

  /**
   * The newest version of a record not yet in the store. A scan, not an index: reads by id
   * are rare next to pushes, and a map would cost every invocation an insert and a delete.
   */
  get(id: string): InvocationRecord | undefined {
    this.catchUp();
    // An id can be there more than once (async attempts), in any of the lists and in any
    // order (a record waiting for its background work stays while later ones are written).
    let best: InvocationRecord | undefined;
    const consider = (r: InvocationRecord | undefined) => {
      if (r !== undefined && r.id === id && (best === undefined || !isEarlier(r, best))) best = r;
    };
    for (const p of this.packs()) consider(p.find(id));
    for (const r of this.writingKeyed) consider(r);
    for (const r of this.buffer) consider(r);
    return best;
  }

  /**
   * Records not known to be in the store: waiting to be written again after a failure, being
   * written, buffered. (One being written may be in the store already: readers merge by id.)
   * With a query: those it selects, one version an id (the latest), newest first, at most
   * `limit`; packs make records of those alone, so a list stays cheap with many waiting.
   */
  pending(query?: InvocationQuery): readonly InvocationRecord[] {
    this.catchUp();
    if (query === undefined) {
      const out: InvocationRecord[] = [];
      for (const p of this.packs()) for (const r of p.records()) out.push(r);
      for (const r of this.writingKeyed) out.push(r);
      for (const r of this.buffer) out.push(r);
      return out;
    }
    const found: InvocationRecord[] = [];
    // Loops, not push(...): during an outage 100k records wait, about what a call takes as arguments.
    for (const p of this.packs()) for (const r of p.records(query)) found.push(r);
    // Keyed records can hold several versions of an id: the latest is chosen before the query
    // looks at it, as the store keeps only that one (a failed attempt 1 after a successful 2 is no failure).
    for (const r of latestVersions([...this.writingKeyed, ...this.buffer])) if (matchesQuery(r, query)) found.push(r);
    return latestNewestFirst(found, query.limit);
  }

  private packs(): RecordPack[] {
    return [...this.retrying, ...this.writingPacks, this.pack];
  }

  /** A listener sees the records pushed from now on (catchUp: at the latest when asked). */
  subscribe(listener: RecordListener): () => void {
    this.catchUp();
    this.listeners = [...this.listeners, listener];
    return () => {
      this.catchUp(); // it sees what was pushed while it listened
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Writes everything buffered but records still waiting for their final version (all of
   * them when `all`: stopping); concurrent calls share one write. `timed`: the flush of the
   * interval, which leaves keyed records it sees for the first time to the next one.
   */
  async flush(all = false, timed = false): Promise<void> {
    // Caught up before and after waiting for a write in flight: a slow write does not keep
    // records as objects, nor the listeners behind.
    this.catchUp();
    while (this.flushing) await this.flushing;
    this.catchUp();
    const keyed: InvocationRecord[] = [];
    if (this.buffer.length > 0) {
      const waiting: InvocationRecord[] = [];
      let passedOver = 0;
      for (const r of this.buffer) {
        if (!all && this.unsettled.has(r)) waiting.push(r);
        else if (this.committedByCaller.has(r)) continue; // the store has it
        else if (timed && this.awaitingCaller.has(r) && !this.passedOver.has(r)) {
          this.passedOver.add(r);
          waiting.push(r);
          passedOver++;
        } else if (this.keyed.has(r)) keyed.push(r);
        else this.pack.add(r); // stopping: written as it is now
      }
      this.buffer = waiting;
      if (passedOver > 0) this.schedule();
    }
    const packs = this.retrying;
    this.retrying = [];
    if (this.pack.count > 0) {
      packs.push(this.pack);
      // Sized for what the last interval took (and a little more): a busy interval's records
      // are taken without the values being grown and copied over and over.
      this.pack = packFor(this.repo, nextPackCapacity(this.pack.count));
    }
    if (packs.length === 0 && keyed.length === 0) return;
    this.writingPacks = packs;
    this.writingKeyed = keyed;
    this.flushing = this.write(packs, keyed);
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
      this.writingPacks = [];
      this.writingKeyed = [];
    }
  }

  /**
   * A pack is appended again exactly as it was if it failed: the store recognises the part
   * it did commit only in the same batches (it keeps them in segments named by their
   * content, with no id check). Keyed records are checked by id, so they simply go back
   * into the buffer.
   */
  private async write(packs: readonly RecordPack[], keyed: readonly InvocationRecord[]): Promise<void> {
    let failed = 0;
    let firstError: unknown;
    for (let i = 0; i < packs.length; i++) {
      try {
        await this.repo.append(packs[i]);
        this.noteCommitted(packs[i].count);
      } catch (error) {
        // The store is failing: the rest wait with this one (each try can take the store's busy timeout).
        this.retrying.push(...packs.slice(i));
        for (const p of packs.slice(i)) failed += p.count;
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

  private noteCommitted(n: number): void {
    this.committed += n;
    this.ledger?.noteCommitted(this.committed);
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    await this.flush(true);
  }
}
