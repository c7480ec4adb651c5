import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleRecord } from '../contract.ts';
import { blockOf } from '../record-block.ts';
import { recordRow } from '../record-rows.ts';
import { RecordWriterThread } from '../record-writer-thread.ts';
import { openPostgresStore, PG_RECORD_WORKER } from './postgres-store.ts';
import { dropSchema, freshSchema, pgSkipReason } from './test-database.ts';

const skip = await pgSkipReason();

/** A ready thread: it takes writes once its code is loaded (the store writes itself until then). */
async function readyThread(url: string): Promise<RecordWriterThread> {
  const thread = new RecordWriterThread(url, PG_RECORD_WORKER);
  while (!thread.ready) {
    if (thread.broken !== null) throw thread.broken;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return thread;
}

test('PostgreSQL writer thread: commits a block the store reads, with its usage; the same batch written again counts once', { skip: skip ?? false }, async () => {
  const { schema, url } = freshSchema();
  const store = await openPostgresStore(url, { maxConnections: 2 }); // migrates the schema
  const thread = await readyThread(url);
  try {
    const records = Array.from({ length: 300 }, (_, i) => sampleRecord(`p${String(i).padStart(4, '0')}`));
    const block = blockOf(records.map((r) => recordRow(r)));
    await thread.write(block, 'fresh');
    assert.equal(thread.broken, null);
    const got = await store.invocations.get('p0299');
    assert.deepEqual(got, records[299]);
    const requests = async () => (await store.usage.list({})).reduce((n, u) => n + u.requests + u.throttles, 0);
    assert.equal(await requests(), 300);
    // Written again, by the thread and by the store's own pool (the fallback when a thread dies mid-batch).
    await thread.write(block, 'fresh');
    const pack = store.invocations.newPack!();
    for (const r of records) pack.add(r);
    await store.invocations.append(pack);
    assert.equal(await requests(), 300);
  } finally {
    await thread.close();
    await store.close();
    await dropSchema(schema);
  }
});

test('PostgreSQL writer thread: a server it cannot reach fails the write, not the thread', { skip: skip ?? false }, async () => {
  const thread = await readyThread('postgres://postgres@127.0.0.1:1/test?schema=nowhere');
  try {
    await assert.rejects(thread.write(blockOf([recordRow(sampleRecord('a'))]), 'fresh'));
    assert.equal(thread.broken, null, 'the recorder keeps the records and tries again through the thread');
  } finally {
    await thread.close();
  }
  await assert.rejects(thread.write(blockOf([recordRow(sampleRecord('b'))]), 'fresh'), /closed/);
});

test('PostgreSQL store: records appended and inserted are read back and counted after close and reopen', { skip: skip ?? false }, async () => {
  const { schema, url } = freshSchema();
  try {
    const store = await openPostgresStore(url);
    const pack = store.invocations.newPack!();
    const fresh = Array.from({ length: 50 }, (_, i) => sampleRecord(`f${String(i).padStart(3, '0')}`));
    for (const r of fresh) pack.add(r);
    await store.invocations.append(pack);
    await store.invocations.insertMany([{ ...sampleRecord('k1'), attempt: 1 }]);
    await store.invocations.insertMany([{ ...sampleRecord('k1'), attempt: 2 }]);
    await store.close();
    const again = await openPostgresStore(url);
    try {
      assert.deepEqual(await again.invocations.get('f049'), fresh[49]);
      assert.equal((await again.invocations.get('k1'))?.attempt, 2);
      const usage = await again.usage.list({});
      assert.equal(usage.reduce((n, u) => n + u.requests + u.throttles, 0), 51);
    } finally {
      await again.close();
    }
  } finally {
    await dropSchema(schema);
  }
});
