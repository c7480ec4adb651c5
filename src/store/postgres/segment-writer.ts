/**
 * Writes fresh records (ids made for them) as segments (store/segment-slots.ts): a row of
 * `invocation_segments` per function and SEGMENT_MS of id time in a block, its records one
 * bytea (store/block-bytes.ts). A row each cost the server a tuple of 32 columns, two btree
 * entries and their WAL a record; a segment costs that once for a few hundred records
 * (bench/README.md). Nothing reads or rewrites a segment on the write path.
 *
 * The usual write is one simple query, BEGIN; COPY (binary) of the segments; the usage they
 * add (EXECUTE of the upsert prepared on the connection); COMMIT: one round trip, the
 * server parsing no JSON and planning nothing. COPY has no ON CONFLICT: a block written
 * again (a writer thread that died after committing it) fails on a segment's name, and is
 * then inserted segment by segment with ON CONFLICT DO NOTHING, usage counting only those
 * that went in (insertSegments).
 */
import { encodeBlock } from '../block-bytes.ts';
import { valueAt, type RecordBlock } from '../record-block.ts';
import { usageSource, type UsageFields } from '../record-rows.ts';
import type { Segment } from '../segment-slots.ts';
import { COPY_SIGNATURE, COPY_TRAILER, copyIn, prepareUsage } from './copy-in.ts';
import { retried, type Sql } from './pg-client.ts';
import type pg from 'pg';
import { UsageDeltas } from './usage-deltas.ts';

/** A segment and its block's bytes, what a row of invocation_segments holds. */
export interface StoredSegment {
  readonly segment: Segment;
  readonly bytes: Buffer;
}

export function storedSegments(segments: readonly Segment[]): StoredSegment[] {
  return segments.map((segment) => ({ segment, bytes: encodeBlock(segment.block) }));
}

const COLUMNS = 'bucket, function_name, first_id, last_id, records, failures, block';
const COPY_SEGMENTS = `COPY invocation_segments (${COLUMNS}) FROM STDIN (FORMAT binary)`;
const FIELDS = 7;
const TWO_32 = 4294967296;

/** The segments as one binary COPY stream: bigint, text, text, text, integer, integer, bytea a row. */
export function encodeSegmentsCopy(stored: readonly StoredSegment[]): Buffer {
  let size = COPY_SIGNATURE.length + COPY_TRAILER.length;
  const names = stored.map(({ segment }) => Buffer.byteLength(segment.functionName));
  for (let s = 0; s < stored.length; s++) {
    const { segment, bytes } = stored[s];
    size += 2 + FIELDS * 4 + 8 + names[s] + Buffer.byteLength(segment.firstId) + Buffer.byteLength(segment.lastId) + 4 + 4 + bytes.length;
  }
  const out = Buffer.allocUnsafe(size);
  COPY_SIGNATURE.copy(out, 0);
  let at = COPY_SIGNATURE.length;
  for (let s = 0; s < stored.length; s++) {
    const { segment, bytes } = stored[s];
    at = out.writeInt16BE(FIELDS, at);
    at = out.writeInt32BE(8, at);
    const high = Math.floor(segment.bucket / TWO_32);
    at = out.writeInt32BE(high, at);
    at = out.writeUInt32BE(segment.bucket - high * TWO_32, at);
    at = out.writeInt32BE(names[s], at);
    at += out.write(segment.functionName, at, 'utf8');
    for (const id of [segment.firstId, segment.lastId]) {
      at = out.writeInt32BE(Buffer.byteLength(id), at);
      at += out.write(id, at, 'utf8');
    }
    at = out.writeInt32BE(4, at);
    at = out.writeInt32BE(segment.block.count, at);
    at = out.writeInt32BE(4, at);
    at = out.writeInt32BE(segment.failures, at);
    at = out.writeInt32BE(bytes.length, at);
    at += bytes.copy(out, at);
  }
  COPY_TRAILER.copy(out, at);
  return out;
}

/** Adds what the records of `block` add to usage. */
export function addUsage(usage: UsageDeltas, block: RecordBlock): void {
  // One object refilled for every record, and one reader of the block's values (no closure a record).
  let fields: UsageFields | undefined;
  let i = 0;
  const value = (c: number) => valueAt(block, i, c);
  for (; i < block.count; i++) usage.add((fields = usageSource(value, fields)));
}

/**
 * Stores the segments and the usage they add in one transaction, one round trip. A failed
 * statement skips the rest, so the transaction is rolled back (and unique_violation is
 * what a segment stored already fails with); a serialization failure or deadlock is tried
 * again, as transaction() does.
 */
export async function copySegments(pool: pg.Pool, stored: readonly StoredSegment[]): Promise<void> {
  if (stored.length === 0) return;
  const usage = new UsageDeltas();
  for (const { segment } of stored) addUsage(usage, segment.block);
  const add = usage.execute();
  const text = `BEGIN; ${COPY_SEGMENTS};${add === null ? '' : ` ${add};`} COMMIT`;
  const data = encodeSegmentsCopy(stored);
  await retried(pool, async (client) => {
    if (add !== null) await prepareUsage(client);
    await copyIn(client, text, data);
  });
}

/** Inserts the segments not stored yet (by name), in the caller's transaction; returns those inserted. */
export async function insertSegments(sql: Sql, stored: readonly StoredSegment[]): Promise<Segment[]> {
  if (stored.length === 0) return [];
  const { rows } = await sql.query(
    `INSERT INTO invocation_segments (${COLUMNS})
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::integer[], $7::bytea[])
     ON CONFLICT (bucket, function_name, first_id) DO NOTHING RETURNING bucket, function_name, first_id`,
    [
      stored.map(({ segment }) => segment.bucket),
      stored.map(({ segment }) => segment.functionName),
      stored.map(({ segment }) => segment.firstId),
      stored.map(({ segment }) => segment.lastId),
      stored.map(({ segment }) => segment.block.count),
      stored.map(({ segment }) => segment.failures),
      stored.map(({ bytes }) => bytes),
    ],
  );
  const inserted = new Set(rows.map((r) => `${r.bucket}\u0000${r.function_name}\u0000${r.first_id}`));
  return stored.map(({ segment }) => segment).filter((s) => inserted.has(`${s.bucket}\u0000${s.functionName}\u0000${s.firstId}`));
}
