import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { newId } from '../../core/ids.ts';
import type { InvocationRecord } from '../../core/types.ts';
import { sampleRecord } from '../contract.ts';
import { decodeBlock } from '../block-bytes.ts';
import { blockOf, rowsOf } from '../record-block.ts';
import { recordFromRow, recordRow } from '../record-rows.ts';
import { RecordWriterThread } from '../record-writer-thread.ts';
import { bucketOf, segmentsOf } from '../segment-slots.ts';
import { writeRecords } from './invocation-repo.ts';
import { migrate, PG_MIGRATIONS } from './migrations.ts';
import { createPool, parseTarget } from './pg-client.ts';
import { openPostgresStore, PG_RECORD_WORKER } from './postgres-store.ts';
import { encodeSegmentsCopy, storedSegments } from './segment-writer.ts';
import { dropSchema, freshSchema, pgSkipReason, PG_TEST_URL } from './test-database.ts';

const skip = (await pgSkipReason()) ?? false;

const T = 1_765_000_000_000;
const block = (records: readonly InvocationRecord[]) => blockOf(records.map((r) => recordRow(r)));

/** Records with what a record can hold at its edges: nulls, unicode, U+0000, large texts, large and fractional numbers. */
function oddRecords(at: number): InvocationRecord[] {
  const big = 'x'.repeat(300_000) + '\u00e9\u{1F600}';
  return [
    sampleRecord(newId(at), { startedAt: at, errorMessage: 'plain ascii, longer than a short text. '.repeat(20) }),
    sampleRecord(newId(at + 1), {
      startedAt: at + 1,
      functionName: "o'dd\\fn \u00fcml\u00e4ut",
      status: 'error',
      statusCode: null,
      errorCode: 'NIMBUS_ERR_FUNCTION',
      errorName: 'T\u00ebst\u0000Error',
      errorMessage: `\u65e5\u672c\u8a9e \u{1F680} "quoted" \\ back\nslash\ttab\u0000end`,
      instanceId: null,
      traceId: null,
      spanId: null,
      parentSpanId: null,
      alias: null,
      logs: [{ t: 1, level: 'error', msg: 'a\u0000b \u{1F4A5} \u200d e\u0301' }],
      logsTruncated: true,
      coldStart: true,
      initMs: 12.345678901234,
    }),
    sampleRecord(newId(at + 2), {
      startedAt: at + 2,
      functionName: 'fn-\u00fcml\u00e4ut',
      alias: 'live',
      triggerSource: 'POST /fn/x/\u{1F600}',
      errorMessage: big,
      logs: Array.from({ length: 200 }, (_, i) => ({ t: 2 ** 41 + i, level: 'info' as const, msg: big.slice(0, 5_000) })),
      durationMs: 0.0001,
      billedMs: 2 ** 40 + 1,
      requestBytes: 2 ** 53 - 1,
      responseBytes: 2 ** 33,
      peakMemoryBytes: 4_294_967_297,
      cpuMs: 1e-9,
      occupancyMs: 123456.789,
      attempt: 2_147_483_647,
      sockets: { opened: 3, bytesIn: 2 ** 35 + 7, bytesOut: 1 },
    }),
  ];
}

async function withStore(work: (store: Awaited<ReturnType<typeof openPostgresStore>>, pool: pg.Pool, schema: string) => Promise<void>): Promise<void> {
  const { schema, url } = freshSchema();
  const store = await openPostgresStore(url, { maxConnections: 2 });
  const pool = createPool(parseTarget(url), 1);
  try {
    await work(store, pool, schema);
  } finally {
    await pool.end();
    await store.close();
    await dropSchema(schema);
  }
}

test('the segments COPY stream: signature, a tuple of seven fields per segment, the block as it is, the trailer', () => {
  const records = [0, 1, 150].map((dt) => sampleRecord(newId(T + dt), { startedAt: T + dt }));
  const { segments, strays } = segmentsOf(block(records));
  assert.deepEqual(strays, []);
  assert.deepEqual(segments.map((s) => [s.bucket, s.block.count]), [[bucketOf(T), 2], [bucketOf(T + 150), 1]]);
  const stored = storedSegments(segments);
  const out = encodeSegmentsCopy(stored);
  assert.equal(out.subarray(0, 11).toString('latin1'), 'PGCOPY\n\xff\r\n\0');
  assert.equal(out.readInt16BE(19), 7);
  assert.deepEqual([out.readInt32BE(21), out.readInt32BE(25) * 2 ** 32 + out.readUInt32BE(29)], [8, bucketOf(T)]);
  assert.deepEqual([out.readInt32BE(33), out.toString('utf8', 37, 42)], [5, 'hello']);
  assert.equal(out.readInt16BE(out.length - 2), -1);
  const blockAt = out.indexOf(stored[0].bytes);
  assert.ok(blockAt > 0 && out.readInt32BE(blockAt - 4) === stored[0].bytes.length, 'the block, after its length');
  assert.deepEqual(rowsOf(decodeBlock(out.subarray(blockAt, blockAt + stored[0].bytes.length))).map(recordFromRow), records.slice(0, 2));
});

