/**
 * Reads and prunes the segments of fresh records (segment-writer.ts writes them): get reads
 * the segments of the id's bucket, lists walk buckets newest first, prunes delete whole
 * buckets and rewrite only the segments of the bucket where a cut falls.
 */
import { idTimeMs } from '../../core/ids.ts';
import type { InvocationRecord } from '../../core/types.ts';
import { decodeBlock, encodeBlock } from '../block-bytes.ts';
import { blockOf, indexOfId, rowAt, rowsOf, type RecordBlock } from '../record-block.ts';
import { recordFromRow, ROW_ID, ROW_STARTED, type RecordRow } from '../record-rows.ts';
import { bucketBefore, bucketOf, failuresIn, newestOfBlocks, type SegmentQuery } from '../segment-slots.ts';
import type { Sql } from './pg-client.ts';

/** Segments whose metadata one step of a list reads (their blocks are read only for the buckets it needs). */
const LIST_PAGE = 256;

export async function segmentGet(sql: Sql, id: string): Promise<InvocationRecord | null> {
  const t = idTimeMs(id);
  if (t === null) return null;
  const { rows } = await sql.query('SELECT block FROM invocation_segments WHERE bucket = $1 AND first_id <= $2 AND last_id >= $2', [bucketOf(t), id]);
  for (const { block } of rows) {
    const decoded = decodeBlock(block as Buffer);
    const i = indexOfId(decoded, id);
    if (i >= 0) return recordFromRow(rowAt(decoded, i));
  }
  return null;
}

/** The WHERE of a segment walk: buckets `hi` down to `lo`, the function, whether a segment has records of the status. */
function walk(q: SegmentQuery, hi: number, lo: number): { where: string; args: unknown[] } {
  const args: unknown[] = [hi, lo];
  let where = ' WHERE bucket <= $1 AND bucket >= $2';
  if (q.functionName !== undefined) where += ` AND function_name = $${args.push(q.functionName)}`;
  // A failure list skips segments without one (most of them, usually).
  if (q.status !== undefined) where += q.status === 'success' ? ' AND records > failures' : ' AND failures > 0';
  return { where, args };
}

/**
 * Up to `limit` records matching `q`, newest first. Each step reads the names and counts of
 * the next LIST_PAGE segments, then the blocks of as many whole buckets as can give `limit`
 * records, so a list of the newest few reads a bucket or two, not the table.
 */
export async function segmentNewest(sql: Sql, q: SegmentQuery, limit: number): Promise<InvocationRecord[]> {
  let hi = q.before === undefined ? Number.MAX_SAFE_INTEGER : bucketBefore(q.before);
  const lo = q.since === undefined ? -1 : bucketOf(q.since);
  const out: InvocationRecord[] = [];
  while (out.length < limit && hi >= lo) {
    const meta = walk(q, hi, lo);
    const { rows } = await sql.query(
      `SELECT bucket, records, failures FROM invocation_segments${meta.where} ORDER BY bucket DESC LIMIT ${LIST_PAGE}`,
      meta.args,
    );
    if (rows.length === 0) break;
    const full = rows.length === LIST_PAGE;
    // Whole buckets only: the last of a full page may go on past it (unless it is the only one).
    const lastBucket = rows[rows.length - 1].bucket as number;
    let low = full && (rows[0].bucket as number) !== lastBucket ? lastBucket + 1 : lastBucket;
    let may = 0;
    for (const r of rows) {
      if ((r.bucket as number) < low) break;
      may += q.status === undefined ? (r.records as number) : q.status === 'success' ? (r.records as number) - (r.failures as number) : (r.failures as number);
      if (may >= limit - out.length) {
        low = r.bucket as number;
        break;
      }
    }
    const blocks = walk(q, hi, low);
    const read = await sql.query(`SELECT bucket, block FROM invocation_segments${blocks.where} ORDER BY bucket DESC`, blocks.args);
    let bucket: number | null = null;
    let pending: RecordBlock[] = [];
    const settle = () => {
      for (const row of newestOfBlocks(pending, q, limit - out.length)) out.push(recordFromRow(row));
      pending = [];
    };
    for (const r of read.rows) {
      if (r.bucket !== bucket) {
        settle();
        bucket = r.bucket as number;
      }
      pending.push(decodeBlock(r.block as Buffer));
    }
    settle();
    if (!full && low === lastBucket) break;
    hi = low - 1;
  }
  return out;
}

