import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { item, queueContract } from '../queue-contract.ts';
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
