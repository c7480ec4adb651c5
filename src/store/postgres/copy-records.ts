/**
 * A block of fresh records into `invocations` by COPY in PostgreSQL's binary format: the
 * block's values are written straight into the rows the server reads (a number as its 4 or 8
 * bytes, a text as its UTF-8), so no record objects, no JSON and no per-value parameters
 * are made on our side, and the server parses no JSON and no numbers as text on its own.
 *
 * COPY has no ON CONFLICT: a block with an id already stored (a batch written again, after
 * a writer thread died having committed it) fails whole with unique_violation, and the
 * caller writes it again the way that skips stored ids (invocation-repo.ts). The usage the
 * records add is upserted in the same transaction (usage-deltas.ts).
 *
 * The binary format: https://www.postgresql.org/docs/current/sql-copy.html (File Formats).
 */
import pg from 'pg';
import { INVOCATION_COLUMNS } from '../invocation-columns.ts';
import { valueAt, type RecordBlock } from '../record-block.ts';
import { ROW_WIDTH, usageSource, type UsageFields } from '../record-rows.ts';
import { retried, type Sql } from './pg-client.ts';
import { PREPARE_USAGE_ADD, UsageDeltas } from './usage-deltas.ts';

/** How each column travels: PostgreSQL's binary form of its type (migrations.ts). */
type Wire = 'text' | 'int4' | 'int8' | 'float8' | 'bool';

/** The type of every column of `invocations`, in INVOCATION_COLUMNS order (a test compares it with the migrated table). */
export const COPY_TYPES: Readonly<Record<(typeof INVOCATION_COLUMNS)[number], Wire>> = {
  id: 'text', function_name: 'text', version: 'int4', trigger: 'text', trigger_source: 'text', started_at: 'int8',
  duration_ms: 'float8', billed_ms: 'int8', memory_mb: 'int4', status: 'text', status_code: 'int4', error_code: 'text',
  error_name: 'text', error_message: 'text', cold_start: 'bool', init_ms: 'float8', instance_id: 'text', request_bytes: 'int8',
  response_bytes: 'int8', attempt: 'int4', logs: 'text', logs_truncated: 'bool', cpu_ms: 'float8', peak_memory_bytes: 'int8',
  occupancy_ms: 'float8', trace_id: 'text', span_id: 'text', parent_span_id: 'text', alias: 'text', sockets_opened: 'int4',
  socket_bytes_in: 'int8', socket_bytes_out: 'int8',
};

const TEXT = 0;
const INT4 = 1;
const INT8 = 2;
const FLOAT8 = 3;
const BOOL = 4;
const CODE = { text: TEXT, int4: INT4, int8: INT8, float8: FLOAT8, bool: BOOL } as const;
const KINDS = Int8Array.from(INVOCATION_COLUMNS, (c) => CODE[COPY_TYPES[c]]);
const SIZE = [0, 4, 8, 8, 1];

export const COPY_INVOCATIONS = `COPY invocations (${INVOCATION_COLUMNS.join(', ')}) FROM STDIN (FORMAT binary)`;

/** "PGCOPY\n\377\r\n\0", flags (none), header extension length (none). */
const SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
const TWO_32 = 4294967296;

/**
 * PostgreSQL text cannot hold U+0000 (one would fail its whole batch again at every retry):
 * a text that has it (its error's name and message are what a function controls) is stored
 * with U+FFFD instead. Logs are JSON, where it is escaped already.
 */
export function pgText(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s;
}

/** Shorter texts are copied byte by byte here; longer ones by Buffer.write (a call into C++ pays only for long texts). */
const SHORT = 64;

