import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.ts';
import { newId } from '../core/ids.ts';
import type { InvocationRecord } from '../core/types.ts';
import { usageOf, addUsage, ZERO_USAGE } from '../core/usage.ts';
import { sampleRecord } from '../store/contract.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { costRows, DEFAULT_PRICES, loadPriceSheet, priceSheetOf } from './pricing.ts';
import { Recorder } from './recorder.ts';
import { RecordRetention } from './retention.ts';
import { usageCsv, usageReport } from './usage-report.ts';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 1); // a month start

test('usage totals equal the sum of the records, across flushes, restarts and a retried id', async () => {
  const clock = new FakeClock(T0);
  const dir = `/tmp/nimbus-usage-${process.pid}-${Date.now()}.db`;
  let store = openSqliteStore(dir);
  let recorder = new Recorder(store.invocations, clock, 100, (e) => assert.fail(String(e)));
  const written: InvocationRecord[] = [];
  let seq = 0;
  // Odd records have ids made for them (segments); even ones are keyed, like async attempts.
  const push = (o: Partial<InvocationRecord>) => {
    const startedAt = T0 + (((seq + 1) * 997_003) % (30 * H));
    const fresh = seq % 2 === 1 && o.id === undefined;
    const id = fresh ? newId(startedAt) : `r${String(seq).padStart(5, '0')}`;
    seq++;
    const r = sampleRecord(id, { startedAt, billedMs: 1 + (seq % 17), memoryMb: [128, 256, 1024][seq % 3], cpuMs: seq % 5, occupancyMs: seq % 13, functionName: seq % 2 ? 'a' : 'b', status: seq % 7 ? 'success' : 'error', ...o });
    written.push(r);
    recorder.push(r, fresh);
    return r;
  };
  for (let i = 0; i < 300; i++) push({});
  await recorder.flush();
  // A later attempt of the same id replaces its record: counted once, as it ended.
  const retried = written[10]; // a keyed one
  const again = push({ id: retried.id, attempt: 2, startedAt: retried.startedAt + 5 * H, billedMs: 500, functionName: retried.functionName });
  written.splice(10, 1);
  // A plain repeat (the same attempt pushed twice) is ignored.
  recorder.push(again, false);
  await recorder.stop();
  await store.close();
  // Restart: the usage survives, and more records add to it.
  store = openSqliteStore(dir);
  recorder = new Recorder(store.invocations, clock, 100, (e) => assert.fail(String(e)));
  for (let i = 0; i < 50; i++) push({});
  await recorder.stop();
  const expected = written.reduce((t, r) => addUsage(t, usageOf(r)), ZERO_USAGE);
  const report = await usageReport(store.usage, DEFAULT_PRICES, { since: T0, until: T0 + 40 * H, by: 'function' });
  assert.equal(report.total.requests, expected.requests);
  assert.equal(report.total.errors, expected.errors);
  assert.equal(report.total.billedMs, expected.billedMs);
  assert.ok(Math.abs(report.total.gbSeconds - expected.gbSeconds) < 1e-5);
  assert.ok(Math.abs(report.total.occupancyGbSeconds - expected.occupancyGbSeconds) < 1e-5);
  assert.ok(Math.abs(report.total.cpuMs - expected.cpuMs) < 1e-3);
  // …and the stored records say the same.
  const stored = await store.invocations.list({ limit: 10_000 });
  assert.equal(stored.length, written.length);
  assert.equal(stored.reduce((n, r) => n + r.billedMs, 0), expected.billedMs);
  // By day: the same totals, split.
  const byDay = await usageReport(store.usage, DEFAULT_PRICES, { since: T0, until: T0 + 40 * H, by: 'day' });
  assert.equal(byDay.items.length, 2);
  assert.equal(byDay.items.reduce((n, i) => n + i.requests, 0), expected.requests);
  const csv = usageCsv(byDay).trim().split('\n');
  assert.equal(csv.length, 3);
  assert.match(csv[0], /^function,period,requests/);
  await store.close();
});

test('cost: list price, the free tier used up in time order within a month', () => {
  const prices = priceSheetOf({ perRequest: 1, perGbSecond: 10, freeTier: { requests: 3, gbSeconds: 1 } });
  const row = (hour: number, requests: number, gbSeconds: number) => ({ ...ZERO_USAGE, hour, requests, gbSeconds });
  const rows = costRows([row(T0, 2, 0.5), row(T0 + H, 2, 1), row(Date.UTC(2026, 11, 1), 1, 0)], prices);
  assert.deepEqual(rows.map((r) => r.grossCost), [7, 12, 1]);
  // 2 req + 0.5 GB-s free; then 1 req + 0.5 GB-s free of the second; a new month starts afresh.
  assert.deepEqual(rows.map((r) => r.cost), [0, 1 + 5, 0]);
  assert.equal(DEFAULT_PRICES.perRequest, 0.2 / 1e6);
  assert.deepEqual(loadPriceSheet('{"perGbSecond": 0.00001}').freeTier, DEFAULT_PRICES.freeTier);
  assert.throws(() => loadPriceSheet('{"perGbSecond": -1}'), /perGbSecond/);
  assert.throws(() => loadPriceSheet('{"perParsec": 1}'), /perParsec/);
  assert.equal(loadPriceSheet('x.yaml', () => 'perRequest: 0.5\ncurrency: EUR\n').currency, 'EUR');
});

test('retention deletes records by age and by count, keeps usage', async () => {
  const clock = new FakeClock(T0 + 10 * H);
  const store = openSqliteStore(':memory:');
  await store.invocations.insertMany([1, 2, 3, 4, 5, 6].map((i) => sampleRecord(`0${i}`, { startedAt: T0 + i * H, billedMs: 10 })));
  const retention = new RecordRetention({ clock, repo: store.invocations, maxAgeMs: 7 * H, keep: 3, everyMs: H });
  retention.start();
  await new Promise((r) => setImmediate(r));
  // Older than 7 h: 01, 02 (03 is exactly 7 h old and stays); then only the newest 3.
  assert.deepEqual((await store.invocations.list({ limit: 10 })).map((r) => r.id), ['06', '05', '04']);
  clock.advance(H); // the timer's pass: 04 is exactly 7 h old and stays
  await new Promise((r) => setImmediate(r));
  assert.equal((await store.invocations.list({ limit: 10 })).length, 3);
  clock.advance(H); // the next pass: 04 is past 7 h
  await new Promise((r) => setImmediate(r));
  assert.deepEqual((await store.invocations.list({ limit: 10 })).map((r) => r.id), ['06', '05']);
  retention.stop();
  assert.equal((await store.usage.list({})).reduce((n, r) => n + r.billedMs, 0), 60);
  await store.close();
});
