/**
 * Prune by count on PostgreSQL: deletes the oldest records until `keep` are left, walking
 * keyed rows and segment buckets together, oldest first (as SQLite's store does): keyed ids
 * one by one, buckets whole, and only the bucket where the count runs out is read record by
 * record. Past the two totals, the work is in proportion to what is deleted.
 */
import { bucketFloorId } from '../segment-slots.ts';
import type { Sql } from './pg-client.ts';
import { segmentCount, segmentCountsAfter, segmentIdsOf, segmentPruneBelow } from './segment-store.ts';

export async function pruneToNewest(sql: Sql, keep: number): Promise<number> {
  const keyedCount = Number((await sql.query('SELECT COUNT(*) AS n FROM invocations')).rows[0].n);
  let excess = keyedCount + (await segmentCount(sql)) - keep;
  if (excess <= 0) return 0;
  const deleteKeyedBelow = async (id: string) => (await sql.query('DELETE FROM invocations WHERE id < $1', [id])).rowCount ?? 0;
  // Through k, not below k + U+0000 as SQLite's does: PostgreSQL text cannot hold U+0000.
  const deleteKeyedThrough = async (id: string) => (await sql.query('DELETE FROM invocations WHERE id <= $1', [id])).rowCount ?? 0;
  const keyed = pages(async (after: string) => (await sql.query('SELECT id FROM invocations WHERE id > $1 ORDER BY id LIMIT 1000', [after])).rows.map((r) => r.id as string), '', (id) => id);
  const buckets = pages((after: number) => segmentCountsAfter(sql, after), -1, (c) => c.bucket);
  for (;;) {
    const k = await keyed.peek();
    const b = await buckets.peek();
    if (b === undefined || (k !== undefined && k < bucketFloorId(b.bucket))) {
      // A keyed record older than every record of the next bucket.
      if (k === undefined) return 0; // nothing left to count (cannot happen while excess > 0)
      keyed.next();
      if (--excess === 0) return (await deleteKeyedThrough(k)) + (await segmentPruneBelow(sql, b?.bucket ?? Number.MAX_SAFE_INTEGER));
      continue;
    }
    // The bucket, with the keyed records whose ids fall in its slot.
    const ceiling = bucketFloorId(b.bucket + 1);
    const inSlot = await keyed.takeWhile((id) => id < ceiling);
    if (b.records + inSlot.length < excess) {
      excess -= b.records + inSlot.length;
      buckets.next();
      continue;
    }
    // The count runs out in this slot: the oldest `excess` of its records go.
    const ids = [...(await segmentIdsOf(sql, b.bucket)), ...inSlot].sort();
    const firstKept = ids[excess];
    if (firstKept === undefined) return (await deleteKeyedBelow(ceiling)) + (await segmentPruneBelow(sql, b.bucket + 1));
    return (await deleteKeyedBelow(firstKept)) + (await segmentPruneBelow(sql, b.bucket, (id) => id < firstKept));
  }
}

/** An ascending cursor over a paged query: `fetch(after)` answers the next page after a key. */
function pages<T, K>(fetch: (after: K) => Promise<T[]>, start: K, keyOf: (item: T) => K) {
  let page: T[] | null = null;
  let at = 0;
  const refill = async () => {
    if (page === null) page = await fetch(start);
    else if (at >= page.length && page.length > 0) {
      page = await fetch(keyOf(page[page.length - 1]));
      at = 0;
    }
  };
  return {
    async peek(): Promise<T | undefined> {
      await refill();
      return page![at];
    },
    next(): void {
      at++;
    },
    /** The items from here while `test` holds, moving past them. */
    async takeWhile(test: (item: T) => boolean): Promise<T[]> {
      const out: T[] = [];
      for (let item = await this.peek(); item !== undefined && test(item); item = await this.peek()) (out.push(item), at++);
      return out;
    },
  };
}
