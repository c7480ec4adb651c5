/**
 * Segments: how a store may keep records whose ids were made for them (InvocationRepo.append)
 * as a few rows instead of a row each. A segment holds the records of one function whose ids
 * were made in one SEGMENT_MS slot (`bucket`), from one write, as a block (record-block.ts,
 * stored as block-bytes.ts says). Ids sort by the time they were made, so buckets give lists
 * their order and an id its place; a segment is named by (bucket, function, first id), so a
 * block written twice (a writer thread that died after committing it) is recognised.
 *
 * What both stores' segments share is here: the slots, cutting a block into segments, and
 * which of a segment's records a query selects. Each store keeps them in its own tables
 * (sqlite/record-segments.ts, postgres/segment-store.ts).
 */
import { idTimeMs, idTimePrefix } from '../core/ids.ts';
import type { InvocationStatus } from '../core/types.ts';
import { byIdNewestFirst } from './invocation-query.ts';
import { pick, rowAt, textIs, valueAt, type RecordBlock } from './record-block.ts';
import { ROW_FUNCTION, ROW_ID, ROW_STARTED, ROW_STATUS, ROW_WIDTH, type RecordRow } from './record-rows.ts';

export const SEGMENT_MS = 100;

export function bucketOf(ms: number): number {
  return Math.floor(ms / SEGMENT_MS);
}

/** The smallest id a record of bucket `b` can have (every id of b sorts at or after it, before b + 1's). */
export function bucketFloorId(b: number): string {
  return idTimePrefix(b * SEGMENT_MS);
}

/** The highest bucket that can hold an id sorting before `before` (an id made by newId or any string). */
export function bucketBefore(before: string): number {
  return bucketOf(idTimeMs(before) ?? upperTimeOf(before));
}

/**
 * For a `before` that is not an id made by newId: a time no id sorting before it exceeds
 * (its first ten characters, the rest read as the highest digit).
 */
function upperTimeOf(id: string): number {
  return idTimeMs(id.slice(0, 10).padEnd(26, 'z')) ?? Number.MAX_SAFE_INTEGER;
}

/** One segment of a block: its name, its records as a block of their own, how many did not succeed. */
export interface Segment {
  readonly bucket: number;
  readonly functionName: string;
  /** The smallest id: the segment is named by it. */
  readonly firstId: string;
  /** The largest id (a store may keep it, to find an id's segment without reading the others). */
  readonly lastId: string;
  readonly block: RecordBlock;
  readonly failures: number;
}

/**
 * A block cut into segments, one per bucket and function. A record whose id was not made by
 * newId cannot be placed: its index is in `strays`, for the store to keep as a row.
 */
export function segmentsOf(block: RecordBlock): { segments: Segment[]; strays: number[] } {
  const { slots, texts } = block;
  const groups = new Map<string, Group>();
  const strays: number[] = [];
  // Records come in the order they ended, so the next one is nearly always in the same
  // group: its function is compared by its index in the texts first (a repeated text is
  // kept once in a block), its name only when the index differs.
  let group: Group | undefined;
  for (let i = 0; i < block.count; i++) {
    const at = i * ROW_WIDTH;
    const id = texts[slots[at + ROW_ID]];
    const t = id === undefined ? null : idTimeMs(id);
    if (t === null) {
      strays.push(i);
      continue;
    }
    const bucket = bucketOf(t);
    const fn = slots[at + ROW_FUNCTION];
    if (group === undefined || group.bucket !== bucket || (group.fn !== fn && group.functionName !== texts[fn])) {
      const functionName = texts[fn];
      const key = `${bucket}\u0000${functionName}`;
      group = groups.get(key);
      if (group === undefined) groups.set(key, (group = { bucket, functionName, fn, firstId: id, lastId: id, indexes: [] }));
    }
    group.indexes.push(i);
    if (id < group.firstId) group.firstId = id;
    else if (id > group.lastId) group.lastId = id;
  }
  const segments: Segment[] = [];
  for (const g of groups.values()) {
    // A block that is all one segment is stored as it is.
    const own = g.indexes.length === block.count ? block : pick(block, g.indexes);
    let failures = 0;
    for (let i = 0; i < own.count; i++) if (!textIs(own, i, ROW_STATUS, 'success')) failures++;
    segments.push({ bucket: g.bucket, functionName: g.functionName, firstId: g.firstId, lastId: g.lastId, block: own, failures });
  }
  return { segments, strays };
}

interface Group {
  readonly bucket: number;
  readonly functionName: string;
  /** The function's index in the block's texts. */
  readonly fn: number;
  /** The smallest id: the segment is named by it. */
  firstId: string;
  lastId: string;
  readonly indexes: number[];
}

export interface SegmentQuery {
  readonly functionName?: string;
  readonly status?: InvocationStatus;
  /** Only ids sorting before this one. */
  readonly before?: string;
  /** Only records started at or after this epoch ms. */
  readonly since?: number;
}

/** How many of `rows` did not succeed (a segment's `failures`, which lists of failures look at). */
export function failuresIn(rows: readonly RecordRow[]): number {
  let n = 0;
  for (const row of rows) if (row[ROW_STATUS] !== 'success') n++;
  return n;
}

/**
 * The records of one bucket's blocks that `q` selects, newest first, at most `limit`, as rows.
 * Selected on the blocks' values (a text compared in place, an id read as its string), so
 * only the rows returned are made: a bucket of a busy function holds thousands.
 */
export function newestOfBlocks(blocks: readonly RecordBlock[], q: SegmentQuery, limit: number): RecordRow[] {
  const picked: Array<{ id: string; block: RecordBlock; i: number }> = [];
  for (const block of blocks) {
    for (let i = 0; i < block.count; i++) {
      if (q.functionName !== undefined && !textIs(block, i, ROW_FUNCTION, q.functionName)) continue;
      if (q.status !== undefined && !textIs(block, i, ROW_STATUS, q.status)) continue;
      if (q.since !== undefined && !((valueAt(block, i, ROW_STARTED) as number) >= q.since)) continue;
      const id = valueAt(block, i, ROW_ID) as string;
      if (q.before !== undefined && !(id < q.before)) continue;
      picked.push({ id, block, i });
    }
  }
  picked.sort(byIdNewestFirst);
  const out = new Array<RecordRow>(Math.min(limit, picked.length));
  for (let k = 0; k < out.length; k++) out[k] = rowAt(picked[k].block, picked[k].i);
  return out;
}
