/**
 * Group commit on one SQLite connection: writes asked for in the same turn of the event
 * loop go into one IMMEDIATE transaction, each keeping its own all-or-nothing and its own
 * result or error (below), and the turn pays one BEGIN, one COMMIT and one WAL append of
 * the pages they share instead of one each. A caller's promise settles only after the COMMIT: whoever acts once
 * a write resolves (journal first, then act) still acts only on what is committed, and a
 * kill before the COMMIT loses only writes no caller was told of.
 *
 * The group is the connection's, not one kind of write's: workflow steps and starts, async
 * enqueues, claims and completions asked for in one turn all share its transaction.
 *
 * The writes of a group first run one after the other in the transaction with no savepoint
 * (a savepoint copies every page a write first touches into the statement journal). When
 * one of them throws, the whole transaction is rolled back and the group runs again, each
 * write in its own savepoint, so the one that throws is undone alone and the others commit:
 * a write must be a function of the database alone (it may run twice, the first run undone).
 *
 * A kind of write may keep a tally (a Tally: sums that every write adds to one row, as the
 * usage of the records completions write): the plain run gives all writes of that kind one
 * tally and writes it once, after them and before the COMMIT; a write in a savepoint or alone
 * writes its own tally inside it, so it stays all or nothing.
 */
import type Database from 'better-sqlite3';

/** What a kind of write sums across a group, written once at its end (see the header). */
export interface Tally<T> {
  /** An empty tally. */
  open(): T;
  /** Writes what `tally` holds, in the transaction of the writes that added to it. */
  close(tally: T): void;
}

interface Pending {
  /** The write, plain: inside the group's transaction, adding to the group's tally of its kind. */
  readonly run: (tally: unknown) => unknown;
  readonly tally: Tally<unknown> | undefined;
  /** The write in a savepoint of the group's transaction. */
  readonly savepoint: () => unknown;
  /** The write in an IMMEDIATE transaction of its own. */
  readonly alone: () => unknown;
  readonly resolve: (out: never) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface GroupCommit<I, O> {
  /** Queues one write for the next group; resolves with its result after the group commits. */
  (input: I): Promise<O>;
  /** Commits what is queued now on this connection (before the connection closes). */
  flush(): void;
}

interface Group {
  queued: Pending[];
  scheduled: boolean;
  readonly flush: () => void;
}

const groups = new WeakMap<Database.Database, Group>();

function groupOf(db: Database.Database): Group {
  let g = groups.get(db);
  if (g) return g;
  // Every write plain; the first that throws rolls the whole group back (see the header).
  let started = 0;
  const runPlain = db.transaction((batch: ReadonlyArray<Pending>): Outcome[] => {
    const outcomes: Outcome[] = [];
    let tallies: Map<Tally<unknown>, unknown> | null = null;
    for (const p of batch) {
      started++;
      let t: unknown;
      if (p.tally !== undefined) {
        tallies ??= new Map();
        t = tallies.get(p.tally);
        if (t === undefined) tallies.set(p.tally, (t = p.tally.open()));
      }
      outcomes.push({ ok: true, value: p.run(t) });
    }
    if (tallies !== null) for (const [tally, t] of tallies) tally.close(t);
    return outcomes;
  });
  const runSavepoints = db.transaction((batch: ReadonlyArray<Pending>): Outcome[] => {
    const outcomes: Outcome[] = [];
    for (const p of batch) {
      try {
        outcomes.push({ ok: true, value: p.savepoint() });
      } catch (error) {
        outcomes.push({ ok: false, error }); // rolled back to its savepoint; the others stand
      }
    }
    return outcomes;
  });
  const alone = (p: Pending): Outcome => {
    try {
      return { ok: true, value: p.alone() };
    } catch (error) {
      return { ok: false, error };
    }
  };
  const runBatch = (batch: ReadonlyArray<Pending>): Outcome[] => {
    started = 0;
    try {
      return runPlain.immediate(batch);
    } catch (error) {
      // BEGIN failed before any write ran (busy, closed): nothing of the group is written.
      if (started === 0) throw error;
      return runSavepoints.immediate(batch);
    }
  };
  const group: Group = {
    queued: [],
    scheduled: false,
    flush: () => {
      group.scheduled = false;
      const batch = group.queued;
      group.queued = [];
      if (batch.length === 0) return;
      let outcomes: Outcome[];
      try {
        outcomes = batch.length === 1 ? [alone(batch[0])] : runBatch(batch);
      } catch (error) {
        // BEGIN or COMMIT failed (busy, closed, disk): nothing of the group is written.
        for (const p of batch) p.reject(error);
        return;
      }
      batch.forEach((p, i) => {
        const o = outcomes[i];
        if (o.ok) p.resolve(o.value as never);
        else p.reject(o.error);
      });
    },
  };
  groups.set(db, group);
  return group;
}

/**
 * `write` is a plain function of the database (not a `db.transaction`): the group gives it its
 * transaction, and with `tally` the tally it adds to (written by the group, see the header).
 */
export function groupCommit<I, O>(db: Database.Database, write: (input: I) => O): GroupCommit<I, O>;
export function groupCommit<I, O, T>(db: Database.Database, write: (input: I, tally: T) => O, tally: Tally<T>): GroupCommit<I, O>;
export function groupCommit<I, O, T>(db: Database.Database, write: (input: I, tally: T) => O, tally?: Tally<T>): GroupCommit<I, O> {
  const group = groupOf(db);
  // alone or in a savepoint: the write with a tally of its own, written in the same transaction
  const tx = db.transaction(
    tally === undefined
      ? (input: I) => write(input, undefined as T)
      : (input: I) => {
          const t = tally.open();
          const out = write(input, t);
          tally.close(t);
          return out;
        },
  );
  const enqueue = ((input: I) =>
    new Promise<O>((resolve, reject) => {
      group.queued.push({
        run: (t) => write(input, t as T),
        tally: tally as Tally<unknown> | undefined,
        savepoint: () => tx(input),
        alone: () => tx.immediate(input),
        resolve: resolve as (out: never) => void,
        reject,
      });
      if (!group.scheduled) {
        group.scheduled = true;
        setImmediate(group.flush);
      }
    })) as GroupCommit<I, O>;
  enqueue.flush = group.flush;
  return enqueue;
}