test('the COPY columns are those of the migrated invocation_segments table', { skip }, () =>
  withStore(async (_store, pool, schema) => {
    const { rows } = await pool.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'invocation_segments' ORDER BY ordinal_position`,
      [schema],
    );
    assert.deepEqual(
      rows.map((r) => `${r.column_name} ${r.data_type}`),
      ['bucket bigint', 'function_name text', 'first_id text', 'last_id text', 'records integer', 'failures integer', 'block bytea'],
    );
  }));

test('records written as segments read back intact: a segment per function and bucket, no rows', { skip }, async () => {
  await withStore(async (store, pool) => {
    const byPool = oddRecords(T);
    await writeRecords(pool, block(byPool), 'fresh');
    const { rows } = await pool.query('SELECT bucket, function_name, records, failures FROM invocation_segments ORDER BY function_name');
    assert.deepEqual(rows.map((r) => [r.bucket, r.records, r.failures]), [[bucketOf(T), 1, 0], [bucketOf(T), 1, 0], [bucketOf(T), 1, 1]], 'a segment per function');
    assert.equal((await pool.query('SELECT COUNT(*)::int AS n FROM invocations')).rows[0].n, 0, 'no rows');
    for (const r of byPool) assert.deepEqual(await store.invocations.get(r.id), r, r.id);
  });
});

test('the writer thread writes segments too, and a large block goes in several COPY messages', { skip }, async () => {
  const { schema, url } = freshSchema();
  const store = await openPostgresStore(url, { maxConnections: 2 });
  const thread = new RecordWriterThread(url, PG_RECORD_WORKER);
  try {
    while (!thread.ready) {
      if (thread.broken !== null) throw thread.broken;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const byThread = oddRecords(T + 1_000);
    const b = block(byThread);
    assert.ok(encodeSegmentsCopy(storedSegments(segmentsOf(b).segments)).length > 2 ** 20, 'sent in several COPY messages');
    await thread.write(b, 'fresh');
    for (const r of byThread) assert.deepEqual(await store.invocations.get(r.id), r, r.id);
    const usage = await store.usage.list({});
    assert.equal(usage.reduce((n, u) => n + u.requests, 0), 3);
    assert.equal(usage.reduce((n, u) => n + u.errors, 0), 1);
    assert.equal(usage.reduce((n, u) => n + u.coldStarts, 0), 1);
    assert.equal(usage.reduce((n, u) => n + u.billedMs, 0), 2 + 2 + 2 ** 40 + 1);
    assert.deepEqual([...new Set(usage.map((u) => u.functionName))].sort(), ['fn-\u00fcml\u00e4ut', 'hello', "o'dd\\fn \u00fcml\u00e4ut"]);
  } finally {
    await thread.close();
    await store.close();
    await dropSchema(schema);
  }
});

test('a block written again is stored and counted once; its stray records (ids not made by newId) are rows, each once', { skip }, () =>
  withStore(async (store, pool) => {
    const fresh = Array.from({ length: 10 }, (_, i) => sampleRecord(newId(T + i * 30), { startedAt: T + i * 30 }));
    const strays = [sampleRecord('stray-1'), sampleRecord('stray-2', { billedMs: 100 })];
    await writeRecords(pool, block(fresh), 'fresh');
    await writeRecords(pool, block(fresh), 'fresh');
    await writeRecords(pool, block([...fresh, ...strays]), 'fresh');
    await writeRecords(pool, block([...strays, strays[1]]), 'fresh');
    const usage = await store.usage.list({});
    assert.equal(usage.reduce((n, u) => n + u.requests, 0), 12);
    assert.equal(usage.reduce((n, u) => n + u.billedMs, 0), 11 * 2 + 100);
    assert.equal((await pool.query('SELECT COUNT(*)::int AS n FROM invocations')).rows[0].n, 2, 'the strays as rows');
    assert.equal((await pool.query('SELECT SUM(records)::int AS n FROM invocation_segments')).rows[0].n, 10);
    assert.equal((await store.invocations.list({ limit: 100 })).length, 12);
  }));

test('usage of many blocks on one connection (its prepared upsert, planned once) adds up per function-hour, exactly', { skip }, () =>
  withStore(async (store, pool) => {
    const H = 3_600_000;
    const names = ['a', "b'q\\", 'c\u00fc'];
    const blocks = Array.from({ length: 12 }, (_, b) =>
      Array.from({ length: 30 }, (_, i) => {
        const startedAt = T + (b % 2) * H + i;
        return sampleRecord(newId(startedAt), {
          startedAt,
          functionName: names[i % names.length],
          billedMs: 1_000,
          memoryMb: 512,
          cpuMs: 0.125,
          coldStart: i === 0,
          status: i % 10 === 9 ? 'error' : 'success',
        });
      }),
    );
    for (const records of blocks) await writeRecords(pool, block(records), 'fresh');
    const usage = await store.usage.list({});
    assert.equal(usage.length, 6, 'three functions × two hours');
    for (const u of usage) {
      assert.ok(names.includes(u.functionName), u.functionName);
      assert.equal(u.requests, 60, `${u.functionName} ${u.hour}`);
      assert.equal(u.billedMs, 60_000);
      assert.equal(u.gbSeconds, 30);
      assert.equal(u.cpuMs, 60 * 0.125);
    }
    assert.equal(usage.reduce((n, u) => n + u.errors, 0), 36);
    assert.equal(usage.reduce((n, u) => n + u.coldStarts, 0), 12);
    const { rows } = await pool.query(`SELECT generic_plans FROM pg_prepared_statements WHERE name = 'nimbus_usage_add'`);
    assert.equal(rows.length, 1, 'the upsert is prepared on the connection');
    const failures = await store.invocations.list({ status: 'error', limit: 1_000 });
    assert.equal(failures.length, 36);
    assert.ok(failures.every((r) => r.status === 'error'));
  }));

test('a block the server refuses stores none of its records and adds no usage; the connection goes on', { skip }, () =>
  withStore(async (store, pool) => {
    const bad = { ...sampleRecord('stray-bad'), status: null } as unknown as InvocationRecord; // a row's status is NOT NULL
    const good = sampleRecord(newId(T), { startedAt: T });
    await assert.rejects(writeRecords(pool, block([good, bad]), 'fresh'), /null value in column "status"/);
    assert.equal(await store.invocations.get(good.id), null);
    assert.deepEqual(await store.usage.list({}), []);
    await writeRecords(pool, block([good]), 'fresh');
    assert.equal((await store.invocations.get(good.id))?.id, good.id);
    assert.equal((await store.usage.list({})).reduce((n, u) => n + u.requests, 0), 1);
  }));

test('records stored as rows before segments (schema 9) are still read, listed with new ones and pruned', { skip }, async () => {
  const { schema, url } = freshSchema();
  try {
    const client = new pg.Client({ connectionString: PG_TEST_URL, options: `-c search_path=${schema}` });
    await client.connect();
    await client.query('BEGIN');
    await migrate(client, schema, PG_MIGRATIONS.slice(0, 9));
    await client.query('COMMIT');
    const old = [0, 10, 20].map((dt) => sampleRecord(newId(T + dt), { startedAt: T + dt }));
    for (const r of old) {
      await client.query(
        `INSERT INTO invocations (id, function_name, version, trigger, trigger_source, started_at, duration_ms, billed_ms, memory_mb, status, status_code,
           cold_start, init_ms, instance_id, request_bytes, response_bytes, attempt, logs, logs_truncated, cpu_ms, peak_memory_bytes, occupancy_ms, trace_id, span_id)
         VALUES ($1, 'hello', 1, 'http', $2, $3, 1.5, 2, 128, 'success', 200, false, 0, 'i1', 0, 5, 1, $4, false, 0.8, 2000000, 1.5, $5, $6)`,
        [r.id, r.triggerSource, r.startedAt, JSON.stringify(r.logs), r.traceId, r.spanId],
      );
    }
    await client.end();
    const store = await openPostgresStore(url, { maxConnections: 2 });
    try {
      assert.deepEqual(await store.invocations.get(old[1].id), old[1]);
      const fresh = [5, 15, 25].map((dt) => sampleRecord(newId(T + dt), { startedAt: T + dt }));
      await store.invocations.append(fresh);
      assert.deepEqual((await store.invocations.list({ limit: 10 })).map((r) => r.id), [...old, ...fresh].map((r) => r.id).sort().reverse());
      assert.deepEqual((await store.invocations.list({ limit: 2, before: fresh[1].id })).map((r) => r.id), [old[1].id, fresh[0].id]);
      assert.equal(await store.invocations.prune(0, 3), 3, 'the oldest three of both kinds');
      assert.deepEqual((await store.invocations.list({ limit: 10 })).map((r) => r.id), [fresh[2].id, old[2].id, fresh[1].id]);
    } finally {
      await store.close();
    }
  } finally {
    await dropSchema(schema);
  }
});
