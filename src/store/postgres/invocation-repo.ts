/**
 * Invocation records on PostgreSQL. Records under ids that may be written again (async
 * attempts share their queue item's id) are rows of `invocations`, where a later version
 * replaces an earlier one (writeKeyedIn) and usage moves by exactly the difference. Records
 * with ids made for them (fresh) are kept in segments (segment-writer.ts, segment-store.ts),
 * a few rows a batch; reads merge the two. Each batch is one transaction with the usage it
 * adds (per function-hour), so usage is the sum of the records stored.
 */
import type pg from 'pg';
import { socketCounts, type InvocationRecord } from '../../core/types.ts';
import { INVOCATION_COLUMNS } from '../invocation-columns.ts';
import { latestVersions } from '../invocation-query.ts';
import { toUsageSource } from '../observe-rows.ts';
import type { InvocationQuery, InvocationRepo } from '../ports.ts';
import { recordsOf } from '../record-pack.ts';
import { blockOf, BlockPack, rowAt, rowsOf, type RecordBlock } from '../record-block.ts';
import { recordFromRow, recordRow, type RecordKind } from '../record-rows.ts';
import type { RecordThreadSlot } from '../record-writer-thread.ts';
import { segmentsOf } from '../segment-slots.ts';
import { lockName, NAME_LOCK, transaction, whereOf, type Row, type Sql } from './pg-client.ts';
import { pruneToNewest } from './prune-newest.ts';
import { segmentGet, segmentNewest, segmentPruneStartedBefore } from './segment-store.ts';
import { addUsage, copySegments, insertSegments, storedSegments } from './segment-writer.ts';
import { UsageDeltas } from './usage-deltas.ts';

const COLUMNS = INVOCATION_COLUMNS;
const NAMES = COLUMNS.join(', ');

/**
 * PostgreSQL text cannot hold U+0000 (one would fail its whole batch again at every retry):
 * a text that has it (its error's name and message are what a function controls) is stored
 * with U+FFFD instead. Logs are JSON, where it is escaped already; segments keep texts as JSON too.
 */
function pgText(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s;
}

function values(r: InvocationRecord): unknown[] {
  return [
    r.id, r.functionName, r.version, r.trigger, r.triggerSource, r.startedAt, r.durationMs, r.billedMs, r.memoryMb, r.status,
    r.statusCode, r.errorCode, r.errorName === null ? null : pgText(r.errorName), r.errorMessage === null ? null : pgText(r.errorMessage), r.coldStart, r.initMs, r.instanceId, r.requestBytes,
    r.responseBytes, r.attempt, r.logs.length === 0 ? '[]' : JSON.stringify(r.logs), r.logsTruncated, r.cpuMs, r.peakMemoryBytes,
    r.occupancyMs, r.traceId, r.spanId, r.parentSpanId, r.alias ?? null, r.sockets?.opened ?? 0, r.sockets?.bytesIn ?? 0, r.sockets?.bytesOut ?? 0,
  ];
}

function toRecord(row: Row): InvocationRecord {
  return {
    id: row.id, functionName: row.function_name, version: row.version, trigger: row.trigger, triggerSource: row.trigger_source,
    startedAt: row.started_at, durationMs: row.duration_ms, billedMs: row.billed_ms, memoryMb: row.memory_mb, status: row.status,
    statusCode: row.status_code, errorCode: row.error_code, errorName: row.error_name, errorMessage: row.error_message,
    coldStart: row.cold_start, initMs: row.init_ms, instanceId: row.instance_id, requestBytes: row.request_bytes,
    responseBytes: row.response_bytes, attempt: row.attempt, logs: row.logs === '[]' ? [] : JSON.parse(row.logs as string),
    logsTruncated: row.logs_truncated, cpuMs: row.cpu_ms, peakMemoryBytes: row.peak_memory_bytes, occupancyMs: row.occupancy_ms,
    traceId: row.trace_id, spanId: row.span_id, parentSpanId: row.parent_span_id, alias: row.alias ?? null,
    ...socketCounts(Number(row.sockets_opened ?? 0), Number(row.socket_bytes_in ?? 0), Number(row.socket_bytes_out ?? 0)),
  } as InvocationRecord;
}

/** What a stored row counts for usage (cold_start is a boolean here). */
const usageFromRow = (row: Row) => toUsageSource(row, row.cold_start as boolean);

const USAGE_COLUMNS = 'id, function_name, started_at, status, cold_start, billed_ms, memory_mb, cpu_ms, occupancy_ms, trigger';

