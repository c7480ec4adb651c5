/**
 * Records whose ids were made for them (InvocationRepo.append: every HTTP and API call) are
 * kept in segments (store/segment-slots.ts), not a row each. A row each (all its columns and
 * their indexes) was the largest part of what observability cost a request, on the same
 * cores as everything else; segments of JSON rows cost half of it, and segments of blocks
 * (store/block-bytes.ts) less again (bench/README.md).
 *
 * Here, a segment is a row of `invocation_segments` per bucket, function and write chunk
 * (segments of the first format hold a JSON array of rows, and are still read). get
 * reads the segments of one bucket. These ids are never written again, so a write looks
 * nothing up; a chunk written twice (the writer thread died after committing it) meets its
 * segment's name and its usage is not counted again.
 */
import type Database from 'better-sqlite3';
import { idTimeMs } from '../../core/ids.ts';
import { countUsage, hourOf, type MutableUsage } from '../../core/usage.ts';
import type { InvocationRecord } from '../../core/types.ts';
import { filteredSelect } from './filtered-select.ts';
import { usageWriter } from './observe-store.ts';
import { decodeBlock, encodeBlock } from '../block-bytes.ts';
import { blockOf, rowAt, rowsOf, valueAt, type RecordBlock } from '../record-block.ts';
import { recordFromRow, ROW_ID, ROW_STARTED, usageSource, type RecordKind, type RecordRow, type UsageFields } from '../record-rows.ts';
import { bucketBefore, bucketOf, failuresIn, newestOfBlocks, segmentsOf, type SegmentQuery } from '../segment-slots.ts';
import { recordWriter } from './row-writer.ts';

/**
 * Writes a chunk of records as segments (one per bucket and function), with their usage, in
 * one transaction. A record whose id was not made by newId cannot be placed: it goes to
 * `asRows` (the row-per-record writer) in the same transaction rather than refusing the chunk.
 */
export function segmentWriter(db: Database.Database, asRows: (rows: readonly RecordRow[]) => void): (block: RecordBlock) => void {
  const insert = db.prepare(
    `INSERT INTO invocation_segments (bucket, function_name, first_id, records, failures, rows) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(bucket, function_name, first_id) DO NOTHING`,
  );
  const usage = usageWriter(db);
  // One object refilled per record, and one reader of the block's values: usage is counted
  // with no object (or closure) a record.
  let source: UsageFields | undefined;
  const reading = { block: undefined as RecordBlock | undefined, i: 0 };
  const value = (c: number) => valueAt(reading.block!, reading.i, c);
  return db.transaction((block: RecordBlock) => {
    const { segments, strays } = segmentsOf(block);
    const batch = usage.batch();
    for (const g of segments) {
      const own = g.block;
      if (insert.run(g.bucket, g.functionName, g.firstId, own.count, g.failures, encodeBlock(own)).changes === 0) continue;
      let hour = NaN;
      let total: MutableUsage | undefined;
      reading.block = own;
      for (let i = 0; i < own.count; i++) {
        const startedAt = valueAt(own, i, ROW_STARTED) as number;
        if (total === undefined || hourOf(startedAt) !== hour) {
          hour = hourOf(startedAt);
          total = batch.totalFor(g.functionName, startedAt);
        }
        reading.i = i;
        countUsage(total, (source = usageSource(value, source)));
      }
      reading.block = undefined;
    }
    batch.apply();
    if (strays.length > 0) asRows(strays.map((i) => rowAt(block, i)));
  });
}

/** Both writers, prepared once: the store's own connection and the writer thread each make theirs. */
export function recordWriters(db: Database.Database): Record<RecordKind, (block: RecordBlock) => void> {
  const asRows = recordWriter(db);
  return { keyed: (block) => asRows(rowsOf(block)), fresh: segmentWriter(db, asRows) };
}

interface SegmentRow {
  readonly id: number;
  readonly bucket: number;
  /** A block (store/block-bytes.ts); segments written before blocks hold a JSON array of rows. */
  readonly rows: Uint8Array | string;
}

/** A segment's records as a block (a segment of JSON rows made into one). */
function blockIn(segment: SegmentRow): RecordBlock {
  return typeof segment.rows === 'string' ? blockOf(JSON.parse(segment.rows) as RecordRow[]) : decodeBlock(segment.rows);
}

function rowsIn(segment: SegmentRow): RecordRow[] {
  return typeof segment.rows === 'string' ? (JSON.parse(segment.rows) as RecordRow[]) : rowsOf(decodeBlock(segment.rows));
}

/** Reads and prunes segments on the store's own connection. */
export class SegmentStore {
  private readonly ofBucket: Database.Statement;
  /** Segments of a bucket that can hold an id (their first id is not after it). */
  private readonly holding: Database.Statement;
  private readonly total: Database.Statement;
  private readonly countBelow: Database.Statement;
  private readonly deleteBelow: Database.Statement;
  private readonly update: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly bucketCounts: Database.Statement;
  private readonly select: ReturnType<typeof filteredSelect>;

