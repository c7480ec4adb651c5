/**
 * Invocation records on SQLite. Records under ids that may be written again (async
 * attempts share their queue item's id) are rows of `invocations`, where a later attempt
 * replaces an earlier one; records with ids made for them are kept in segments
 * (record-segments.ts). Reads merge the two. Both are written on the record writer thread
 * when it runs (record-writer-thread.ts), else on the store's own connection, in the same
 * chunks (so a chunk the thread committed before it died is not counted twice).
 */
import type Database from 'better-sqlite3';
import type { InvocationRecord } from '../../core/types.ts';
import type { InvocationQuery, InvocationRepo } from '../ports.ts';
import { recordsOf } from '../record-pack.ts';
import { filteredSelect } from './filtered-select.ts';
import { recordWriters, SegmentStore } from './record-segments.ts';
import { bucketFloorId } from '../segment-slots.ts';
import { blockOf, BlockPack, type RecordBlock } from '../record-block.ts';
import { RECORD_COLUMNS, recordFromRow, recordRow, type RecordKind, type RecordRow } from '../record-rows.ts';
import type { RecordThreadSlot } from '../record-writer-thread.ts';
import { chunksOf } from './block-chunks.ts';

export function invocationRepo(db: Database.Database, records: RecordThreadSlot): InvocationRepo {
  const writers = recordWriters(db);
  const segments = new SegmentStore(db);
  // Keyed rows are read raw, in RecordRow order, so one mapping (recordFromRow) serves both kinds.
  const getOne = db.prepare(`SELECT ${RECORD_COLUMNS} FROM invocations WHERE id = ?`).raw();
  const pruneOld = db.prepare('DELETE FROM invocations WHERE started_at < ?');
  const countKeyed = db.prepare('SELECT COUNT(*) FROM invocations').pluck();
  const keyedAfter = db.prepare('SELECT id FROM invocations WHERE id > ? ORDER BY id LIMIT 1000').pluck();
  const deleteKeyedBelow = db.prepare('DELETE FROM invocations WHERE id < ?');
  const select = filteredSelect(db);

  const write = (block: RecordBlock, kind: RecordKind): Promise<void> =>
    records.write(block, kind, () => {
      for (const chunk of chunksOf(block, kind)) writers[kind](chunk);
    });

  const keyedNewest = (q: InvocationQuery): InvocationRecord[] => {
    const { stmt, args } = select(
      `SELECT ${RECORD_COLUMNS} FROM invocations`,
      [
        q.functionName !== undefined && ['function_name = ?', q.functionName],
        q.status !== undefined && ['status = ?', q.status],
        q.before !== undefined && ['id < ?', q.before],
        q.since !== undefined && ['started_at >= ?', q.since],
      ],
      'ORDER BY id DESC LIMIT ?',
    );
    return (stmt.raw().all(...args, q.limit) as RecordRow[]).map(recordFromRow);
  };

  /**
   * Deletes the oldest records until `keep` are left, walking both kinds oldest first:
   * keyed ids one by one, segment buckets whole, and only the bucket where the count runs
   * out is read record by record. Past the two totals (a scan of the segments' counts and a
   * count of the keyed rows), the work is in proportion to what is deleted.
   */
  const pruneToNewest = (keep: number): number => {
    let excess = (countKeyed.get() as number) + segments.count() - keep;
    if (excess <= 0) return 0;
    const keyed = pages((after) => keyedAfter.all(after) as string[], '', (id) => id);
    const buckets = pages((after) => segments.countsAfter(after), -1, (c) => c.bucket);
    for (;;) {
      const k = keyed.peek();
      const b = buckets.peek();
      if (b === undefined || (k !== undefined && k < bucketFloorId(b.bucket))) {
        // A keyed record older than every record of the next bucket.
        if (k === undefined) return 0; // nothing left to count (cannot happen while excess > 0)
        keyed.next();
        if (--excess === 0) return deleteKeyedBelow.run(k + '\u0000').changes + segments.pruneBelow(b?.bucket ?? Number.MAX_SAFE_INTEGER);
        continue;
      }
      // The bucket, with the keyed records whose ids fall in its slot.
      const ceiling = bucketFloorId(b.bucket + 1);
      const inSlot = keyed.takeWhile((id) => id < ceiling);
      if (b.records + inSlot.length < excess) {
        excess -= b.records + inSlot.length;
        buckets.next();
        continue;
      }
      // The count runs out in this slot: the oldest `excess` of its records go.
      const ids = [...segments.idsOf(b.bucket), ...inSlot].sort();
      const firstKept = ids[excess];
      if (firstKept === undefined) return deleteKeyedBelow.run(ceiling).changes + segments.pruneBelow(b.bucket + 1);
      return deleteKeyedBelow.run(firstKept).changes + segments.pruneBelow(b.bucket, (id) => id < firstKept);
    }
  };

  return {
    insertMany: (list) => write(blockOf(list.map((r) => recordRow(r))), 'keyed'),
    newPack: (capacity) => new BlockPack(capacity),
    append(batch) {
      // A pack of this store is a block already; other records are packed here.
      if (batch instanceof BlockPack) return write(batch.block(), 'fresh');
      return write(blockOf(recordsOf(batch).map((r) => recordRow(r))), 'fresh');
    },
    async get(id) {
      const row = getOne.get(id) as RecordRow | undefined;
      return row ? recordFromRow(row) : segments.get(id);
    },
    async list(q: InvocationQuery) {
      const both = [...keyedNewest(q), ...segments.newest(q, q.limit)];
      both.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      return both.slice(0, q.limit);
    },
    async prune(olderThan, keep) {
      return db.transaction(() => pruneOld.run(olderThan).changes + segments.pruneStartedBefore(olderThan) + pruneToNewest(keep))();
    },
  };
}

/** An ascending cursor over a paged query: `fetch(after)` answers the next page after a key. */
function pages<T, K>(fetch: (after: K) => T[], start: K, keyOf: (item: T) => K) {
  let page = fetch(start);
  let at = 0;
  const refill = () => {
    if (at < page.length || page.length === 0) return;
    page = fetch(keyOf(page[page.length - 1]));
    at = 0;
  };
  return {
    peek(): T | undefined {
      refill();
      return page[at];
    },
    next(): void {
      at++;
    },
    /** The items from here while `test` holds, moving past them. */
    takeWhile(test: (item: T) => boolean): T[] {
      const out: T[] = [];
      for (let item = this.peek(); item !== undefined && test(item); item = this.peek()) (out.push(item), at++);
      return out;
    },
  };
}