/** A record as a JSON object keyed by column (json_populate_recordset's input), in column order. */
function rowObject(r: InvocationRecord): Record<(typeof COLUMNS)[number], unknown> {
  const v = values(r);
  const o = {} as Record<(typeof COLUMNS)[number], unknown>;
  for (let i = 0; i < COLUMNS.length; i++) o[COLUMNS[i]] = v[i];
  return o;
}

/**
 * Inserts the records whose id is new; returns those inserted. The batch travels as one JSON
 * parameter expanded by json_populate_recordset: serializing it is one native JSON.stringify
 * instead of the client converting thousands of parameters on the event loop, and only the
 * ids come back (the usage of what was inserted is counted from the records in hand).
 */
async function insertNew(sql: Sql, records: readonly InvocationRecord[]): Promise<InvocationRecord[]> {
  if (records.length === 0) return [];
  const { rows } = await sql.query(
    `INSERT INTO invocations (${NAMES}) SELECT ${NAMES} FROM json_populate_recordset(NULL::invocations, $1::json) ON CONFLICT (id) DO NOTHING RETURNING id`,
    [JSON.stringify(records.map(rowObject))],
  );
  if (rows.length === records.length) return [...records];
  const inserted = new Set(rows.map((r) => r.id as string));
  return records.filter((r) => inserted.has(r.id));
}

const param = (column: (typeof COLUMNS)[number]) => `$${COLUMNS.indexOf(column) + 1}`;

/**
 * When a keyed record replaces the stored one of its id (the parameters are the new
 * record's values): a later attempt, or a later run of the same attempt (after a
 * throttle); or the same run written again with more logs, its final version (waitUntil
 * work logged after the queue committed the first version with the item's outcome). A
 * plain repeat is ignored.
 */
const LATER = `(${param('attempt')} > attempt
  OR (${param('attempt')} = attempt AND ${param('started_at')} > started_at)
  OR (${param('attempt')} = attempt AND ${param('started_at')} = started_at
      AND (length(${param('logs')}::text) > length(logs) OR (${param('logs_truncated')}::boolean AND NOT logs_truncated))))`;

const REPLACE = `UPDATE invocations SET (${NAMES}) = (${COLUMNS.map((c) => param(c)).join(', ')}) WHERE id = $1 AND ${LATER}`;

/** REPLACE for a batch in one statement: the new versions as one JSON parameter (rowObject), `r`; returns the ids replaced. */
const REPLACE_MANY = `UPDATE invocations i SET (${NAMES}) = (${COLUMNS.map((c) => `r.${c}`).join(', ')})
  FROM json_populate_recordset(NULL::invocations, $1::json) r
  WHERE i.id = r.id AND (r.attempt > i.attempt
    OR (r.attempt = i.attempt AND r.started_at > i.started_at)
    OR (r.attempt = i.attempt AND r.started_at = i.started_at
        AND (length(r.logs) > length(i.logs) OR (r.logs_truncated AND NOT i.logs_truncated))))
  RETURNING i.id`;

/**
 * Writes keyed records (async attempts share an id) in the caller's transaction: a later
 * version of an id (LATER) replaces the stored one, usage moving by exactly the difference.
 * InvocationRepo.insertMany runs it alone; the queue runs it with an attempt's outcome.
 */
export async function writeKeyedIn(sql: Sql, records: readonly InvocationRecord[]): Promise<void> {
  const latest = latestVersions(records).sort((a, b) => (a.id < b.id ? -1 : 1));
  const usage = new UsageDeltas();
  const inserted = await insertNew(sql, latest);
  for (const r of inserted) usage.add(r);
  const done = new Set(inserted.map((r) => r.id));
  const rest = latest.filter((r) => !done.has(r.id));
  if (rest.length > 0) {
    // Locked in id order, so writers of overlapping ids cannot deadlock.
    const { rows } = await sql.query(`SELECT ${USAGE_COLUMNS} FROM invocations WHERE id = ANY($1) ORDER BY id FOR UPDATE`, [rest.map((r) => r.id)]);
    const stored = new Map(rows.map((r) => [r.id as string, r]));
    const present = rest.filter((r) => stored.has(r.id));
    const replaced =
      present.length === 0
        ? new Set<string>()
        : present.length === 1
          ? new Set((((await sql.query(REPLACE, values(present[0]))).rowCount ?? 0) > 0 ? [present[0].id] : []))
          : new Set((await sql.query(REPLACE_MANY, [JSON.stringify(present.map(rowObject))])).rows.map((r) => r.id as string));
    for (const r of present) {
      if (!replaced.has(r.id)) continue;
      usage.add(usageFromRow(stored.get(r.id)!), -1);
      usage.add(r);
    }
  }
  await usage.apply(sql);
}