  constructor(db: Database.Database) {
    this.select = filteredSelect(db);
    this.ofBucket = db.prepare('SELECT id, bucket, rows FROM invocation_segments WHERE bucket = ?');
    this.holding = db.prepare('SELECT id, bucket, rows FROM invocation_segments WHERE bucket = ? AND first_id <= ?');
    this.total = db.prepare('SELECT COALESCE(SUM(records), 0) FROM invocation_segments').pluck();
    this.countBelow = db.prepare('SELECT COALESCE(SUM(records), 0) FROM invocation_segments WHERE bucket < ?').pluck();
    this.deleteBelow = db.prepare('DELETE FROM invocation_segments WHERE bucket < ?');
    this.update = db.prepare('UPDATE invocation_segments SET records = ?, failures = ?, rows = ? WHERE id = ?');
    this.remove = db.prepare('DELETE FROM invocation_segments WHERE id = ?');
    this.bucketCounts = db.prepare(
      'SELECT bucket, SUM(records) AS records FROM invocation_segments WHERE bucket > ? GROUP BY bucket ORDER BY bucket LIMIT 1000',
    );
  }

  get(id: string): InvocationRecord | null {
    const t = idTimeMs(id);
    if (t === null) return null;
    for (const segment of this.holding.all(bucketOf(t), id) as SegmentRow[]) {
      for (const row of rowsIn(segment)) if (row[ROW_ID] === id) return recordFromRow(row);
    }
    return null;
  }

  /** Up to `limit` records matching `q`, newest first; whole buckets are read until there are enough. */
  newest(q: SegmentQuery, limit: number): InvocationRecord[] {
    const hi = q.before === undefined ? Number.MAX_SAFE_INTEGER : bucketBefore(q.before);
    const lo = q.since === undefined ? -1 : bucketOf(q.since);
    const out: InvocationRecord[] = [];
    let bucket: number | null = null;
    let pending: RecordBlock[] = [];
    const settle = () => {
      for (const row of newestOfBlocks(pending, q, limit - out.length)) out.push(recordFromRow(row));
      pending = [];
    };
    for (const segment of this.walk(q, hi, lo)) {
      if (segment.bucket !== bucket) {
        settle();
        if (out.length >= limit) break;
        bucket = segment.bucket;
      }
      pending.push(blockIn(segment));
    }
    settle();
    return out;
  }

  count(): number {
    return this.total.get() as number;
  }

  /** Deletes records started before `ms` (their ids were made then); returns how many went. */
  pruneStartedBefore(ms: number): number {
    return this.prune(bucketOf(ms), (row) => (row[ROW_STARTED] as number) < ms);
  }

  /** Deletes every record in buckets below `b`, and those of bucket `b` whose id `drop` picks; returns how many went. */
  pruneBelow(b: number, drop?: (id: string) => boolean): number {
    return this.prune(b, drop && ((row) => drop(row[ROW_ID] as string)));
  }

  /** Record counts per bucket, oldest first, from the bucket after `after`. */
  countsAfter(after: number): Array<{ bucket: number; records: number }> {
    return this.bucketCounts.all(after) as Array<{ bucket: number; records: number }>;
  }

  /** The ids in bucket `b`. */
  idsOf(b: number): string[] {
    const ids: string[] = [];
    for (const segment of this.ofBucket.all(b) as SegmentRow[]) for (const row of rowsIn(segment)) ids.push(row[ROW_ID] as string);
    return ids;
  }

  /** Buckets below `b` whole, and the rows of bucket `b` that `drop` picks. */
  private prune(b: number, drop?: (row: RecordRow) => boolean): number {
    const whole = this.countBelow.get(b) as number;
    this.deleteBelow.run(b);
    if (drop === undefined) return whole;
    let dropped = 0;
    for (const segment of this.ofBucket.all(b) as SegmentRow[]) {
      const rows = rowsIn(segment);
      const kept = rows.filter((row) => !drop(row));
      if (kept.length === rows.length) continue;
      dropped += rows.length - kept.length;
      if (kept.length === 0) this.remove.run(segment.id);
      else this.update.run(kept.length, failuresIn(kept), encodeBlock(blockOf(kept)), segment.id);
    }
    return whole + dropped;
  }

  /** The segments that can hold records matching `q` in buckets `hi` down to `lo`, newest bucket first. */
  private walk(q: SegmentQuery, hi: number, lo: number): IterableIterator<SegmentRow> {
    const { stmt, args } = this.select(
      'SELECT id, bucket, rows FROM invocation_segments',
      [
        ['bucket <= ?', hi],
        ['bucket >= ?', lo],
        q.functionName !== undefined && ['function_name = ?', q.functionName],
        // A failure list skips segments without one (most of them, usually).
        q.status !== undefined && [q.status === 'success' ? 'records > failures' : 'failures > 0'],
      ],
      'ORDER BY bucket DESC',
    );
    return stmt.iterate(...args) as IterableIterator<SegmentRow>;
  }
}
