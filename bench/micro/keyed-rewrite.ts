/**
 * What writing an async attempt's record a second time costs the SQLite store: records
 * first committed as the queue commits them (one per completion, in the turn's group), then
 * the same records again through InvocationRepo.insertMany in batches, as the recorder's
 * keyed path wrote them at each flush. process.cpuUsage() covers every thread of the
 * process, the record writer thread included. µs CPU per record, medians over rounds.
 *
 *   node --no-node-snapshot --import tsx bench/micro/keyed-rewrite.ts [--rounds 12] [--batch 200]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { sampleRecord } from '../../src/store/contract.ts';
import { arg } from './common.ts';

const ROUNDS = arg('rounds', 12);
const BATCH = arg('batch', 200);
const store = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'nimbus-keyed-rewrite-')), 'nimbus.db'));
const payload = JSON.stringify({ order: 42, items: [1, 2, 3] });
let n = 0;

async function round(items: number): Promise<{ first: number; again: number }> {
  const q = store.queue;
  const records = [];
  let cpu0 = process.cpuUsage();
  for (let i = 0; i < items / 50; i++) {
    const ids = Array.from({ length: 50 }, () => `q${String(++n).padStart(20, '0')}`);
    await Promise.all(ids.map((id) => q.enqueue([{ id, kind: 'invoke', target: 'step', trigger: 'async', source: 'bench', payload, idempotencyKey: null }], 1_000 + n, 86_400_000)));
    const claimed = await q.claim('step', 50, 2_000 + n, 60_000, 'bench');
    const batch = claimed.map((it) => ({ ...sampleRecord(it.id), functionName: 'step', trigger: 'async' as const, attempt: 1 }));
    records.push(...batch);
    await Promise.all(claimed.map((it, j) => q.complete(it.id, it.attempts, 3_000 + n, [], batch[j])));
  }
  let c = process.cpuUsage(cpu0);
  const first = (c.user + c.system) / items;
  cpu0 = process.cpuUsage();
  for (let i = 0; i < records.length; i += BATCH) await store.invocations.insertMany(records.slice(i, i + BATCH));
  c = process.cpuUsage(cpu0);
  return { first, again: (c.user + c.system) / items };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
await round(1000); // warm-up
const first: number[] = [];
const again: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const x = await round(2000);
  first.push(x.first);
  again.push(x.again);
}
const fmt = (xs: number[]) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})`;
console.log(`enqueue, claim, complete with the record: ${fmt(first)} µs CPU per item`);
console.log(`the same records again by insertMany (batches of ${BATCH}): ${fmt(again)} µs CPU per record`);
await store.close();
