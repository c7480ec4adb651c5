import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../core/ids.ts';
import { sampleRecord } from '../store/contract.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { RecentWindow, WINDOW_SPAN_MS } from './window.ts';
import { restoreWindow } from './window-restore.ts';

const START = 1_700_000_000_000;

test("the store's records of the hour before the start are read into the window; older and later ones are not", async () => {
  const store = openSqliteStore(':memory:');
  const at = (ms: number, status: 'success' | 'error' = 'success') => sampleRecord(newId(ms), { startedAt: ms, durationMs: 5, status });
  await store.invocations.insertMany([
    at(START - WINDOW_SPAN_MS - 60_000), // older than the window
    at(START - 600_000, 'error'),
    at(START - 60_000),
    at(START - 1_000, 'error'),
    at(START + 1_000), // this run's: it reaches the window when pushed
  ]);
  const window = new RecentWindow();
  window.coveredFrom = START;
  assert.equal(await restoreWindow(window, store.invocations, START), 3);
  const s = window.summary('hello', WINDOW_SPAN_MS, START + 2_000);
  assert.deepEqual([s.requests, s.errors], [3, 2]);
  assert.deepEqual([window.summary('hello', 300_000, START + 2_000).requests], [2]);
  assert.equal(window.coveredFrom, START - WINDOW_SPAN_MS);
  await store.close();
});

test('past the most it reads, the window says it is complete only from the oldest record read', async () => {
  const store = openSqliteStore(':memory:');
  const records = Array.from({ length: 10 }, (_, i) => sampleRecord(newId(START - 10_000 + i * 1_000), { startedAt: START - 10_000 + i * 1_000 }));
  await store.invocations.insertMany(records);
  const window = new RecentWindow();
  let turns = 0;
  const restored = await restoreWindow(window, store.invocations, START, async () => void turns++, { max: 4, page: 2 });
  assert.equal(restored, 4);
  assert.equal(turns, 1, 'a turn of the event loop between pages');
  assert.equal(window.coveredFrom, START - 10_000 + 6_000);
  await store.close();
});
