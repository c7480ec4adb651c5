import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../core/ids.ts';
import type { InvocationRecord } from '../../core/types.ts';
import { sampleRecord } from '../contract.ts';
import { latestNewestFirst, matchesQuery } from '../invocation-query.ts';
import type { InvocationQuery } from '../ports.ts';
import { SEGMENT_MS } from '../segment-slots.ts';
import { openFreshStore, pgSkipReason } from './test-database.ts';

const skip = (await pgSkipReason()) ?? false;
const T = 1_765_000_000_000;

/** What a list must answer, from the records in hand. */
function expected(all: readonly InvocationRecord[], q: InvocationQuery): string[] {
  return latestNewestFirst(all.filter((r) => matchesQuery(r, q)), q.limit).map((r) => r.id);
}

test('lists over more segments than one step reads: whole buckets, filters and pages exact', { skip }, async () => {
  const store = await openFreshStore();
  try {
    const all: InvocationRecord[] = [];
    // 300 buckets of two functions, then one bucket of 300 segments (one append each).
    for (let b = 0; b < 300; b += 10) {
      const batch: InvocationRecord[] = [];
      for (let k = 0; k < 10; k++) {
        const at = T + (b + k) * SEGMENT_MS + 7;
        batch.push(sampleRecord(newId(at), { startedAt: at, functionName: k % 3 === 0 ? 'other' : 'hello', status: (b + k) % 7 === 0 ? 'error' : 'success' }));
        batch.push(sampleRecord(newId(at + 1), { startedAt: at + 1 }));
      }
      await store.invocations.append(batch);
      all.push(...batch);
    }
    const crowded = T + 400 * SEGMENT_MS;
    for (let i = 0; i < 300; i++) {
      const r = sampleRecord(newId(crowded + (i % SEGMENT_MS) / 2), { startedAt: crowded, status: i % 50 === 0 ? 'error' : 'success' });
      await store.invocations.append([r]);
      all.push(r);
    }
    const queries: InvocationQuery[] = [
      { limit: 5 },
      { limit: 290 },
      { limit: 1_000 },
      { limit: 20, functionName: 'other' },
      { limit: 500, status: 'error' },
      { limit: 40, status: 'success', functionName: 'hello' },
      { limit: 25, since: T + 290 * SEGMENT_MS },
      { limit: 30, before: all[400].id },
      { limit: 10, before: all[400].id, functionName: 'other', status: 'error' },
    ];
    for (const q of queries) assert.deepEqual((await store.invocations.list(q)).map((r) => r.id), expected(all, q), JSON.stringify(q));
    // Paging through everything, newest first, 37 at a time.
    const seen: string[] = [];
    for (let before: string | undefined; ; ) {
      const page = await store.invocations.list({ limit: 37, before });
      if (page.length === 0) break;
      seen.push(...page.map((r) => r.id));
      before = page[page.length - 1].id;
    }
    assert.deepEqual(seen, expected(all, { limit: 10_000 }));
    assert.equal(await store.invocations.prune(0, 450), all.length - 450);
    assert.deepEqual((await store.invocations.list({ limit: 10_000 })).map((r) => r.id), expected(all, { limit: 450 }));
  } finally {
    await store.close();
  }
});
