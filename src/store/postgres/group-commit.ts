/**
 * Group commit on PostgreSQL: writes asked for in the same turn of the event loop go to the
 * server together, in one transaction on one pooled connection, so the turn pays one BEGIN,
 * one COMMIT (one WAL flush) and one connection instead of one each, and `write` can send
 * them as multi-row statements. A caller's promise settles only after the COMMIT: whoever
 * acts once a write resolves (a 202, an ack) acts only on what is committed.
 *
 * When a group's transaction fails, it is rolled back and each write of it runs again in a
 * transaction of its own, so one bad write (a value the server refuses) fails alone and the
 * others commit: `write` must be a function of the database and its inputs (it may run twice,
 * the first run undone). When the server cannot be reached, the whole group fails at once. At most `maxInFlight` groups are at the server at once; writes asked
 * for meanwhile wait for the next group. A group `write` sends as a single statement skips
 * BEGIN and COMMIT: the server commits the statement by itself, in one round trip.
 */
import type pg from 'pg';
import { isUnreachable, retried, transaction, type Sql } from './pg-client.ts';

/** Writes `inputs` in the caller's transaction; one result per input, in order. */
export type GroupWrite<I, O> = (sql: Sql, inputs: readonly I[]) => Promise<O[]>;

/** Whether `write` sends these inputs as one statement (which the server commits by itself: no BEGIN, no COMMIT). */
export type OneStatement<I> = (inputs: readonly I[]) => boolean;

export interface GroupCommit<I, O> {
  /** Queues one write for the next group; resolves with its result after the group commits. */
  (input: I): Promise<O>;
  /** Resolves once every write asked for so far has settled (before the pool closes). */
  drained(): Promise<void>;
}

export interface GroupCommitOptions<I> {
  /** Groups at the server at once (one connection each). */
  readonly maxInFlight: number;
  /** Writes in one group at most; the rest wait for the next. */
  readonly maxGroup: number;
  /** What a write sends (bytes, about), and a group's most: a group takes writes while under it (one at least). */
  readonly size?: (input: I) => number;
  readonly maxSize?: number;
  readonly oneStatement?: OneStatement<I>;
}

interface Pending<I, O> {
  readonly input: I;
  readonly resolve: (out: O) => void;
  readonly reject: (error: unknown) => void;
}

export function groupCommit<I, O>(pool: pg.Pool, write: GroupWrite<I, O>, options: GroupCommitOptions<I>): GroupCommit<I, O> {
  let queued: Pending<I, O>[] = [];
  let scheduled = false;
  let inFlight = 0;
  const idle: Array<() => void> = [];

  /** The group in a transaction of its own, or as its one statement (a transaction by itself). */
  const commit = (inputs: readonly I[]): Promise<O[]> =>
    options.oneStatement?.(inputs) ? retried(pool, (client) => write(client, inputs)) : transaction(pool, (sql) => write(sql, inputs));

  const alone = async (p: Pending<I, O>): Promise<void> => {
    try {
      const [out] = await commit([p.input]);
      p.resolve(out);
    } catch (error) {
      p.reject(error);
    }
  };

  const run = async (group: Pending<I, O>[]): Promise<void> => {
    let outs: O[];
    try {
      outs = await commit(group.map((p) => p.input));
    } catch (error) {
      // The server cannot be reached: alone, each would only fail the same way, one after the other.
      if (group.length === 1 || isUnreachable(error)) for (const p of group) p.reject(error);
      // One of them may be what the server refused: each alone, so the others still commit.
      else for (const p of group) await alone(p);
      return;
    }
    group.forEach((p, i) => p.resolve(outs[i]));
  };

  /** How many of the queued writes the next group takes: up to maxGroup, and while under maxSize. */
  const groupLength = (): number => {
    const most = Math.min(queued.length, options.maxGroup);
    if (options.size === undefined || options.maxSize === undefined) return most;
    let bytes = 0;
    for (let i = 0; i < most; i++) {
      bytes += options.size(queued[i].input);
      if (bytes > options.maxSize) return Math.max(1, i);
    }
    return most;
  };

  const flush = (): void => {
    scheduled = false;
    while (queued.length > 0 && inFlight < options.maxInFlight) {
      const n = groupLength();
      const group = n === queued.length ? queued : queued.slice(0, n);
      queued = n === queued.length ? [] : queued.slice(n);
      inFlight++;
      void run(group).finally(() => {
        inFlight--;
        if (queued.length > 0) schedule();
        else if (inFlight === 0) for (const fn of idle.splice(0)) fn();
      });
    }
  };

  const schedule = (): void => {
    if (scheduled || inFlight >= options.maxInFlight) return;
    scheduled = true;
    setImmediate(flush);
  };

  const enqueue = ((input: I) =>
    new Promise<O>((resolve, reject) => {
      queued.push({ input, resolve, reject });
      schedule();
    })) as GroupCommit<I, O>;
  enqueue.drained = () => (queued.length === 0 && inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve)));
  return enqueue;
}
