/**
 * The one transaction that writes a batch of keyed record rows (RecordRow, store/record-rows.ts)
 * into SQLite's invocations table with the usage they add. Shared by the store's own
 * connection and the record writer thread, so both write exactly the same way.
 */
import type Database from 'better-sqlite3';
import { INVOCATION_COLUMNS } from '../invocation-columns.ts';
import { ROW_ID, usageSource, type RecordRow } from '../record-rows.ts';
import { usageWriter, type UsageBatch } from './observe-store.ts';

const COLUMNS = INVOCATION_COLUMNS;

/**
 * Records per transaction. The writer thread pauses between transactions (record-writer-worker.ts)
 * and the store's own fallback writes the same chunks, so a chunk the thread committed before
 * it died is recognised when written again (segments are named by their first id).
 */
export const WRITE_CHUNK = 250;

/** Prepares the statements once; the returned function writes one batch in one transaction. */
export function recordWriter(db: Database.Database): (rows: readonly RecordRow[]) => void {
  return db.transaction(recordRowsWriter(db));
}

/**
 * recordWriter's function without a transaction of its own: for callers that write rows inside
 * theirs. With `usage`, the rows' usage is added to that batch (the caller applies it, in the
 * same transaction); without, it is applied at once.
 */
export function recordRowsWriter(db: Database.Database): (rows: readonly RecordRow[], usage?: UsageBatch) => void {
  const names = COLUMNS.join(', ');
  const params = COLUMNS.map(() => '?').join(', ');
  // The common case (a new id) is one statement: insert, nothing to take out of usage.
  const insertNew = db.prepare(`INSERT INTO invocations (${names}) VALUES (${params}) ON CONFLICT(id) DO NOTHING`);
  // Async attempts share one id: a later attempt (or a later run of the same attempt, after a
  // throttle) replaces the record, so it shows how the invocation ended; a plain repeat is ignored.
  // The same run written again with more logs is its final version (waitUntil work logged after
  // the queue committed the first version with the item's outcome): it replaces the first.
  const replace = db.prepare(`INSERT INTO invocations (${names}) VALUES (${params})
    ON CONFLICT(id) DO UPDATE SET ${COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = excluded.${c}`).join(', ')}
    WHERE excluded.attempt > invocations.attempt
       OR (excluded.attempt = invocations.attempt AND excluded.started_at > invocations.started_at)
       OR (excluded.attempt = invocations.attempt AND excluded.started_at = invocations.started_at
           AND (length(excluded.logs) > length(invocations.logs) OR excluded.logs_truncated > invocations.logs_truncated))`);
  const usage = usageWriter(db);
  return (rows: readonly RecordRow[], into?: UsageBatch) => {
    const batch = into ?? usage.batch();
    for (const row of rows) {
      if (insertNew.run(...row).changes > 0) {
        batch.changed(undefined, usageSource((c) => row[c]));
        continue;
      }
      const previous = batch.before(row[ROW_ID] as string);
      if (replace.run(...row).changes > 0) batch.changed(previous, usageSource((c) => row[c]));
    }
    if (into === undefined) batch.apply();
  };
}
