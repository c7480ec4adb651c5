import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { newId } from '../../core/ids.ts';
import { packOf, sampleRecord } from '../contract.ts';
import { blockOf, BlockBuilder, BlockPack, pick, rowsOf, valueAt } from '../record-block.ts';
import { decodeBlock, encodeBlock } from '../block-bytes.ts';
import { COLUMN_KINDS, recordFromRow, recordRow, ROW_WIDTH, type RecordRow } from '../record-rows.ts';
import { RecordThreadSlot } from '../record-writer-thread.ts';
import { MIGRATIONS } from './migrations.ts';
import { invocationRepo } from './invocation-repo.ts';
import { WRITE_CHUNK } from './row-writer.ts';
import { SQLITE_RECORD_WORKER } from './sqlite-store.ts';
import { CHUNK, chunksOf } from './block-chunks.ts';

const records = [
  sampleRecord('a1'),
  sampleRecord('a2', { statusCode: null, errorCode: 'NIMBUS_ERR_TIMEOUT', errorMessage: 'took "too" long\n', status: 'timeout', logs: [] }),
  sampleRecord('a3', { functionName: 'other', coldStart: true, initMs: 3.25, parentSpanId: 'aa00bb11cc22dd33', logsTruncated: true }),
];

test('a block keeps every value of its records: numbers, nulls, texts (repeated ones once), through storage and back', () => {
  const block = blockOf(records.map((r) => recordRow(r)));
  assert.equal(block.count, 3);
  assert.equal(block.slots.length, 3 * ROW_WIDTH);
  assert.equal(block.texts.filter((t) => t === 'hello').length, 1, 'a repeated text is kept once');
  assert.deepEqual(rowsOf(block).map(recordFromRow), records);
  const stored = encodeBlock(block);
  assert.deepEqual(rowsOf(decodeBlock(stored)).map(recordFromRow), records);
  // The stored bytes need not start on an 8-byte boundary (SQLite hands out any buffer).
  const shifted = Buffer.alloc(stored.length + 3);
  stored.copy(shifted, 3);
  assert.deepEqual(rowsOf(decodeBlock(shifted.subarray(3))).map(recordFromRow), records);
});

test('a record added as it is stores what its row stores, column for column', () => {
  const varied = [
    ...records,
    sampleRecord('b1', { alias: 'live', sockets: { opened: 2, bytesIn: 300, bytesOut: 40 }, traceId: null, spanId: null, instanceId: null }),
    sampleRecord('b2', { statusCode: null, version: null as unknown as number, cpuMs: undefined as unknown as number, attempt: 3, coldStart: true }),
    sampleRecord('b3', { functionName: 'hello', trigger: 'event', triggerSource: 'topic:orders', status: 'error', errorCode: 'NIMBUS_ERR_FUNCTION_ERROR', errorName: 'TypeError', errorMessage: 'x is not a function' }),
  ];
  const byRecord = new BlockBuilder();
  const byRow = new BlockBuilder();
  for (const r of varied) {
    byRecord.addRecord(r);
    byRow.add(recordRow(r));
  }
  const a = byRecord.block();
  const b = byRow.block();
  assert.deepEqual(a.texts, b.texts);
  assert.deepEqual([...a.slots].map(String), [...b.slots].map(String), 'the same values (NaN for a missing number) in the same columns');
  assert.deepEqual(rowsOf(a).map(recordFromRow), rowsOf(b).map(recordFromRow));
});

test('a block handed off holds just its records (no spare room for the thread to copy or a retry to keep)', () => {
  const builder = new BlockBuilder();
  builder.add(recordRow(records[0]));
  assert.equal(builder.block().slots.length, ROW_WIDTH);
  for (let i = 0; i < 40; i++) builder.add(recordRow(sampleRecord(`g${i}`)));
  const block = builder.block();
  assert.equal(block.slots.length, 41 * ROW_WIDTH);
  assert.equal(block.slots.buffer.byteLength, 41 * ROW_WIDTH * 8);
  assert.equal(valueAt(block, 40, 0), 'g39');
  const view = builder.view();
  builder.add(recordRow(sampleRecord('g40')));
  assert.equal(view.count, 41, 'a view keeps what it saw');
  assert.equal(builder.view().count, 42);
});

test('a pack sized for fewer records than it takes grows, and hands off exactly its records', () => {
  const pack = new BlockPack(2);
  const added = Array.from({ length: 5 }, (_, i) => sampleRecord(`p${i}`, { durationMs: i + 0.5 }));
  for (const r of added) pack.add(r);
  assert.deepEqual(pack.records(), added);
  const block = pack.block();
  assert.equal(block.count, 5);
  assert.equal(block.slots.length, 5 * ROW_WIDTH);
  const roomy = new BlockPack(100);
  roomy.add(added[0]);
  assert.equal(roomy.block().slots.buffer.byteLength, ROW_WIDTH * 8, 'no spare room handed off');
});

