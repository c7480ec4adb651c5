/**
 * COPY … FROM STDIN in PostgreSQL's binary format, fed from one buffer, inside a simple query
 * that may hold other statements (BEGIN, the COPY, the usage upsert, COMMIT: one round trip).
 * The binary format: https://www.postgresql.org/docs/current/sql-copy.html (File Formats).
 */
import pg from 'pg';
import type { Sql } from './pg-client.ts';
import { PREPARE_USAGE_ADD } from './usage-deltas.ts';

/** "PGCOPY\n\377\r\n\0", flags (none), header extension length (none). */
export const COPY_SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);

/** The stream's end: a tuple of -1 fields. */
export const COPY_TRAILER = Buffer.from([0xff, 0xff]);

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
export function copyIn(sql: Sql, text: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const query = new CopyIn(text, data, (error) => (error ? reject(error) : resolve()));
    (sql as { query(q: pg.Query): unknown }).query(query);
  });
}

/** Connections USAGE_ADD is prepared on (a pooled connection keeps its client object). */
const prepared = new WeakSet<pg.PoolClient>();
const DUPLICATE_PREPARED = '42P05';

/** Prepares the usage upsert on `client` once (a round trip of its own, once a connection). */
export async function prepareUsage(client: pg.PoolClient): Promise<void> {
  if (prepared.has(client)) return;
  try {
    await client.query(PREPARE_USAGE_ADD);
  } catch (error) {
    if ((error as { code?: string }).code !== DUPLICATE_PREPARED) throw error;
  }
  prepared.add(client);
}
