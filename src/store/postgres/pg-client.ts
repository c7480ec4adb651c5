/**
 * The connection pool of the PostgreSQL store: one schema (search_path) per store, 64-bit
 * integers read as numbers (every one we keep is an epoch ms or a count, well inside 2^53),
 * transactions that retry on a serialization failure or deadlock, and the errors that say
 * the server cannot be reached as a NimbusError.
 */
import pg from 'pg';
import { NimbusError } from '../../core/errors.ts';

export type Sql = Pick<pg.PoolClient, 'query'>;
export type { Row } from '../row.ts';

export interface PgTarget {
  /** postgres://user@host:port/database (a `schema` query parameter picks the schema). */
  readonly url: string;
  /** Schema the store's tables live in; from the URL's `schema` parameter, else `public`. */
  readonly schema: string;
  /** Server settings for every session (`-c name=value …`): the URL's `options` parameter, as libpq reads it, else empty. */
  readonly options: string;
}

/** The URL without its `schema` and `options` parameters, the schema it names and the settings it asks for. */
export function parseTarget(url: string): PgTarget {
  const u = new URL(url);
  const schema = u.searchParams.get('schema') ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new NimbusError('NIMBUS_ERR_VALIDATION', `the store URL's schema "${schema}" is not a plain lower-case SQL name`);
  }
  const options = u.searchParams.get('options') ?? '';
  u.searchParams.delete('schema');
  u.searchParams.delete('options');
  return { url: u.toString(), schema, options };
}

/** The store URL with one more server setting for its sessions (`-c name=value`), after those it already asks for. */
export function withSessionSetting(url: string, name: string, value: string): string {
  const u = new URL(url);
  const asked = u.searchParams.get('options');
  u.searchParams.set('options', `${asked ? `${asked} ` : ''}-c ${name}=${value}`);
  return u.toString();
}

/** The URL with its password left out, for messages. */
export function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparseable URL)';
  }
}

const INT8 = 20;
const NUMERIC = 1700;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/**
 * How long a pooled connection may stay idle before it is closed: longer than the gaps
 * between a node's periodic statements (heartbeats, lease renewals, queue and workflow scans,
 * every few seconds, now and then a few at once), so the connections they use stay open
 * instead of being closed and opened again, each time the server's cost of starting a backend
 * and warming its caches; the extra connections of a burst close a minute after it.
 */
export const IDLE_CONNECTION_MS = 60_000;

export function createPool(target: PgTarget, max = 10): pg.Pool {
  const pool = new pg.Pool({
    connectionString: target.url,
    max,
    idleTimeoutMillis: IDLE_CONNECTION_MS,
    types: types as pg.CustomTypesConfig,
    connectionTimeoutMillis: 10_000,
    // The URL's own options would replace this one (pg reads the URL last), so both are given here; the schema last, so it wins.
    options: `${target.options ? `${target.options} ` : ''}-c search_path=${target.schema}`,
  });
  // An idle client whose server went away emits here; the next query reports it.
  pool.on('error', () => {});
  return pool;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', '57P03', '3D000', '28P01', '28000']);

/** Whether an error means the server cannot be reached (or refused us), as opposed to a bad statement. */
export function isUnreachable(error: unknown): boolean {
  const e = error as { code?: string; message?: string; errors?: unknown[] } | null;
  if (e === null || typeof e !== 'object') return false;
  if (e.code !== undefined && UNREACHABLE.has(e.code)) return true;
  if (Array.isArray(e.errors)) return e.errors.some(isUnreachable); // AggregateError (IPv4 and IPv6 both refused)
  return /timeout exceeded when trying to connect|Connection terminated/i.test(e.message ?? '');
}

export function unreachable(url: string, error: unknown): NimbusError {
  const reason = (error as Error).message || (error as { code?: string }).code || String(error);
  return new NimbusError(
    'NIMBUS_ERR_STORE_UNAVAILABLE',
    `cannot reach the PostgreSQL store at ${redacted(url)}: ${reason}. Check that the server runs and the URL (--store, NIMBUS_STORE) is right.`,
    { cause: error },
  );
}

/** Serialization failure, deadlock: the transaction is run again. */
export const RETRY = new Set(['40001', '40P01']);

/**
 * Runs `work` on one pooled client; when it throws, rolls back what it left open and, for a
 * serialization failure or deadlock, runs it again (up to five times).
 */
export async function retried<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      return await work(client);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      if (attempt < 5 && RETRY.has((error as { code?: string }).code ?? '')) continue;
      throw error;
    } finally {
      client.release();
    }
  }
}

/** Runs `work` in one transaction on one client; a serialization failure or deadlock runs it again. */
export function transaction<T>(pool: pg.Pool, work: (sql: Sql) => Promise<T>): Promise<T> {
  return retried(pool, async (client) => {
    await client.query('BEGIN');
    const out = await work(client);
    await client.query('COMMIT');
    return out;
  });
}

/** `$1, $2, …` for a multi-row VALUES list: `rows` rows of `width` parameters each, from `start`. */
export function valuesList(rows: number, width: number, start = 1): string {
  const out: string[] = [];
  let n = start;
  for (let r = 0; r < rows; r++) {
    const params: string[] = [];
    for (let c = 0; c < width; c++) params.push(`$${n++}`);
    out.push(`(${params.join(', ')})`);
  }
  return out.join(', ');
}

/** A WHERE clause of the filters a query sets, numbering their `$`s from `start`. */
export function whereOf(filters: ReadonlyArray<readonly [string, unknown] | false>, start = 1): { where: string; args: unknown[] } {
  const set = filters.filter((f): f is readonly [string, unknown] => f !== false);
  const args = set.map(([, v]) => v);
  const where = set.length === 0 ? '' : ' WHERE ' + set.map(([c], i) => c.replace('?', `$${start + i}`)).join(' AND ');
  return { where, args };
}

/** Classes of per-name advisory locks: deploys of one function, of one state machine; enqueues under one idempotency key; record prunes. */
export const NAME_LOCK = { function: 1, machine: 2, idempotency: 3, records: 4 } as const;

/** Takes a transaction-scoped advisory lock on a name of a class (released at commit or rollback). */
export async function lockName(sql: Sql, space: number, name: string): Promise<void> {
  await sql.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [space, name]);
}
