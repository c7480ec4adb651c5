/**
 * Group commit on one SQLite connection: writes asked for in the same turn of the event
 * loop go into one IMMEDIATE transaction, each in its own savepoint (a nested
 * better-sqlite3 transaction), so each keeps its own all-or-nothing and its own result or
 * error, and the turn pays one BEGIN, one COMMIT and one WAL append of the pages they share
 * instead of one each. A caller's promise settles only after the COMMIT: whoever acts once
 * a write resolves (journal first, then act) still acts only on what is committed, and a
 * kill before the COMMIT loses only writes no caller was told of.
 */
import type Database from 'better-sqlite3';

interface Pending<I, O> {
  readonly input: I;
  readonly resolve: (out: O) => void;
  readonly reject: (error: unknown) => void;
}

export interface GroupCommit<I, O> {
  /** Queues one write for the next group; resolves with its result after the group commits. */
  (input: I): Promise<O>;
  /** Commits what is queued now (before the connection closes). */
  flush(): void;
}

/** `write` is a `db.transaction(...)` function: called inside the group it runs as a savepoint. */
export function groupCommit<I, O>(db: Database.Database, write: Database.Transaction<(input: I) => O>): GroupCommit<I, O> {
  let queued: Array<Pending<I, O>> = [];
  let scheduled = false;

  const runGroup = db.transaction((group: ReadonlyArray<Pending<I, O>>) => {
    const outcomes: Array<{ ok: true; value: O } | { ok: false; error: unknown }> = [];
    for (const p of group) {
      try {
        outcomes.push({ ok: true, value: write(p.input) });
      } catch (error) {
        outcomes.push({ ok: false, error }); // rolled back to its savepoint; the others stand
      }
    }
    return outcomes;
  });

  const flush = () => {
    scheduled = false;
    const group = queued;
    queued = [];
    if (group.length === 0) return;
    let outcomes;
    try {
      outcomes = group.length === 1 ? [tryOne(group[0])] : runGroup.immediate(group);
    } catch (error) {
      // BEGIN or COMMIT failed (busy, closed, disk): nothing of the group is written.
      for (const p of group) p.reject(error);
      return;
    }
    group.forEach((p, i) => {
      const o = outcomes[i];
      if (o.ok) p.resolve(o.value);
      else p.reject(o.error);
    });
  };

  const tryOne = (p: Pending<I, O>): { ok: true; value: O } | { ok: false; error: unknown } => {
    try {
      return { ok: true, value: write.immediate(p.input) };
    } catch (error) {
      return { ok: false, error };
    }
  };

  const enqueue = ((input: I) =>
    new Promise<O>((resolve, reject) => {
      queued.push({ input, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    })) as GroupCommit<I, O>;
  enqueue.flush = flush;
  return enqueue;
}
