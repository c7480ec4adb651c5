/**
 * A block of fresh records into `invocations` by COPY in PostgreSQL's binary format: the
 * block's values are written straight into the rows the server reads (a number as its 4 or 8
 * bytes, a text as its UTF-8), so no record objects, no JSON and no per-value parameters
 * are made on our side, and the server parses no JSON and no numbers as text on its own.
 *
 * COPY has no ON CONFLICT: a block with an id already stored (a batch written again, after
 * a writer thread died having committed it) fails whole with unique_violation, and the
 * caller writes it again the way that skips stored ids (invocation-repo.ts).
 *
 * The binary format: https://www.postgresql.org/docs/current/sql-copy.html (File Formats).
 */
import pg from 'pg';
import { INVOCATION_COLUMNS } from '../invocation-columns.ts';
import type { RecordBlock } from '../record-block.ts';
import { ROW_WIDTH } from '../record-rows.ts';
import type { Sql } from './pg-client.ts';

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
 * a text a function controls (its error's name and message) has it as U+FFFD. Logs are JSON,
 * where it is escaped already.
 */
export function pgText(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s;
}

/** The block as one binary COPY stream: signature, a tuple per record, the trailer. */
export function encodeCopy(block: RecordBlock): Buffer {
  const { count, slots } = block;
  const texts = block.texts.map(pgText);
  const bytes = new Int32Array(texts.length).fill(-1);
  let size = SIGNATURE.length + 2 + count * (2 + 4 * ROW_WIDTH);
  for (let k = 0; k < count * ROW_WIDTH; k++) {
    const v = slots[k];
    const kind = KINDS[k % ROW_WIDTH];
    if (kind !== TEXT) size += v !== v ? 0 : SIZE[kind];
    else if (v >= 0) size += bytes[v] >= 0 ? bytes[v] : (bytes[v] = Buffer.byteLength(texts[v]));
  }
  const out = Buffer.allocUnsafe(size);
  SIGNATURE.copy(out, 0);
  let at = SIGNATURE.length;
  for (let i = 0, k = 0; i < count; i++) {
    out.writeInt16BE(ROW_WIDTH, at);
    at += 2;
    for (let c = 0; c < ROW_WIDTH; c++, k++) {
      const v = slots[k];
      const kind = KINDS[c];
      if (kind === TEXT ? v < 0 : v !== v) {
        out.writeInt32BE(-1, at); // null
        at += 4;
        continue;
      }
      if (kind === TEXT) {
        out.writeInt32BE(bytes[v], at);
        at += 4 + out.write(texts[v], at + 4, 'utf8');
        continue;
      }
      out.writeInt32BE(SIZE[kind], at);
      at += 4;
      if (kind === FLOAT8) at = out.writeDoubleBE(v, at);
      else if (kind === INT4) at = out.writeInt32BE(Math.round(v), at);
      else if (kind === BOOL) out[at++] = v === 0 ? 0 : 1;
      else {
        const n = Math.round(v);
        const high = Math.floor(n / TWO_32);
        at = out.writeUInt32BE(n - high * TWO_32, out.writeInt32BE(high, at));
      }
    }
  }
  out.writeInt16BE(-1, at); // trailer
  return out;
}

/** What pg's client hands a query while the server waits for COPY data (not in @types/pg). */
interface CopyConnection {
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** A query whose COPY FROM STDIN is fed `data` in one message; resolves with the rows copied. */
class CopyIn extends pg.Query {
  constructor(
    text: string,
    private readonly data: Buffer,
    callback: (error: Error | undefined, result: { rowCount: number | null }) => void,
  ) {
    super(text, callback as never);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    connection.sendCopyFromChunk(this.data);
    connection.endCopyFrom();
  }
}

/** Copies the block's records into `invocations` (in the caller's transaction); returns how many. */
export function copyRecords(sql: Sql, block: RecordBlock): Promise<number> {
  const data = encodeCopy(block);
  return new Promise((resolve, reject) => {
    const query = new CopyIn(COPY_INVOCATIONS, data, (error, result) => (error ? reject(error) : resolve(result.rowCount ?? 0)));
    (sql as { query(q: pg.Query): unknown }).query(query);
  });
}
