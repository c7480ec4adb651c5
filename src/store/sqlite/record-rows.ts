/**
 * Invocation records as SQLite rows, and the one transaction that writes a batch of them
 * with the usage they add. Shared by the store's own connection and the record writer
 * thread (record-writer-thread.ts), so both write exactly the same way.
 */
import type Database from 'better-sqlite3';
import { socketCounts, type InvocationRecord } from '../../core/types.ts';
import type { UsageSource } from '../../core/usage.ts';
import { INVOCATION_COLUMNS } from '../invocation-columns.ts';
import { usageWriter } from './observe-store.ts';

/** One record's column values, in COLUMNS order (what SQLite binds and returns; record-block.ts packs them). */
export type RecordRow = readonly unknown[];

/** Which way a batch is stored: keyed rows (an id may come again) or segments (ids made for them). */
export type RecordKind = 'keyed' | 'fresh';

const COLUMNS = INVOCATION_COLUMNS;

/** The columns in RecordRow order, for a SELECT whose raw rows recordFromRow reads. */
export const RECORD_COLUMNS = COLUMNS.join(', ');

/** Values in a RecordRow. */
export const ROW_WIDTH = COLUMNS.length;

/** Columns holding text (or null); the others hold numbers (or null: status_code). */
const TEXT_COLUMNS = new Set<(typeof COLUMNS)[number]>([
  'id', 'function_name', 'trigger', 'trigger_source', 'status', 'error_code', 'error_name', 'error_message', 'instance_id', 'logs',
  'trace_id', 'span_id', 'parent_span_id', 'alias',
]);
/** Text columns whose values are new with each record (no point looking for a repeat). */
const UNIQUE_COLUMNS = new Set<(typeof COLUMNS)[number]>(['id', 'trace_id', 'span_id']);

/** Per column, in RecordRow order: 0 number, 1 text, 2 text that never repeats. */
export const COLUMN_KINDS: readonly (0 | 1 | 2)[] = COLUMNS.map((c) => (UNIQUE_COLUMNS.has(c) ? 2 : TEXT_COLUMNS.has(c) ? 1 : 0));

const at = (name: (typeof COLUMNS)[number]) => COLUMNS.indexOf(name);
const ID = at('id');
const FUNCTION = at('function_name');
const STARTED = at('started_at');
const BILLED = at('billed_ms');
const MEMORY = at('memory_mb');
const STATUS = at('status');
const COLD = at('cold_start');
const CPU = at('cpu_ms');
const OCCUPANCY = at('occupancy_ms');
const TRIGGER = at('trigger');

/**
 * A record's column values in COLUMNS order, written into `into` when given: a pack fills one
 * array for every record it takes (an array a record was ~240 bytes of garbage a request).
 */
export function recordRow(r: InvocationRecord, into: unknown[] = new Array<unknown>(ROW_WIDTH)): RecordRow {
  into[0] = r.id;
  into[1] = r.functionName;
  into[2] = r.version;
  into[3] = r.trigger;
  into[4] = r.triggerSource;
  into[5] = r.startedAt;
  into[6] = r.durationMs;
  into[7] = r.billedMs;
  into[8] = r.memoryMb;
  into[9] = r.status;
  into[10] = r.statusCode;
  into[11] = r.errorCode;
  into[12] = r.errorName;
  into[13] = r.errorMessage;
  into[14] = r.coldStart ? 1 : 0;
  into[15] = r.initMs;
  into[16] = r.instanceId;
  into[17] = r.requestBytes;
  into[18] = r.responseBytes;
  into[19] = r.attempt;
  into[20] = r.logs.length === 0 ? '[]' : JSON.stringify(r.logs);
  into[21] = r.logsTruncated ? 1 : 0;
  into[22] = r.cpuMs;
  into[23] = r.peakMemoryBytes;
  into[24] = r.occupancyMs;
  into[25] = r.traceId;
  into[26] = r.spanId;
  into[27] = r.parentSpanId;
  into[28] = r.alias ?? null;
  into[29] = r.sockets?.opened ?? 0;
  into[30] = r.sockets?.bytesIn ?? 0;
  into[31] = r.sockets?.bytesOut ?? 0;
  return into;
}