test('pick takes some records with only their own texts; chunks are CHUNK[kind] parts', () => {
  const block = blockOf(records.map((r) => recordRow(r)));
  const one = pick(block, [2]);
  assert.deepEqual(rowsOf(one).map(recordFromRow), [records[2]]);
  assert.ok(!one.texts.includes('a1') && !one.texts.includes('hello'), 'texts of records not picked are left out');
  const many = blockOf(Array.from({ length: WRITE_CHUNK * 2 + 1 }, (_, i) => recordRow(sampleRecord(`c${i}`))));
  const chunks = [...chunksOf(many, 'keyed')];
  assert.equal(CHUNK.keyed, WRITE_CHUNK);
  assert.deepEqual(chunks.map((c) => c.count), [WRITE_CHUNK, WRITE_CHUNK, 1]);
  assert.equal(valueAt(chunks[2], 0, 0), `c${WRITE_CHUNK * 2}`);
  assert.deepEqual(chunks[2].texts.filter((t) => t.startsWith('c')), [`c${WRITE_CHUNK * 2}`], 'a chunk is a block of its own: only its texts');
  assert.deepEqual([...chunksOf(many, 'fresh')].map((c) => c.count), [CHUNK.fresh, 1], 'records kept in segments go twice as many to a transaction');
  assert.equal([...chunksOf(block, 'fresh')][0], block, 'a block of one chunk is written as it is');
});

/** A stored block as format 1 wrote it (every column of every row, texts from 12 bytes on), `width` columns wide. */
function formatOne(rows: readonly RecordRow[], width: number = ROW_WIDTH): Buffer {
  const texts: string[] = [];
  const values: number[] = [];
  for (const row of rows) {
    for (let c = 0; c < width; c++) {
      const v = row[c];
      if (typeof v === 'string') values.push(texts.push(v) - 1);
      else values.push(v === null ? (COLUMN_KINDS[c] === 0 ? NaN : -1) : (v as number));
    }
  }
  const json = Buffer.from(JSON.stringify(texts));
  const valuesAt = (12 + json.length + 7) & ~7;
  const out = Buffer.alloc(valuesAt + values.length * 8);
  out.writeUInt8(1, 0);
  out.writeUInt16LE(width, 2);
  out.writeUInt32LE(rows.length, 4);
  out.writeUInt32LE(json.length, 8);
  json.copy(out, 12);
  values.forEach((v, i) => out.writeDoubleLE(v, valuesAt + i * 8));
  return out;
}

test('a stored block keeps a column with one value for every record once (the size halves); format 1 (before) is still read', () => {
  const many = Array.from({ length: 100 }, (_, i) => sampleRecord(`m${i}`, { durationMs: i / 7, instanceId: `i${i % 3}` }));
  const block = blockOf(many.map((r) => recordRow(r)));
  const stored = encodeBlock(block);
  assert.deepEqual(rowsOf(decodeBlock(stored)).map(recordFromRow), many);
  assert.ok(stored.length < (block.slots.length * 8) / 2, `${stored.length} bytes for ${block.slots.length * 8} of values`);
  const one = blockOf([recordRow(records[1])]);
  assert.deepEqual(rowsOf(decodeBlock(encodeBlock(one))).map(recordFromRow), [records[1]], 'one record: every column is constant');
  assert.deepEqual(rowsOf(decodeBlock(formatOne(records.map((r) => recordRow(r))))).map(recordFromRow), records);
});

test('a stored block from before a column was added reads the new column as null (formats 1 and 3); other bytes are refused', () => {
  const rows = records.map((r) => recordRow(r));
  const block = blockOf(rows);
  for (const stored of [formatOne(rows, ROW_WIDTH - 1), encodeBlock(block, ROW_WIDTH - 1), encodeBlock(block, 9)]) {
    const width = stored.readUInt16LE(2);
    const read = rowsOf(decodeBlock(stored));
    for (let i = 0; i < rows.length; i++) {
      for (let c = 0; c < ROW_WIDTH; c++) assert.deepEqual(read[i][c], c < width ? rows[i][c] : null, `width ${width}, row ${i}, column ${c}`);
    }
  }
  assert.throws(() => decodeBlock(Buffer.from('[["x"]]')), /not a record block/);
  assert.throws(() => decodeBlock(encodeBlock(block).subarray(0, 100)), /cut short/);
});

test('segments written as JSON rows (before blocks) are still read, listed and pruned', async () => {
  const db = new Database(':memory:');
  for (const m of MIGRATIONS) db.exec(m);
  const repo = invocationRepo(db, new RecordThreadSlot(null, SQLITE_RECORD_WORKER));
  const t = Date.UTC(2026, 10, 1);
  const old = [sampleRecord(newId(t), { startedAt: t }), sampleRecord(newId(t + 1), { startedAt: t + 1 })];
  const ids = old.map((r) => r.id).sort();
  db.prepare('INSERT INTO invocation_segments (bucket, function_name, first_id, records, failures, rows) VALUES (?, ?, ?, ?, ?, ?)').run(
    Math.floor(t / 100), 'hello', ids[0], 2, 0, JSON.stringify(old.map((r) => recordRow(r))),
  );
  const fresh = sampleRecord(newId(t + 500), { startedAt: t + 500 });
  await repo.append(packOf(repo, [fresh]));
  assert.deepEqual(await repo.get(old[1].id), old[1]);
  assert.deepEqual((await repo.list({ limit: 10 })).map((r) => r.id), [fresh.id, ...ids.slice().reverse()]);
  assert.equal(await repo.prune(0, 2), 1);
  assert.deepEqual((await repo.list({ limit: 10 })).map((r) => r.id), [fresh.id, ids[1]]);
  db.close();
});

test('a block in format 2 (a layout tried in one commit and dropped) is refused by its format, not misread', () => {
  const stored = encodeBlock(blockOf(records.map((r) => recordRow(r))));
  stored.writeUInt8(2, 0);
  assert.throws(() => decodeBlock(stored), /not a record block \(format 2\)/);
});