/** The block as one binary COPY stream: signature, a tuple per record, the trailer. */
export function encodeCopy(block: RecordBlock): Buffer {
  const { count, slots } = block;
  const texts = block.texts.map(pgText);
  // Per text (each once, however many records hold it): its UTF-8 length, and whether it is all ASCII (one byte a char).
  const bytes = new Int32Array(texts.length);
  const ascii = new Uint8Array(texts.length);
  for (let v = 0; v < texts.length; v++) {
    const t = texts[v];
    ascii[v] = isAscii(t) ? 1 : 0;
    bytes[v] = ascii[v] === 1 ? t.length : Buffer.byteLength(t);
  }
  let size = SIGNATURE.length + 2 + count * (2 + 4 * ROW_WIDTH);
  for (let k = 0; k < count * ROW_WIDTH; k += ROW_WIDTH) {
    for (let c = 0; c < ROW_WIDTH; c++) {
      const v = slots[k + c];
      const kind = KINDS[c];
      if (kind !== TEXT) size += v !== v ? 0 : SIZE[kind];
      else if (v >= 0) size += bytes[v];
    }
  }
  const out = Buffer.allocUnsafe(size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  SIGNATURE.copy(out, 0);
  let at = SIGNATURE.length;
  for (let i = 0, k = 0; i < count; i++) {
    view.setInt16(at, ROW_WIDTH);
    at += 2;
    for (let c = 0; c < ROW_WIDTH; c++, k++) {
      const v = slots[k];
      const kind = KINDS[c];
      if (kind === TEXT ? v < 0 : v !== v) {
        view.setInt32(at, -1); // null
        at += 4;
        continue;
      }
      if (kind === TEXT) {
        const n = bytes[v];
        const t = texts[v];
        view.setInt32(at, n);
        at += 4;
        if (ascii[v] === 1 && n <= SHORT) for (let j = 0; j < n; j++) out[at + j] = t.charCodeAt(j);
        else out.write(t, at, n, 'utf8');
        at += n;
        continue;
      }
      view.setInt32(at, SIZE[kind]);
      at += 4;
      if (kind === FLOAT8) view.setFloat64(at, v);
      else if (kind === BOOL) out[at] = v === 0 ? 0 : 1;
      else if (kind === INT4) {
        const n = Math.round(v);
        if (n > 0x7fffffff || n < -0x80000000) throw outOfRange(c, v);
        view.setInt32(at, n);
      } else {
        const n = Math.round(v);
        if (!(Math.abs(n) <= Number.MAX_SAFE_INTEGER)) throw outOfRange(c, v);
        const high = Math.floor(n / TWO_32);
        view.setInt32(at, high);
        view.setUint32(at + 4, n - high * TWO_32);
      }
      at += SIZE[kind];
    }
  }
  view.setInt16(at, -1); // trailer
  return out;
}

/** A value its column cannot hold (the server would refuse it too): the batch fails, as a bad INSERT would. */
function outOfRange(column: number, value: number): RangeError {
  return new RangeError(`invocations.${INVOCATION_COLUMNS[column]}: ${value} is out of range for ${COPY_TYPES[INVOCATION_COLUMNS[column]]}`);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** What pg's client hands a query while the server waits for COPY data (not in @types/pg). */
interface CopyConnection {
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

const CHUNK = 1 << 20;

/** A simple query whose COPY FROM STDIN is fed `data`; `callback` is called once the query (every statement in it) ended. */
class CopyIn extends pg.Query {
  constructor(
    text: string,
    private readonly data: Buffer,
    callback: (error: Error | undefined) => void,
  ) {
    super(text, callback as never);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    // In messages of at most CHUNK bytes (the protocol lets data be cut anywhere): a batch
    // kept through an outage can be tens of megabytes, and pg copies each message once more.
    for (let at = 0; at < this.data.length; at += CHUNK) connection.sendCopyFromChunk(this.data.subarray(at, at + CHUNK));
    connection.endCopyFrom();
  }
}

/** Runs `text` (a simple query: one or more statements, one of them COPY … FROM STDIN), feeding the COPY `data`. */
function copyIn(sql: Sql, text: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const query = new CopyIn(text, data, (error) => (error ? reject(error) : resolve()));
    (sql as { query(q: pg.Query): unknown }).query(query);
  });
}

/** Connections USAGE_ADD is prepared on (a pooled connection keeps its client object). */
const prepared = new WeakSet<pg.PoolClient>();
const DUPLICATE_PREPARED = '42P05';

/** Prepares the usage upsert on `client` once (a round trip of its own, once a connection). */
async function prepareUsage(client: pg.PoolClient): Promise<void> {
  if (prepared.has(client)) return;
  try {
    await client.query(PREPARE_USAGE_ADD);
  } catch (error) {
    if ((error as { code?: string }).code !== DUPLICATE_PREPARED) throw error;
  }
  prepared.add(client);
}

/**
 * Stores a block of fresh records and the usage they add in one transaction, in one round
 * trip: BEGIN, the COPY, the usage upsert (an EXECUTE of the statement prepared on the
 * connection) and COMMIT go as one simple query (what each statement costs both sides is
 * mostly its round trip at a few dozen records a batch, and parsing and planning the upsert
 * again for each batch). A failed statement skips the rest, so the transaction is rolled
 * back; a serialization failure or deadlock is tried again, as transaction() does.
 */
export async function copyFresh(pool: pg.Pool, block: RecordBlock): Promise<void> {
  const usage = new UsageDeltas();
  // One object refilled for every record, and one reader of the block's values (no closure a record).
  let fields: UsageFields | undefined;
  let i = 0;
  const value = (c: number) => valueAt(block, i, c);
  for (; i < block.count; i++) usage.add((fields = usageSource(value, fields)));
  const add = usage.execute();
  const text = `BEGIN; ${COPY_INVOCATIONS};${add === null ? '' : ` ${add};`} COMMIT`;
  const data = encodeCopy(block);
  await retried(pool, async (client) => {
    if (add !== null) await prepareUsage(client);
    await copyIn(client, text, data);
  });
}