/** The record a row was made from (recordRow's inverse): a raw SELECT of RECORD_COLUMNS, or a row kept in a segment. */
export function recordFromRow(row: RecordRow): InvocationRecord {
  const [
    id, functionName, version, trigger, triggerSource, startedAt, durationMs, billedMs, memoryMb, status, statusCode, errorCode, errorName,
    errorMessage, coldStart, initMs, instanceId, requestBytes, responseBytes, attempt, logs, logsTruncated, cpuMs, peakMemoryBytes,
    occupancyMs, traceId, spanId, parentSpanId, alias, socketsOpened, socketBytesIn, socketBytesOut,
  ] = row as unknown[];
  return {
    id, functionName, version, trigger, triggerSource, startedAt, durationMs, billedMs, memoryMb, status, statusCode, errorCode, errorName,
    errorMessage, coldStart: coldStart === 1, initMs, instanceId, requestBytes, responseBytes, attempt,
    logs: logs === '[]' ? [] : JSON.parse(logs as string), logsTruncated: logsTruncated === 1, cpuMs, peakMemoryBytes, occupancyMs,
    traceId, spanId, parentSpanId, alias: alias ?? null,
    ...socketCounts((socketsOpened as number | null) ?? 0, (socketBytesIn as number | null) ?? 0, (socketBytesOut as number | null) ?? 0),
  } as InvocationRecord;
}

export const ROW_ID = ID;
export const ROW_FUNCTION = FUNCTION;
export const ROW_STARTED = STARTED;
export const ROW_STATUS = STATUS;

/**
 * Records per transaction. The writer thread pauses between transactions (record-writer-worker.ts)
 * and the store's own fallback writes the same chunks, so a chunk the thread committed before
 * it died is recognised when written again (segments are named by their first id).
 */
export const WRITE_CHUNK = 250;

/** A record's fields that usage counts (what usageSource fills). */
export type UsageFields = { -readonly [K in keyof UsageSource]: UsageSource[K] } & { functionName: string; startedAt: number };

/**
 * What a record adds to usage, from its column values (`value(i)`: the value of column i,
 * RecordRow order), written into `into`: a batch can reuse one object for all its records.
 */
export function usageSource(value: (column: number) => unknown, into: UsageFields = { functionName: '', startedAt: 0, status: 'success', coldStart: false, billedMs: 0, memoryMb: 0, cpuMs: 0, occupancyMs: 0, trigger: 'http' }): UsageFields {
  into.functionName = value(FUNCTION) as string;
  into.startedAt = value(STARTED) as number;
  into.status = value(STATUS) as UsageSource['status'];
  into.coldStart = value(COLD) === 1;
  into.billedMs = value(BILLED) as number;
  into.memoryMb = value(MEMORY) as number;
  into.cpuMs = value(CPU) as number;
  into.occupancyMs = value(OCCUPANCY) as number;
  into.trigger = value(TRIGGER) as UsageSource['trigger'];
  return into;
}

/** Prepares the statements once; the returned function writes one batch in one transaction. */
export function recordWriter(db: Database.Database): (rows: readonly RecordRow[]) => void {
  return db.transaction(recordRowsWriter(db));
}

/** recordWriter's function without a transaction of its own: for callers that write rows inside theirs. */
export function recordRowsWriter(db: Database.Database): (rows: readonly RecordRow[]) => void {
  const names = COLUMNS.join(', ');
  const params = COLUMNS.map(() => '?').join(', ');
  // The common case (a new id) is one statement: insert, nothing to take out of usage.
  const insertNew = db.prepare(`INSERT INTO invocations (${names}) VALUES (${params}) ON CONFLICT(id) DO NOTHING`);
  // Async attempts share one id: a later attempt (or a later run of the same attempt, after a
  // throttle) replaces the record, so it shows how the invocation ended; a plain repeat is ignored.
  // The same run written again with more logs is its final version (waitUntil work logged after
  // the queue committed the first version with the item's outcome): it replaces the first.
  const replace = db.prepare(`INSERT INTO invocations (${names}) VALUES (${params})
    ON CONFLICT(id) DO UPDATE SET ${COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = excluded.${c}`).join(', ')}
    WHERE excluded.attempt > invocations.attempt
       OR (excluded.attempt = invocations.attempt AND excluded.started_at > invocations.started_at)
       OR (excluded.attempt = invocations.attempt AND excluded.started_at = invocations.started_at
           AND (length(excluded.logs) > length(invocations.logs) OR excluded.logs_truncated > invocations.logs_truncated))`);
  const usage = usageWriter(db);
  return (rows: readonly RecordRow[]) => {
    const batch = usage.batch();
    for (const row of rows) {
      if (insertNew.run(...row).changes > 0) {
        batch.changed(undefined, usageSource((c) => row[c]));
        continue;
      }
      const previous = batch.before(row[ID] as string);
      if (replace.run(...row).changes > 0) batch.changed(previous, usageSource((c) => row[c]));
    }
    batch.apply();
  };
}