export async function segmentCount(sql: Sql): Promise<number> {
  return Number((await sql.query('SELECT COALESCE(SUM(records), 0) AS n FROM invocation_segments')).rows[0].n);
}

/** Deletes records started before `ms` (their ids were made then); returns how many went. */
export function segmentPruneStartedBefore(sql: Sql, ms: number): Promise<number> {
  return prune(sql, bucketOf(ms), (row) => (row[ROW_STARTED] as number) < ms);
}

/** Deletes every record in buckets below `b`, and those of bucket `b` whose id `drop` picks; returns how many went. */
export function segmentPruneBelow(sql: Sql, b: number, drop?: (id: string) => boolean): Promise<number> {
  return prune(sql, b, drop && ((row) => drop(row[ROW_ID] as string)));
}

/** Record counts per bucket, oldest first, from the bucket after `after`. */
export async function segmentCountsAfter(sql: Sql, after: number): Promise<Array<{ bucket: number; records: number }>> {
  const { rows } = await sql.query(
    'SELECT bucket, SUM(records) AS records FROM invocation_segments WHERE bucket > $1 GROUP BY bucket ORDER BY bucket LIMIT 1000',
    [after],
  );
  return rows.map((r) => ({ bucket: Number(r.bucket), records: Number(r.records) }));
}

/** The ids in bucket `b`. */
export async function segmentIdsOf(sql: Sql, b: number): Promise<string[]> {
  const ids: string[] = [];
  const { rows } = await sql.query('SELECT block FROM invocation_segments WHERE bucket = $1', [b]);
  for (const { block } of rows) for (const row of rowsOf(decodeBlock(block as Buffer))) ids.push(row[ROW_ID] as string);
  return ids;
}

/** Buckets below `b` whole, and the rows of bucket `b` that `drop` picks (its segments locked, so two prunes cannot undo each other). */
async function prune(sql: Sql, b: number, drop?: (row: RecordRow) => boolean): Promise<number> {
  const gone = await sql.query('DELETE FROM invocation_segments WHERE bucket < $1 RETURNING records', [b]);
  let dropped = gone.rows.reduce((n, r) => n + (r.records as number), 0);
  if (drop === undefined) return dropped;
  const { rows } = await sql.query('SELECT function_name, first_id, block FROM invocation_segments WHERE bucket = $1 FOR UPDATE', [b]);
  for (const segment of rows) {
    const all = rowsOf(decodeBlock(segment.block as Buffer));
    const kept = all.filter((row) => !drop(row));
    if (kept.length === all.length) continue;
    dropped += all.length - kept.length;
    const key = [b, segment.function_name, segment.first_id];
    if (kept.length === 0) await sql.query('DELETE FROM invocation_segments WHERE bucket = $1 AND function_name = $2 AND first_id = $3', key);
    else {
      // The name (first id) stays, so a block written again is still recognised; the last id is what is left.
      const lastId = kept.reduce((max, row) => ((row[ROW_ID] as string) > max ? (row[ROW_ID] as string) : max), '');
      await sql.query('UPDATE invocation_segments SET last_id = $4, records = $5, failures = $6, block = $7 WHERE bucket = $1 AND function_name = $2 AND first_id = $3', [
        ...key, lastId, kept.length, failuresIn(kept), encodeBlock(blockOf(kept)),
      ]);
    }
  }
  return dropped;
}
