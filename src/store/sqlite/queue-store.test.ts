import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { item, queueContract } from '../queue-contract.ts';
import { MIGRATIONS } from './migrations.ts';
import { openSqliteStore } from './sqlite-store.ts';

queueContract('sqlite (memory)', async () => openSqliteStore(':memory:'));

test('queued and running items survive closing and reopening the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-queue-'));
  try {
    const path = join(dir, 'nimbus.db');
    const first = openSqliteStore(path);
    await first.queue.enqueue([item('a'), item('b'), item('c', { idempotencyKey: 'k' })], 0, 86_400_000);
    await first.queue.claim('fn', 1, 0, 60_000);
    await first.close();
    const second = openSqliteStore(path);
    assert.equal(await second.queue.recover(1), 1);
    assert.deepEqual(await second.queue.counts(), { queued: 3, running: 0, succeeded: 0, dead: 0 });
    assert.deepEqual(await second.queue.enqueue([item('d', { idempotencyKey: 'k' })], 2, 86_400_000), [{ id: 'c', created: false }]);
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a queue written before its finished counts were kept (schema 21) counts the same after the migration, and from then on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-queue-'));
  try {
    const path = join(dir, 'nimbus.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec(MIGRATIONS.slice(0, 21).join('\n'));
    old.pragma('user_version = 21');
    const insert = old.prepare(`INSERT INTO queue (id, kind, target, trigger, source, payload, state, accepted_at, enqueued_at, due_at, attempts, throttles, updated_at, finished_at)
      VALUES (?, 'invoke', ?, 'async', 'test', '{}', ?, 0, 0, 0, 1, 0, 0, 0)`);
    const rows: Array<[string, string, string]> = [
      ['a', 'fn', 'succeeded'], ['b', 'fn', 'succeeded'], ['c', 'fn', 'dead'], ['d', 'fn', 'queued'], ['e', 'fn', 'running'], ['f', 'g', 'succeeded'], ['h', 'g', 'dead'],
    ];
    for (const r of rows) insert.run(...r);
    old.close();
    const store = openSqliteStore(path);
    assert.deepEqual(await store.queue.counts(), { queued: 1, running: 1, succeeded: 3, dead: 2 });
    assert.deepEqual(await store.queue.counts('fn'), { queued: 1, running: 1, succeeded: 2, dead: 1 });
    assert.deepEqual((await store.queue.list({ state: 'dead', limit: 10 })).map((i) => i.id), ['h', 'c']);
    assert.equal(await store.queue.redrive('c', 10), true);
    assert.equal(await store.queue.complete('e', 1, 10), true);
    assert.equal(await store.queue.prune(100), 4);
    assert.deepEqual(await store.queue.counts('fn'), { queued: 2, running: 0, succeeded: 0, dead: 0 });
    assert.deepEqual(await store.queue.counts('g'), { queued: 0, running: 0, succeeded: 0, dead: 1 });
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
