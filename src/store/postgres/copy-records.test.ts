import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InvocationRecord } from '../../core/types.ts';
import { sampleRecord } from '../contract.ts';
import { INVOCATION_COLUMNS } from '../invocation-columns.ts';
import { blockOf } from '../record-block.ts';
import { recordRow } from '../record-rows.ts';
import { RecordWriterThread } from '../record-writer-thread.ts';
import { COPY_TYPES, encodeCopy } from './copy-records.ts';
import { writeRecords } from './invocation-repo.ts';
import { createPool, parseTarget } from './pg-client.ts';
import { openPostgresStore, PG_RECORD_WORKER } from './postgres-store.ts';
import { dropSchema, freshSchema, pgSkipReason } from './test-database.ts';

const skip = (await pgSkipReason()) ?? false;

/** Records with what a record can hold at its edges: nulls, unicode, U+0000, large texts, large and fractional numbers. */
function oddRecords(prefix: string): InvocationRecord[] {
  const big = 'x'.repeat(300_000) + '\u00e9\u{1F600}';
  return [
    sampleRecord(`${prefix}1`, { errorMessage: 'plain ascii, longer than a short text. '.repeat(20) }),
    sampleRecord(`${prefix}2`, {
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
    sampleRecord(`${prefix}3`, {
      functionName: 'fn-\u00fcml\u00e4ut',
      alias: 'live',
      triggerSource: 'POST /fn/x/\u{1F600}',
      errorMessage: big,
      logs: Array.from({ length: 200 }, (_, i) => ({ t: 2 ** 41 + i, level: 'info' as const, msg: big.slice(0, 5_000) })),
      startedAt: 1_765_000_000_123,
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

/** What PostgreSQL keeps of a record: U+0000 in the error's texts as U+FFFD (its text type cannot hold it). */
function stored(r: InvocationRecord): InvocationRecord {
  const fix = (s: string | null) => (s === null ? null : s.replaceAll('\u0000', '\uFFFD'));
  return { ...r, errorName: fix(r.errorName), errorMessage: fix(r.errorMessage) };
}

test('the COPY types are those of the migrated invocations table, column by column', { skip }, async () => {
  const { schema, url } = freshSchema();
  const store = await openPostgresStore(url, { maxConnections: 1 });
  const pool = createPool(parseTarget(url), 1);
  try {
    const { rows } = await pool.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'invocations' ORDER BY ordinal_position`,
      [schema],
    );
    const wire: Record<string, string> = { text: 'text', integer: 'int4', bigint: 'int8', 'double precision': 'float8', boolean: 'bool' };
    assert.deepEqual(
      Object.fromEntries(rows.map((r) => [r.column_name, wire[r.data_type as string] ?? r.data_type])),
      Object.fromEntries(INVOCATION_COLUMNS.map((c) => [c, COPY_TYPES[c]])),
    );
  } finally {
    await pool.end();
    await store.close();
    await dropSchema(schema);
  }
});

test('the binary COPY stream: signature, one tuple per record, a null as length -1, the trailer', () => {
  const out = encodeCopy(blockOf([recordRow(sampleRecord('a', { statusCode: null }))]));
  assert.equal(out.subarray(0, 11).toString('latin1'), 'PGCOPY\n\xff\r\n\0');
  assert.equal(out.readInt16BE(19), INVOCATION_COLUMNS.length);
  assert.deepEqual([out.readInt32BE(21), out.toString('utf8', 25, 26)], [1, 'a']);
  assert.equal(out.readInt16BE(out.length - 2), -1);
  assert.equal(out.indexOf(Buffer.from([0xff, 0xff, 0xff, 0xff])) > 0, true, 'status_code null');
});

test('records written by COPY read back intact, through the pool and through the writer thread, and their usage counts', { skip }, async () => {
  const { schema, url } = freshSchema();
  const store = await openPostgresStore(url, { maxConnections: 2 });
  const pool = createPool(parseTarget(url), 1);
  const thread = new RecordWriterThread(url, PG_RECORD_WORKER);
  try {
    const byPool = oddRecords('p');
    const block = blockOf(byPool.map((r) => recordRow(r)));
    assert.ok(encodeCopy(block).length > 2 ** 20, 'sent in several COPY messages');
    await writeRecords(pool, block, 'fresh');
    while (!thread.ready) {
      if (thread.broken !== null) throw thread.broken;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const byThread = oddRecords('t');
    await thread.write(blockOf(byThread.map((r) => recordRow(r))), 'fresh');
    for (const r of [...byPool, ...byThread]) assert.deepEqual(await store.invocations.get(r.id), stored(r), r.id);
    const usage = await store.usage.list({});
    assert.equal(usage.reduce((n, u) => n + u.requests, 0), 6);
    assert.equal(usage.reduce((n, u) => n + u.errors, 0), 2);
    assert.equal(usage.reduce((n, u) => n + u.coldStarts, 0), 2);
    assert.equal(usage.reduce((n, u) => n + u.billedMs, 0), 2 * (2 + 2 + 2 ** 40 + 1));
    assert.deepEqual([...new Set(usage.map((u) => u.functionName))].sort(), ['fn-\u00fcml\u00e4ut', 'hello', "o'dd\\fn \u00fcml\u00e4ut"]);
  } finally {
    await thread.close();
    await pool.end();
    await store.close();
    await dropSchema(schema);
  }
});

test('a block holding ids already stored: only the new ones go in, and only they count in usage', { skip }, async () => {
  const { schema, url } = freshSchema();
  const store = await openPostgresStore(url, { maxConnections: 2 });
  const pool = createPool(parseTarget(url), 1);
  try {
    const first = Array.from({ length: 10 }, (_, i) => sampleRecord(`r${i}`));
    await writeRecords(pool, blockOf(first.map((r) => recordRow(r))), 'fresh');
    const more = Array.from({ length: 20 }, (_, i) => sampleRecord(`r${i}`, { billedMs: 100 }));
    await writeRecords(pool, blockOf([...more, more[15]].map((r) => recordRow(r))), 'fresh');
    const usage = await store.usage.list({});
    assert.equal(usage.reduce((n, u) => n + u.requests, 0), 20);
    assert.equal(usage.reduce((n, u) => n + u.billedMs, 0), 10 * 2 + 10 * 100);
    assert.equal((await store.invocations.get('r3'))?.billedMs, 2, 'a stored record is not replaced');
    assert.equal((await store.invocations.get('r13'))?.billedMs, 100);
  } finally {
    await pool.end();
    await store.close();
    await dropSchema(schema);
  }
});

test('usage of many blocks on one connection (its prepared upsert, planned once) adds up per function-hour, exactly', { skip }, async () => {
  const { schema, url } = freshSchema();
  const store = await openPostgresStore(url, { maxConnections: 2 });
  const pool = createPool(parseTarget(url), 1);
  try {
    const H = 3_600_000;
    const names = ['a', "b'q\\", 'c\u00fc'];
    const blocks = Array.from({ length: 12 }, (_, b) =>
      Array.from({ length: 30 }, (_, i) =>
        sampleRecord(`u${String(b).padStart(2, '0')}${String(i).padStart(2, '0')}`, {
          functionName: names[i % names.length],
          startedAt: (b % 2) * H + i,
          billedMs: 1_000,
          memoryMb: 512,
          cpuMs: 0.125,
          coldStart: i === 0,
          status: i % 10 === 9 ? 'error' : 'success',
        }),
      ),
    );
    for (const records of blocks) await writeRecords(pool, blockOf(records.map((r) => recordRow(r))), 'fresh');
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
  } finally {
    await pool.end();
    await store.close();
    await dropSchema(schema);
  }
});

test('a number its column cannot hold fails the block (as the server would), never written wrapped', () => {
  assert.throws(() => encodeCopy(blockOf([recordRow(sampleRecord('a', { attempt: 2 ** 31 }))])), /attempt: 2147483648 is out of range for int4/);
  assert.throws(() => encodeCopy(blockOf([recordRow(sampleRecord('a', { requestBytes: 2 ** 64 }))])), /request_bytes/);
  assert.doesNotThrow(() => encodeCopy(blockOf([recordRow(sampleRecord('a', { attempt: -(2 ** 31), requestBytes: -(2 ** 53 - 1) }))])));
});

test('a block the server refuses stores none of its records and adds no usage; the connection goes on', { skip }, async () => {
  const { schema, url } = freshSchema();
  const store = await openPostgresStore(url, { maxConnections: 2 });
  const pool = createPool(parseTarget(url), 1);
  try {
    const bad = { ...sampleRecord('b2'), status: null } as unknown as InvocationRecord; // status is NOT NULL
    await assert.rejects(writeRecords(pool, blockOf([recordRow(sampleRecord('b1')), recordRow(bad)]), 'fresh'), /null value in column "status"/);
    assert.equal(await store.invocations.get('b1'), null);
    assert.deepEqual(await store.usage.list({}), []);
    await writeRecords(pool, blockOf([recordRow(sampleRecord('b3'))]), 'fresh');
    assert.equal((await store.invocations.get('b3'))?.id, 'b3');
    assert.equal((await store.usage.list({})).reduce((n, u) => n + u.requests, 0), 1);
  } finally {
    await pool.end();
    await store.close();
    await dropSchema(schema);
  }
});