const UNIQUE_VIOLATION = '23505';

/**
 * Writes a block in one transaction: fresh records as segments (a block written again is
 * recognised by its segments' names and stored and counted once; a record whose id was not
 * made by newId is kept as a row, a stored id ignored), or keyed ones (writeKeyedIn). Both
 * the record writer thread and the store's pool write through it, so a batch the thread
 * committed before it died and the pool writes again is stored and counted once.
 */
export async function writeRecords(pool: pg.Pool, block: RecordBlock, kind: RecordKind): Promise<void> {
  if (kind === 'keyed') return transaction(pool, (sql) => writeKeyedIn(sql, rowsOf(block).map(recordFromRow)));
  const { segments, strays } = segmentsOf(block);
  const stored = storedSegments(segments);
  if (strays.length === 0) {
    try {
      return await copySegments(pool, stored);
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    }
  }
  // A segment is stored already (this batch, written again), or some records are rows: each goes in once.
  await transaction(pool, async (sql) => {
    const usage = new UsageDeltas();
    for (const segment of await insertSegments(sql, stored)) addUsage(usage, segment.block);
    for (const r of await insertNew(sql, uniqueIds(strays.map((i) => recordFromRow(rowAt(block, i)))))) usage.add(r);
    await usage.apply(sql);
  });
}

/**
 * Invocation records on PostgreSQL. Batches are packed as SQLite's are (BlockPack: one
 * Float64Array and a text table, cheap to build and to post) and written by the record
 * writer thread, which has a pg pool of its own: the encoding, the protocol and the socket
 * writes of each batch are off the main thread (they were ~10 % of it under a warm load,
 * bench/README.md). Until the thread is ready, or once it is broken, the store's pool writes.
 */
export function invocationRepo(pool: pg.Pool, thread: RecordThreadSlot): InvocationRepo {
  const write = (block: RecordBlock, kind: RecordKind): Promise<void> => thread.write(block, kind, () => writeRecords(pool, block, kind));

  const keyedNewest = async (q: InvocationQuery): Promise<InvocationRecord[]> => {
    const { where, args } = whereOf([
      q.functionName !== undefined && ['function_name = ?', q.functionName],
      q.status !== undefined && ['status = ?', q.status],
      q.before !== undefined && ['id < ?', q.before],
      q.since !== undefined && ['started_at >= ?', q.since],
    ]);
    const { rows } = await pool.query(`SELECT * FROM invocations${where} ORDER BY id DESC LIMIT $${args.length + 1}`, [...args, q.limit]);
    return rows.map(toRecord);
  };

  return {
    insertMany: (records) => write(blockOf(records.map((r) => recordRow(r))), 'keyed'),
    newPack: (capacity) => new BlockPack(capacity),
    append(batch) {
      if (batch instanceof BlockPack) return write(batch.block(), 'fresh');
      return write(blockOf(recordsOf(batch).map((r) => recordRow(r))), 'fresh');
    },
    async get(id) {
      const [keyed, fresh] = await Promise.all([pool.query('SELECT * FROM invocations WHERE id = $1', [id]), segmentGet(pool, id)]);
      return keyed.rows.length > 0 ? toRecord(keyed.rows[0]) : fresh;
    },
    async list(q) {
      const [keyed, fresh] = await Promise.all([keyedNewest(q), segmentNewest(pool, q, q.limit)]);
      const both = [...keyed, ...fresh];
      both.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      return both.slice(0, q.limit);
    },
    prune: (olderThan, keep) =>
      transaction(pool, async (sql) => {
        // One prune at a time (every node runs retention): each reads counts and then deletes by them.
        await lockName(sql, NAME_LOCK.records, 'prune');
        const old = (await sql.query('DELETE FROM invocations WHERE started_at < $1', [olderThan])).rowCount ?? 0;
        return old + (await segmentPruneStartedBefore(sql, olderThan)) + (await pruneToNewest(sql, keep));
      }),
  };
}

/** The first record of each id (a fresh batch never holds an id twice; a stray repeat is dropped, not an error). */
function uniqueIds(records: readonly InvocationRecord[]): InvocationRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => !seen.has(r.id) && (seen.add(r.id), true));
}
