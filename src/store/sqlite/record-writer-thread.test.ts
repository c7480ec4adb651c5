import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleRecord } from '../contract.ts';
import { blockOf } from '../record-block.ts';
import { recordRow } from '../record-rows.ts';
import { RecordWriterThread } from '../record-writer-thread.ts';
import { openSqliteStore, SQLITE_RECORD_WORKER } from './sqlite-store.ts';

test('the writer thread commits rows the store then reads, with their usage', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-writer-'));
  const path = join(dir, 'nimbus.db');
  const store = openSqliteStore(path); // migrates the file
  const thread = new RecordWriterThread(path, SQLITE_RECORD_WORKER);
  try {
    const records = Array.from({ length: 600 }, (_, i) => sampleRecord(`r${String(i).padStart(4, '0')}`));
    await thread.write(blockOf(records.map((r) => recordRow(r))));
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
  const thread = new RecordWriterThread(join(tmpdir(), 'no-such-dir-nimbus', 'x', 'nimbus.db'), SQLITE_RECORD_WORKER);
  try {
    await assert.rejects(thread.write(blockOf([recordRow(sampleRecord('a'))])));
    assert.ok(thread.broken instanceof Error);
    await assert.rejects(thread.write(blockOf([recordRow(sampleRecord('b'))])), 'a broken thread refuses at once');
  } finally {
    await thread.close();
  }
});

test('close lets outstanding writes finish and refuses later ones at once; the store never hangs on a closed thread', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-writer-'));
  const path = join(dir, 'nimbus.db');
  const store = openSqliteStore(path);
  const thread = new RecordWriterThread(path, SQLITE_RECORD_WORKER);
  try {
    const rows = Array.from({ length: 2000 }, (_, i) => recordRow(sampleRecord(`c${String(i).padStart(5, '0')}`)));
    const inFlight = thread.write(blockOf(rows));
    const closing = thread.close();
    await assert.rejects(thread.write(blockOf([recordRow(sampleRecord('late'))])), /closed/);
    await inFlight;
    await closing;
    assert.equal((await store.invocations.get('c01999'))?.id, 'c01999', 'the outstanding write was committed');
    await assert.rejects(thread.write(blockOf([recordRow(sampleRecord('after'))])), /closed/);

    // The store's own thread: records written, store closed, a late write fails instead of hanging.
    await store.invocations.insertMany([sampleRecord('s1')]);
    await store.close();
    await assert.rejects(store.invocations.insertMany([sampleRecord('s2')]));
  } finally {
    await thread.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
