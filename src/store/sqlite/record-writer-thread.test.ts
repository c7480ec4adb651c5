import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleRecord } from '../contract.ts';
import { recordRow } from './record-rows.ts';
import { RecordWriterThread } from './record-writer-thread.ts';
import { openSqliteStore } from './sqlite-store.ts';

test('the writer thread commits rows the store then reads, with their usage', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-writer-'));
  const path = join(dir, 'nimbus.db');
  const store = openSqliteStore(path); // migrates the file
  const thread = new RecordWriterThread(path);
  try {
    const records = Array.from({ length: 600 }, (_, i) => sampleRecord(`r${String(i).padStart(4, '0')}`));
    await thread.write(records.map(recordRow));
    assert.equal(thread.broken, null);
    assert.equal((await store.invocations.get('r0599'))?.id, 'r0599');
    const usage = await store.usage.list({});
    assert.equal(usage.reduce((n, u) => n + u.requests + u.throttles, 0), 600);
  } finally {
    await thread.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a writer thread that cannot open its file is marked broken and refuses writes', async () => {
  const thread = new RecordWriterThread(join(tmpdir(), 'no-such-dir-nimbus', 'x', 'nimbus.db'));
  try {
    await assert.rejects(thread.write([recordRow(sampleRecord('a'))]));
    assert.ok(thread.broken instanceof Error);
    await assert.rejects(thread.write([recordRow(sampleRecord('b'))]), 'a broken thread refuses at once');
  } finally {
    await thread.close();
  }
});
